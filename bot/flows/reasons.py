"""A parent's suggested reason for an absence (R6, issue 9.5), with an optional comment,
and the class teacher's rejection of one, with an explanation. Every button names the
binding the message went to; core checks it belongs to whoever pressed. The class
teacher and the parents are told through the outbox (``notifications/reasons.py``)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot import screens
from bot.actions import RejectCb, SuggestCb, SuggestDoneCb
from bot.flows.routes import Routes
from bot.flows.turn import Turn
from core import friday_round, recipients
from core.errors import InvalidValue
from core.journal import Journal
from notifications import reasons

NOTE_WAIT = timedelta(minutes=30)  # a comment typed later than this is not taken as one
SUGGESTIBLE = {r.value: r for r in friday_round.SUGGESTIBLE}


class SuggestNote:
    """The conversation states of this feature (their names are what is stored)."""

    waiting = "SuggestNote:waiting"


class RejectNote:
    waiting = "RejectNote:waiting"


def not_a_command(text: str) -> bool:
    return bool(text) and not text.startswith("/")


def asked_in_time(journal: Journal, data: dict[str, object]) -> bool:
    asked = data.get("at")
    return bool(asked) and journal.clock.now() - datetime.fromisoformat(str(asked)) <= NOTE_WAIT


async def _wait_for_note(turn: Turn, state: str, action: SuggestCb | RejectCb) -> None:
    """The conversation waits for the note on this pupil-day, and only for it."""
    await turn.conversation.clear()
    await turn.conversation.set_state(state)
    await turn.conversation.update_data(
        binding=action.binding,
        pupil=action.pupil,
        day=action.day,
        at=turn.journal.clock.now().isoformat(),
    )


async def ask_reason(turn: Turn, action: SuggestCb) -> None:
    day = date.fromordinal(action.day)
    name = await friday_round.absence_to_explain(
        turn.journal, turn.user, action.binding, action.pupil, day
    )
    screen = screens.reasons.choices(
        turn.tx, action.binding, action.pupil, day, name, friday_round.SUGGESTIBLE
    )
    await turn.send(screen)  # a new message: the notification stays as it was


async def choose_reason(turn: Turn, action: SuggestCb) -> None:
    reason = SUGGESTIBLE.get(action.reason)
    if reason is None:
        raise InvalidValue()
    day = date.fromordinal(action.day)
    view = await friday_round.suggest_reason(
        turn.journal, turn.user, action.binding, action.pupil, day, reason
    )
    await _wait_for_note(turn, SuggestNote.waiting, action)
    await reasons.announce_suggestion(turn.journal, view)  # issue 9.5: the class teacher, at once
    await turn.show(screens.reasons.saved(turn.tx, action.binding, view.pupil_name, day, reason))


async def skip_note(turn: Turn, action: SuggestDoneCb) -> None:
    await turn.conversation.clear()
    await turn.show(turn.tx("suggest.done"))


async def save_note(turn: Turn) -> None:
    data = await turn.conversation.get_data()
    await turn.conversation.clear()
    if not asked_in_time(turn.journal, data):
        await turn.show(turn.tx("fallback.unknown"))
        return
    day = date.fromordinal(int(data["day"]))
    view = await friday_round.add_suggestion_note(
        turn.journal, turn.user, int(data["binding"]), int(data["pupil"]), day, turn.text
    )
    await reasons.announce_note(turn.journal, view)  # queued before the parent reads «saved»
    await turn.show(turn.tx("suggest.note_saved"))


async def reject_ask(turn: Turn, action: RejectCb) -> None:
    await recipients.binding_actor(turn.journal, turn.user, action.binding)
    await _wait_for_note(turn, RejectNote.waiting, action)
    await turn.send(turn.tx("suggest.reject_ask"))


async def reject_save(turn: Turn) -> None:
    journal, conversation = turn.journal, turn.conversation
    data = await conversation.get_data()
    if not asked_in_time(journal, data):
        await conversation.clear()
        await turn.show(turn.tx("fallback.unknown"))
        return
    actor = await recipients.binding_actor(journal, turn.user, int(data["binding"]))
    day = date.fromordinal(int(data["day"]))
    explanation, pupil = turn.text, int(data["pupil"])
    answer = await friday_round.reject_suggestions(journal, actor, pupil, day, explanation)
    await conversation.clear()  # kept until here: a too-long explanation may be typed again
    await reasons.announce_rejected(journal, answer, pupil, day, explanation)
    await turn.show(turn.tx("suggest.rejected"))


def routes() -> Routes:
    r = Routes()
    r.press(SuggestCb, ask_reason, when=lambda a: a.reason == "")
    r.press(SuggestCb, choose_reason, when=lambda a: a.reason != "")
    r.press(SuggestDoneCb, skip_note)
    r.typed(save_note, state=SuggestNote.waiting, fits=not_a_command)
    r.press(RejectCb, reject_ask)
    r.typed(reject_save, state=RejectNote.waiting, fits=not_a_command)
    return r
