"""Reporting periods: the overseers close one, the director reopens one by order, with a
reason (R10). The screens are in ``bot/screens/periods.py``; core decides who may."""

from __future__ import annotations

from bot import screens
from bot.actions import PeriodCb
from bot.flows.routes import Routes, staff
from bot.flows.turn import Turn, actor_of
from bot.screen import Screen
from core import periods
from core.access import Actor
from core.errors import InvalidValue, NotFound
from core.journal import Journal
from core.models import StaffRole
from core.periods import PeriodView
from texts import Texts

OVERSEERS = (StaffRole.ADMIN, StaffRole.DIRECTOR, StaffRole.DEPUTY)


class PeriodFlow:
    """The conversation states of this feature (their names are what is stored)."""

    reason = "PeriodFlow:reason"  # waiting for the director's reason to reopen


async def _period(journal: Journal, actor: Actor, period_id: int) -> PeriodView:
    for p in await periods.list_periods(journal, actor.school_id):
        if p.id == period_id:
            return p
    raise NotFound()


def _card(tx: Texts, actor: Actor, p: PeriodView) -> Screen:
    return screens.periods.card(tx, p, actor.has(StaffRole.DIRECTOR))


async def periods_list(turn: Turn, action: PeriodCb) -> None:
    rows = await periods.list_periods(turn.journal, actor_of(turn).school_id)
    await turn.show(screens.periods.periods(turn.tx, rows))


async def period_show(turn: Turn, action: PeriodCb) -> None:
    actor = actor_of(turn)
    p = await _period(turn.journal, actor, action.period)
    await turn.show(_card(turn.tx, actor, p))


async def period_close(turn: Turn, action: PeriodCb) -> None:
    """R10: closing before the period's last day asks first, saying so (act e: confirmed)."""
    actor, journal, tx = actor_of(turn), turn.journal, turn.tx
    if action.act == "c":
        end = await periods.closes_early(journal, actor, action.period)
        if end is not None:
            p = await _period(journal, actor, action.period)
            await turn.show(screens.periods.close_early(tx, p, end))
            return
    await periods.close_period(journal, actor, action.period)
    p = await _period(journal, actor, action.period)
    turn.answer(tx("periods.closed", name=p.name))
    await turn.show(_card(tx, actor, p))


async def period_reopen_ask(turn: Turn, action: PeriodCb) -> None:
    actor = actor_of(turn)
    p = await _period(turn.journal, actor, action.period)
    if not p.closed:
        await turn.show(_card(turn.tx, actor, p))
        return
    await turn.conversation.set_state(PeriodFlow.reason)
    await turn.conversation.update_data(period=p.id)
    await turn.show(screens.periods.ask_reason(turn.tx, p))


async def period_reason_typed(turn: Turn) -> None:
    actor, journal, tx = actor_of(turn), turn.journal, turn.tx
    period_id = int((await turn.conversation.get_data()).get("period", 0))
    if not period_id:
        await turn.conversation.clear()
        raise NotFound()
    reason = turn.text.strip()
    try:
        periods.check_reason(reason)
    except InvalidValue as err:  # the director types again; the question still stands
        await turn.send(tx(err.key, **err.params))
        return
    await turn.conversation.clear()
    await periods.reopen_period(journal, actor, period_id, reason)
    p = await _period(journal, actor, period_id)
    await turn.show(screens.periods.reopened(tx, p))
    await turn.show(_card(tx, actor, p))


def routes() -> Routes:
    r = Routes()
    overseers = staff(*OVERSEERS)
    r.press(PeriodCb, periods_list, when=lambda a: a.period == 0, who=overseers)
    r.press(PeriodCb, period_show, when=lambda a: a.act == "s", who=overseers)
    r.press(PeriodCb, period_close, when=lambda a: a.act in {"c", "e"}, who=overseers)
    r.press(PeriodCb, period_reopen_ask, when=lambda a: a.act == "o", who=staff(StaffRole.DIRECTOR))
    r.typed(period_reason_typed, state=PeriodFlow.reason, who=staff())
    return r
