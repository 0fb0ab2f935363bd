"""Start-up that never gives up: the first requests of ``journal run`` (getMe, the menu,
deleteWebhook / setWebhook) are tried again and again, with a capped backoff, while the
network is down or Telegram answers 5xx (a server that boots before its network), saying
so in one log line at most once a minute. Only a token Telegram rejects stops it
(:class:`TokenRejected`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from aiogram.exceptions import (
    ClientDecodeError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)

from bot.telegram.transport import retrying
from core.clock import Clock, SystemClock
from texts import t

log = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[object]]

#: Telegram (or the way to it) is down for now: worth waiting for.
UNAVAILABLE: tuple[type[Exception], ...] = (
    TelegramNetworkError,
    TelegramServerError,
    ClientDecodeError,
    TelegramRetryAfter,
)


class TokenRejected(Exception):
    """Telegram answered 401 Unauthorized: BOT_TOKEN is wrong or was revoked."""


class StartupStopped(Exception):
    """Asked to stop (SIGTERM, Ctrl+C, the embedding program) while waiting for Telegram."""


def error_kind(err: Exception) -> str:
    """A few words on what went wrong, for the "unavailable" line."""
    if isinstance(err, TelegramRetryAfter):
        return t("startup.kind_flood", seconds=err.retry_after)
    if isinstance(err, TelegramServerError):
        return t("startup.kind_server", error=err.message)
    if isinstance(err, ClientDecodeError):
        return t("startup.kind_not_json")
    return t("startup.kind_network", error=getattr(err, "message", None) or type(err).__name__)


def elapsed_text(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    minutes, seconds = divmod(seconds, 60)
    if minutes:
        return t("startup.elapsed_minutes", minutes=minutes, seconds=seconds)
    return t("startup.elapsed_seconds", seconds=seconds)


@dataclass
class Patience:
    """How start-up waits for Telegram: ``first`` seconds, doubling up to ``cap``; the
    "unavailable" line at most every ``report_every``. ``clock`` and ``sleep`` are
    injected (tests move a manual clock instead of waiting)."""

    clock: Clock = field(default_factory=SystemClock)
    sleep: Sleep = asyncio.sleep
    first: float = 1.0
    cap: float = 60.0
    report_every: timedelta = timedelta(minutes=1)
    stop: asyncio.Event | None = None
    _down_since: datetime | None = field(default=None, init=False, repr=False)
    _reported_at: datetime | None = field(default=None, init=False, repr=False)

    async def call(self, request: Callable[[], Awaitable[T]]) -> T:
        """``request()`` until it succeeds; :class:`TokenRejected` on a 401."""
        delay = self.first
        token = retrying.set(False)  # this loop waits, not the per-request middleware
        try:
            while True:
                try:
                    result = await self._unless_stopped(request())
                except (TelegramUnauthorizedError, TelegramNotFound) as err:  # 404: malformed
                    raise TokenRejected(err.message) from None
                except UNAVAILABLE as err:
                    self._report(err)
                    wait = float(err.retry_after) if isinstance(err, TelegramRetryAfter) else delay
                    await self._pause(wait)
                    delay = min(self.cap, delay * 2)
                    continue
                self._recovered()
                return result
        finally:
            retrying.reset(token)

    async def _unless_stopped(self, request: Awaitable[T]) -> T:
        """``request``'s answer, unless asked to stop first (:class:`StartupStopped`): a
        Telegram that holds a request (up to aiogram's 60 s) does not hold a stop up."""
        if self.stop is None:
            return await request
        answer = asyncio.ensure_future(request)
        stopper = asyncio.ensure_future(self.stop.wait())
        try:
            await asyncio.wait({answer, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (answer, stopper):
                if not task.done():
                    task.cancel()
            await asyncio.gather(answer, stopper, return_exceptions=True)
        if answer.cancelled():  # the stop came first
            raise StartupStopped
        return answer.result()  # its answer, or its error

    async def _pause(self, seconds: float) -> None:
        """Sleep, unless asked to stop first (then :class:`StartupStopped`)."""
        if self.stop is None:
            await self.sleep(seconds)
            return
        if not self.stop.is_set():
            sleeper = asyncio.ensure_future(self.sleep(seconds))
            stopper = asyncio.ensure_future(self.stop.wait())
            _, pending = await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self.stop.is_set():
            raise StartupStopped

    def _report(self, err: Exception) -> None:
        now = self.clock.now()
        if self._down_since is None:
            self._down_since = now
        if self._reported_at is None or now - self._reported_at >= self.report_every:
            self._reported_at = now
            elapsed = elapsed_text(now - self._down_since)
            log.warning(t("startup.telegram_down", kind=error_kind(err), elapsed=elapsed))

    def _recovered(self) -> None:
        if self._down_since is not None:
            elapsed = elapsed_text(self.clock.now() - self._down_since)
            log.info(t("startup.telegram_back", elapsed=elapsed))
        self._down_since = None
        self._reported_at = None
