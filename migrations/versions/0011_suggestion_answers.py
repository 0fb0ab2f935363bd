"""a parent's suggested absence reason gets the class teacher's answer (R6): confirmed,
or rejected with a short explanation, by whom and when

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 13:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "absence_suggestions",
        sa.Column("status", sa.String(length=10), server_default="pending", nullable=False),
    )
    op.add_column("absence_suggestions", sa.Column("answer", sa.Text(), nullable=True))
    op.add_column("absence_suggestions", sa.Column("answered_by", sa.Integer(), nullable=True))
    op.add_column(
        "absence_suggestions",
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_foreign_key(
        op.f("fk_absence_suggestions_answered_by_people"),
        "absence_suggestions",
        "people",
        ["answered_by"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_check_constraint(
        op.f("ck_absence_suggestions_status"),
        "absence_suggestions",
        "status IN ('pending', 'confirmed', 'rejected')",
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("ck_absence_suggestions_status"), "absence_suggestions", type_="check"
    )
    op.drop_constraint(
        op.f("fk_absence_suggestions_answered_by_people"), "absence_suggestions", type_="foreignkey"
    )
    for column in ("answered_at", "answered_by", "answer", "status"):
        op.drop_column("absence_suggestions", column)
