"""A message to someone other than the user who pressed the button (the flows'
``Turn.tell``: the deputies learning of a request, the teacher of the decision, R7).
Best effort: a blocked chat does not fail the user's own action."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

log = logging.getLogger(__name__)


async def safe_send(bot: Bot, chat_id: int, text: str, **kwargs: Any) -> None:
    try:
        await bot.send_message(chat_id, text, **kwargs)
    except TelegramAPIError:
        log.warning("could not deliver a message to chat id %s", chat_id, exc_info=True)
