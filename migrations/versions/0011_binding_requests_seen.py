"""R3 by binding: which binding filed a correction request or issued an invitation, and
when each binding last used the bot

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 17:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("correction_requests", sa.Column("binding_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        "fk_correction_requests_binding_id_bindings",
        "correction_requests",
        "bindings",
        ["binding_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_index(
        "ix_correction_requests_binding", "correction_requests", ["binding_id"], unique=False
    )
    op.add_column("invitations", sa.Column("issued_by_binding_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        "fk_invitations_issued_by_binding_id_bindings",
        "invitations",
        "bindings",
        ["issued_by_binding_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.add_column("bindings", sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("bindings", "last_seen_at")
    op.drop_constraint(
        "fk_invitations_issued_by_binding_id_bindings", "invitations", type_="foreignkey"
    )
    op.drop_column("invitations", "issued_by_binding_id")
    op.drop_index("ix_correction_requests_binding", table_name="correction_requests")
    op.drop_constraint(
        "fk_correction_requests_binding_id_bindings", "correction_requests", type_="foreignkey"
    )
    op.drop_column("correction_requests", "binding_id")
