"""Whatever no other handler took: tell the user what they can do, never stay silent."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bot.middlewares import CallbackAnswer
from core.accounts import Session
from texts import Texts


async def unknown_message(message: Message, session: Session, tx: Texts) -> None:
    await message.answer(tx("fallback.unbound" if session.actor is None else "fallback.unknown"))


async def unknown_button(
    query: CallbackQuery, session: Session, tx: Texts, callback_answer: CallbackAnswer
) -> None:
    """A stale or forged button, or one of a role the account no longer acts in."""
    callback_answer.text = tx("fallback.stale_button")
    callback_answer.show_alert = True


def build() -> Router:
    router = Router(name="fallback")
    router.message.register(unknown_message)
    router.callback_query.register(unknown_button)
    return router
