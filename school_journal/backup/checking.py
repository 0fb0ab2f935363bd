"""Verifying a backup (the dump's SHA-256, the manifest's signature) and restoring
one into an empty database."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from school_journal.backup.manifest import (
    DUMP_SUFFIX,
    FORMAT,
    BackupError,
    Manifest,
    RestoreResult,
    VerifyResult,
    _sha256,
    check_key,
    key_id,
    sign,
)
from school_journal.backup.tools import _run, _tail, conninfo, pg_tool
from school_journal.database import asyncpg_dsn

log = logging.getLogger(__name__)


# --- verify ----------------------------------------------------------------------------------


def verify(manifest_path: Path | str, hmac_key: bytes) -> VerifyResult:
    """Is the backup intact: manifest signed with this key, dump present, same size and
    SHA-256 as signed? Reads the whole dump."""
    path = Path(manifest_path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not an object")
        signature = data.pop("signature", None)
        if data.get("format") != FORMAT or not isinstance(signature, str):
            raise ValueError("not a backup manifest")
        manifest = Manifest.from_content(data, signature)
    except (OSError, ValueError, KeyError, TypeError):
        return VerifyResult(path, False, ["backup.problem.bad_manifest"], None)
    problems = []
    if not hmac.compare_digest(sign(data, hmac_key), signature):
        other_key = data.get("key_id") != key_id(hmac_key)
        problems.append("backup.problem.other_key" if other_key else "backup.problem.bad_signature")
    name = manifest.file
    if Path(name).name != name or name.startswith(".") or not name.endswith(DUMP_SUFFIX):
        problems.append("backup.problem.bad_manifest")
        return VerifyResult(path, False, problems, manifest)
    dump = path.parent / name
    if not dump.is_file():
        problems.append("backup.problem.missing_file")
    else:
        size, digest = _sha256(dump)
        if size != manifest.size:
            problems.append("backup.problem.size_mismatch")
        if not hmac.compare_digest(digest, manifest.sha256):
            problems.append("backup.problem.sha_mismatch")
    return VerifyResult(path, not problems, problems, manifest)


# --- restore ---------------------------------------------------------------------------------


async def restore(
    manifest_path: Path | str,
    target_database_url: str,
    hmac_key: bytes,
    *,
    bin_dir: Path | None = None,
) -> RestoreResult:
    """Verify the backup, then restore it into an empty database (all or nothing)."""
    check_key(hmac_key)  # no backup was signed with a missing or short key
    result = await asyncio.to_thread(verify, manifest_path, hmac_key)
    if not result.ok or result.manifest is None:
        raise BackupError(
            "backup.restore_unverified", problems=result.problems, path=str(manifest_path)
        )
    manifest = result.manifest
    database = make_url(target_database_url).database or "?"
    await _ensure_empty(target_database_url, database)
    pg_restore = pg_tool("pg_restore", bin_dir)
    info, env = conninfo(target_database_url)
    code, output = await _run(
        [
            pg_restore,
            "--exit-on-error",
            "--single-transaction",
            "--no-owner",
            "--no-privileges",
            "--dbname",
            info,
            Path(manifest_path).parent / manifest.file,
        ],
        env,
    )
    if code != 0:
        raise BackupError("backup.restore_failed", error=_tail(output))
    log.info("backup %s restored into %s", manifest.file, database)
    return RestoreResult(database, manifest)


_USER_OBJECTS_SQL = """
SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%')
     + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema'))
"""


async def _ensure_empty(database_url: str, database: str) -> None:
    try:
        conn = await asyncpg.connect(asyncpg_dsn(database_url))
    except asyncpg.InvalidCatalogNameError as err:
        raise BackupError("backup.target_missing", database=database) from err
    try:
        count = int(await conn.fetchval(_USER_OBJECTS_SQL))
    finally:
        await conn.close()
    if count:
        raise BackupError("backup.target_not_empty", database=database, count=count)
