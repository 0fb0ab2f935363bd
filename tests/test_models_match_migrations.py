"""The ORM models (core/models.py) describe the schema the migrations build: every
table, column (type, nullability, server default), index, unique and foreign key."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from core.audit_partitions import include_name
from core.models import Base
from school_journal.database import create_engine


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "compare_server_default": True,
            "include_name": include_name,
        },
    )
    return list(compare_metadata(context, Base.metadata))


def _readable(value: Any) -> str:
    arg = getattr(value, "arg", None)  # a server default: its SQL text
    if arg is not None:
        return str(getattr(arg, "text", arg))
    name = getattr(value, "name", None)  # a table, index or constraint
    table = getattr(value, "table", None)
    if name is not None and table is not None:
        return f"{type(value).__name__} {name} on {table.name}"
    return repr(value)


def _describe(difference: Any) -> str:
    if isinstance(difference, list):  # modify_* of one column: a list of tuples
        return "\n".join(_describe(d) for d in difference)
    if difference[0].startswith("modify_"):
        op, _schema, table, column, _existing, in_db, in_models = difference
        return (
            f"{op} {table}.{column}: migrations {_readable(in_db)}, models {_readable(in_models)}"
        )
    op, *rest = difference
    return f"{op}: " + ", ".join(_readable(r) for r in rest if r is not None)


async def test_models_match_the_migrations(db_url: str) -> None:
    # db_url is a copy of the template, which conftest builds by migrating an empty database.
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            differences = await conn.run_sync(_differences)
    finally:
        await engine.dispose()
    assert not differences, "models and migrations differ:\n" + "\n".join(
        _describe(d) for d in differences
    )
