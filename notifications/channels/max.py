"""The outbox's MAX channel: a screen's text as an HTML message, its buttons as an inline
keyboard attachment (an action -> a callback button whose ``payload`` is the packed
action, a link -> a link button), and every MAX Bot API error turned into a
:class:`Delivery`.

How maxapi 1.2.3 raises (``maxapi/connection/base.py``): 401 is ``InvalidToken``; any other
non-2xx answer is ``MaxApiError(code=<HTTP status>, raw=<the body: {"code", "message"}>)``;
a connection error (a refused or dropped connection, aiohttp's socket timeouts) is
``MaxConnection``; a text of 4000 characters or more is a ``ValueError`` before any
request. maxapi retries 502/503/504 and connection errors itself (``max_retries`` of its
``DefaultConnectionProperties``, with backoff sleeps): the sender's bot is built with
``max_retries=0`` (:func:`bot.max.client.sender_bot`), so that the outbox decides, as the
Telegram channel bypasses aiogram's retrying middleware.

MAX's answers, as the outbox reads them:

* 429 ``too.many.requests`` -> RETRY_AFTER. MAX says nothing of how long to wait (no
  ``retry_after``, no header): the channel says :data:`RETRY_AFTER_SECONDS` (1 s, the
  window of MAX's 30 requests a second).
* 403 ``chat.denied`` (the user stopped the bot) -> UNREACHABLE; another 403 -> PERMANENT.
* 401 -> HALT (the token is refused); so is a 404 without MAX's error body (``MAX_API_BASE``
  names something else than MAX's API).
* 5xx -> SERVER; no answer, a dropped connection, a timeout, a garbled 2xx -> NETWORK.
* 400 and 404 -> REFUSED for an edit (the message is gone or cannot be edited: the sender
  sends anew), PERMANENT for a new message.
* a message that cannot be built under MAX's limits -> INVALID, without a request.

A row's ``chat_id`` is the MAX dialog's chat id (the account's ``chat_id``), so messages go
with ``chat_id=``; message ids are MAX's ``body.mid`` strings."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from maxapi import Bot
from maxapi.enums.parse_mode import TextFormat
from maxapi.exceptions.max import InvalidToken, MaxApiError, MaxConnection
from maxapi.methods.edit_message import EditMessage
from maxapi.methods.send_message import SendMessage
from maxapi.methods.types.edited_message import EditedMessage
from maxapi.methods.types.sended_message import SendedMessage
from maxapi.types.attachments import Attachments
from pydantic import ValidationError

from bot.max import render
from bot.max.limits import MAX_LIMITS
from bot.screen import Row
from core.models import Messenger
from notifications.channels import Delivery, Result

MAX = Messenger.MAX.value  # a channel is named as its messenger
RETRY_AFTER_SECONDS = 1.0  # MAX's 429 gives no wait: one window of its 30 requests/s
UNREACHABLE_CODES = frozenset({"chat.denied"})


class MaxChannel:
    name = MAX
    limits = MAX_LIMITS

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(
        self, chat_id: int, text: str, buttons: list[Row], request_timeout: float
    ) -> Delivery:
        try:
            attachments = keyboard(buttons)
            method = SendMessage(
                bot=self.bot,
                chat_id=chat_id,
                text=text,
                attachments=attachments,
                format=TextFormat.HTML,
            )
        except (ValidationError, ValueError) as err:
            return _invalid(err)
        return await self._call(method.fetch(), request_timeout, None)

    async def edit(
        self, chat_id: int, message_id: str, text: str, buttons: list[Row], request_timeout: float
    ) -> Delivery:
        try:
            attachments = keyboard(buttons)
            method = EditMessage(
                bot=self.bot,
                message_id=message_id,
                text=text,
                attachments=attachments,
                format=TextFormat.HTML,
            )
        except (ValidationError, ValueError) as err:
            return _invalid(err)
        return await self._call(method.fetch(), request_timeout, message_id)

    async def _call(
        self, request: Awaitable[Any], request_timeout: float, message_id: str | None
    ) -> Delivery:
        editing = message_id is not None
        try:
            answer = await asyncio.wait_for(request, request_timeout)
        except InvalidToken as err:
            return Delivery(Result.HALT, error=str(err), code=401)
        except MaxApiError as err:
            return _api_error(err, editing=editing)
        except (MaxConnection, TimeoutError, ValidationError) as err:
            return Delivery(Result.NETWORK, error=f"{type(err).__name__}: {err}")
        if isinstance(answer, SendedMessage):
            body = answer.message.body
            return Delivery(Result.SENT, message_id=body.mid if body is not None else None)
        if isinstance(answer, EditedMessage) and not answer.success:
            return Delivery(Result.REFUSED, error=answer.message or "edit refused", code=400)
        return Delivery(Result.SENT, message_id=message_id)


def keyboard(rows: list[Row]) -> list[Attachments] | None:
    """A screen's buttons as MAX's inline keyboard attachment (``bot/max/render.py`` draws
    it); ``ValueError`` when they do not fit in one message (MAX refuses the whole message
    then: a notification is composed under MAX's limits, so this is a bug, not a wait)."""
    if not rows:
        return None
    problem = render.keyboard_problem(rows)
    if problem is not None:
        raise ValueError(problem)
    return [render.keyboard(rows)]


def _api_error(err: MaxApiError, *, editing: bool) -> Delivery:
    raw = err.raw if isinstance(err.raw, dict) else {"message": err.raw}
    code = str(raw.get("code") or "")
    error = f"{code}: {raw.get('message') or raw.get('error') or ''}".strip(": ")[:300]
    status = err.code
    if status == 429:
        return Delivery(Result.RETRY_AFTER, error=error, code=429, retry_after=RETRY_AFTER_SECONDS)
    if status == 403 and code in UNREACHABLE_CODES:
        return Delivery(Result.UNREACHABLE, error=error, code=403)
    if status == 401 or (status == 404 and not code):
        # 404 without MAX's error body: not MAX's API at all (a wrong MAX_API_BASE)
        return Delivery(Result.HALT, error=error or f"{status} from {err.raw!r:.100}", code=status)
    if status >= 500:
        return Delivery(Result.SERVER, error=error, code=status)
    if status < 400:  # a 2xx whose body is not MAX's JSON: the answer was lost
        return Delivery(Result.NETWORK, error=f"unreadable answer ({status}): {error}")
    if editing and status in (400, 404):
        return Delivery(Result.REFUSED, error=error, code=status)
    return Delivery(Result.PERMANENT, error=error, code=status)


def _invalid(err: Exception) -> Delivery:
    detail = err.errors()[0].get("msg", err) if isinstance(err, ValidationError) else err
    return Delivery(Result.INVALID, error=f"invalid message: {detail}")
