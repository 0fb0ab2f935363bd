"""Benchmarks: ``python -m benchmarks NAME [args]`` runs ``benchmarks/NAME.py``."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def embedded_database(keep: str | None, name: str) -> Iterator[str]:
    """A private embedded PostgreSQL for one benchmark run; its admin URL. In a temporary
    folder removed afterwards, or in ``keep`` (kept, to look at the data later)."""
    from school_journal.database import embedded_server

    if keep:
        with embedded_server(Path(keep) / "pgdata") as url:
            yield url
        return
    with (
        tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp,
        embedded_server(Path(tmp) / "pgdata") as url,
    ):
        yield url
