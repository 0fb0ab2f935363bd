"""How the bot talks to the Bot API: the configurable base URL, and a request middleware
that waits out 429s (``retry_after``), Telegram's 5xx and HTML error pages and short
network outages, answering a callback query before it waits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from http import HTTPStatus
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    TelegramMethod,
)
from aiogram.methods.base import Response, TelegramType

from core.metrics import Metrics

log = logging.getLogger(__name__)


#: Set by the update's middleware while a callback query is being handled: answers the
#: query (once). The retry middleware calls it before it waits, so that the user's spinner
#: stops whatever Telegram's front does to the rest of the update's requests.
answer_first: ContextVar[Callable[[], Awaitable[None]] | None] = ContextVar(
    "answer_first", default=None
)

#: False while start-up waits for Telegram by itself (``bot.telegram.startup``): the middleware then
#: lets every error through at once instead of retrying and logging each request.
retrying: ContextVar[bool] = ContextVar("retrying", default=True)


class RetryMiddleware(BaseRequestMiddleware):
    """Retry a request while it can still help: after every 429 (waiting its
    ``retry_after``) and, with backoff, after network errors, 5xx and answers that are not
    Telegram's JSON (an nginx HTML error page), as long as the waits fit in ``budget``
    seconds (``answer_budget`` for answering a callback query, whose lifetime is short);
    then let the error through. Requests to a chat that got a 429 wait their turn one by
    one (a burst to one chat is not a herd retrying together after each ``retry_after``).
    Before any wait during a callback query the query is answered first."""

    def __init__(
        self,
        budget: float = 120.0,
        answer_budget: float = 10.0,
        max_backoff: float = 10.0,
        sleep: Any = asyncio.sleep,
        metrics: Metrics | None = None,
    ):
        self.budget = budget
        self.answer_budget = answer_budget
        self.max_backoff = max_backoff
        self.sleep = sleep
        self.metrics = metrics or Metrics()
        self._chat_turns: dict[Any, asyncio.Lock] = {}

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if not retrying.get():
            return await make_request(bot, method)
        try:
            return await make_request(bot, method)
        except TelegramRetryAfter as err:
            chat = getattr(method, "chat_id", None)
            if chat is None:
                return await self._retry(make_request, bot, method, err)
            turn = self._chat_turns.setdefault(chat, asyncio.Lock())
            try:
                async with turn:
                    return await self._retry(make_request, bot, method, err)
            finally:
                idle = not turn.locked() and not getattr(turn, "_waiters", None)
                if idle and self._chat_turns.get(chat) is turn:
                    del self._chat_turns[chat]
        except RETRIED as err:
            return await self._retry(make_request, bot, method, err)

    async def _retry(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
        err: Exception,
    ) -> Response[TelegramType]:
        is_answer = isinstance(method, AnswerCallbackQuery)
        left = self.answer_budget if is_answer else self.budget
        backoffs = 0
        name = method.__api_method__
        while True:
            if isinstance(err, TelegramRetryAfter):
                delay = float(err.retry_after)
                reason = "429"
            else:
                delay = min(self.max_backoff, 0.5 * 2**backoffs)
                backoffs += 1
                reason = type(err).__name__
            if delay > left:
                log.warning("%s on %s: giving up (would wait %.1f s)", reason, name, delay)
                raise err
            left -= delay
            if not is_answer:
                answer = answer_first.get()
                if answer is not None:
                    with contextlib.suppress(Exception):  # it has its own retries and log
                        await answer()
            log.warning("%s on %s: retrying in %.1f s", reason, name, delay)
            if isinstance(err, TelegramRetryAfter):
                self.metrics.flood_waited("bot", delay)
            await self.sleep(delay)
            try:
                return await make_request(bot, method)
            except RETRIED_AFTER_FLOOD as again:
                err = again


#: What is worth trying again (besides 429): the network, Telegram's 5xx, and an answer
#: that is not Telegram's JSON at all (its front's HTML error page).
RETRIED: tuple[type[Exception], ...] = (
    TelegramNetworkError,
    TelegramServerError,
    ClientDecodeError,
)
RETRIED_AFTER_FLOOD: tuple[type[Exception], ...] = (TelegramRetryAfter, *RETRIED)


class NoteAnswered(BaseRequestMiddleware):
    """Tells ``metrics`` that a Bot API request succeeded: ``GET /health`` reads Telegram
    as reachable while the last success is recent (long polling asks every few seconds)."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        response = await make_request(bot, method)
        self.metrics.reached("telegram")
        return response


class KeepResponseTypes(BaseRequestMiddleware):
    """aiogram reads every Bot API response as ``Response[<result type>]``. pydantic keeps
    such a class only while something else refers to it, so once the garbage collector
    has freed it the next response builds it again (3.6 ms of CPU each time by
    ``bench patches``, several times per update under load). Keeping one per result type
    makes it a dictionary lookup."""

    def __init__(self) -> None:
        self.types: dict[Any, Any] = {}

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        returning = method.__returning__
        if returning not in self.types:
            self.types[returning] = Response[returning]  # type: ignore[valid-type]  # built at run time
        return await make_request(bot, method)


class BotSession(AiohttpSession):
    """aiogram's session, except that a successful edit is not read back. Telegram answers
    an edit with the whole message again, its keyboard included (a roll call: 35 buttons),
    and aiogram would build it into its types (0.21 ms of CPU against 0.02 by ``bench
    patches``, on every tap) for a result
    the bot never reads. A successful edit gives ``True`` (what Telegram itself returns
    for an inline message's edit); an error is read and raised as always."""

    UNREAD = (EditMessageText, EditMessageReplyMarkup)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.edited = Response[bool](ok=True, result=True)

    def check_response(
        self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int, content: str
    ) -> Response[TelegramType]:
        if isinstance(method, self.UNREAD) and HTTPStatus.OK <= status_code <= HTTPStatus.IM_USED:
            with contextlib.suppress(ValueError):
                answer = self.json_loads(content)
                if isinstance(answer, dict) and answer.get("ok") is True:
                    return self.edited  # type: ignore[return-value]  # an unread method returns True
        return super().check_response(bot, method, status_code, content)


def build_bot(
    token: str, api_base: str, *, sleep: Any = asyncio.sleep, metrics: Metrics | None = None
) -> Bot:
    """A bot talking to ``api_base``; ``sleep`` is how it waits before a retry; its 429
    waits and successful requests are counted in ``metrics``."""
    metrics = metrics or Metrics()
    session = BotSession(api=TelegramAPIServer.from_base(api_base.rstrip("/")))
    session.middleware(KeepResponseTypes())
    session.middleware(RetryMiddleware(sleep=sleep, metrics=metrics))
    session.middleware(NoteAnswered(metrics))
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
