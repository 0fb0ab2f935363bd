"""How a change made with a tap went, said at once in the press's answer (the spinner
stops before the screen is redrawn); after the deadline a change is a request (R7): the
teacher is told so and the deputies get it (shared by the roll call and the marks); the
deputy's decision goes back to the teacher."""

from __future__ import annotations

from bot.flows.turn import Turn
from bot.screens.corrections import new_request, request_text
from core import corrections
from core.access import Actor
from core.corrections import RequestView
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


async def tell_requester(turn: Turn, request: RequestView) -> None:
    """The decision on a correction request, back to the teacher who asked (R7)."""
    tx = Texts()  # in the school's language, as for the deputies
    key = (
        "requests.approved_for_teacher"
        if request.status == "approved"
        else "requests.declined_for_teacher"
    )
    text = tx(key) + "\n\n" + request_text(tx, request)
    await turn.tell([request.requested_by], BindingRole.STAFF, text)
