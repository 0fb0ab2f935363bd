"""The audit log partitioned by school year: one partition per school year (1 September
to 1 September, UTC bounds) and a DEFAULT one, so an insert never fails (issue 14)

Existing rows move into their partitions in this migration's transaction with their ids;
the id sequence stays (``audit_log_id_seq``, owned by the new table). The primary key is
(id, at), as PostgreSQL wants the partition key in it; nothing references audit_log.id by
a foreign key. The append-only trigger sits on the parent, which applies it to every
partition; every index too (partial ones included). Later years' partitions are added by
``core.audit_partitions`` (the scheduler's daily job, ``journal migrate``).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    "id, school_id, at, actor_id, binding_id, action, entity, entity_key, old, new, reason,"
    " request_id"
)
# (name, columns, WHERE of a partial index)
INDEXES: tuple[tuple[str, list[str | sa.TextClause], str | None], ...] = (
    ("ix_audit_log_actor_at", ["actor_id", "at"], None),
    ("ix_audit_log_school_at", ["school_id", "at"], None),
    ("ix_audit_log_binding_at", ["binding_id", "at"], None),
    (
        "ix_audit_log_mark_change",
        [sa.text("(CAST(entity_key ->> 'pupil_id' AS integer))"), "at"],
        "entity = 'mark' AND action <> 'mark.add'",
    ),
    (
        "ix_audit_log_mark",
        [sa.text("(CAST(entity_key ->> 'mark_id' AS bigint))")],
        "entity = 'mark'",
    ),
)


def _school_year(moment: str) -> str:
    """SQL: the school year a moment is in, by its start year; 1 September 00:00 UTC
    starts one (1 September minus 8 months is 1 January of the same year)."""
    return f"extract(year FROM ({moment} AT TIME ZONE 'UTC') - interval '8 months')::int"


def _set_aside(old_name: str) -> None:
    """Rename the table out of the way, with the names that must stay free for the new
    one (its primary key's index, the other indexes), and drop its trigger."""
    op.rename_table("audit_log", old_name)
    op.execute(f"ALTER TABLE {old_name} RENAME CONSTRAINT pk_audit_log TO pk_{old_name}")
    for name, _columns, _where in INDEXES:
        op.drop_index(name, table_name=old_name)
    op.execute(f"DROP TRIGGER audit_log_append_only ON {old_name}")


def _create(*, partitioned: bool) -> None:
    """The audit log, its indexes and its append-only trigger, on the existing sequence."""
    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger(),
            server_default=sa.text("nextval('audit_log_id_seq'::regclass)"),
            nullable=False,
        ),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("binding_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("entity_key", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("old", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("new", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("request_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["people.id"], name=op.f("fk_audit_log_actor_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.id"],
            name=op.f("fk_audit_log_school_id_schools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            *(("id", "at") if partitioned else ("id",)), name=op.f("pk_audit_log")
        ),
        **({"postgresql_partition_by": "RANGE (at)"} if partitioned else {}),
    )
    for name, columns, where in INDEXES:
        op.create_index(
            name,
            "audit_log",
            columns,
            postgresql_where=sa.text(where) if where is not None else None,
        )
    op.execute(
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log"
        " FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
    )


def _move_rows(old_name: str) -> None:
    """Every row into the new table with its id; the sequence goes with it."""
    op.execute(f"INSERT INTO audit_log ({COLUMNS}) SELECT {COLUMNS} FROM {old_name}")
    op.execute("ALTER SEQUENCE audit_log_id_seq OWNED BY audit_log.id")
    op.drop_table(old_name)


def upgrade() -> None:
    _set_aside("audit_log_plain")
    _create(partitioned=True)
    bind = op.get_bind()
    current = int(bind.scalar(sa.text(f"SELECT {_school_year('now()')}")))
    years = set(bind.scalars(sa.text(f"SELECT DISTINCT {_school_year('at')} FROM audit_log_plain")))
    for year in sorted(years | {current, current + 1}):
        op.execute(
            f"CREATE TABLE audit_log_{year}_{year + 1} PARTITION OF audit_log"
            f" FOR VALUES FROM ('{year}-09-01 00:00:00+00') TO ('{year + 1}-09-01 00:00:00+00')"
        )
    op.execute("CREATE TABLE audit_log_default PARTITION OF audit_log DEFAULT")
    _move_rows("audit_log_plain")


def downgrade() -> None:
    _set_aside("audit_log_parted")
    _create(partitioned=False)
    _move_rows("audit_log_parted")  # its partitions go with it
