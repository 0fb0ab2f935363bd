"""The outbox is messenger-neutral: each row names its channel, and its buttons are kept
as rows of {text, data} or {text, url} instead of a Telegram inline keyboard

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "outbox",
        sa.Column("channel", sa.String(16), nullable=False, server_default=sa.text("'telegram'")),
    )
    op.alter_column("outbox", "reply_markup", new_column_name="buttons")
    # Rows still queued keep their buttons: {"inline_keyboard": [[{text, callback_data}]]}
    # becomes [[{text, data}]] (a link keeps its url).
    op.execute(
        """
        UPDATE outbox SET buttons = (
            SELECT jsonb_agg((
                SELECT jsonb_agg(CASE WHEN b ? 'url'
                    THEN jsonb_build_object('text', b->'text', 'url', b->'url')
                    ELSE jsonb_build_object('text', b->'text', 'data', b->'callback_data') END
                    ORDER BY n)
                FROM jsonb_array_elements(r) WITH ORDINALITY AS x(b, n)
            ) ORDER BY m)
            FROM jsonb_array_elements(buttons->'inline_keyboard') WITH ORDINALITY AS y(r, m)
        )
        WHERE buttons IS NOT NULL
        """
    )


def downgrade() -> None:
    op.execute(
        """
        UPDATE outbox SET buttons = jsonb_build_object('inline_keyboard', (
            SELECT jsonb_agg((
                SELECT jsonb_agg(CASE WHEN b ? 'url'
                    THEN jsonb_build_object('text', b->'text', 'url', b->'url')
                    ELSE jsonb_build_object('text', b->'text', 'callback_data', b->'data') END
                    ORDER BY n)
                FROM jsonb_array_elements(r) WITH ORDINALITY AS x(b, n)
            ) ORDER BY m)
            FROM jsonb_array_elements(buttons) WITH ORDINALITY AS y(r, m)
        ))
        WHERE buttons IS NOT NULL
        """
    )
    op.alter_column("outbox", "buttons", new_column_name="reply_markup")
    op.drop_column("outbox", "channel")
