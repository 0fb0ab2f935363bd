"""An account is a user of one messenger: bindings, accounts, failed redemptions and used
invitations name the messenger beside the user's id (Telegram's and MAX's ids are
separate number spaces), and the profile columns lose their "telegram_" prefix

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TELEGRAM = sa.text("'telegram'")


def _messenger() -> sa.Column[str]:
    return sa.Column("messenger", sa.String(16), nullable=False, server_default=TELEGRAM)


def upgrade() -> None:
    op.add_column("bindings", _messenger())
    op.alter_column("bindings", "telegram_user_id", new_column_name="user_id")
    op.alter_column("bindings", "telegram_name", new_column_name="profile_name")
    op.alter_column("bindings", "telegram_username", new_column_name="username")
    op.drop_index("uq_bindings_active", table_name="bindings")
    op.drop_index("ix_bindings_telegram_user_id", table_name="bindings")
    op.create_index("ix_bindings_user", "bindings", ["messenger", "user_id"])
    op.create_index(
        "uq_bindings_active",
        "bindings",
        ["messenger", "user_id", "person_id", "role"],
        unique=True,
        postgresql_where=sa.text("revoked_at IS NULL"),
    )

    op.add_column("accounts", _messenger())
    op.alter_column("accounts", "telegram_user_id", new_column_name="user_id")
    op.drop_constraint("pk_accounts", "accounts", type_="primary")
    op.create_primary_key("pk_accounts", "accounts", ["messenger", "user_id"])

    op.add_column("redeem_attempts", _messenger())
    op.alter_column("redeem_attempts", "telegram_user_id", new_column_name="user_id")
    op.drop_index("ix_redeem_attempts_user_at", table_name="redeem_attempts")
    op.create_index(
        "ix_redeem_attempts_user_at", "redeem_attempts", ["messenger", "user_id", "at"]
    )

    op.alter_column("invitations", "used_by_telegram_id", new_column_name="used_by_user_id")
    op.add_column("invitations", sa.Column("used_by_messenger", sa.String(16)))
    op.execute(
        "UPDATE invitations SET used_by_messenger = 'telegram' WHERE used_by_user_id IS NOT NULL"
    )


def downgrade() -> None:
    """Back to Telegram only: whatever was bound from another messenger is dropped."""
    for table in ("bindings", "accounts", "redeem_attempts"):
        op.execute(f"DELETE FROM {table} WHERE messenger <> 'telegram'")
    op.execute(
        "UPDATE invitations SET used_by_user_id = NULL WHERE used_by_messenger <> 'telegram'"
    )
    op.drop_column("invitations", "used_by_messenger")
    op.alter_column("invitations", "used_by_user_id", new_column_name="used_by_telegram_id")

    op.drop_index("ix_redeem_attempts_user_at", table_name="redeem_attempts")
    op.alter_column("redeem_attempts", "user_id", new_column_name="telegram_user_id")
    op.drop_column("redeem_attempts", "messenger")
    op.create_index("ix_redeem_attempts_user_at", "redeem_attempts", ["telegram_user_id", "at"])

    op.drop_constraint("pk_accounts", "accounts", type_="primary")
    op.alter_column("accounts", "user_id", new_column_name="telegram_user_id")
    op.drop_column("accounts", "messenger")
    op.create_primary_key("pk_accounts", "accounts", ["telegram_user_id"])

    op.drop_index("uq_bindings_active", table_name="bindings")
    op.drop_index("ix_bindings_user", table_name="bindings")
    op.alter_column("bindings", "username", new_column_name="telegram_username")
    op.alter_column("bindings", "profile_name", new_column_name="telegram_name")
    op.alter_column("bindings", "user_id", new_column_name="telegram_user_id")
    op.drop_column("bindings", "messenger")
    op.create_index("ix_bindings_telegram_user_id", "bindings", ["telegram_user_id"])
    op.create_index(
        "uq_bindings_active",
        "bindings",
        ["telegram_user_id", "person_id", "role"],
        unique=True,
        postgresql_where=sa.text("revoked_at IS NULL"),
    )
