"""The outbox's Telegram channel: a screen's text as an HTML message, its buttons as an
inline keyboard (``bot/telegram/render.py`` builds it: the one place that knows Telegram's
limits), and every Bot API error turned into a :class:`Delivery`."""

from __future__ import annotations

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
from aiogram.types import Message
from pydantic import ValidationError

from bot.screen import Row
from bot.telegram.limits import TELEGRAM_LIMITS
from bot.telegram.render import keyboard
from core.identity import bot_channel
from notifications.channels import Delivery, Result
from notifications.outbox import TELEGRAM


class TelegramChannel:
    name = TELEGRAM
    limits = TELEGRAM_LIMITS

    def __init__(self, bot: Bot, *, paid_broadcast: bool = False, school_bot: bool = False) -> None:
        self.bot = bot
        # A school's own bot delivers its bindings' rows (issue 14): a channel of its own.
        self.name = bot_channel(TELEGRAM, bot.id if school_bot else None)
        # Paid broadcasts (allow_paid_broadcast, Stars per message) lift the bot-wide
        # limit to 1000 messages/s; the sender's rate is then raised accordingly.
        self.paid_broadcast = paid_broadcast

    async def send(
        self, chat_id: int, text: str, buttons: list[Row], request_timeout: float
    ) -> Delivery:
        try:
            method = SendMessage(
                chat_id=chat_id,
                text=text,
                parse_mode=ParseMode.HTML,
                allow_paid_broadcast=self.paid_broadcast or None,
                reply_markup=keyboard(buttons),
            )
        except (ValidationError, ValueError) as err:
            return _invalid(err)
        return await self._call(method, request_timeout, None)

    async def edit(
        self, chat_id: int, message_id: str, text: str, buttons: list[Row], request_timeout: float
    ) -> Delivery:
        try:
            method = EditMessageText(
                chat_id=chat_id,
                message_id=int(message_id),
                text=text,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard(buttons),
            )
        except (ValidationError, ValueError) as err:
            return _invalid(err)
        return await self._call(method, request_timeout, message_id)

    async def _call(
        self, method: TelegramMethod[Any], request_timeout: float, message_id: str | None
    ) -> Delivery:
        try:
            result = await self.bot.session.make_request(
                self.bot,
                method,
                timeout=request_timeout,  # type: ignore[arg-type]  # aiogram says int; aiohttp takes float
            )
        except TelegramRetryAfter as err:
            return Delivery(
                Result.RETRY_AFTER, error=err.message, code=429, retry_after=err.retry_after
            )
        except TelegramForbiddenError as err:
            return Delivery(Result.UNREACHABLE, error=err.message, code=403)
        except TelegramBadRequest as err:
            if "message is not modified" in err.message:
                return Delivery(Result.NOT_MODIFIED, message_id=message_id)
            return Delivery(Result.REFUSED, error=err.message, code=400)
        except (TelegramUnauthorizedError, TelegramNotFound) as err:
            code = 401 if isinstance(err, TelegramUnauthorizedError) else 404
            return Delivery(Result.HALT, error=err.message, code=code)
        except TelegramServerError as err:
            return Delivery(Result.SERVER, error=err.message, code=500)
        except (TelegramNetworkError, ClientDecodeError) as err:
            return Delivery(Result.NETWORK, error=f"{type(err).__name__}: {err}")
        except TelegramAPIError as err:  # 409, 413, migrate-to-chat, …: permanent
            return Delivery(Result.PERMANENT, error=f"{type(err).__name__}: {err.message}")
        sent = str(result.message_id) if isinstance(result, Message) else message_id
        return Delivery(Result.SENT, message_id=sent)


def _invalid(err: Exception) -> Delivery:
    detail = err.errors()[0].get("msg", err) if isinstance(err, ValidationError) else err
    return Delivery(Result.INVALID, error=f"invalid message: {detail}")
