"""The outbox's closed rows counted by state in a table of three rows, kept by the recorder
in the statement that closes them (issue 14)

Rows are never deleted: a district's outbox grows by about 12 million rows a school year,
a region's by ten times that. What /metrics (every scrape) and the status screen reported
was a ``count(*)`` of the whole table by state, an index scan of every row ever sent
(at a region's 725,000 rows of one evening: 38 ms vacuumed, 400 ms while autovacuum had
not passed yet; it grows with every evening): at a region's size it passed the scrape's
3-second database timeout within months, and the scrape then reported the database down.
Pending rows stay counted live (through the pending rows' partial index: as many as wait,
not the history); the closed ones are read from here (0.1 ms).

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-08 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_closed",
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("rows", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint(
            "status IN ('sent', 'failed', 'unreachable')", name=op.f("ck_outbox_closed_status")
        ),
        sa.PrimaryKeyConstraint("status", name=op.f("pk_outbox_closed")),
    )
    # One row per state from the start (the recorder only adds to them), counted once here.
    op.execute(
        """
        INSERT INTO outbox_closed (status, rows)
        SELECT s.status, (SELECT count(*) FROM outbox o WHERE o.status = s.status)
        FROM unnest(ARRAY['sent', 'failed', 'unreachable']) AS s(status)
        """
    )


def downgrade() -> None:
    op.drop_table("outbox_closed")
