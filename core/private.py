"""Files with personal data (dumps, manifests, the embedded database, reports, invitation
cards) are for the service's user only: 0600 files, 0700 folders, whatever the umask."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) as 0700 folders; an existing ``path`` is made
    0700 too (when we may: a folder of another user is left as it is)."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    for folder in [*missing, path]:
        with contextlib.suppress(OSError):
            os.chmod(folder, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty (or truncate it) as a 0600 file: whatever is written into it
    afterwards, by us or a tool such as ``pg_dump``, is never readable by others."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return path


def write_private(path: Path, data: bytes) -> Path:
    """Write ``data`` into a 0600 file (created so: never readable by others, not even
    for a moment)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb", closefd=False) as f:
            f.write(data)
    finally:
        os.close(fd)
    return path
