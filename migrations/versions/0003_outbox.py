"""outbox for messages sent unasked

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 09:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('outbox',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('binding_id', sa.BigInteger(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('reply_markup', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('meta', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('not_before', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('status', sa.String(length=12), server_default=sa.text("'pending'"), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=100), nullable=True),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('message_id', sa.BigInteger(), nullable=True),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'sent', 'failed', 'unreachable')", name=op.f('ck_outbox_status')),
    sa.ForeignKeyConstraint(['binding_id'], ['bindings.id'], name=op.f('fk_outbox_binding_id_bindings'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('key', name=op.f('uq_outbox_key'))
    )
    # The sender's claim: pending rows in due order (NULL = due now) ...
    op.create_index('ix_outbox_due', 'outbox', [sa.text("COALESCE(next_attempt_at, '-infinity'::timestamptz)"), 'id'], unique=False, postgresql_where=sa.text("status = 'pending'"))
    # ... and "the first pending message of this chat" (per-chat order).
    op.create_index('ix_outbox_chat_pending', 'outbox', ['chat_id', 'id'], unique=False, postgresql_where=sa.text("status = 'pending'"))
    op.create_index('ix_outbox_status_kind', 'outbox', ['status', 'kind'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_outbox_status_kind', table_name='outbox')
    op.drop_index('ix_outbox_chat_pending', table_name='outbox', postgresql_where=sa.text("status = 'pending'"))
    op.drop_index('ix_outbox_due', table_name='outbox', postgresql_where=sa.text("status = 'pending'"))
    op.drop_table('outbox')
