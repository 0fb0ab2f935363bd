"""What a sender did, written back to the outbox in batches: a claimed row, its outcome,
the counters, and the recorder that flushes outcomes a few milliseconds after they came."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.faults import database_unavailable
from core.metrics import Metrics
from notifications.outbox import binding_of_channel

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[Any]]


def _counted(update: str) -> TextClause:
    """``update`` (of outbox rows, ``RETURNING`` the state each is left in) with the rows
    it closes added to ``outbox_closed`` in the same statement, so that the counts never
    drift from the rows. Each transaction adds to the states' rows in one order (sent,
    then failed and unreachable, by name), so that two recorders never deadlock there."""
    return text(
        f"""
        WITH closed AS ({update})
        INSERT INTO outbox_closed AS c (status, rows)
        SELECT status, count(*) FROM closed GROUP BY status ORDER BY status
        ON CONFLICT (status) DO UPDATE SET rows = c.rows + EXCLUDED.rows
        """
    )


_RECORD_SENT = _counted(
    """
    UPDATE outbox o
    SET status = 'sent', sent_at = u.at, message_id = u.message_id,
        claimed_by = NULL, claimed_until = NULL
    FROM unnest(CAST(:ids AS bigint[]), CAST(:message_ids AS varchar[]),
                CAST(:ats AS timestamptz[])) AS u(id, message_id, at)
    WHERE o.id = u.id AND o.status = 'pending'
    RETURNING o.status
    """
)

_RECORD_RETRY = text(
    """
    UPDATE outbox o
    SET next_attempt_at = u.retry_at, error_code = u.code, last_error = u.error,
        claimed_by = NULL, claimed_until = NULL
    FROM unnest(CAST(:ids AS bigint[]), CAST(:retry_ats AS timestamptz[]),
                CAST(:codes AS integer[]), CAST(:errors AS text[])) AS u(id, retry_at, code, error)
    WHERE o.id = u.id AND o.status = 'pending'
    """
)

_RECORD_CLOSED = _counted(
    """
    UPDATE outbox o
    SET status = u.status, failed_at = u.at, error_code = u.code, last_error = u.error,
        claimed_by = NULL, claimed_until = NULL
    FROM unnest(CAST(:ids AS bigint[]), CAST(:statuses AS varchar[]),
                CAST(:ats AS timestamptz[]), CAST(:codes AS integer[]),
                CAST(:errors AS text[])) AS u(id, status, at, code, error)
    WHERE o.id = u.id AND o.status = 'pending'
    RETURNING o.status
    """
)

_ASYNC_COMMIT = text("SET LOCAL synchronous_commit = off")

_RELEASE = text(
    """
    UPDATE outbox
    SET claimed_by = NULL, claimed_until = NULL, attempts = greatest(attempts - 1, 0)
    WHERE id = ANY(CAST(:ids AS bigint[])) AND status = 'pending' AND claimed_by = :worker
    """
)

_MARK_BINDINGS_UNREACHABLE = text(
    """
    UPDATE bindings b SET unreachable_at = :at
    WHERE b.unreachable_at IS NULL AND b.revoked_at IS NULL
      AND (b.id = ANY(CAST(:bindings AS bigint[]))
           OR EXISTS (
               SELECT 1 FROM accounts a
               JOIN unnest(CAST(:channels AS varchar[]), CAST(:chats AS bigint[]))
                    AS c(channel, chat_id) ON c.chat_id = a.chat_id
               WHERE a.messenger = b.messenger AND a.user_id = b.user_id
                 -- the bindings made through the bot that got the 403, not another's
                 AND BINDING_OF_CHANNEL))
    """.replace("BINDING_OF_CHANNEL", binding_of_channel("c.channel"))
)

_CLOSE_UNREACHABLE_CHATS = _counted(
    """
    UPDATE outbox
    SET status = 'unreachable', failed_at = :at,
        last_error = 'not sent: an earlier message to this chat got 403'
    WHERE status = 'pending'
      AND (channel, chat_id) IN (
          SELECT * FROM unnest(CAST(:channels AS varchar[]), CAST(:chats AS bigint[])))
      AND (claimed_until IS NULL OR claimed_until <= now())
    RETURNING status
    """
)


@dataclass(frozen=True)
class Claimed:
    """A claimed outbox row, as the sender sees it."""

    id: int
    key: str
    channel: str
    chat_id: int
    binding_id: int | None
    text: str
    buttons: list[list[dict[str, str]]] | None  # as notifications/outbox.py stores them
    attempts: int  # including this one
    unreachable: bool  # the binding is already unreachable: close without sending
    edit_message_id: str | None = None  # edit this message (meta.edit_of) rather than send


@dataclass(frozen=True)
class Outcome:
    row: Claimed
    status: str  # "sent" | "retry" | "failed" | "unreachable" | "release"
    at: datetime
    message_id: str | None = None
    retry_at: datetime | None = None
    error_code: int | None = None
    error: str | None = None
    worker: str = ""  # the sender that claimed the row (a release is its claim only)


def _settle(batch: Sequence[tuple[Outcome, asyncio.Future[bool]]], written: bool) -> None:
    for _, future in batch:
        if not future.done():
            future.set_result(written)


@dataclass
class SenderStats:
    """What one sender did (counters since it was created)."""

    claimed: int = 0
    sent: int = 0
    failed: int = 0
    unreachable: int = 0  # 403 answers
    closed_unreachable: int = 0  # rows closed without a call: binding already unreachable
    retries: int = 0  # rows put back for a later try (429, 5xx, network)
    flood_waits: int = 0  # 429 answers, each waited out
    flood_wait_seconds: float = 0.0
    server_errors: int = 0
    network_errors: int = 0
    released: int = 0  # claimed rows given back unsent (stop, halt)
    record_errors: int = 0  # outcomes the recorder gave up on (re-sent after the lease)
    errors: dict[str, int] = field(default_factory=dict)  # failure descriptions

    def note_error(self, description: str) -> None:
        self.errors[description] = self.errors.get(description, 0) + 1


class SenderHalted(RuntimeError):
    """The Bot API refuses the bot itself (401 bad token, 404 wrong API base)."""


class Outage:
    """Whether this instance finds the database out of reach, said once per outage: a
    line when it starts and one when it ends, not a traceback a second per sender (the
    instance's recorder keeps it; its senders report to it too)."""

    def __init__(self, monotonic: Callable[[], float]) -> None:
        self.monotonic = monotonic
        self.since: float | None = None  # monotonic time of the first failure

    def failed(self, err: BaseException) -> None:
        if self.since is None:
            self.since = self.monotonic()
            log.warning(
                "the database is unreachable (%s: %s): the outbox waits; nothing is sent "
                "that cannot be recorded, and sending resumes when it is back",
                type(err).__name__,
                err,
            )

    def ended(self) -> None:
        if self.since is not None:
            down = self.monotonic() - self.since
            log.info("the database is back after %.0f s: sending resumes", down)
            self.since = None


class Recorder:
    """Writes outcomes as soon as they arrive; those arriving during a write are written
    together by the next one (group commit). One recorder serves all the senders of an
    instance (``App.recorder``): one connection writes every bot's outcomes, a commit or
    two a few milliseconds apart, rather than a hundred senders queueing for the pool.

    ``add`` hands back a future that is done when the outcome is in the database (True)
    or when the recorder gave up after ``write_attempts`` tries (False: the row is sent
    again after its lease). A sender waits on it before it starts one more send, so a
    SIGKILL re-sends at most its ``max_unrecorded`` rows. While the database is out of
    reach the recorder keeps trying for ``patience`` seconds (the rows' lease: after it,
    another sender may take them anyway), so an outage of a minute costs no duplicate.

    The writes commit with ``synchronous_commit = off``: a commit returns before its WAL
    reaches the disk, visible to every session at once and durable unless PostgreSQL
    itself crashes within ~0.6 s (``wal_writer_delay`` x 3). An app killed at any moment
    loses nothing of it; a database crash then re-sends the last outcomes' rows (at least
    once, as ever), which is the cheaper side of the trade: the commit no longer waits
    for a disk flush while the sends it bounds wait for the commit."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        sleep: Sleep,
        write_attempts: int = 5,
        patience: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
        metrics: Metrics | None = None,
    ) -> None:
        self.sessions = sessions
        self.sleep = sleep
        self.write_attempts = write_attempts
        self.patience = patience
        self.monotonic = monotonic
        self.outage = Outage(monotonic)
        self.metrics = metrics or Metrics()  # GET /metrics: failed writes, each try counted
        self._queue: list[tuple[Outcome, asyncio.Future[bool]]] = []
        self._task: asyncio.Task[None] | None = None

    def add(self, outcome: Outcome) -> asyncio.Future[bool]:
        written: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.append((outcome, written))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._flush())
        return written

    async def _flush(self) -> None:
        failures = 0
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                await self._write([outcome for outcome, _ in batch])
            except Exception as err:
                failures += 1
                self.metrics.outcome_write_failed()
                if database_unavailable(err):
                    self.outage.failed(err)
                    assert self.outage.since is not None
                    down = self.monotonic() - self.outage.since
                    if down < self.patience:
                        self._queue = batch + self._queue
                        await self.sleep(min(5.0, 0.2 * 2**failures))
                        continue
                    log.warning(
                        "%d outcomes not recorded after %.0f s without the database; their "
                        "rows will be sent again after their lease",
                        len(batch),
                        down,
                    )
                    _settle(batch, False)
                    continue
                if failures >= self.write_attempts:
                    log.exception(
                        "could not record %d outcomes; their rows will be sent again after "
                        "the lease expires",
                        len(batch),
                    )
                    _settle(batch, False)
                    continue
                log.warning("recording outcomes failed; retrying", exc_info=True)
                self._queue = batch + self._queue
                await self.sleep(min(5.0, 0.2 * 2**failures))
            else:
                failures = 0
                self.outage.ended()
                _settle(batch, True)

    async def _write(self, batch: Sequence[Outcome]) -> None:
        sent = [o for o in batch if o.status == "sent"]
        retry = [o for o in batch if o.status == "retry"]
        closed = [o for o in batch if o.status in ("failed", "unreachable")]
        release = [o for o in batch if o.status == "release"]
        blocked = [o for o in batch if o.status == "unreachable" and o.error_code == 403]
        async with self.sessions() as s, s.begin():
            await s.execute(_ASYNC_COMMIT)
            if sent:
                await s.execute(
                    _RECORD_SENT,
                    {
                        "ids": [o.row.id for o in sent],
                        "message_ids": [o.message_id for o in sent],
                        "ats": [o.at for o in sent],
                    },
                )
            if retry:
                await s.execute(
                    _RECORD_RETRY,
                    {
                        "ids": [o.row.id for o in retry],
                        "retry_ats": [o.retry_at for o in retry],
                        "codes": [o.error_code for o in retry],
                        "errors": [o.error for o in retry],
                    },
                )
            if closed:
                await s.execute(
                    _RECORD_CLOSED,
                    {
                        "ids": [o.row.id for o in closed],
                        "statuses": [o.status for o in closed],
                        "ats": [o.at for o in closed],
                        "codes": [o.error_code for o in closed],
                        "errors": [o.error for o in closed],
                    },
                )
            if blocked:
                at = max(o.at for o in blocked)
                pairs = sorted({(o.row.channel, o.row.chat_id) for o in blocked})
                chats = {"channels": [c for c, _ in pairs], "chats": [c for _, c in pairs]}
                bindings = sorted({o.row.binding_id for o in blocked if o.row.binding_id})
                await s.execute(
                    _MARK_BINDINGS_UNREACHABLE, {"at": at, **chats, "bindings": bindings}
                )
                await s.execute(_CLOSE_UNREACHABLE_CHATS, {"at": at, **chats})
            for worker in sorted({o.worker for o in release}):
                ids = [o.row.id for o in release if o.worker == worker]
                await s.execute(_RELEASE, {"ids": ids, "worker": worker})
