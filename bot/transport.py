"""How the bot talks to the Bot API: the configurable base URL, and a request middleware
that waits out 429s (``retry_after``) and rides over short network outages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from http import HTTPStatus
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import EditMessageReplyMarkup, EditMessageText, TelegramMethod
from aiogram.methods.base import Response, TelegramType

log = logging.getLogger(__name__)


class RetryMiddleware(BaseRequestMiddleware):
    """Retry a request after Telegram's ``retry_after`` on 429, and with backoff on network
    errors and 5xx, a bounded number of times; then let the error through."""

    def __init__(self, attempts: int = 5, max_backoff: float = 10.0, sleep: Any = asyncio.sleep):
        self.attempts = attempts
        self.max_backoff = max_backoff
        self.sleep = sleep

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        for attempt in range(1, self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as err:
                if attempt == self.attempts:
                    raise
                log.warning(
                    "429 on %s: retrying after %s s", method.__api_method__, err.retry_after
                )
                await self.sleep(err.retry_after)
            except (TelegramNetworkError, TelegramServerError) as err:
                if attempt == self.attempts:
                    raise
                delay = min(self.max_backoff, 0.5 * 2 ** (attempt - 1))
                log.warning(
                    "%s on %s: retrying in %.1f s", type(err).__name__, method.__api_method__, delay
                )
                await self.sleep(delay)
        raise AssertionError("unreachable")


class KeepResponseTypes(BaseRequestMiddleware):
    """aiogram reads every Bot API response as ``Response[<result type>]``. pydantic keeps
    such a class only while something else refers to it, so once the garbage collector
    has freed it the next response builds it again (~7 ms of CPU each time, several times
    per update under load). Keeping one per result type makes it a dictionary lookup."""

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
            self.types[returning] = Response[returning]  # type: ignore[valid-type]
        return await make_request(bot, method)


class BotSession(AiohttpSession):
    """aiogram's session, except that a successful edit is not read back. Telegram answers
    an edit with the whole message again, its keyboard included (a roll call: 35 buttons),
    and aiogram would build it into its types (~0.2 ms of CPU, on every tap) for a result
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
                    return self.edited  # type: ignore[return-value]
        return super().check_response(bot, method, status_code, content)


def build_bot(token: str, api_base: str, *, sleep: Any = asyncio.sleep) -> Bot:
    """A bot talking to ``api_base``; ``sleep`` is how it waits before a retry."""
    session = BotSession(api=TelegramAPIServer.from_base(api_base.rstrip("/")))
    session.middleware(KeepResponseTypes())
    session.middleware(RetryMiddleware(sleep=sleep))
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
