"""What a backup is: its files' names, its signed manifest, the results of the
operations, and the signing key's rules."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.errors import JournalError

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


def _sha256(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()
