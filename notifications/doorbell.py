"""The doorbell: one look at the outbox for all of an instance's idle senders.

A district's ``journal run`` has a sender per bot (101 for 100 schools). Each one that
finds nothing to send used to claim again every ``SEND_IDLE_POLL`` (1 s): 101 claim
queries a second all day, about a tenth of a core in Python alone, and each one scanning
every due row of the busy bots in the evening. Instead an idle sender waits on the
instance's doorbell, which asks once per poll which of the waiting senders' channels
have a row due and wakes only those. A sender that is sending claims as before; one
that is cooling down (a chat's or the bot's pace) waits for its own time, not the bell.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import Clock

log = logging.getLogger(__name__)

# The channels with a row a sender could claim now (as the claim's own conditions, less
# the per-chat order and pace it keeps itself).
_DUE = text(
    """
    SELECT DISTINCT channel FROM outbox
    WHERE status = 'pending'
      AND channel = ANY(CAST(:channels AS varchar[]))
      AND COALESCE(next_attempt_at, '-infinity') <= :now
      AND (claimed_until IS NULL OR claimed_until <= now())
    """
)


class Doorbell:
    """Wakes a sender waiting for its channels when one of them has a row due; asks the
    database once per ``poll`` seconds while any sender waits, and not at all otherwise."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        poll: float,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.poll = poll
        self.sleep = sleep
        self.looks = 0  # queries made (what an operator would compare with the senders')
        self._waiting: dict[str, set[asyncio.Event]] = {}
        self._task: asyncio.Task[None] | None = None

    async def wait(self, channels: Sequence[str], stop: asyncio.Event, at_most: float) -> bool:
        """Until one of ``channels`` has a row due or ``stop`` is set (True), or
        ``at_most`` seconds pass (False)."""
        rung = asyncio.Event()
        for channel in channels:
            self._waiting.setdefault(channel, set()).add(rung)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._ring())
        try:
            waits = [asyncio.ensure_future(rung.wait()), asyncio.ensure_future(stop.wait())]
            try:
                done, _ = await asyncio.wait(
                    waits, timeout=at_most, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                for waiting in waits:
                    waiting.cancel()
            return bool(done)
        finally:
            for channel in channels:
                found = self._waiting.get(channel)
                if found is not None:
                    found.discard(rung)
                    if not found:
                        del self._waiting[channel]

    async def _ring(self) -> None:
        while self._waiting:
            channels = sorted(self._waiting)
            try:
                async with self.sessions() as s:
                    due = set(
                        await s.scalars(_DUE, {"channels": channels, "now": self.clock.now()})
                    )
            except Exception:  # the senders claim and say what is wrong
                due = set(channels)
            self.looks += 1
            for channel in due:
                for rung in self._waiting.get(channel, ()):
                    rung.set()
            await self.sleep(self.poll)
