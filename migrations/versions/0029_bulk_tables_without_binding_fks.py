"""The outbox and the digests refer to their binding without a foreign key: a deleted
binding's digests are deleted and its outbox rows let go of it by one statement-level
trigger on bindings instead (issue 14)

A region's evening writes a million rows into each of the two tables in one job, and
each row's foreign-key check was a ``SELECT … FOR KEY SHARE`` on its binding: a lock
written into the binding's row (a dirtied page and a WAL record) per digest, about a
quarter of the database's work of queueing a chunk. Both tables take their binding ids
from the bindings the job has just read in the same transaction, and the journal never
deletes a binding (a revoked one keeps its row), so the check never found anything. What
the foreign keys did on a delete (a manual one, or a person's, by cascade) the trigger
does for the whole statement: the digests go (``ON DELETE CASCADE``), the outbox rows
keep their history without the binding (``ON DELETE SET NULL``).

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 23:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint("fk_outbox_binding_id_bindings", "outbox", type_="foreignkey")
    op.drop_constraint("fk_digests_binding_id_bindings", "digests", type_="foreignkey")
    op.execute(
        """
        CREATE FUNCTION bindings_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM digests d USING gone g WHERE d.binding_id = g.id;
            UPDATE outbox o SET binding_id = NULL FROM gone g WHERE o.binding_id = g.id;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER bindings_deleted AFTER DELETE ON bindings
        REFERENCING OLD TABLE AS gone FOR EACH STATEMENT
        EXECUTE FUNCTION bindings_deleted()
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER bindings_deleted ON bindings")
    op.execute("DROP FUNCTION bindings_deleted()")
    # Rows of bindings deleted meanwhile would break the constraints: they go first.
    op.execute("DELETE FROM digests d WHERE NOT EXISTS (SELECT 1 FROM bindings b WHERE b.id = d.binding_id)")
    op.execute(
        "UPDATE outbox o SET binding_id = NULL WHERE binding_id IS NOT NULL"
        " AND NOT EXISTS (SELECT 1 FROM bindings b WHERE b.id = o.binding_id)"
    )
    op.create_foreign_key(
        "fk_digests_binding_id_bindings", "digests", "bindings", ["binding_id"], ["id"],
        ondelete="CASCADE",
    )
    op.create_foreign_key(
        "fk_outbox_binding_id_bindings", "outbox", "bindings", ["binding_id"], ["id"],
        ondelete="SET NULL",
    )
