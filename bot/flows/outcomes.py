"""How a change made with a tap went, said at once in the press's answer (the spinner
stops before the screen is redrawn); after the deadline a change is a request (R7): the
teacher is told so and the deputies get it. Shared by the roll call and the marks."""

from __future__ import annotations

from bot.flows.turn import Turn
from bot.screens.corrections import new_request
from core import corrections
from core.access import Actor
from core.entries import Outcome
from core.models import BindingRole
from texts import Texts


async def tell_outcome(turn: Turn, outcome: Outcome, actor: Actor) -> None:
    if outcome is Outcome.REQUESTED:
        turn.answer(turn.tx("requests.sent"), alert=True)
    elif outcome is Outcome.APPLIED:
        turn.answer(turn.tx("saved"))
    await turn.answer_now()
    if outcome is Outcome.REQUESTED:
        await tell_approvers(turn, actor.school_id)


async def tell_approvers(turn: Turn, school_id: int) -> None:
    """The newest pending request, to every deputy and the director (R7)."""
    people = await corrections.approvers(turn.journal, school_id)
    newest = await corrections.newest_pending(turn.journal, school_id)
    if people and newest is not None:
        # In the school's language (Russian): the deputies' own is not known here.
        await turn.tell(people, BindingRole.STAFF, new_request(Texts(), newest))
