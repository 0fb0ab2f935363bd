"""A compromised account (R3): the admin cuts it at once, then voids what it did since a
moment (a button or a typed «ДД.ММ.ГГГГ ЧЧ:ММ»), after reading what that undoes. The
screens are in ``bot/screens/revert.py``; core decides who may."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot import screens
from bot.actions import AdminCb, RevertCb
from bot.telegram.filters import StaffOnly, on
from bot.telegram.render import show
from core import invitations, revert
from core.access import Actor
from core.clock import at_local, local_today
from core.errors import NotFound
from core.journal import Journal
from core.models import BindingRole, StaffRole
from notifications.revocations import announce_revert
from texts import Texts

MOMENT = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[\s,]+(\d{1,2})[:.](\d{2}))?\s*$")


class RevertFlow(StatesGroup):
    since = State()  # waiting for the moment the compromise was reported


def parse_moment(text: str, tz: ZoneInfo) -> datetime | None:
    """«ДД.ММ.ГГГГ ЧЧ:ММ» (or just the date: from 00:00) in the school's time zone."""
    found = MOMENT.match(text)
    if found is None:
        return None
    day, month, year, hour, minute = found.groups()
    try:
        return datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), tzinfo=tz
        )
    except ValueError:
        return None


def _example(journal: Journal) -> str:
    return screens.revert.moment(journal.clock.now(), journal.rules.timezone)


async def revert_accounts(query: CallbackQuery, actor: Actor, journal: Journal, tx: Texts) -> None:
    # Staff accounts: only they change the journal (a parent's voids little but the
    # reasons it suggested; ``journal revoke`` handles any binding).
    staff = [a for a in await revert.accounts(journal, actor) if a.role is BindingRole.STAFF]
    await show(query, screens.revert.accounts(tx, staff, journal.rules.timezone))


async def revert_start(
    query: CallbackQuery,
    callback_data: AdminCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    state: FSMContext,
) -> None:
    """Cut the binding at once, then ask since when its actions are void."""
    account = await revert.account(journal, actor, callback_data.binding)
    await invitations.revoke_binding(journal, actor, account.id, tx("revert.reason"))
    await state.set_state(RevertFlow.since)
    await state.update_data(binding=account.id)
    now = journal.clock.now()
    tz = journal.rules.timezone
    midnight = at_local(local_today(journal.clock, tz), clock_time(0), tz)
    moments = [
        ("revert.today", int(midnight.timestamp())),
        ("revert.last_day", int((now - timedelta(days=1)).timestamp())),
        ("revert.last_week", int((now - timedelta(days=7)).timestamp())),
    ]
    await show(query, screens.revert.ask_since(tx, account, moments, _example(journal)))


async def revert_typed(
    message: Message, actor: Actor, journal: Journal, tx: Texts, state: FSMContext
) -> None:
    binding_id = int((await state.get_data()).get("binding", 0))
    if not binding_id:
        await state.clear()
        raise NotFound()
    moment = parse_moment(message.text or "", journal.rules.timezone)
    if moment is None:
        await message.answer(tx("revert.bad_moment", example=_example(journal)))
        return
    if moment > journal.clock.now():
        await message.answer(tx("revert.future"))
        return
    await state.clear()
    await revert_preview(message, actor, journal, tx, binding_id, moment)


async def revert_preview_button(
    query: CallbackQuery,
    callback_data: RevertCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    state: FSMContext,
) -> None:
    await state.clear()
    since = datetime.fromtimestamp(callback_data.at, UTC)
    await revert_preview(query, actor, journal, tx, callback_data.binding, since)


async def revert_preview(
    target: Message | CallbackQuery,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    binding_id: int,
    since: datetime,
) -> None:
    found = await revert.preview_page(journal, actor, binding_id, since)
    tz = journal.rules.timezone
    await show(target, screens.revert.preview(tx, found.account, found.items, since, tz))


async def revert_execute(
    query: CallbackQuery, callback_data: RevertCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    since = datetime.fromtimestamp(callback_data.at, UTC)
    summary = await revert.revert(journal, actor, callback_data.binding, since, tx("revert.reason"))
    # The owner is told on the accounts they still hold (R3).
    await announce_revert(journal, summary.account, summary)
    await show(query, screens.revert.done(tx, summary, journal.rules.timezone))


async def revert_cancel(query: CallbackQuery, state: FSMContext, tx: Texts) -> None:
    await state.clear()
    await show(query, screens.revert.cancelled(tx))


def build() -> Router:
    router = Router(name="revert")
    router.message.filter(StaffOnly())
    router.callback_query.filter(StaffOnly())
    admins = StaffOnly(StaffRole.ADMIN, StaffRole.DIRECTOR)
    router.callback_query.register(revert_accounts, on(AdminCb, F.act == "v"), admins)
    router.callback_query.register(revert_start, on(AdminCb, F.act == "w"), admins)
    router.message.register(revert_typed, RevertFlow.since, F.text)
    router.callback_query.register(revert_preview_button, on(RevertCb, F.act == "p"), admins)
    router.callback_query.register(revert_execute, on(RevertCb, F.act == "x"), admins)
    router.callback_query.register(revert_cancel, on(RevertCb, F.act == "c"), admins)
    return router
