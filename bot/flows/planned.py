"""A parent warns of a child's absence in advance (issue 13): child → days (today,
tomorrow, some days within two weeks) or some lessons of one day → category → summary,
where a comment may be typed (optional, no diagnoses; the prompt may be left) → confirm.
The warnings given are listed and withdrawn until their first lesson starts. Each button
carries the choice so far, and core re-checks all of it (a forged button is refused);
confirming twice keeps one warning. The screens are in ``bot/screens/planned.py``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from bot import screens
from bot.actions import PlanCb
from bot.flows.reasons import asked_in_time, not_a_command
from bot.flows.routes import Routes
from bot.flows.turn import Turn, actor_of
from bot.screens.planned import CODES, MAX_LESSON, lessons_of
from core import accounts, planned
from core.accounts import Caller
from core.errors import InvalidValue
from core.friday_round import NOTE_LIMIT
from core.models import BindingRole
from notifications.planned import announce_plan

SLOT = "planned"  # the draft at the summary and the comment typed for it


class PlanNote:
    """The conversation state: the summary waits for an optional comment."""

    waiting = "PlanNote:waiting"


def parent(caller: Caller) -> bool:
    return caller.actor is not None and caller.actor.role is BindingRole.PARENT


def _binding(turn: Turn) -> int:
    binding = actor_of(turn).binding_id
    if binding is None:
        raise InvalidValue()
    return binding


async def _choices(turn: Turn, action: PlanCb) -> planned.PlanChoices:
    return await planned.plan_choices(turn.journal, turn.user, _binding(turn), action.pupil)


async def start(turn: Turn, action: PlanCb) -> None:
    """Which child (a parent of one goes straight on to the days)."""
    kids = await accounts.children(turn.journal, actor_of(turn))
    if len(kids) == 1:
        await days(turn, PlanCb(act="d", pupil=kids[0].id))
        return
    await turn.show(screens.planned.children(turn.tx, kids))


async def days(turn: Turn, action: PlanCb) -> None:
    await turn.show(screens.planned.days(turn.tx, await _choices(turn, action)))


async def first_day(turn: Turn, action: PlanCb) -> None:
    await turn.show(screens.planned.first_day(turn.tx, await _choices(turn, action)))


async def last_day(turn: Turn, action: PlanCb) -> None:
    choices = await _choices(turn, action)
    first = date.fromordinal(action.first)
    if choices.day(first) is None:
        raise InvalidValue("error.planned_days")
    await turn.show(screens.planned.last_day(turn.tx, choices, first))


async def lesson_day(turn: Turn, action: PlanCb) -> None:
    await turn.show(screens.planned.lesson_day(turn.tx, await _choices(turn, action)))


async def lessons(turn: Turn, action: PlanCb) -> None:
    choices = await _choices(turn, action)
    day = choices.day(date.fromordinal(action.first))
    if day is None:
        raise InvalidValue("error.planned_days")
    await turn.show(screens.planned.lessons(turn.tx, choices, day, action.mask))


async def reasons(turn: Turn, action: PlanCb) -> None:
    choices = await _choices(turn, action)
    _check_days(choices, action)
    await turn.show(screens.planned.reasons(turn.tx, action, choices.pupil_name))


def _check_days(choices: planned.PlanChoices, action: PlanCb) -> None:
    """The days (or lessons) on the button are ones the parent may warn of (core checks
    again on saving)."""
    first = choices.day(date.fromordinal(action.first)) if action.first else None
    if (
        first is None
        or action.last < action.first
        or choices.day(date.fromordinal(action.last)) is None
    ):
        raise InvalidValue("error.planned_days")
    chosen = _lessons(action)
    if chosen is not None:
        open_ = {lesson.no for lesson in first.lessons if not lesson.started}
        if action.first != action.last or not set(chosen) <= open_:
            raise InvalidValue("error.planned_days")


def _lessons(action: PlanCb) -> tuple[int, ...] | None:
    """The lessons a button names (None: the whole days); a bit past the lesson numbers
    is a forged button."""
    if action.mask & ~(((1 << MAX_LESSON) - 1) << 1):
        raise InvalidValue("error.planned_days")
    return lessons_of(action.mask) or None


def _draft(action: PlanCb) -> dict[str, object]:
    return {
        "pupil": action.pupil,
        "first": action.first,
        "last": action.last,
        "mask": action.mask,
        "reason": action.reason,
    }


async def summary(turn: Turn, action: PlanCb) -> None:
    """The summary; a comment typed now goes with it. The draft and its comment are kept
    in a slot of their own: a press abandons the conversation's prompt (and its data)."""
    if action.reason not in CODES:
        raise InvalidValue()
    choices = await _choices(turn, action)
    _check_days(choices, action)
    await turn.conversation.set_state(PlanNote.waiting)
    draft = turn.slot(SLOT)
    await draft.clear()  # a comment typed for an earlier summary is not this one's
    at = turn.journal.clock.now().isoformat()
    await draft.update_data(draft=_draft(action), at=at, name=choices.pupil_name)
    await turn.show(screens.planned.summary(turn.tx, action, choices.pupil_name, None))


