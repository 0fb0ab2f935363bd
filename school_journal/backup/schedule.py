"""R22: when a backup is due, and the scheduled backup ``journal run`` makes hourly."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import asyncpg

from core.clock import Clock
from school_journal.backup.checking import verify
from school_journal.backup.making import backup, destinations_of
from school_journal.backup.manifest import (
    DUMP_SUFFIX,
    LOCK_KEY,
    LOCK_NAMESPACE,
    MANIFEST_SUFFIX,
    MIN_DESTINATIONS,
    MIN_KEY_BYTES,
    BackupResult,
    VerifyResult,
    backups_in,
)
from school_journal.database import asyncpg_dsn

log = logging.getLogger(__name__)


# --- schedule --------------------------------------------------------------------------------


def newest_backup(folder: Path) -> datetime | None:
    """When the newest complete backup of a folder (manifest and dump) was made."""
    complete = [
        at
        for at, m in backups_in(folder)
        if m.with_name(m.name[: -len(MANIFEST_SUFFIX)] + DUMP_SUFFIX).is_file()
    ]
    return complete[-1] if complete else None


async def backup_due(destinations: Sequence[Path | str], every_days: int, clock: Clock) -> bool:
    """Is a backup due: some destination has none newer than ``every_days`` (a folder
    emptied or a medium replaced makes it due at once)?"""
    dests = destinations_of(destinations)
    if not dests:
        return False
    now = clock.now()
    for folder in dests:
        last = await asyncio.to_thread(newest_backup, folder)
        if last is None or now - last >= timedelta(days=every_days):
            return True
    return False


@dataclass(frozen=True)
class LatestBackup:
    """A backup folder's newest backup and whether it verifies (None: no backup there)."""

    folder: Path
    check: VerifyResult | None


def latest_backups(destinations: Sequence[Path | str], hmac_key: bytes) -> list[LatestBackup]:
    """For ``journal status``: each folder's newest backup, verified (reads its dump)."""
    found = []
    for folder in destinations_of(destinations):
        manifests = backups_in(folder)
        found.append(
            LatestBackup(folder, verify(manifests[-1][1], hmac_key) if manifests else None)
        )
    return found


async def scheduled_backup(
    database_url: str,
    destinations: Sequence[Path | str],
    hmac_key: bytes,
    clock: Clock,
    *,
    every_days: int = 7,
    keep: int = 8,
    bin_dir: Path | None = None,
) -> BackupResult | None:
    """The scheduler's job (run it e.g. hourly): back up when due. One instance at a time
    (a PostgreSQL advisory lock held during the dump); None when nothing was done."""
    if len(destinations_of(destinations)) < MIN_DESTINATIONS or len(hmac_key) < MIN_KEY_BYTES:
        log.warning("backups are not configured (BACKUP_DIRS, BACKUP_HMAC_KEY): R22 unmet")
        return None
    if not await backup_due(destinations, every_days, clock):
        return None
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        if not await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", LOCK_NAMESPACE, LOCK_KEY):
            return None
        if not await backup_due(destinations, every_days, clock):  # another instance did it
            return None
        try:
            return await backup(
                database_url, destinations, hmac_key, clock, keep=keep, bin_dir=bin_dir
            )
        except Exception:
            log.exception("scheduled backup failed")
            raise
    finally:
        await conn.close()  # releases the advisory lock
