"""The schema comes from the migrations, and the audit log cannot be rewritten (R9)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.journal import Journal


async def test_migrations_build_the_whole_schema(journal: Journal) -> None:
    async with journal.transaction() as s:
        tables = set(
            await s.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
        )
    assert {"lessons", "attendance", "marks", "audit_log", "invitations", "bindings"} <= tables
    assert "alembic_version" in tables


async def test_r9_audit_log_is_append_only(journal: Journal) -> None:
    async with journal.transaction() as s:
        school_id = await s.scalar(text("INSERT INTO schools (name) VALUES ('A') RETURNING id"))
        await s.execute(
            text(
                "INSERT INTO audit_log (school_id, at, action, entity, entity_key)"
                " VALUES (:s, now(), 'x', 'mark', '{}')"
            ),
            {"s": school_id},
        )
    for statement in ("UPDATE audit_log SET action = 'y'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with journal.transaction() as s:
                await s.execute(text(statement))
