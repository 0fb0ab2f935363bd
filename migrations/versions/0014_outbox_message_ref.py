"""The outbox keeps a delivered message's id as text: MAX's ids are strings ("mid.…"),
Telegram's ints are kept as their digits

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column(
        "outbox",
        "message_id",
        type_=sa.String(64),
        existing_type=sa.BigInteger(),
        postgresql_using="message_id::text",
    )


def downgrade() -> None:
    # A MAX message's id has no number: it is lost going back (Telegram's come back).
    op.execute("UPDATE outbox SET message_id = NULL WHERE message_id !~ '^-?[0-9]+$'")
    op.alter_column(
        "outbox",
        "message_id",
        type_=sa.BigInteger(),
        existing_type=sa.String(64),
        postgresql_using="message_id::bigint",
    )
