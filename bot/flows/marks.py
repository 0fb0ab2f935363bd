"""The teacher's marks on a lesson (R12, R15): the grid, a pupil's marks, bulk mode for a
class test, and the reason a correction after the deadline asks for (R7). Each screen is
one read (``core.marks.marks_sheet``) drawn by ``bot/screens/marks.py``."""

from __future__ import annotations

from bot import screens
from bot.actions import (
    AddMarkCb,
    BulkCb,
    LessonAct,
    LessonActCb,
    MarkEditCb,
    PupilMarksCb,
    PupilsPageCb,
    PupilsScreen,
)
from bot.flows.outcomes import tell_approvers, tell_outcome
from bot.flows.routes import Routes, staff
from bot.flows.turn import Turn, actor_of
from core import marks
from core.entries import Outcome
from core.models import StaffRole


class MarkReason:
    """A mark correction after the deadline waits for its typed reason (R7). (The names
    are what is stored.)"""

    typing = "MarkReason:typing"


REASON_LIMIT = 200


# --- marks ------------------------------------------------------------------------------------


async def marks_screen(turn: Turn, action: LessonActCb) -> None:
    await show_marks(turn, action.lesson)


async def marks_page(turn: Turn, action: PupilsPageCb) -> None:
    await show_marks(turn, action.lesson, page=action.page)


async def show_marks(
    turn: Turn, lesson_id: int, *, page: int = 0, pupil_id: int | None = None
) -> None:
    """The marks grid; ``pupil_id``: draw the page that pupil is on (the one tapped)."""
    sheet = await marks.marks_sheet(turn.journal, actor_of(turn), lesson_id)
    await turn.show(screens.marks.grid(turn.tx, sheet, page, pupil_id))


async def pupil_marks_screen(turn: Turn, action: PupilMarksCb) -> None:
    await show_pupil_marks(turn, action.lesson, action.pupil)


async def show_pupil_marks(turn: Turn, lesson_id: int, pupil_id: int) -> None:
    sheet = await marks.marks_sheet(turn.journal, actor_of(turn), lesson_id)
    await turn.show(screens.marks.pupil(turn.tx, sheet, pupil_id))


async def add_mark(turn: Turn, action: AddMarkCb) -> None:
    actor = actor_of(turn)
    outcome = await marks.add_mark(
        turn.journal, actor, action.lesson, action.pupil, action.value, action.wt
    )
    await tell_outcome(turn, outcome, actor)
    await show_marks(turn, action.lesson, pupil_id=action.pupil)


async def edit_mark(turn: Turn, action: MarkEditCb) -> None:
    """Change a mark to another value in one tap, or remove it (value 0). After the
    deadline (R7) the change is a request: the teacher is asked for the reason first."""
    actor, journal = actor_of(turn), turn.journal
    mark = await marks.get_mark(journal, actor, action.mark)
    value = action.value or None
    if value != mark.value and await marks.change_needs_reason(journal, actor, mark.id):
        await ask_mark_reason(turn, mark, value)
        return
    outcome = await marks.change_mark(journal, actor, action.mark, value)
    await tell_outcome(turn, outcome, actor)
    await show_pupil_marks(turn, mark.lesson_id, mark.pupil_id)


# --- the reason of a mark correction after the deadline (R7) ----------------------------------


async def ask_mark_reason(
    turn: Turn, mark: marks.MarkRef, value: int | None, bulk: BulkCb | None = None
) -> None:
    """Ask for the reason of a mark change that is a request (R7): from the pupil's marks
    or from bulk mode (``bulk``: the screen to return to), one prompt and one path."""
    sheet = await marks.marks_sheet(turn.journal, actor_of(turn), mark.lesson_id)
    await turn.conversation.set_state(MarkReason.typing)
    await turn.conversation.update_data(
        mark=mark.id, value=value or 0, bulk=bulk.pack() if bulk is not None else None
    )
    await turn.show(screens.marks.reason_prompt(turn.tx, sheet, mark, value, bulk))


async def save_mark_reason(turn: Turn) -> None:
    actor, journal, tx = actor_of(turn), turn.journal, turn.tx
    data = await turn.conversation.get_data()
    reason = turn.text.strip()
    if not reason or len(reason) > REASON_LIMIT:
        await turn.send(tx("error.correction_reason_empty"))
        return  # still waiting for the reason
    await turn.conversation.clear()  # whatever happens next, the prompt is answered
    mark = await marks.get_mark(journal, actor, int(data["mark"]))
    outcome = await marks.change_mark(
        journal, actor, mark.id, int(data["value"]) or None, reason=reason
    )
    if outcome is Outcome.REQUESTED:
        await turn.send(tx("requests.sent"))
        await tell_approvers(turn, actor.school_id)
    elif outcome is Outcome.APPLIED:
        await turn.send(tx("saved"))
    if data.get("bulk"):  # back to the class test's screen the change was made from
        await show_bulk(turn, BulkCb.unpack(str(data["bulk"])))
        return
    await show_pupil_marks(turn, mark.lesson_id, mark.pupil_id)


# --- bulk mode for a class test ----------------------------------------------------------------


async def bulk_start(turn: Turn, action: LessonActCb) -> None:
    sheet = await marks.marks_sheet(turn.journal, actor_of(turn), action.lesson)
    choice = BulkCb(lesson=action.lesson, value=5, wt=sheet.bulk_work_type.id)
    await turn.show(screens.marks.bulk(turn.tx, sheet, choice))


async def bulk_tap(turn: Turn, action: BulkCb) -> None:
    actor, journal = actor_of(turn), turn.journal
    if action.pupil:
        given = await marks.bulk_mark(journal, actor, action.lesson, action.pupil, action.wt)
        if (
            given is not None
            and given.value != action.value
            and await marks.change_needs_reason(journal, actor, given.id)
        ):  # after the deadline (R7): the reason first, as for a one-tap change
            back = BulkCb(lesson=action.lesson, value=action.value, wt=action.wt)
            await ask_mark_reason(turn, given, action.value, back)
            return
        outcome = await marks.set_bulk_mark(
            journal, actor, action.lesson, action.pupil, action.value, action.wt
        )
        await tell_outcome(turn, outcome, actor)
        if outcome is Outcome.UNCHANGED:
            return  # the screen already shows this mark; a redraw could only race a newer one
    await show_bulk(turn, action)


async def show_bulk(turn: Turn, choice: BulkCb) -> None:
    sheet = await marks.marks_sheet(turn.journal, actor_of(turn), choice.lesson)
    await turn.show(screens.marks.bulk(turn.tx, sheet, choice))


def routes() -> Routes:
    r = Routes()
    teacher = staff(StaffRole.TEACHER)
    r.typed(save_mark_reason, state=MarkReason.typing, fits=not_a_command, who=teacher)
    r.press(LessonActCb, marks_screen, when=lambda a: a.act == LessonAct.MARKS, who=teacher)
    r.press(PupilMarksCb, pupil_marks_screen, who=teacher)
    r.press(PupilsPageCb, marks_page, when=lambda a: a.screen == PupilsScreen.MARKS, who=teacher)
    r.press(AddMarkCb, add_mark, who=teacher)
    r.press(MarkEditCb, edit_mark, who=teacher)
    r.press(LessonActCb, bulk_start, when=lambda a: a.act == LessonAct.BULK, who=teacher)
    r.press(BulkCb, bulk_tap, who=teacher)
    return r


def not_a_command(text: str) -> bool:
    return not text.startswith("/")
