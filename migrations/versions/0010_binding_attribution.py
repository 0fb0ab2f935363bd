"""R3: which binding (Telegram account) made each change, and how to tell bindings apart

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 13:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # No foreign key on audit_log: the log is append-only (a trigger refuses UPDATE), so
    # it must not be rewritten by ON DELETE SET NULL; the id stays as history.
    op.add_column("audit_log", sa.Column("binding_id", sa.BigInteger(), nullable=True))
    op.create_index("ix_audit_log_binding_at", "audit_log", ["binding_id", "at"], unique=False)
    op.add_column("bindings", sa.Column("telegram_name", sa.String(length=200), nullable=True))
    op.add_column(
        "bindings", sa.Column("telegram_username", sa.String(length=64), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("bindings", "telegram_username")
    op.drop_column("bindings", "telegram_name")
    op.drop_index("ix_audit_log_binding_at", table_name="audit_log")
    op.drop_column("audit_log", "binding_id")
