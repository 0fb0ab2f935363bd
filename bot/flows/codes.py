"""Sending invitation cards (R2) into the chat that asked for them: the printable cards
(A4 PDF, eight a page, a QR code of each school bot's deep link on each), then the links
of this messenger's bot as text, then who was skipped. Shared by the class teacher's, the
admin's and the roster's flows; the texts are ``bot/screens/codes.py``."""

from __future__ import annotations

from bot import screens
from bot.flows.turn import Turn
from core.access import Actor
from core.invitations import IssueResult
from core.school_bots import with_school_bot
from reports.cards import deep_link, invite_cards


async def send_codes(
    turn: Turn, result: IssueResult, actor: Actor, *, reissue_scope: int | None = None
) -> None:
    """The cards, the links, then who was skipped (``reissue_scope``: the class, 0 for the
    staff, offers to reissue valid cards)."""
    tx, journal = turn.tx, turn.journal
    skipped = screens.codes.skipped(tx, result, reissue_scope)
    if not result.codes:
        assert skipped is not None
        await turn.send(skipped)
        return
    bots = await with_school_bot(journal, actor.school_id, await turn.bots())
    name, data = await invite_cards(journal, actor, result.codes, bots, tx.lang)
    await turn.send_file(name, data, tx("card.caption", count=len(result.codes)))
    own = bots[0] if bots else None  # this messenger's bot comes first
    codes = [(c, deep_link(own, c.code)) for c in result.codes]
    await turn.send(screens.codes.links(tx, codes, journal.rules.timezone))
    if skipped is not None:
        await turn.send(skipped)
