"""The outbox sender: delivers pending outbox rows under Telegram's rate limits.

Delivery is **at least once**. A crash (or SIGKILL) never loses a message and duplicates
at most the messages that were in flight at that moment:

1. *Claim.* One short transaction picks a small batch of due rows with
   ``FOR UPDATE SKIP LOCKED`` and writes a lease on them (``claimed_by``,
   ``claimed_until = now() + lease``, by the database's clock) and counts the attempt.
   Two senders (two instances of the app, whatever their clocks) therefore never claim
   the same row while its lease runs.
2. *Send.* Each row is sent to Telegram outside any transaction.
3. *Record.* The outcome (``sent`` + ``message_id``, a retry time, ``failed`` or
   ``unreachable``) is written right after the answer; outcomes that arrive while a write
   is running are written together by the next one (group commit), so a row is recorded
   a few milliseconds after Telegram answered.

If the process dies between 2 and 3, the row stays ``pending`` with a lease that
expires; then any sender claims it again and sends it again. That window is the only
source of duplicates, and it holds only claimed-but-unrecorded rows: the batch being
dispatched (at most ``batch``), the sends awaiting Telegram (at most ``batch``) and
outcomes awaiting their write (milliseconds; the next claim waits when they pile up).
Rows are never deleted or skipped: every row ends ``sent``, ``failed`` (with the reason)
or ``unreachable``, and ``attempts`` counts every try. Telegram offers no idempotency
key for sendMessage, so exactly-once is impossible over a crash; at-least-once with a
small window is the honest guarantee. A graceful stop (``run`` returning, SIGTERM for
the command) finishes and records the sends in flight and gives back the rest.

Rules the sender keeps:

* a global pace of ``rate`` messages/s (Telegram allows about 30/s per bot; paid
  broadcasts up to 1000/s), evenly spaced, never more than ceil(rate) in any rolling
  second (how Telegram counts);
* at most one message per ``per_chat_interval`` per chat, one at a time per chat, and
  the messages of one chat in enqueue order (a message scheduled for later does not hold
  back the ones behind it); across instances one chat is never sent to concurrently;
* 429: wait ``retry_after`` — the whole sender pauses (Telegram's answer does not say
  whether the bot-wide or the chat's limit was hit, and the sender keeps the per-chat
  pace itself, so it is almost always the bot-wide one; a pause is capped at
  ``max_global_pause``, since a very long wait is a chat's penalty), the chat is held
  for the full ``retry_after``, and the row is due again after it;
* 403 (blocked, deactivated): the row becomes ``unreachable``, the chat's bindings get
  ``unreachable_at``, the chat's other pending rows become ``unreachable`` too, and rows
  queued later for an unreachable binding are closed without a call to Telegram;
* network errors, timeouts and 5xx: retried with exponential backoff (``base_backoff`` ·
  2^(attempt-1), up to ``max_backoff``, with jitter) until ``max_attempts`` tries, then
  ``failed`` with the last error;
* 400 and other permanent errors: ``failed`` with Telegram's description;
* an update (``meta.edit_of``: the key of an earlier row to the same chat, e.g. the
  absence alert whose count moved on) edits the message that row delivered
  (``editMessageText``; its ``message_id`` is recorded again); when Telegram refuses the
  edit (the user deleted the message, it can no longer be edited) or the earlier row was
  never delivered, a new message goes instead;
* 401 (bad token) / 404 (wrong API base): nothing is marked; the claimed rows are
  released and the sender halts (``run`` waits ``halt_pause`` and tries again).

Time: leases (``claimed_until``) are written and compared with the database's clock
(``now()``), so instances whose clocks disagree never take each other's claimed rows;
``not_before`` and retry times use the injected clock (``core.clock``); pacing uses a
monotonic time source and ``sleep``, both injectable for tests.

``rate`` is per sender: when several instances send, give each its share (or let the
429 handling absorb the overshoot).

The sender calls the Bot API through ``bot.session.make_request``, i.e. *without* the
session's request middlewares: a retrying middleware (like ``bot.transport``'s) would
sleep inside a claimed send and hide 429s from the pacing; here the outbox decides.

Run it standalone: ``python -m journal.sender --database-url URL --token TOKEN``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import random
import secrets
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import EditMessageText, SendMessage, TelegramMethod
from aiogram.types import InlineKeyboardMarkup, Message
from pydantic import ValidationError
from sqlalchemy import BigInteger, Boolean, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import Clock
from core.metrics import Metrics

__all__ = [
    "Claimed",
    "Outcome",
    "Pace",
    "Sender",
    "SenderHalted",
    "SenderStats",
    "pending_count",
]

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[Any]]
Monotonic = Callable[[], float]

_CLAIM = text(
    """
    WITH picked AS (
        SELECT o.id,
               EXISTS (
                   SELECT 1 FROM bindings b
                   WHERE (b.id = o.binding_id OR b.telegram_user_id = o.chat_id)
                     AND b.unreachable_at IS NOT NULL AND b.revoked_at IS NULL
               ) AS unreachable
        FROM outbox o
        WHERE o.status = 'pending'
          AND COALESCE(o.next_attempt_at, '-infinity') <= :now
          AND (o.claimed_until IS NULL OR o.claimed_until <= now())  -- the database's clock
          AND o.chat_id <> ALL (CAST(:cooling AS bigint[]))
          -- the first message of its chat (but a later-scheduled one does not count)
          AND o.id = (
              SELECT p.id FROM outbox p
              WHERE p.chat_id = o.chat_id AND p.status = 'pending'
                AND (p.not_before IS NULL OR p.not_before <= :now)
              ORDER BY p.id
              LIMIT 1
          )
        ORDER BY COALESCE(o.next_attempt_at, '-infinity'), o.id
        LIMIT :batch
        FOR UPDATE OF o SKIP LOCKED
    )
    UPDATE outbox o
    SET claimed_by = :worker,
        claimed_until = now() + CAST(:lease AS interval),
        attempts = o.attempts + CASE WHEN picked.unreachable THEN 0 ELSE 1 END
    FROM picked
    WHERE o.id = picked.id
    RETURNING o.id, o.key, o.chat_id, o.binding_id, o.text, o.reply_markup, o.attempts,
              picked.unreachable,
              -- an update of an earlier message (meta.edit_of): that message, if delivered
              (SELECT t.message_id FROM outbox t
               WHERE t.key = o.meta ->> 'edit_of' AND t.chat_id = o.chat_id
                 AND t.status = 'sent') AS edit_message_id
    """
).columns(
    id=BigInteger,
    key=String,
    chat_id=BigInteger,
    binding_id=BigInteger,
    text=Text,
    reply_markup=JSONB,
    attempts=Integer,
    unreachable=Boolean,
    edit_message_id=BigInteger,
)

_RECORD_SENT = text(
    """
    UPDATE outbox o
    SET status = 'sent', sent_at = u.at, message_id = u.message_id,
        claimed_by = NULL, claimed_until = NULL
    FROM unnest(CAST(:ids AS bigint[]), CAST(:message_ids AS bigint[]),
                CAST(:ats AS timestamptz[])) AS u(id, message_id, at)
    WHERE o.id = u.id AND o.status = 'pending'
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

