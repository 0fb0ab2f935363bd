"""The outbox sender: delivers pending outbox rows through their channel's adapter
(``notifications/channels/``: Telegram's and MAX's) under its rate limits. A sender claims
only rows of the channels it was given; the app runs one per messenger, each at its own
pace. The figures below are Telegram's (MAX's: 30 requests/s per bot, and its 429 says no
wait, so its channel asks for 1 s: ``notifications/channels/max.py``).

Delivery is **at least once**. A crash (or SIGKILL) never loses a message and duplicates
at most the messages that were in flight at that moment:

1. *Claim.* One short transaction picks a small batch of due rows with
   ``FOR UPDATE SKIP LOCKED`` and writes a lease on them (``claimed_by``,
   ``claimed_until = now() + lease``, by the database's clock) and counts the attempt.
   Two senders (two instances of the app, whatever their clocks) therefore never claim
   the same row while its lease runs.
2. *Send.* Each row is sent to Telegram outside any transaction.
3. *Record.* The outcome (``sent`` + ``message_id``, a retry time, ``failed`` or
   ``unreachable``) is written right after the answer by the instance's recorder (one
   for all its senders, ``notifications/recorder.py``); outcomes that arrive while a
   write is running are written together by the next one (group commit), so a row is
   recorded a few milliseconds after Telegram answered.

If the process dies between 2 and 3, the row stays ``pending`` with a lease that
expires; then any sender claims it again and sends it again. That window is the only
source of duplicates, and it is bounded: a send takes a slot before its call and gives
it back only once its outcome is in the database, and a sender has ``max_unrecorded``
slots (``SEND_MAX_UNRECORDED``, 10). A SIGKILL therefore re-sends at most that many rows
per bot, in practice those whose answer or write was under way at that instant (about
the rate × (the Bot API's latency + a write)). Claimed rows not yet sent are sent once,
by whoever claims them after their lease.
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

``rate`` is per bot: with a lease book (``lease_book``, the instance's, as the app runs
it; or ``send_lease``, one of the sender's own) a sender sends through its channels only
while its instance holds their leases, so several instances on one database divide the
bots between them, one sending through a bot at a time, and the others take over when it
stops or dies (``notifications/leases.py``). Without it, every sender sends.

The sender calls the Bot API through ``bot.session.make_request``, i.e. *without* the
session's request middlewares: a retrying middleware (like ``bot.telegram.transport``'s) would
sleep inside a claimed send and hide 429s from the pacing; here the outbox decides.

Run it standalone: ``python -m school_journal.sender --database-url URL --token TOKEN``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import BigInteger, Boolean, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.faults import database_unavailable
from core.clock import Clock
from core.metrics import Metrics
from notifications.channels import Channel, Delivery, Result
from notifications.doorbell import Doorbell
from notifications.leases import LeaseBook
from notifications.outbox import binding_of_channel, loaded_buttons
from notifications.pace import Pace
from notifications.recorder import Claimed, Outcome, Recorder, SenderHalted, SenderStats

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
                   WHERE (b.id = o.binding_id
                          OR (b.user_id = o.chat_id AND BINDING_OF_CHANNEL))
                     AND b.unreachable_at IS NOT NULL AND b.revoked_at IS NULL
               ) AS unreachable
        FROM outbox o
        WHERE o.status = 'pending'
          AND o.channel = ANY(CAST(:channels AS varchar[]))
          AND COALESCE(o.next_attempt_at, '-infinity') <= :now
          AND (o.claimed_until IS NULL OR o.claimed_until <= now())  -- the database's clock
          AND o.chat_id <> ALL (CAST(:cooling AS bigint[]))
          -- the first message of its chat (but a later-scheduled one does not count);
          -- a chat is a messenger's: Telegram's and MAX's ids are separate number spaces
          AND o.id = (
              SELECT p.id FROM outbox p
              WHERE p.chat_id = o.chat_id AND p.channel = o.channel AND p.status = 'pending'
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
    RETURNING o.id, o.key, o.channel, o.chat_id, o.binding_id, o.text, o.buttons, o.attempts,
              picked.unreachable,
              -- an update of an earlier message (meta.edit_of): that message, if delivered
              (SELECT t.message_id FROM outbox t
               WHERE t.key = o.meta ->> 'edit_of' AND t.chat_id = o.chat_id
                 AND t.status = 'sent') AS edit_message_id
    """.replace("BINDING_OF_CHANNEL", binding_of_channel("o.channel"))
).columns(
    id=BigInteger,
    key=String,
    channel=String,
    chat_id=BigInteger,
    binding_id=BigInteger,
    text=Text,
    buttons=JSONB,
    attempts=Integer,
    unreachable=Boolean,
    edit_message_id=String,
)

