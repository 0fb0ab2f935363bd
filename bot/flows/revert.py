"""A compromised account (R3): the admin cuts it at once, then voids what it did since a
moment (a button or a typed «ДД.ММ.ГГГГ ЧЧ:ММ»), after reading what that undoes. The
screens are in ``bot/screens/revert.py``; core decides who may."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

from bot import screens
from bot.actions import AdminCb, RevertCb
from bot.flows.routes import Routes, staff
from bot.flows.turn import Turn, actor_of
from core import invitations, revert
from core.clock import at_local, local_today
from core.errors import NotFound
from core.journal import Journal
from core.models import BindingRole, StaffRole
from notifications.revocations import announce_revert

MOMENT = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[\s,]+(\d{1,2})[:.](\d{2}))?\s*$")


class RevertFlow:
    """The conversation states of this feature (their names are what is stored)."""

    since = "RevertFlow:since"  # waiting for the moment the compromise was reported


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


async def revert_accounts(turn: Turn, action: AdminCb) -> None:
    # Staff accounts: only they change the journal (a parent's voids little but the
    # reasons it suggested; ``journal revoke`` handles any binding).
    found = await revert.accounts(turn.journal, actor_of(turn))
    staff_accounts = [a for a in found if a.role is BindingRole.STAFF]
    await turn.show(screens.revert.accounts(turn.tx, staff_accounts, turn.journal.rules.timezone))


async def revert_start(turn: Turn, action: AdminCb) -> None:
    """Cut the binding at once, then ask since when its actions are void."""
    journal, actor, tx = turn.journal, actor_of(turn), turn.tx
    account = await revert.account(journal, actor, action.binding)
    await invitations.revoke_binding(journal, actor, account.id, tx("revert.reason"))
    await turn.conversation.set_state(RevertFlow.since)
    await turn.conversation.update_data(binding=account.id)
    now = journal.clock.now()
    tz = journal.rules.timezone
    midnight = at_local(local_today(journal.clock, tz), clock_time(0), tz)
    moments = [
        ("revert.today", int(midnight.timestamp())),
        ("revert.last_day", int((now - timedelta(days=1)).timestamp())),
        ("revert.last_week", int((now - timedelta(days=7)).timestamp())),
    ]
    await turn.show(screens.revert.ask_since(tx, account, moments, _example(journal)))


async def revert_typed(turn: Turn) -> None:
    journal, tx = turn.journal, turn.tx
    binding_id = int((await turn.conversation.get_data()).get("binding", 0))
    if not binding_id:
        await turn.conversation.clear()
        raise NotFound()
    moment = parse_moment(turn.text, journal.rules.timezone)
    if moment is None:
        await turn.send(tx("revert.bad_moment", example=_example(journal)))
        return
    if moment > journal.clock.now():
        await turn.send(tx("revert.future"))
        return
    await turn.conversation.clear()
    await revert_preview(turn, binding_id, moment)


async def revert_preview_button(turn: Turn, action: RevertCb) -> None:
    await turn.conversation.clear()
    await revert_preview(turn, action.binding, datetime.fromtimestamp(action.at, UTC))


async def revert_preview(turn: Turn, binding_id: int, since: datetime) -> None:
    found = await revert.preview_page(turn.journal, actor_of(turn), binding_id, since)
    tz = turn.journal.rules.timezone
    await turn.show(screens.revert.preview(turn.tx, found.account, found.items, since, tz))


async def revert_execute(turn: Turn, action: RevertCb) -> None:
    journal = turn.journal
    since = datetime.fromtimestamp(action.at, UTC)
    reason = turn.tx("revert.reason")
    summary = await revert.revert(journal, actor_of(turn), action.binding, since, reason)
    # The owner is told on the accounts they still hold (R3).
    await announce_revert(journal, summary.account, summary)
    await turn.show(screens.revert.done(turn.tx, summary, journal.rules.timezone))


async def revert_cancel(turn: Turn, action: RevertCb) -> None:
    await turn.conversation.clear()
    await turn.show(screens.revert.cancelled(turn.tx))


def routes() -> Routes:
    r = Routes()
    admins = staff(StaffRole.ADMIN, StaffRole.DIRECTOR)
    r.press(AdminCb, revert_accounts, when=lambda a: a.act == "v", who=admins)
    r.press(AdminCb, revert_start, when=lambda a: a.act == "w", who=admins)
    r.typed(revert_typed, state=RevertFlow.since, who=staff())
    r.press(RevertCb, revert_preview_button, when=lambda a: a.act == "p", who=admins)
    r.press(RevertCb, revert_execute, when=lambda a: a.act == "x", who=admins)
    r.press(RevertCb, revert_cancel, when=lambda a: a.act == "c", who=admins)
    return r