_RECORD_CLOSED = text(
    """
    UPDATE outbox o
    SET status = u.status, failed_at = u.at, error_code = u.code, last_error = u.error,
        claimed_by = NULL, claimed_until = NULL
    FROM unnest(CAST(:ids AS bigint[]), CAST(:statuses AS varchar[]),
                CAST(:ats AS timestamptz[]), CAST(:codes AS integer[]),
                CAST(:errors AS text[])) AS u(id, status, at, code, error)
    WHERE o.id = u.id AND o.status = 'pending'
    """
)

_RELEASE = text(
    """
    UPDATE outbox
    SET claimed_by = NULL, claimed_until = NULL, attempts = greatest(attempts - 1, 0)
    WHERE id = ANY(CAST(:ids AS bigint[])) AND status = 'pending' AND claimed_by = :worker
    """
)

_MARK_BINDINGS_UNREACHABLE = text(
    """
    UPDATE bindings SET unreachable_at = :at
    WHERE unreachable_at IS NULL AND revoked_at IS NULL
      AND (telegram_user_id = ANY(CAST(:chats AS bigint[]))
           OR id = ANY(CAST(:bindings AS bigint[])))
    """
)

_CLOSE_UNREACHABLE_CHATS = text(
    """
    UPDATE outbox
    SET status = 'unreachable', failed_at = :at,
        last_error = 'not sent: an earlier message to this chat got 403'
    WHERE status = 'pending' AND chat_id = ANY(CAST(:chats AS bigint[]))
      AND (claimed_until IS NULL OR claimed_until <= now())
    """
)

