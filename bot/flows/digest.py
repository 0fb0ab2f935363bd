"""The class teacher's list of parents who have not read the week's digests (R17). The
read receipt under a digest is still a Telegram handler (``bot/telegram/handlers/digest.py``)."""

from __future__ import annotations

from datetime import date, timedelta

from bot import screens
from bot.actions import UnreadCb
from bot.flows.routes import Routes, staff
from bot.flows.turn import Turn
from core import digest
from core.clock import local_today


async def unread_view(turn: Turn, action: UnreadCb) -> None:
    journal, actor = turn.journal, turn.caller.actor
    assert actor is not None  # the route is for staff only
    tz = journal.rules.timezone
    day = date.fromordinal(action.day) if action.day else local_today(journal.clock, tz)
    monday = day - timedelta(days=day.weekday())
    report = await digest.unread_digests(
        journal, actor, action.cls, monday, monday + timedelta(days=6)
    )
    await turn.show(screens.digest.unread(turn.tx, action.cls, monday, report, tz))


def routes() -> Routes:
    """The feature's flows; the read receipt (``DigestReadCb``) follows as a Telegram handler."""
    r = Routes()
    r.press(UnreadCb, unread_view, who=staff())
    return r
