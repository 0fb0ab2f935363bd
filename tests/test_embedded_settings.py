"""The embedded PostgreSQL runs with the journal's settings (issue 14: a region's digests
write a gigabyte of outbox rows in one job): ``shared_buffers`` a quarter of the memory
(128 MB to 1 GB) and ``max_wal_size`` 4 GB, from its first start and for a folder made
before them from its next one; an administrator's ``ALTER SYSTEM`` still wins."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from school_journal.database import (
    EMBEDDED_CONF,
    EMBEDDED_INCLUDE,
    MB,
    asyncpg_dsn,
    embedded_server,
    embedded_settings,
    machine_memory,
)

GB = 1024 * MB


def test_shared_buffers_are_a_quarter_of_the_memory_within_128_mb_and_1_gb() -> None:
    assert embedded_settings(2 * GB) == {"max_wal_size": "4GB", "shared_buffers": "512MB"}
    assert embedded_settings(64 * GB)["shared_buffers"] == "1024MB"
    assert embedded_settings(256 * MB)["shared_buffers"] == "128MB"
    assert embedded_settings(None) == {"max_wal_size": "4GB"}  # PostgreSQL's own then


async def server_settings(url: str) -> tuple[int, str]:
    """``shared_buffers`` in bytes and ``max_wal_size`` as the running server has them."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        pages = await conn.fetchval(
            "SELECT CAST(setting AS bigint) FROM pg_settings WHERE name = 'shared_buffers'"
        )
        block = await conn.fetchval("SELECT CAST(current_setting('block_size') AS bigint)")
        return int(pages) * int(block), str(await conn.fetchval("SHOW max_wal_size"))
    finally:
        await conn.close()


def wanted_shared_buffers() -> int:
    return int(embedded_settings(machine_memory())["shared_buffers"].removesuffix("MB")) * MB


async def test_a_new_embedded_server_runs_with_them(tmp_path: Path) -> None:
    with embedded_server(tmp_path / "postgres") as url:
        assert await server_settings(url) == (wanted_shared_buffers(), "4GB")


async def test_an_older_folder_gets_them_at_its_next_start_and_alter_system_wins(
    tmp_path: Path,
) -> None:
    pgdata = tmp_path / "postgres"
    with embedded_server(pgdata) as url:
        conn = await asyncpg.connect(asyncpg_dsn(url))
        try:
            await conn.execute("ALTER SYSTEM SET max_wal_size = '2GB'")  # the admin's own
        finally:
            await conn.close()
    # A folder made before the journal wrote its settings: neither the file nor the line.
    (pgdata / EMBEDDED_CONF).unlink()
    main = pgdata / "postgresql.conf"
    main.write_text(main.read_text().replace(EMBEDDED_INCLUDE, ""))
    with embedded_server(pgdata) as url:
        assert await server_settings(url) == (wanted_shared_buffers(), "2GB")
    assert main.read_text().count(EMBEDDED_INCLUDE) == 1
