"""Messages the bot sends to someone other than the user who pressed the button: the
decision on a correction request back to the teacher (R7). Best effort:
a blocked chat does not fail the user's own action."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

from bot.screens.corrections import request_text
from core import accounts
from core.corrections import RequestView
from core.journal import Journal
from core.models import BindingRole, Messenger
from texts import Texts

log = logging.getLogger(__name__)


async def safe_send(bot: Bot, chat_id: int, text: str, **kwargs: Any) -> None:
    try:
        await bot.send_message(chat_id, text, **kwargs)
    except TelegramAPIError:
        log.warning("could not deliver a message to chat id %s", chat_id, exc_info=True)


async def tell_requester(bot: Bot, journal: Journal, request: RequestView) -> None:
    chats = await accounts.chats_of(
        journal, [request.requested_by], BindingRole.STAFF, Messenger.TELEGRAM
    )
    tx = Texts()
    key = (
        "requests.approved_for_teacher"
        if request.status == "approved"
        else "requests.declined_for_teacher"
    )
    for chat_id in chats:
        await safe_send(bot, chat_id, tx(key) + "\n\n" + request_text(tx, request))
