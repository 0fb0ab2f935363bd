"""Reporting periods: the overseers close one, the director reopens one by order, with a
reason (R10). The screens are in ``bot/screens/periods.py``; core decides who may."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot import screens
from bot.actions import PeriodCb
from bot.screen import Screen
from bot.telegram.filters import StaffOnly, on
from bot.telegram.middlewares import CallbackAnswer
from bot.telegram.render import show
from core import periods
from core.access import Actor
from core.errors import InvalidValue, NotFound
from core.journal import Journal
from core.models import StaffRole
from core.periods import PeriodView
from texts import Texts

OVERSEERS = (StaffRole.ADMIN, StaffRole.DIRECTOR, StaffRole.DEPUTY)


class PeriodFlow(StatesGroup):
    reason = State()  # waiting for the director's reason to reopen


async def _period(journal: Journal, actor: Actor, period_id: int) -> PeriodView:
    for p in await periods.list_periods(journal, actor.school_id):
        if p.id == period_id:
            return p
    raise NotFound()


def _card(tx: Texts, actor: Actor, p: PeriodView) -> Screen:
    return screens.periods.card(tx, p, actor.has(StaffRole.DIRECTOR))


async def periods_list(query: CallbackQuery, actor: Actor, journal: Journal, tx: Texts) -> None:
    rows = await periods.list_periods(journal, actor.school_id)
    await show(query, screens.periods.periods(tx, rows))


async def period_show(
    query: CallbackQuery, callback_data: PeriodCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    p = await _period(journal, actor, callback_data.period)
    await show(query, _card(tx, actor, p))


async def period_close(
    query: CallbackQuery,
    callback_data: PeriodCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    callback_answer: CallbackAnswer,
) -> None:
    """R10: closing before the period's last day asks first, saying so (act e: confirmed)."""
    if callback_data.act == "c":
        end = await periods.closes_early(journal, actor, callback_data.period)
        if end is not None:
            p = await _period(journal, actor, callback_data.period)
            await show(query, screens.periods.close_early(tx, p, end))
            return
    await periods.close_period(journal, actor, callback_data.period)
    p = await _period(journal, actor, callback_data.period)
    callback_answer.text = tx("periods.closed", name=p.name)
    await show(query, _card(tx, actor, p))


async def period_reopen_ask(
    query: CallbackQuery,
    callback_data: PeriodCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    state: FSMContext,
) -> None:
    p = await _period(journal, actor, callback_data.period)
    if not p.closed:
        await show(query, _card(tx, actor, p))
        return
    await state.set_state(PeriodFlow.reason)
    await state.update_data(period=p.id)
    await show(query, screens.periods.ask_reason(tx, p))


async def period_reason_typed(
    message: Message, actor: Actor, journal: Journal, tx: Texts, state: FSMContext
) -> None:
    period_id = int((await state.get_data()).get("period", 0))
    if not period_id:
        await state.clear()
        raise NotFound()
    reason = (message.text or "").strip()
    try:
        periods.check_reason(reason)
    except InvalidValue as err:  # the director types again; the question still stands
        await message.answer(tx(err.key, **err.params))
        return
    await state.clear()
    await periods.reopen_period(journal, actor, period_id, reason)
    p = await _period(journal, actor, period_id)
    await show(message, screens.periods.reopened(tx, p))
    await show(message, _card(tx, actor, p))


def build() -> Router:
    router = Router(name="periods")
    router.message.filter(StaffOnly())
    router.callback_query.filter(StaffOnly())
    overseers = StaffOnly(*OVERSEERS)
    router.callback_query.register(periods_list, on(PeriodCb, F.period == 0), overseers)
    router.callback_query.register(period_show, on(PeriodCb, F.act == "s"), overseers)
    router.callback_query.register(period_close, on(PeriodCb, F.act.in_({"c", "e"})), overseers)
    router.callback_query.register(
        period_reopen_ask, on(PeriodCb, F.act == "o"), StaffOnly(StaffRole.DIRECTOR)
    )
    router.message.register(period_reason_typed, PeriodFlow.reason, F.text)
    return router
