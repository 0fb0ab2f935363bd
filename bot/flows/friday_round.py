"""The class teacher's Friday round (R6): a tap on a round's entry itself asks for a
reason. Confirming a reason is still a Telegram handler
(``bot/telegram/handlers/friday_round.py``)."""

from __future__ import annotations

from bot.actions import RoundCb
from bot.flows.routes import Routes
from bot.flows.turn import Turn


async def round_entry(turn: Turn, action: RoundCb) -> None:
    turn.answer(turn.tx("round.pick_reason"))


def routes() -> Routes:
    """The feature's flows; a tap on a reason (``RoundCb`` with one) follows as a Telegram
    handler."""
    r = Routes()
    r.press(RoundCb, round_entry, when=lambda a: a.reason == "")
    return r
