"""The digest's read receipt (R17): «Прочитано ✓» under a digest. Every receipt names the
binding the digest went to; core checks it belongs to whoever pressed. The class teacher's
list of unread digests is a flow (``bot/flows/digest.py``). The receipt stays a Telegram
handler for now: it redraws only the buttons of the pressed digest (its text stays as it
was sent), which a turn cannot do."""

from __future__ import annotations

from datetime import date

from aiogram import Router
from aiogram.types import CallbackQuery

from bot.actions import DigestReadCb
from bot.flows import digest as digest_flows
from bot.telegram.filters import on
from bot.telegram.identity import telegram_user
from bot.telegram.middlewares import CallbackAnswer
from bot.telegram.render import show_rows
from bot.telegram.turn import router_of
from core import digest
from core.journal import Journal
from notifications.digest import digest_buttons
from texts import Texts


async def read_digest(
    query: CallbackQuery,
    callback_data: DigestReadCb,
    journal: Journal,
    tx: Texts,
    callback_answer: CallbackAnswer,
) -> None:
    day = date.fromordinal(callback_data.day)
    receipt = await digest.mark_digest_read(
        journal, telegram_user(query), callback_data.binding, day
    )
    callback_answer.text = tx("digest.read_done" if receipt.first else "digest.read_already")
    # The digest's own buttons, drawn again from what holds now (a reason given since
    # takes its button away), by the function that drew them.
    buttons = digest_buttons(tx, callback_data.binding, day, receipt.to_suggest, read=True)
    await show_rows(query, buttons)


def build() -> Router:
    router = router_of("digest", digest_flows.routes())
    router.callback_query.register(read_digest, on(DigestReadCb))
    return router
