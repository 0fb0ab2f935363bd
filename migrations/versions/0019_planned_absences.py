"""A parent warns of an absence in advance (issue 13): planned absences, and the
suggested reason each school day of one holds for the class teacher (R6)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "planned_absences",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("lessons", postgresql.ARRAY(sa.SmallInteger()), nullable=True),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reported_by", sa.Integer(), nullable=False),
        sa.Column("binding_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.Integer(), nullable=True),
        sa.CheckConstraint("first_day <= last_day", name=op.f("ck_planned_absences_days")),
        sa.CheckConstraint(
            "lessons IS NULL OR first_day = last_day",
            name=op.f("ck_planned_absences_lessons_one_day"),
        ),
        sa.CheckConstraint(
            "reason IN ('illness', 'parent_statement', 'other_excused')",
            name=op.f("ck_planned_absences_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["pupil_id"],
            ["pupils.person_id"],
            name=op.f("fk_planned_absences_pupil_id_pupils"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reported_by"],
            ["people.id"],
            name=op.f("fk_planned_absences_reported_by_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["binding_id"],
            ["bindings.id"],
            name=op.f("fk_planned_absences_binding_id_bindings"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by"],
            ["people.id"],
            name=op.f("fk_planned_absences_withdrawn_by_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planned_absences")),
    )
    op.create_index(
        "ix_planned_absences_pupil_days",
        "planned_absences",
        ["pupil_id", "last_day", "first_day"],
    )
    op.add_column("absence_suggestions", sa.Column("planned_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        op.f("fk_absence_suggestions_planned_id_planned_absences"),
        "absence_suggestions",
        "planned_absences",
        ["planned_id"],
        ["id"],
        ondelete="CASCADE",
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_absence_suggestions_planned_id_planned_absences"),
        "absence_suggestions",
        type_="foreignkey",
    )
    op.drop_column("absence_suggestions", "planned_id")
    op.drop_index("ix_planned_absences_pupil_days", table_name="planned_absences")
    op.drop_table("planned_absences")