async def note(turn: Turn) -> None:
    """The comment typed at the summary: the summary again, with it (typed again, it is
    replaced)."""
    data = await turn.slot(SLOT).get_data()
    if not asked_in_time(turn.journal, data) or not isinstance(data.get("draft"), dict):
        await turn.conversation.clear()
        await turn.show(turn.tx("fallback.unknown"))
        return
    text = turn.text.strip()
    if len(text) > NOTE_LIMIT:
        raise InvalidValue("error.text_length", limit=NOTE_LIMIT)
    await turn.slot(SLOT).update_data(note=text)
    action = PlanCb(act="c", **data["draft"])
    await turn.show(screens.planned.summary(turn.tx, action, str(data.get("name", "")), text))


async def confirm(turn: Turn, action: PlanCb) -> None:
    """Saved once, however many times pressed; the comment typed for this very summary
    goes with it."""
    reason = CODES.get(action.reason)
    if reason is None:
        raise InvalidValue()
    draft = turn.slot(SLOT)
    data = await draft.get_data()
    same = data.get("draft") == _draft(action) and asked_in_time(turn.journal, data)
    note = str(data.get("note") or "") if same else None
    warning, created = await planned.plan_absence(
        turn.journal,
        turn.user,
        _binding(turn),
        action.pupil,
        date.fromordinal(action.first),
        date.fromordinal(action.last),
        _lessons(action),
        reason,
        note,
    )
    if created and same:
        await draft.clear()
    await announce_plan(turn.journal, warning)  # the class teacher, at once (once)
    await turn.show(screens.planned.saved(turn.tx, warning, created))


async def show_list(turn: Turn, action: PlanCb, note: str = "") -> None:
    journal, binding = turn.journal, _binding(turn)
    name, found = await planned.family_plans(journal, turn.user, binding, action.pupil)
    await turn.show(screens.planned.plans(turn.tx, action.pupil, name, found, note))


async def withdraw(turn: Turn, action: PlanCb) -> None:
    """Withdrawn before its first lesson; after it, refused with a clear message."""
    gone = await planned.withdraw_plan(turn.journal, turn.user, _binding(turn), action.plan)
    await announce_plan(turn.journal, gone, withdrawn=True)
    turn.answer(turn.tx("planned.withdrawn"))
    await show_list(turn, PlanCb(act="ls", pupil=gone.pupil_id), turn.tx("planned.withdrawn"))


def _act(act: str) -> Callable[[PlanCb], bool]:
    return lambda action: action.act == act


def routes() -> Routes:
    r = Routes()
    for act, flow in (
        ("k", start),
        ("d", days),
        ("f", first_day),
        ("t", last_day),
        ("o", lesson_day),
        ("l", lessons),
        ("r", reasons),
        ("c", summary),
        ("y", confirm),
        ("ls", show_list),
        ("x", withdraw),
    ):
        r.press(PlanCb, flow, when=_act(act), who=parent)
    r.typed(note, state=PlanNote.waiting, fits=not_a_command, who=parent)
    return r
