"""Bindings remember the bot they were made through (issue 14): ``bindings.bot_id`` (NULL:
the deployment's shared ``BOT_TOKEN`` bot, as every binding before). One person may be bound
from one account in the shared bot and in the school's bot, so the bot is part of the
active bindings' unique index (NULLs equal). The outbox's and the send leases' channel
grow to name a school's bot ("telegram:<bot_id>").

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTIVE = sa.text("revoked_at IS NULL")


def upgrade() -> None:
    op.add_column("bindings", sa.Column("bot_id", sa.BigInteger(), nullable=True))
    op.drop_index("uq_bindings_active", table_name="bindings")
    op.create_index(
        "uq_bindings_active",
        "bindings",
        ["messenger", "user_id", "person_id", "role", "bot_id"],
        unique=True,
        postgresql_where=_ACTIVE,
        postgresql_nulls_not_distinct=True,
    )
    for table in ("outbox", "send_leases"):
        op.alter_column(
            table, "channel", type_=sa.String(32), existing_type=sa.String(16), existing_nullable=False
        )


def downgrade() -> None:
    for table in ("outbox", "send_leases"):
        op.alter_column(
            table, "channel", type_=sa.String(16), existing_type=sa.String(32), existing_nullable=False
        )
    op.drop_index("uq_bindings_active", table_name="bindings")
    op.execute("DELETE FROM bindings WHERE bot_id IS NOT NULL")
    op.create_index(
        "uq_bindings_active",
        "bindings",
        ["messenger", "user_id", "person_id", "role"],
        unique=True,
        postgresql_where=_ACTIVE,
    )
    op.drop_column("bindings", "bot_id")
