"""What each parent receives per child, and their quiet hours (R16, issue 13 item 4):
no row is everything, at any hour, as before

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "child_notification_choices",
        sa.Column("guardian_id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("marks", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "absences", sa.String(length=10), server_default=sa.text("'all'"), nullable=False
        ),
        sa.Column("homework", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("announcements", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("schedule", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.CheckConstraint(
            "absences IN ('all', 'unexcused', 'off')",
            name=op.f("ck_child_notification_choices_absences"),
        ),
        sa.ForeignKeyConstraint(
            ["guardian_id"],
            ["people.id"],
            name=op.f("fk_child_notification_choices_guardian_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pupil_id"],
            ["pupils.person_id"],
            name=op.f("fk_child_notification_choices_pupil_id_pupils"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "guardian_id", "pupil_id", name=op.f("pk_child_notification_choices")
        ),
    )
    op.create_table(
        "quiet_hours",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.CheckConstraint("starts <> ends", name=op.f("ck_quiet_hours_not_empty")),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_quiet_hours_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_quiet_hours")),
    )


def downgrade() -> None:
    op.drop_table("quiet_hours")
    op.drop_table("child_notification_choices")
