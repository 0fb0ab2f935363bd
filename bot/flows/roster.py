"""The roster (issue 5): how to send it, and the blank workbook to fill in. The upload
itself and the cards of the pupils it added are still Telegram handlers
(``bot/telegram/handlers/roster.py``: they need what the Turn does not offer yet). The
screens are in ``bot/screens/roster.py``; core refuses all but the admin clearly."""

from __future__ import annotations

import asyncio

from bot import screens
from bot.actions import AdminCb
from bot.flows.routes import Routes, staff
from bot.flows.teacher import actor_of
from bot.flows.turn import Turn
from core import roster
from core.clock import local_today
from core.models import StaffRole
from reports.roster_template import roster_template


async def roster_help(turn: Turn, action: AdminCb) -> None:
    roster.ensure_may_import(actor_of(turn))
    await turn.show(screens.roster.upload_help(turn.tx))


async def roster_template_file(turn: Turn, action: AdminCb) -> None:
    """The blank roster workbook, the same as ``journal template`` writes, as a document."""
    roster.ensure_may_import(actor_of(turn))
    await turn.sending_file()
    journal, tx = turn.journal, turn.tx
    today = local_today(journal.clock, journal.rules.timezone)
    data = await asyncio.to_thread(roster_template, today, tx.lang)
    await turn.send_file(tx("roster.template_file"), data, tx("roster.template_caption"))


def routes() -> Routes:
    r = Routes()
    admins = staff(StaffRole.ADMIN, StaffRole.DIRECTOR)
    r.press(AdminCb, roster_help, when=lambda a: a.act == "i", who=admins)
    r.press(AdminCb, roster_template_file, when=lambda a: a.act == "t", who=admins)
    return r