_COUNT_PENDING = text("SELECT count(*) FROM outbox WHERE status = 'pending'")


# ----------------------------------------------------------------------------- pacing


class Pace:
    """Send slots: a global pace, a minimum interval per chat, and pauses (429).

    Slots lie on an even grid of ``1/rate`` s. A dispatcher that falls behind the grid
    by up to ``catch_up`` seconds (a slow claim, a busy event loop) may take the missed
    slots back to back, so the average stays at ``rate``; whatever happens, no rolling
    second holds more than ``ceil(rate)`` slots, which is how Telegram counts (30 in any
    second). After a pause or idle time a fresh grid starts, without a burst.

    Time is a monotonic source; waiting uses ``sleep``. Used by one task at a time (the
    sender's dispatch loop), so it needs no lock.
    """

    def __init__(
        self,
        rate: float,
        per_chat_interval: float,
        *,
        catch_up: float = 0.5,
        monotonic: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate
        self.per_second = max(1, math.ceil(rate - 1e-9))
        self.catch_up = catch_up
        self.per_chat_interval = per_chat_interval
        self.monotonic = monotonic
        self.sleep = sleep
        self._next = float("-inf")
        self._recent: deque[float] = deque()  # slots taken in the last second
        self._paused_until = float("-inf")
        self._chat_ready: dict[int, float] = {}

    def pause(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (429 ``retry_after``)."""
        self._paused_until = max(self._paused_until, self.monotonic() + seconds)

    def hold_chat(self, chat_id: int, seconds: float) -> None:
        until = self.monotonic() + seconds
        self._chat_ready[chat_id] = max(self._chat_ready.get(chat_id, until), until)

    def cooling(self) -> list[int]:
        """Chats that may not be sent to yet (and forget those that may)."""
        now = self.monotonic()
        expired = [chat for chat, ready in self._chat_ready.items() if ready <= now]
        for chat in expired:
            del self._chat_ready[chat]
        return list(self._chat_ready)

    def next_ready_in(self) -> float | None:
        """Seconds until the first cooling chat may be sent to again (None: none cools)."""
        if not self._chat_ready:
            return None
        return max(0.0, min(self._chat_ready.values()) - self.monotonic())

    async def acquire(self, chat_id: int) -> None:
        """Wait for a slot for ``chat_id`` and take it."""
        recent = self._recent
        while True:
            now = self.monotonic()
            while recent and recent[0] <= now - 1.0:
                recent.popleft()
            ready = max(self._next, self._paused_until, self._chat_ready.get(chat_id, now))
            if len(recent) >= self.per_second:
                ready = max(ready, recent[0] + 1.0)
            if ready <= now:
                break
            await self.sleep(ready - now)  # re-check: a 429 may have paused us meanwhile
        if now - self._next <= self.catch_up:
            self._next += self.interval  # on the grid, or catching up missed slots
        else:
            self._next = now + self.interval  # after a pause or idle time: a fresh grid
        recent.append(now)
        if self.per_chat_interval > 0:
            self._chat_ready[chat_id] = now + self.per_chat_interval


# ---------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Claimed:
    """A claimed outbox row, as the sender sees it."""

    id: int
    key: str
    chat_id: int
    binding_id: int | None
    text: str
    reply_markup: dict[str, Any] | None
    attempts: int  # including this one
    unreachable: bool  # the binding is already unreachable: close without sending
    edit_message_id: int | None = None  # edit this message (meta.edit_of) rather than send


@dataclass(frozen=True)
class Outcome:
    row: Claimed
    status: str  # "sent" | "retry" | "failed" | "unreachable" | "release"
    at: datetime
    message_id: int | None = None
    retry_at: datetime | None = None
    error_code: int | None = None
    error: str | None = None


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
    record_errors: int = 0  # failed writes of outcomes (the rows are re-sent after lease)
    errors: dict[str, int] = field(default_factory=dict)  # failure descriptions

    def note_error(self, description: str) -> None:
        self.errors[description] = self.errors.get(description, 0) + 1


class SenderHalted(RuntimeError):
    """The Bot API refuses the bot itself (401 bad token, 404 wrong API base)."""


class _Recorder:
    """Writes outcomes as soon as they arrive; those arriving during a write are written
    together by the next one (group commit)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        worker_id: str,
        stats: SenderStats,
        sleep: Sleep,
        write_attempts: int = 5,
    ) -> None:
        self.sessions = sessions
        self.worker_id = worker_id
        self.stats = stats
        self.sleep = sleep
        self.write_attempts = write_attempts
        self._queue: list[Outcome] = []
        self._task: asyncio.Task[None] | None = None

    def add(self, outcome: Outcome) -> None:
        self._queue.append(outcome)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._flush())

    @property
    def backlog(self) -> int:
        return len(self._queue)

    async def drain(self) -> None:
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def _flush(self) -> None:
        failures = 0
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                await self._write(batch)
                failures = 0
            except Exception:
                failures += 1
                self.stats.record_errors += 1
                if failures >= self.write_attempts:
                    log.exception(
                        "could not record %d outcomes; their rows will be sent again after "
                        "the lease expires",
                        len(batch),
                    )
                    continue
                log.warning("recording outcomes failed; retrying", exc_info=True)
                self._queue = batch + self._queue
                await self.sleep(min(5.0, 0.2 * 2**failures))

    async def _write(self, batch: Sequence[Outcome]) -> None:
        sent = [o for o in batch if o.status == "sent"]
        retry = [o for o in batch if o.status == "retry"]
        closed = [o for o in batch if o.status in ("failed", "unreachable")]
        release = [o for o in batch if o.status == "release"]
        blocked = [o for o in batch if o.status == "unreachable" and o.error_code == 403]
        async with self.sessions() as s, s.begin():
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
                chats = sorted({o.row.chat_id for o in blocked})
                bindings = sorted({o.row.binding_id for o in blocked if o.row.binding_id})
                await s.execute(
                    _MARK_BINDINGS_UNREACHABLE,
                    {"at": at, "chats": chats, "bindings": bindings},
                )
                await s.execute(_CLOSE_UNREACHABLE_CHATS, {"at": at, "chats": chats})
            if release:
                await s.execute(
                    _RELEASE, {"ids": [o.row.id for o in release], "worker": self.worker_id}
                )


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


