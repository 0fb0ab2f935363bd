"""Batched writes of an import: a few statements per table, however many rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncSession


def table_of(model: type[Any]) -> Table:
    return model.__table__


async def insert_returning(
    session: AsyncSession, table: Table, rows: list[dict[str, Any]]
) -> list[int]:
    """Insert many rows; their new ids in the order of ``rows``."""
    if not rows:
        return []
    result = await session.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
    )
    return list(result.scalars())


async def update_many(
    session: AsyncSession, table: Table, keys: tuple[str, ...], rows: list[dict[str, Any]]
) -> None:
    """One executemany UPDATE; every row has the same columns."""
    if not rows:
        return
    columns = [c for c in rows[0] if c not in keys]
    statement = (
        update(table)
        .where(*(table.c[k] == bindparam(f"k_{k}") for k in keys))
        .values({c: bindparam(f"v_{c}") for c in columns})
    )
    await session.execute(
        statement,
        [{**{f"k_{k}": r[k] for k in keys}, **{f"v_{c}": r[c] for c in columns}} for r in rows],
    )
