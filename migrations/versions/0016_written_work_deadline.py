"""R14: a lesson may be a written or control work (lessons.work_type_id), whose marks are
due within a few working days; work_types.written says which work types are such works
(the defaults: Самостоятельная работа, Контрольная работа)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "work_types",
        sa.Column("written", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.execute("UPDATE work_types SET written = true WHERE code IN ('independent', 'test')")
    op.add_column("lessons", sa.Column("work_type_id", sa.Integer(), nullable=True))
    op.create_foreign_key(
        op.f("fk_lessons_work_type_id_work_types"),
        "lessons",
        "work_types",
        ["work_type_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_index(
        "ix_lessons_written_work",
        "lessons",
        ["school_id", "date"],
        postgresql_where=sa.text("work_type_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_lessons_written_work", table_name="lessons")
    op.drop_constraint(op.f("fk_lessons_work_type_id_work_types"), "lessons", type_="foreignkey")
    op.drop_column("lessons", "work_type_id")
    op.drop_column("work_types", "written")
