"""notifications: digests with read receipts, parents' absence-reason suggestions,
absence alert states, scheduled job runs; marks by update time for digests

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "digests",
        sa.Column("binding_id", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("parts", sa.SmallInteger(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["binding_id"], ["bindings.id"],
            name=op.f("fk_digests_binding_id_bindings"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("binding_id", "day", name=op.f("pk_digests")),
    )
    op.create_table(
        "absence_suggestions",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("suggested_by", sa.Integer(), nullable=False),
        sa.Column("binding_id", sa.BigInteger(), nullable=True),
        sa.Column("suggested_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reason IN ('illness', 'parent_statement', 'other_excused')",
            name=op.f("ck_absence_suggestions_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["pupil_id"], ["pupils.person_id"],
            name=op.f("fk_absence_suggestions_pupil_id_pupils"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["suggested_by"], ["people.id"],
            name=op.f("fk_absence_suggestions_suggested_by_people"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["binding_id"], ["bindings.id"],
            name=op.f("fk_absence_suggestions_binding_id_bindings"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_absence_suggestions")),
        sa.UniqueConstraint(
            "pupil_id", "day", "suggested_by",
            name=op.f("uq_absence_suggestions_pupil_id_day_suggested_by"),
        ),
    )
    op.create_table(
        "absence_alert_states",
        sa.Column("binding_id", sa.BigInteger(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("version", sa.SmallInteger(), nullable=False),
        sa.Column("lessons", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["binding_id"], ["bindings.id"],
            name=op.f("fk_absence_alert_states_binding_id_bindings"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pupil_id"], ["pupils.person_id"],
            name=op.f("fk_absence_alert_states_pupil_id_pupils"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "binding_id", "pupil_id", "day", name=op.f("pk_absence_alert_states")
        ),
    )
    op.create_table(
        "notification_job_runs",
        sa.Column("job", sa.String(length=40), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"],
            name=op.f("fk_notification_job_runs_school_id_schools"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job", "school_id", "slot", name=op.f("pk_notification_job_runs")),
    )
    op.create_index("ix_marks_updated_at", "marks", ["updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_marks_updated_at", table_name="marks")
    op.drop_table("notification_job_runs")
    op.drop_table("absence_alert_states")
    op.drop_table("absence_suggestions")
    op.drop_table("digests")
