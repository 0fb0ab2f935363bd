"""Send leases: the instance holding a bot's lease is the one that sends through it, so
two instances on one database keep one bot's rate (issue 14)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "send_leases",
        sa.Column("channel", sa.String(16), primary_key=True),
        sa.Column("holder", sa.String(100), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("send_leases")
