"""R22: writing a backup into every destination, and keeping the ``keep`` newest."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from core.clock import Clock
from core.private import private_dir, private_file, write_private
from school_journal.backup.checking import verify
from school_journal.backup.manifest import (
    _STAMP,
    DUMP_SUFFIX,
    MANIFEST_SUFFIX,
    MIN_DESTINATIONS,
    PREFIX,
    BackupError,
    BackupResult,
    Manifest,
    _sha256,
    backups_in,
    check_key,
    key_id,
    sign,
)
from school_journal.backup.tools import _database_facts, _run, _tail, conninfo, pg_tool

log = logging.getLogger(__name__)


# --- backup ----------------------------------------------------------------------------------


def destinations_of(paths: Iterable[Path | str]) -> list[Path]:
    """The distinct destination folders (the same folder named twice counts once)."""
    unique: list[Path] = []
    for p in paths:
        resolved = Path(p).expanduser().resolve()
        if resolved not in unique:
            unique.append(resolved)
    return unique


def parse_dirs(value: str | None) -> list[Path]:
    """``BACKUP_DIRS``: comma-separated folders."""
    return [Path(part.strip()) for part in (value or "").split(",") if part.strip()]


async def backup(
    database_url: str,
    destinations: Sequence[Path | str],
    hmac_key: bytes,
    clock: Clock,
    *,
    keep: int = 8,
    bin_dir: Path | None = None,
) -> BackupResult:
    """R22: dump the database into every destination (at least two) with a signed
    manifest; then keep only the ``keep`` newest backups of each folder."""
    dests = destinations_of(destinations)
    if len(dests) < MIN_DESTINATIONS:
        raise BackupError("backup.two_destinations", count=len(dests), needed=MIN_DESTINATIONS)
    check_key(hmac_key)
    if keep < 1:
        raise ValueError("keep must be at least 1")
    for d in dests:
        _check_destination(d)
    pg_dump = pg_tool("pg_dump", bin_dir)
    created = clock.now().astimezone(UTC).replace(microsecond=0)
    stem = _free_stem(dests, created)
    manifest = await _write(database_url, dests, stem, created, pg_dump, hmac_key)
    manifest_paths = [d / (stem + MANIFEST_SUFFIX) for d in dests]
    for path in manifest_paths:  # read back what was written, as a restore would
        result = await asyncio.to_thread(verify, path, hmac_key)
        if not result.ok:
            raise BackupError("backup.copy_failed", path=str(path.parent))
    removed = [p for d in dests for p in _prune(d, keep)]
    warnings_: list[str] = []
    if len({os.stat(d).st_dev for d in dests}) < len(dests):
        warnings_.append("backup.same_device")
    log.info("backup %s (%d bytes) written to %d folders", manifest.file, manifest.size, len(dests))
    return BackupResult(manifest, manifest_paths, removed, warnings_)


def _check_destination(folder: Path) -> None:
    """The folder exists (made private) and takes a file; else ``backup.destination_unusable``."""
    try:
        private_dir(folder)  # dumps hold personal data: the service's user only
        probe = folder / f".{PREFIX}probe"
        private_file(probe)
        probe.unlink()
    except OSError as err:
        raise BackupError("backup.destination_unusable", path=str(folder), error=str(err)) from err


async def _write(
    database_url: str,
    dests: list[Path],
    stem: str,
    created: datetime,
    pg_dump: Path,
    hmac_key: bytes,
) -> Manifest:
    """Dump once, copy into every folder, and put the signed manifest beside each dump;
    on any failure nothing of this backup is left behind."""
    database, server_version, revision = await _database_facts(database_url)
    dump_name = stem + DUMP_SUFFIX
    partials = [d / f".{dump_name}.partial" for d in dests]
    written: list[Path] = []
    try:
        for partial in partials:  # 0600 before pg_dump or the copy writes into them
            private_file(partial)
        size, digest, tool_version = await _dump(database_url, pg_dump, partials)
        unsigned = Manifest(
            file=dump_name,
            size=size,
            sha256=digest,
            created_at=created,
            database=database,
            schema_revision=revision,
            server_version=server_version,
            dump_tool=tool_version.strip(),
            key_id=key_id(hmac_key),
        )
        manifest = replace(unsigned, signature=sign(unsigned.content(), hmac_key))
        for d, partial in zip(dests, partials, strict=True):
            final = d / dump_name
            _fsync(partial)
            os.replace(partial, final)
            written.append(final)
            manifest_path = d / (stem + MANIFEST_SUFFIX)
            _write_atomic(manifest_path, manifest.to_json())
            written.append(manifest_path)
            _fsync_dir(d)
    except BaseException:
        for path in [*partials, *written]:
            with contextlib.suppress(OSError):
                path.unlink()
        raise
    return manifest


async def _dump(database_url: str, pg_dump: Path, partials: list[Path]) -> tuple[int, str, str]:
    """``pg_dump`` into the first partial file, copied into the others and checked: the
    dump's size, SHA-256 and the tool's version."""
    info, env = conninfo(database_url)
    code, output = await _run(
        [pg_dump, "--format=custom", "--file", partials[0], "--dbname", info], env
    )
    if code != 0:
        raise BackupError("backup.dump_failed", error=_tail(output))
    _, tool_version = await _run([pg_dump, "--version"], env)
    size, digest = await asyncio.to_thread(_sha256, partials[0])
    for partial in partials[1:]:
        await asyncio.to_thread(_copy, partials[0], partial)
        if await asyncio.to_thread(_sha256, partial) != (size, digest):
            raise BackupError("backup.copy_failed", path=str(partial.parent))
    return size, digest, tool_version


def _free_stem(dests: list[Path], created: datetime) -> str:
    base = f"{PREFIX}{created.strftime(_STAMP)}"
    stem, n = base, 1
    while any(
        (d / (stem + DUMP_SUFFIX)).exists() or (d / (stem + MANIFEST_SUFFIX)).exists()
        for d in dests
    ):
        n += 1
        stem = f"{base}-{n}"
    return stem


def _copy(src: Path, dst: Path) -> None:
    private_file(dst)
    shutil.copyfile(src, dst)
    _fsync(dst)


def _fsync(path: Path) -> None:
    with path.open("rb+") as f:
        os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not possible on every platform
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_atomic(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.partial")
    write_private(partial, text.encode("utf-8"))
    _fsync(partial)
    os.replace(partial, path)


def _prune(folder: Path, keep: int) -> list[Path]:
    """Remove the backups of a folder beyond the ``keep`` newest (only files named by
    this module; the dump is found by name, never by what a manifest says)."""
    removed = []
    for _, manifest in backups_in(folder)[:-keep]:
        dump = manifest.with_name(manifest.name[: -len(MANIFEST_SUFFIX)] + DUMP_SUFFIX)
        for path in (dump, manifest):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    return removed
