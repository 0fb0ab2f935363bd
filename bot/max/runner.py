"""The MAX bot's long polling: ``GET /updates`` with its marker (each batch confirms the
one before), the updates of one chat handled in order and different chats side by side.
While MAX is unreachable the poll is tried again, 1 s doubling to 60 s, and the log says
so at most once a minute; SIGTERM (``stop``) ends it between two polls."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from maxapi import Bot
from maxapi.exceptions.max import MaxApiError, MaxConnection
from maxapi.methods.types.getted_updates import process_update_request

from bot.max.dispatch import MaxDispatcher
from bot.max.updates import Incoming, incoming

log = logging.getLogger(__name__)

POLL_TIMEOUT = 30  # seconds a poll waits for an update (MAX's default)
RETRY_FIRST, RETRY_MAX = 1.0, 60.0


class Poller:
    def __init__(
        self,
        bot: Bot,
        dispatcher: MaxDispatcher,
        *,
        timeout: int = POLL_TIMEOUT,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.bot, self.dispatcher, self.timeout, self.sleep = bot, dispatcher, timeout, sleep
        self.marker: int | None = None
        self._chats: dict[int, asyncio.Task[None]] = {}
        self._last_warning = 0.0

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until ``stop``; the updates being handled are finished first."""
        retry = RETRY_FIRST
        stopping = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                poll = asyncio.ensure_future(self.poll_once())
                await asyncio.wait({poll, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not poll.done():
                    poll.cancel()
                    break
                try:
                    poll.result()
                    retry = RETRY_FIRST
                except (MaxConnection, MaxApiError, OSError, TimeoutError) as err:
                    self._warn(err)
                    await self.sleep(retry)
                    retry = min(RETRY_MAX, retry * 2)
        finally:
            stopping.cancel()
            await self.drain()

    async def poll_once(self) -> int:
        """One poll: its updates handed to the dispatcher (not awaited). How many came."""
        batch = await self.bot.get_updates(marker=self.marker, timeout=self.timeout)
        self.dispatcher.metrics.reached("max")
        updates = await process_update_request(batch, self.bot)
        self.marker = batch.get("marker", self.marker)
        count = 0
        for update in updates:
            found = incoming(update)
            if found is not None:
                self.feed(found)
                count += 1
        return count

    def feed(self, update: Incoming) -> None:
        """Handle ``update`` after the ones of its chat already in hand."""
        before = self._chats.get(update.chat_id)
        self._chats[update.chat_id] = asyncio.create_task(self._after(before, update))

    async def _after(self, before: asyncio.Task[None] | None, update: Incoming) -> None:
        if before is not None:
            await asyncio.gather(before, return_exceptions=True)
        try:
            await self.dispatcher.handle(update)
        except Exception:
            log.exception("a MAX update could not be handled")
        finally:
            if self._chats.get(update.chat_id) is asyncio.current_task():
                del self._chats[update.chat_id]

    async def drain(self) -> None:
        """Wait for the updates in hand."""
        if self._chats:
            await asyncio.gather(*self._chats.values(), return_exceptions=True)

    def _warn(self, err: BaseException) -> None:
        now = time.monotonic()
        if now - self._last_warning >= 60:
            self._last_warning = now
            log.warning("MAX unreachable, polling again (%s: %s)", type(err).__name__, err)
