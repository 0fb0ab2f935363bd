"""Another account bound to the same person (R3): «Отключить этот аккаунт» under the
notice cuts it; the button names the binding the notice went to, core checks it belongs
to whoever pressed.

A Telegram handler, not yet a flow: the notice keeps its text and loses only its button
(its keyboard alone is redrawn), which a turn cannot do."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bot.actions import CutOtherCb
from bot.telegram.filters import on
from bot.telegram.identity import telegram_user
from bot.telegram.middlewares import CallbackAnswer
from bot.telegram.render import show, show_rows
from core import invitations
from core.journal import Journal
from texts import Texts


async def cut_other_account(
    query: CallbackQuery,
    callback_data: CutOtherCb,
    journal: Journal,
    tx: Texts,
    callback_answer: CallbackAnswer,
) -> None:
    cut = await invitations.cut_own_other_account(
        journal,
        telegram_user(query),
        callback_data.binding,
        callback_data.other,
        "R3: cut by the owner from another account",
    )
    callback_answer.text = tx("account.cut_other_done" if cut else "account.cut_other_before")
    if isinstance(query.message, Message):
        await show_rows(query, [])  # the notice keeps its text, loses the button
        await show(query.message, callback_answer.text)


def build() -> Router:
    router = Router(name="other_account")
    router.callback_query.register(cut_other_account, on(CutOtherCb))
    return router
