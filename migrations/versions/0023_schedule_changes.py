"""R25: changes of the day's timetable. lessons.cancelled marks a lesson not given at its
slot (cancelled, or moved to another); schedule_changes records every cancel, move, room
change and substitution, from which teachers and parents are told

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "lessons",
        sa.Column("cancelled", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.create_table(
        "schedule_changes",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("lesson_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("lesson_no", sa.SmallInteger(), nullable=False),
        sa.Column("new_lesson_id", sa.BigInteger(), nullable=True),
        sa.Column("new_day", sa.Date(), nullable=True),
        sa.Column("new_lesson_no", sa.SmallInteger(), nullable=True),
        sa.Column("old_room", sa.String(length=20), nullable=True),
        sa.Column("new_room", sa.String(length=20), nullable=True),
        sa.Column("old_teacher_id", sa.Integer(), nullable=True),
        sa.Column("new_teacher_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('cancel', 'move', 'room', 'substitute', 'restore')",
            name=op.f("ck_schedule_changes_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.id"],
            name=op.f("fk_schedule_changes_school_id_schools"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lesson_id"],
            ["lessons.id"],
            name=op.f("fk_schedule_changes_lesson_id_lessons"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["new_lesson_id"],
            ["lessons.id"],
            name=op.f("fk_schedule_changes_new_lesson_id_lessons"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["old_teacher_id"],
            ["people.id"],
            name=op.f("fk_schedule_changes_old_teacher_id_people"),
        ),
        sa.ForeignKeyConstraint(
            ["new_teacher_id"],
            ["people.id"],
            name=op.f("fk_schedule_changes_new_teacher_id_people"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["people.id"], name=op.f("fk_schedule_changes_actor_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_changes")),
    )
    op.create_index(
        "ix_schedule_changes_school_day", "schedule_changes", ["school_id", "day"], unique=False
    )
    op.create_index(
        "ix_schedule_changes_school_new_day",
        "schedule_changes",
        ["school_id", "new_day"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_schedule_changes_school_new_day", table_name="schedule_changes")
    op.drop_index("ix_schedule_changes_school_day", table_name="schedule_changes")
    op.drop_table("schedule_changes")
    op.drop_column("lessons", "cancelled")
