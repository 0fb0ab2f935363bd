"""A parent bound on several messengers chooses where notifications go: each parent
binding delivers or not (``notification_prefs.delivers``)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 08:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "notification_prefs",
        sa.Column("delivers", sa.Boolean(), server_default=sa.text("true"), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("notification_prefs", "delivers")
