"""Faults that are nobody's bug, told apart from the rest by every adapter: the database
out of reach (the user is asked to come back in a minute), a number in a forged button
that no column holds (a stale button)."""

from __future__ import annotations

import logging

import asyncpg
from sqlalchemy import exc as sa_exc


def database_unavailable(err: BaseException) -> bool:
    """Whether ``err`` (or what caused it) says the database cannot be reached: refused or
    dropped connections, a server shutting down or starting up, a pool or connect timeout.
    Not a bug and not the user's doing: the user is asked to come back in a minute."""
    seen: set[int] = set()
    cause: BaseException | None = err
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, DATABASE_DOWN):
            return True
        if isinstance(cause, sa_exc.DBAPIError) and cause.connection_invalidated:
            return True
        if isinstance(cause, asyncpg.PostgresError) and (
            str(getattr(cause, "sqlstate", "") or "").startswith(("08", "57P"))
        ):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def log_failure(logger: logging.Logger, message: str, err: BaseException) -> None:
    """A background job's failure in the log: a database out of reach in one line (it is
    nobody's bug and says itself again at the next try), anything else with its traceback."""
    if database_unavailable(err):
        logger.warning("%s: the database is unreachable (%s: %s)", message, type(err).__name__, err)
    else:
        logger.error(message, exc_info=err)


DATABASE_DOWN: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, no socket file
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    sa_exc.TimeoutError,  # the pool's
    sa_exc.InvalidatePoolError,
)


def out_of_range(err: BaseException) -> bool:
    """A number in a forged button the database or the calendar cannot hold."""
    seen: set[int] = set()
    cause: BaseException | None = err
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, OverflowError | asyncpg.exceptions.NumericValueOutOfRangeError):
            return True
        if isinstance(cause, ValueError) and "out of range" in str(cause):
            return True
        cause = cause.__cause__ or cause.__context__
    return False
