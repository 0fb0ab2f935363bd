"""Whatever no other handler took: tell the user what they can do, never stay silent."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bot.telegram.middlewares import CallbackAnswer
from core.accounts import Caller
from texts import Texts

log = logging.getLogger(__name__)


async def unknown_message(message: Message, caller: Caller, tx: Texts) -> None:
    await message.answer(tx("fallback.unbound" if caller.actor is None else "fallback.unknown"))


async def unknown_button(
    query: CallbackQuery, caller: Caller, tx: Texts, callback_answer: CallbackAnswer
) -> None:
    """A stale or forged button (a number out of range does not match any button's
    filter), or one of a role the account no longer acts in: one line in the log."""
    log.info("stale or forged button from user %s: %r", query.from_user.id, query.data)
    callback_answer.text = tx("fallback.stale_button")
    callback_answer.show_alert = True


def build() -> Router:
    router = Router(name="fallback")
    router.message.register(unknown_message)
    router.callback_query.register(unknown_button)
    return router