# An idle sender with a doorbell and no lease book looks by itself this often (seconds).
IDLE_FALLBACK = 60.0

_COUNT_PENDING = text("SELECT count(*) FROM outbox WHERE status = 'pending'")


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


# ----------------------------------------------------------------------------- sender


class Sender:
    """Delivers the outbox. ``run_once()`` claims and sends one batch; ``run(stop)``
    keeps going (claiming the next batch while the last sends finish) until ``stop``."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        channels: Channel | Mapping[str, Channel],
        clock: Clock,
        *,
        rate: float = 25.0,
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
        send_lease: timedelta | None = None,
        lease_book: LeaseBook | None = None,
        recorder: Recorder | None = None,
        doorbell: Doorbell | None = None,
        max_unrecorded: int = 10,
        worker_id: str | None = None,
        monotonic: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        if batch < 1 or max_unrecorded < 1:
            raise ValueError("batch and max_unrecorded must be at least 1")
        self.sessions = sessions
        if not isinstance(channels, Mapping):
            channels = {channels.name: channels}
        self.channels: Mapping[str, Channel] = channels
        self.clock = clock
        self.batch = batch
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
        # The instance's (shared by its senders: one connection writes every bot's
        # outcomes) or one of this sender's own.
        self._recorder = recorder or Recorder(
            sessions, sleep, patience=lease.total_seconds(), metrics=self.metrics
        )
        # The instance's: idle, the sender waits for it to say a row is due rather than
        # claiming every ``idle_poll`` (notifications/doorbell.py); without, it polls.
        self.doorbell = doorbell
        self.claims = 0  # claim queries made
        self._tasks: set[asyncio.Task[None]] = set()
        self._writes: set[asyncio.Future[bool]] = set()  # outcomes not yet in the database
        # A send holds a slot from before its call until its outcome is in the database:
        # at most ``max_unrecorded`` rows of this sender are ever sent (or being sent)
        # and not recorded, the most a SIGKILL can make it send twice. It must cover the
        # rate times (the Bot API's latency + a write), or the pace drops: 10 covers
        # 30/s at 300 ms.
        self._slots = asyncio.Semaphore(max_unrecorded)
        self._halted: SenderHalted | None = None
        # With a lease book (the instance's, shared by its senders, or with ``send_lease``
        # one of its own), only while the instance holds its channels' leases does this
        # sender send through them (instances on one database divide the bots between
        # them, each bot's rate kept, notifications/leases.py); without, it sends whenever
        # it finds rows.
        if lease_book is None and send_lease is not None:
            lease_book = LeaseBook(sessions, self.worker_id, send_lease, monotonic=monotonic)
        self.lease_book = lease_book

    # ------------------------------------------------------------------ public

    async def run_once(self) -> int:
        """Claim one batch, send it, record every outcome; return how many were sent."""
        self._raise_if_halted()
        try:
            rows = await self.claim()
        except Exception:
            await self._give_back()
            raise
        return await self.deliver(rows)

    async def deliver(self, rows: Sequence[Claimed]) -> int:
        """Send rows this sender claimed, record every outcome; return how many were sent."""
        before = self.stats.sent
        try:
            await self._dispatch(rows, None)
            await self.settle()
        finally:
            await self._give_back()
        self._raise_if_halted()
        return self.stats.sent - before

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set; then finish the sends in flight, record them and
        give back the claimed rows not yet sent."""
        while not stop.is_set():
            try:
                self._raise_if_halted()
                rows = await self.claim()
                if rows:
                    await self._dispatch(rows, stop)
                    continue
                if self._tasks or self._writes:
                    await self.settle()  # their chats may have more messages queued
                    continue
                await self._idle(stop)
            except SenderHalted as err:
                log.error("sender halted: %s; trying again in %.0f s", err, self.halt_pause)
                await self.settle()
                self._halted = None
                await _wait(stop, self.halt_pause)
            except Exception as err:
                if database_unavailable(err):
                    self._recorder.outage.failed(err)
                else:
                    log.exception("outbox sender loop failed; retrying")
                await _wait(stop, self.idle_poll)
        await self.settle()
        await self._give_back()

    async def _idle(self, stop: asyncio.Event) -> None:
        """Nothing claimed: wait for the pace's next slot when a chat or the bot cools
        down; else for the doorbell to say a row is due (renewing the leases meanwhile),
        or, without one, ``idle_poll``."""
        cooling = self.pace.next_ready_in()
        if cooling is not None or self.doorbell is None:
            wait = self.idle_poll if cooling is None else min(self.idle_poll, cooling)
            await _wait(stop, max(wait, 0.01))
            return
        while not stop.is_set():
            channels = list(self.channels)
            if self.lease_book is not None:
                channels = await self.lease_book.held(channels)  # renewed when due
            if not channels:  # another instance sends through them now: look again soon
                await _wait(stop, self.idle_poll)
                return
            timeout = IDLE_FALLBACK if self.lease_book is None else self.lease_book.renew_every
            if await self.doorbell.wait(channels, stop, timeout):
                return

    async def _give_back(self) -> None:
        if self.lease_book is not None:
            await self.lease_book.give_back(list(self.channels))

    async def settle(self) -> None:
        """Wait for the sends in flight and for their outcomes to be written."""
        while self._tasks or self._writes:
            await asyncio.gather(*self._tasks, *self._writes, return_exceptions=True)

    async def claim(self) -> list[Claimed]:
        channels = list(self.channels)
        if self.lease_book is not None:
            channels = await self.lease_book.held(channels)
        if not channels:
            return []  # another instance sends through these bots now
        now = self.clock.now()
        self.claims += 1
        async with self.sessions() as s, s.begin():
            result = await s.execute(
                _CLAIM,
                {
                    "now": now,
                    "lease": self.lease,
                    "worker": self.worker_id,
                    "batch": self.batch,
                    "cooling": self.pace.cooling(),
                    "channels": channels,
                },
            )
            rows = [Claimed(**row._mapping) for row in result]
        self._recorder.outage.ended()
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
        self.metrics.message_ended("unreachable", row.channel)
        self._record(row, "unreachable", error="not sent: the binding is unreachable")

    async def _send(self, row: Claimed) -> None:
        try:
            try:
                written = await self._deliver(row)
            except Exception as err:  # a bug, not Telegram: keep the row, retry later
                log.exception("unexpected error sending outbox row %s", row.id)
                written = self._retry_later(row, None, f"{type(err).__name__}: {err}")
            await written  # the slot is free once the outcome is in the database
        finally:
            self._slots.release()

    async def _deliver(self, row: Claimed) -> asyncio.Future[bool]:
        channel = self.channels.get(row.channel)
        if channel is None:  # claimed only for the channels this sender has
            return self._retry_later(row, None, f"no {row.channel} channel in this sender")
        buttons = loaded_buttons(row.buttons)
        # An update edits the message it updates; when the messenger refuses the edit (the
        # user deleted the message, it is too old to edit) a new message goes instead.
        if row.edit_message_id is not None:
            edited = await channel.edit(
                row.chat_id, row.edit_message_id, row.text, buttons, self.request_timeout
            )
            if edited.result is Result.NOT_MODIFIED:  # edited already (a re-send)
                edited = Delivery(Result.SENT, message_id=row.edit_message_id)
            if edited.result is not Result.REFUSED:
                return self._outcome(row, edited)
            log.info("outbox row %s: cannot edit (%s); sending anew", row.id, edited.error)
        sent = await channel.send(row.chat_id, row.text, buttons, self.request_timeout)
        return self._outcome(row, sent)

    def _outcome(self, row: Claimed, delivery: Delivery) -> asyncio.Future[bool]:
        """Record what the channel said; done when it is in the database."""
        match delivery.result:
            case Result.SENT | Result.NOT_MODIFIED:
                self.stats.sent += 1
                self.metrics.message_ended("sent", row.channel)
                return self._record(row, "sent", message_id=delivery.message_id)
            case Result.RETRY_AFTER:
                wait = delivery.retry_after
                self.stats.flood_waits += 1
                self.stats.flood_wait_seconds += wait
                self.metrics.flood_waited("sender", wait)
                pause = min(wait, self.max_global_pause)
                log.warning(
                    "429 from %s (retry after %.0f s): pausing %.0f s", row.channel, wait, pause
                )
                self.pace.pause(pause)
                self.pace.hold_chat(row.chat_id, wait)
                retry_at = self.clock.now() + timedelta(seconds=wait)
                self.stats.retries += 1
                return self._record(
                    row, "retry", retry_at=retry_at, error_code=429, error=delivery.error
                )
            case Result.UNREACHABLE:
                self.stats.unreachable += 1
                self.metrics.message_ended("unreachable", row.channel)
                return self._record(
                    row, "unreachable", error_code=delivery.code, error=delivery.error
                )
            case Result.REFUSED | Result.PERMANENT | Result.INVALID:
                return self._fail(row, delivery.code, delivery.error)
            case Result.HALT:
                self._halted = SenderHalted(f"{delivery.code} {delivery.error}")
                self.stats.released += 1
                return self._record(row, "release")
            case Result.SERVER:
                self.stats.server_errors += 1
                return self._retry_later(row, delivery.code, delivery.error)
            case Result.NETWORK:
                self.stats.network_errors += 1
                return self._retry_later(row, None, delivery.error)

    # -------------------------------------------------------------- outcomes

    def _record(self, row: Claimed, status: str, **fields: Any) -> asyncio.Future[bool]:
        """Hand the outcome to the recorder; the future is done once it is written."""
        written = self._recorder.add(
            Outcome(row, status, self.clock.now(), worker=self.worker_id, **fields)
        )
        self._writes.add(written)
        written.add_done_callback(self._written)
        return written

    def _written(self, written: asyncio.Future[bool]) -> None:
        self._writes.discard(written)
        if not written.cancelled() and not written.result():
            self.stats.record_errors += 1

    def _fail(self, row: Claimed, code: int | None, error: str) -> asyncio.Future[bool]:
        self.stats.failed += 1
        self.metrics.message_ended("failed", row.channel)
        self.stats.note_error(error)
        return self._record(row, "failed", error_code=code, error=error)

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th try failed transiently."""
        delay = min(self.max_backoff, self.base_backoff * 2 ** max(0, attempts - 1))
        return delay * (1 + self.jitter * self.rng.random())

    def _retry_later(self, row: Claimed, code: int | None, error: str) -> asyncio.Future[bool]:
        if row.attempts >= self.max_attempts:
            return self._fail(row, code, f"gave up after {row.attempts} attempts: {error}")
        self.stats.retries += 1
        delay = timedelta(seconds=self.backoff(row.attempts))
        return self._record(
            row, "retry", retry_at=self.clock.now() + delay, error_code=code, error=error
        )

    def _raise_if_halted(self) -> None:
        if self._halted is not None:
            raise self._halted


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def pending_count(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as s:
        return int(await s.scalar(_COUNT_PENDING) or 0)
