"""The class teacher's Friday round (R6): a tap on a reason confirms the pupil's day
(audited, in core), tells the parents who suggested one, and redraws the message it came
from (a round's part, or a parent's suggestion) from the journal, with the functions that
drew it (``notifications/reasons.py``). The button names the binding the round went to;
core checks it belongs to whoever pressed. A tap on an entry itself asks for a reason."""

from __future__ import annotations

from datetime import date

from bot.actions import RoundCb
from bot.flows.routes import Routes
from bot.flows.turn import Turn
from core import friday_round, recipients
from core.errors import InvalidValue
from notifications import reasons

CONFIRMABLE = {r.value: r for r in reasons.CONFIRMABLE}


async def round_entry(turn: Turn, action: RoundCb) -> None:
    turn.answer(turn.tx("round.pick_reason"))


async def round_reason(turn: Turn, action: RoundCb) -> None:
    reason = CONFIRMABLE.get(action.reason)
    if reason is None:
        raise InvalidValue()
    journal, tx = turn.journal, turn.tx
    actor = await recipients.binding_actor(journal, turn.user, action.binding)
    day = date.fromordinal(action.day)
    count = await friday_round.confirm_reason(journal, actor, action.pupil, day, reason)
    turn.answer(tx("class.reason_saved", count=count))
    # The parents who gave a reason for the pupil-day learn the confirmed one (issue 9.5).
    answer = await friday_round.parents_to_tell(journal, actor, action.pupil, day)
    await reasons.announce_confirmed(journal, answer, action.pupil, day, reason)
    if turn.pressed is None:
        return
    channel, chat_id, message_id = turn.pressed
    screen = await reasons.redrawn_after_confirm(
        journal, actor, tx, channel, chat_id, message_id, action.binding, (action.pupil, day)
    )
    if screen is not None:
        await turn.show(screen)


def routes() -> Routes:
    r = Routes()
    r.press(RoundCb, round_entry, when=lambda a: a.reason == "")
    r.press(RoundCb, round_reason, when=lambda a: a.reason != "")
    return r
