"""Send slots for the outbox sender: a global pace, a minimum interval per chat, and
pauses when the messenger says to wait."""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

Sleep = Callable[[float], Awaitable[Any]]
Monotonic = Callable[[], float]


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