# ----------------------------------------------------------------------------- sender


class Sender:
    """Delivers the outbox. ``run_once()`` claims and sends one batch; ``run(stop)``
    keeps going (claiming the next batch while the last sends finish) until ``stop``."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        bot: Bot,
        clock: Clock,
        *,
        rate: float = 25.0,
        paid_broadcast: bool = False,
        per_chat_interval: float = 1.0,
        batch: int = 50,
        lease: timedelta = timedelta(seconds=60),
        request_timeout: float | None = None,
        max_attempts: int = 20,
        base_backoff: float = 1.0,
        max_backoff: float = 300.0,
        jitter: float = 0.1,
        idle_poll: float = 1.0,
        halt_pause: float = 60.0,
        max_global_pause: float = 30.0,
        worker_id: str | None = None,
        monotonic: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        if batch < 1:
            raise ValueError("batch must be at least 1")
        self.sessions = sessions
        self.bot = bot
        self.clock = clock
        self.batch = batch
        # Telegram's paid broadcasts (allow_paid_broadcast, Stars per message) lift the
        # bot-wide limit to 1000 messages/s; ``rate`` is then raised accordingly.
        self.paid_broadcast = paid_broadcast
        self.lease = lease
        # A send must end well inside its lease, or another sender may claim it again.
        self.request_timeout = request_timeout or max(1.0, min(30.0, lease.total_seconds() / 3))
        self.max_attempts = max_attempts
        self.base_backoff = base_backoff
        self.max_backoff = max_backoff
        self.jitter = jitter
        self.idle_poll = idle_poll
        self.halt_pause = halt_pause
        self.max_global_pause = max_global_pause
        self.worker_id = worker_id or default_worker_id()
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.pace = Pace(rate, per_chat_interval, monotonic=monotonic, sleep=sleep)
        self.stats = SenderStats()
        self.metrics = metrics or Metrics()  # GET /metrics: sent, failed, unreachable, 429s
        self._recorder = _Recorder(sessions, self.worker_id, self.stats, sleep)
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(batch)  # sends awaiting Telegram
        self._halted: SenderHalted | None = None

    # ------------------------------------------------------------------ public

    async def run_once(self) -> int:
        """Claim one batch, send it, record every outcome; return how many were sent."""
        self._raise_if_halted()
        before = self.stats.sent
        rows = await self.claim()
        await self._dispatch(rows, None)
        await self.settle()
        self._raise_if_halted()
        return self.stats.sent - before

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set; then finish the sends in flight, record them and
        give back the claimed rows not yet sent."""
        while not stop.is_set():
            try:
                self._raise_if_halted()
                if self._recorder.backlog >= self.batch:
                    await self._recorder.drain()  # keep the unrecorded sends few
                rows = await self.claim()
                if rows:
                    await self._dispatch(rows, stop)
                    continue
                if self._tasks or self._recorder.backlog:
                    await self.settle()  # their chats may have more messages queued
                    continue
                cooling = self.pace.next_ready_in()
                wait = self.idle_poll if cooling is None else min(self.idle_poll, cooling)
                await _wait(stop, max(wait, 0.01))
            except SenderHalted as err:
                log.error("sender halted: %s; trying again in %.0f s", err, self.halt_pause)
                await self.settle()
                self._halted = None
                await _wait(stop, self.halt_pause)
            except Exception:
                log.exception("outbox sender loop failed; retrying")
                await _wait(stop, self.idle_poll)
        await self.settle()

    async def settle(self) -> None:
        """Wait for the sends in flight and for their outcomes to be written."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        await self._recorder.drain()

    async def claim(self) -> list[Claimed]:
        now = self.clock.now()
        async with self.sessions() as s, s.begin():
            result = await s.execute(
                _CLAIM,
                {
                    "now": now,
                    "lease": self.lease,
                    "worker": self.worker_id,
                    "batch": self.batch,
                    "cooling": self.pace.cooling(),
                },
            )
            rows = [Claimed(**row._mapping) for row in result]
        rows.sort(key=lambda r: r.id)
        self.stats.claimed += len(rows)
        return rows

    # ---------------------------------------------------------------- sending

    async def _dispatch(self, rows: Sequence[Claimed], stop: asyncio.Event | None) -> None:
        for index, row in enumerate(rows):
            if row.unreachable:
                self._close_unreachable(row)
                continue
            await self._slots.acquire()
            if not await self._take_slot(row.chat_id, stop):
                self._slots.release()
                for rest in rows[index:]:
                    if rest.unreachable:
                        self._close_unreachable(rest)
                    else:
                        self.stats.released += 1
                        self._record(rest, "release")
                return
            task = asyncio.create_task(self._send(row))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _take_slot(self, chat_id: int, stop: asyncio.Event | None) -> bool:
        """Wait for the pace; False when told to stop (or halted) meanwhile."""
        if self._halted is not None or (stop is not None and stop.is_set()):
            return False
        if stop is None:
            await self.pace.acquire(chat_id)
            return True
        slot = asyncio.ensure_future(self.pace.acquire(chat_id))
        stopped = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({slot, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
            if not slot.done():
                slot.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await slot
        return not slot.cancelled() and slot.exception() is None and self._halted is None

    def _close_unreachable(self, row: Claimed) -> None:
        self.stats.closed_unreachable += 1
        self.metrics.message_ended("unreachable")
        self._record(row, "unreachable", error="not sent: the binding is unreachable")

    async def _send(self, row: Claimed) -> None:
        try:
            await self._deliver(row)
        except Exception as err:  # a bug, not Telegram: keep the row, retry later
            log.exception("unexpected error sending outbox row %s", row.id)
            self._retry_later(row, None, f"{type(err).__name__}: {err}")
        finally:
            self._slots.release()

    async def _deliver(self, row: Claimed) -> None:
        try:
            markup = (
                InlineKeyboardMarkup.model_validate(row.reply_markup) if row.reply_markup else None
            )
            send = SendMessage(
                chat_id=row.chat_id,
                text=row.text,
                parse_mode=ParseMode.HTML,
                allow_paid_broadcast=self.paid_broadcast or None,
                reply_markup=markup,
            )
            edit = (
                EditMessageText(
                    chat_id=row.chat_id,
                    message_id=row.edit_message_id,
                    text=row.text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                )
                if row.edit_message_id is not None
                else None
            )
        except ValidationError as err:
            self._fail(row, None, f"invalid message: {err.errors()[0].get('msg', err)}")
            return
        # An update edits the message it updates; when Telegram refuses the edit (the
        # user deleted the message, it is too old to edit) a new message goes instead.
        if edit is not None and await self._request(row, edit, may_fall_back=True):
            return
        await self._request(row, send)

    async def _request(
        self, row: Claimed, method: SendMessage | EditMessageText, *, may_fall_back: bool = False
    ) -> bool:
        """Call Telegram and record the outcome. False, with nothing recorded, when an edit
        (``may_fall_back``) was refused as a bad request: send a new message instead."""
        request: TelegramMethod[Any] = method  # a Message, or True for an edit
        try:
            result = await self.bot.session.make_request(
                self.bot,
                request,
                timeout=self.request_timeout,  # type: ignore[arg-type]  # aiogram says int; aiohttp takes float
            )
        except TelegramRetryAfter as err:
            wait = float(err.retry_after)
            self.stats.flood_waits += 1
            self.stats.flood_wait_seconds += wait
            self.metrics.flood_waited("sender", wait)
            pause = min(wait, self.max_global_pause)
            log.warning("429 from Telegram (retry after %.0f s): pausing %.0f s", wait, pause)
            self.pace.pause(pause)
            self.pace.hold_chat(row.chat_id, wait)
            self._record(
                row,
                "retry",
                retry_at=self.clock.now() + timedelta(seconds=wait),
                error_code=429,
                error=err.message,
            )
            self.stats.retries += 1
        except TelegramForbiddenError as err:
            self.stats.unreachable += 1
            self.metrics.message_ended("unreachable")
            self._record(row, "unreachable", error_code=403, error=err.message)
        except TelegramBadRequest as err:
            if may_fall_back:
                if "message is not modified" in err.message:  # edited already (a re-send)
                    self.stats.sent += 1
                    self.metrics.message_ended("sent")
                    self._record(row, "sent", message_id=row.edit_message_id)
                    return True
                log.info("outbox row %s: cannot edit (%s); sending anew", row.id, err.message)
                return False
            self._fail(row, 400, err.message)
        except (TelegramUnauthorizedError, TelegramNotFound) as err:
            code = 401 if isinstance(err, TelegramUnauthorizedError) else 404
            self._halted = SenderHalted(f"{code} {err.message}")
            self.stats.released += 1
            self._record(row, "release")
        except TelegramServerError as err:
            self.stats.server_errors += 1
            self._retry_later(row, 500, err.message)
        except (TelegramNetworkError, ClientDecodeError) as err:
            self.stats.network_errors += 1
            self._retry_later(row, None, f"{type(err).__name__}: {err}")
        except TelegramAPIError as err:  # 409, 413, migrate-to-chat, …: permanent
            self._fail(row, None, f"{type(err).__name__}: {err.message}")
        else:
            self.stats.sent += 1
            self.metrics.message_ended("sent")
            message_id = result.message_id if isinstance(result, Message) else row.edit_message_id
            self._record(row, "sent", message_id=message_id)
        return True

    # -------------------------------------------------------------- outcomes

    def _record(self, row: Claimed, status: str, **fields: Any) -> None:
        self._recorder.add(Outcome(row, status, self.clock.now(), **fields))

    def _fail(self, row: Claimed, code: int | None, error: str) -> None:
        self.stats.failed += 1
        self.metrics.message_ended("failed")
        self.stats.note_error(error)
        self._record(row, "failed", error_code=code, error=error)

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th try failed transiently."""
        delay = min(self.max_backoff, self.base_backoff * 2 ** max(0, attempts - 1))
        return delay * (1 + self.jitter * self.rng.random())

    def _retry_later(self, row: Claimed, code: int | None, error: str) -> None:
        if row.attempts >= self.max_attempts:
            self._fail(row, code, f"gave up after {row.attempts} attempts: {error}")
            return
        self.stats.retries += 1
        delay = timedelta(seconds=self.backoff(row.attempts))
        self._record(row, "retry", retry_at=self.clock.now() + delay, error_code=code, error=error)

    def _raise_if_halted(self) -> None:
        if self._halted is not None:
            raise self._halted


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def pending_count(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as s:
        return int(await s.scalar(_COUNT_PENDING) or 0)
