"""a school's own digest hour (R16): schools of one district may send at different times

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 13:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("schools", sa.Column("digest_time", sa.Time(), nullable=True))


def downgrade() -> None:
    op.drop_column("schools", "digest_time")
