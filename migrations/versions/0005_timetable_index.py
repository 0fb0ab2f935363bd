"""timetable by school and weekday: materialising a school's lessons for a day read the
whole district's timetable (a sequential scan: ~10 ms per call at 100 schools)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 12:00:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_timetable_school_weekday", "timetable", ["school_id", "weekday"])


def downgrade() -> None:
    op.drop_index("ix_timetable_school_weekday", table_name="timetable")
