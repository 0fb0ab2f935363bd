"""The school's rules: the same-day deadline and the edit window (R7, R8). The screen is
``bot/screens/rules.py``; core refuses anyone but the director and the admin, and any
window not offered."""

from __future__ import annotations

from datetime import time

from aiogram import F, Router
from aiogram.types import CallbackQuery

from bot import screens
from bot.actions import RulesCb
from bot.screen import Screen
from bot.telegram.filters import StaffOnly, on
from bot.telegram.middlewares import CallbackAnswer
from bot.telegram.render import show
from core import schools
from core.access import Actor
from core.errors import InvalidValue, NotFound
from core.journal import Journal
from core.schools import SchoolSettings
from texts import Texts


def _screen(tx: Texts, actor: Actor, journal: Journal, current: SchoolSettings) -> Screen:
    windows = schools.EDIT_WINDOWS if actor.has(*schools.RULE_SETTERS) else None
    return screens.rules.rules(tx, current, journal.rules.edit_window_days, windows)


async def rules_show(query: CallbackQuery, actor: Actor, journal: Journal, tx: Texts) -> None:
    current = await schools.school_settings(journal, actor)
    await show(query, _screen(tx, actor, journal, current))


async def rules_set(
    query: CallbackQuery,
    callback_data: RulesCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    callback_answer: CallbackAnswer,
) -> None:
    value = callback_data.value
    if callback_data.what == "w":
        current = await schools.set_school_rules(
            journal,
            actor,
            edit_window_days=None if value == -1 else value,
            default_edit_window=value == -1,
        )
    elif callback_data.what == "d":
        if not 0 <= value < 24 * 60:
            raise InvalidValue()
        deadline = time(value // 60, value % 60)
        current = await schools.set_school_rules(journal, actor, correction_deadline=deadline)
    else:
        raise NotFound()
    callback_answer.text = tx("rules.saved")
    await show(query, _screen(tx, actor, journal, current))


def build() -> Router:
    router = Router(name="rules")
    router.message.filter(StaffOnly())
    router.callback_query.filter(StaffOnly())
    router.callback_query.register(rules_show, on(RulesCb, F.what == ""))
    router.callback_query.register(rules_set, on(RulesCb, F.what != ""))
    return router
