"""The digest's read receipt (R17): «Прочитано ✓» under a digest, and the class teacher's
list of parents who have not read the week's digests. Every receipt names the binding the
digest went to; core checks it belongs to whoever pressed."""

from __future__ import annotations

from datetime import date, timedelta

from aiogram import Router
from aiogram.types import CallbackQuery

from bot import screens
from bot.actions import DigestReadCb, UnreadCb
from bot.telegram.filters import StaffOnly, on
from bot.telegram.identity import telegram_user
from bot.telegram.middlewares import CallbackAnswer
from bot.telegram.render import show, show_rows
from core import digest
from core.access import Actor
from core.clock import local_today
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


async def unread_view(
    query: CallbackQuery, callback_data: UnreadCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    tz = journal.rules.timezone
    day = (
        date.fromordinal(callback_data.day) if callback_data.day else local_today(journal.clock, tz)
    )
    monday = day - timedelta(days=day.weekday())
    report = await digest.unread_digests(
        journal, actor, callback_data.cls, monday, monday + timedelta(days=6)
    )
    await show(query, screens.digest.unread(tx, callback_data.cls, monday, report, tz))


def build() -> Router:
    router = Router(name="digest")
    router.callback_query.register(read_digest, on(DigestReadCb))
    router.callback_query.register(unread_view, on(UnreadCb), StaffOnly())
    return router
