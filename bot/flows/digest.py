"""The digest's read receipt (R17): «Прочитано ✓» under a digest redraws the digest's
buttons from the journal (its text stays as it was sent); every receipt names the binding
the digest went to, core checks it belongs to whoever pressed. And the class teacher's
list of parents who have not read the week's digests."""

from __future__ import annotations

from datetime import date, timedelta

from bot import screens
from bot.actions import DigestReadCb, UnreadCb
from bot.flows.routes import Routes, staff
from bot.flows.turn import Turn, actor_of
from core import digest
from core.clock import local_today
from notifications.digest import digest_buttons


async def read_digest(turn: Turn, action: DigestReadCb) -> None:
    day = date.fromordinal(action.day)
    receipt = await digest.mark_digest_read(turn.journal, turn.user, action.binding, day)
    tx = turn.tx
    turn.answer(tx("digest.read_done" if receipt.first else "digest.read_already"))
    # The digest's own buttons, drawn again from what holds now (a reason given since
    # takes its button away), by the function that drew them.
    await turn.show_buttons(digest_buttons(tx, action.binding, day, receipt.to_suggest, read=True))


async def unread_view(turn: Turn, action: UnreadCb) -> None:
    journal, actor = turn.journal, actor_of(turn)
    tz = journal.rules.timezone
    day = date.fromordinal(action.day) if action.day else local_today(journal.clock, tz)
    monday = day - timedelta(days=day.weekday())
    report = await digest.unread_digests(
        journal, actor, action.cls, monday, monday + timedelta(days=6)
    )
    await turn.show(screens.digest.unread(turn.tx, action.cls, monday, report, tz))


def routes() -> Routes:
    r = Routes()
    r.press(DigestReadCb, read_digest)
    r.press(UnreadCb, unread_view, who=staff())
    return r
