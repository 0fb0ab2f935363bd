"""Send instances: a heartbeat row per running instance, renewed with its send leases, so
that the instances on one database divide the bots between them (issue 14): each holds
at most ceil(channels / live instances) leases

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "send_instances",
        sa.Column("holder", sa.String(100), primary_key=True),
        sa.Column("channels", postgresql.ARRAY(sa.String(32)), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("send_instances")
