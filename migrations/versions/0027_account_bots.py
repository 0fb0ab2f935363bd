"""An account's active binding and child per bot (issue 14): ``account_bots`` keeps, for
each bot the account writes to (``bot_id`` 0: the deployment's shared bot and MAX), the
binding it acts through there and the child a parent looks at. Before, one choice per
account flipped between the shared bot and the school's bot as the person wrote to one
and then the other. Each account's choice moves to the bot of its active binding.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_bots",
        sa.Column("messenger", sa.String(16), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("active_binding_id", sa.BigInteger(), nullable=True),
        sa.Column("active_pupil_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["messenger", "user_id"],
            ["accounts.messenger", "accounts.user_id"],
            name=op.f("fk_account_bots_messenger_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["active_binding_id"],
            ["bindings.id"],
            name=op.f("fk_account_bots_active_binding_id_bindings"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["active_pupil_id"],
            ["pupils.person_id"],
            name=op.f("fk_account_bots_active_pupil_id_pupils"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("messenger", "user_id", "bot_id", name=op.f("pk_account_bots")),
    )
    op.execute(
        """
        INSERT INTO account_bots (messenger, user_id, bot_id, active_binding_id, active_pupil_id)
        SELECT a.messenger, a.user_id, coalesce(b.bot_id, 0), a.active_binding_id,
               a.active_pupil_id
        FROM accounts a LEFT JOIN bindings b ON b.id = a.active_binding_id
        WHERE a.active_binding_id IS NOT NULL OR a.active_pupil_id IS NOT NULL
        """
    )
    op.drop_column("accounts", "active_binding_id")
    op.drop_column("accounts", "active_pupil_id")


def downgrade() -> None:
    op.add_column("accounts", sa.Column("active_binding_id", sa.BigInteger(), nullable=True))
    op.add_column("accounts", sa.Column("active_pupil_id", sa.Integer(), nullable=True))
    op.create_foreign_key(
        op.f("fk_accounts_active_binding_id_bindings"),
        "accounts",
        "bindings",
        ["active_binding_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_foreign_key(
        op.f("fk_accounts_active_pupil_id_pupils"),
        "accounts",
        "pupils",
        ["active_pupil_id"],
        ["person_id"],
        ondelete="SET NULL",
    )
    op.execute(  # the shared bot's choice, as the one an account had
        """
        UPDATE accounts a SET active_binding_id = c.active_binding_id,
                              active_pupil_id = c.active_pupil_id
        FROM account_bots c
        WHERE c.messenger = a.messenger AND c.user_id = a.user_id AND c.bot_id = 0
        """
    )
    op.drop_table("account_bots")
