"""The school's rules: the same-day deadline and the edit window (R7, R8). The screen is
``bot/screens/rules.py``; core refuses anyone but the director and the admin, and any
window not offered."""

from __future__ import annotations

from datetime import time

from bot import screens
from bot.actions import RulesCb
from bot.flows.routes import Routes, staff
from bot.flows.turn import Turn, actor_of
from bot.screen import Screen
from core import schools
from core.errors import InvalidValue, NotFound
from core.schools import SchoolSettings


def _screen(turn: Turn, current: SchoolSettings) -> Screen:
    windows = schools.EDIT_WINDOWS if actor_of(turn).has(*schools.RULE_SETTERS) else None
    return screens.rules.rules(turn.tx, current, turn.journal.rules.edit_window_days, windows)


async def rules_show(turn: Turn, action: RulesCb) -> None:
    current = await schools.school_settings(turn.journal, actor_of(turn))
    await turn.show(_screen(turn, current))


async def rules_set(turn: Turn, action: RulesCb) -> None:
    actor, journal, value = actor_of(turn), turn.journal, action.value
    if action.what == "w":
        current = await schools.set_school_rules(
            journal,
            actor,
            edit_window_days=None if value == -1 else value,
            default_edit_window=value == -1,
        )
    elif action.what == "d":
        if not 0 <= value < 24 * 60:
            raise InvalidValue()
        deadline = time(value // 60, value % 60)
        current = await schools.set_school_rules(journal, actor, correction_deadline=deadline)
    else:
        raise NotFound()
    turn.answer(turn.tx("rules.saved"))
    await turn.show(_screen(turn, current))


def routes() -> Routes:
    r = Routes()
    r.press(RulesCb, rules_show, when=lambda a: a.what == "", who=staff())
    r.press(RulesCb, rules_set, when=lambda a: a.what != "", who=staff())
    return r
