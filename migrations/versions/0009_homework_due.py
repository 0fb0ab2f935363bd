"""homework is given at a lesson and due at the next lesson of that subject (issue 9)

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-02 14:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("lessons", sa.Column("homework_due", sa.Date(), nullable=True))
    op.create_index("ix_lessons_class_homework_due", "lessons", ["class_id", "homework_due"])


def downgrade() -> None:
    op.drop_index("ix_lessons_class_homework_due", table_name="lessons")
    op.drop_column("lessons", "homework_due")
