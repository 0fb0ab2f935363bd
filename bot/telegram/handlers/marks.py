"""The teacher's marks on a lesson (R12, R15): the grid, a pupil's marks, bulk mode for a
class test, and the reason a correction after the deadline asks for (R7). Each screen is
one read (``core.marks.marks_sheet``) drawn by ``bot/screens/marks.py``."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

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
from bot.telegram.filters import StaffOnly, on
from bot.telegram.middlewares import CallbackAnswer
from bot.telegram.notify import tell_approvers
from bot.telegram.outcomes import tell_outcome
from bot.telegram.render import show
from core import marks
from core.access import Actor
from core.entries import Outcome
from core.journal import Journal
from core.models import StaffRole
from texts import Texts


class MarkReason(StatesGroup):
    """A mark correction after the deadline waits for its typed reason (R7)."""

    typing = State()


REASON_LIMIT = 200


# --- marks ------------------------------------------------------------------------------------


async def marks_screen(
    query: CallbackQuery, callback_data: LessonActCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    await show_marks(query, actor, journal, tx, callback_data.lesson)


async def marks_page(
    query: CallbackQuery, callback_data: PupilsPageCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    await show_marks(query, actor, journal, tx, callback_data.lesson, page=callback_data.page)


async def show_marks(
    query: CallbackQuery,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    lesson_id: int,
    *,
    page: int = 0,
    pupil_id: int | None = None,
) -> None:
    """The marks grid; ``pupil_id``: draw the page that pupil is on (the one tapped)."""
    sheet = await marks.marks_sheet(journal, actor, lesson_id)
    await show(query, screens.marks.grid(tx, sheet, page, pupil_id))


async def pupil_marks_screen(
    query: CallbackQuery, callback_data: PupilMarksCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    await show_pupil_marks(query, actor, journal, tx, callback_data.lesson, callback_data.pupil)


async def show_pupil_marks(
    query: CallbackQuery | Message,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    lesson_id: int,
    pupil_id: int,
) -> None:
    sheet = await marks.marks_sheet(journal, actor, lesson_id)
    await show(query, screens.marks.pupil(tx, sheet, pupil_id))


async def add_mark(
    query: CallbackQuery,
    callback_data: AddMarkCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    bot: Bot,
    callback_answer: CallbackAnswer,
) -> None:
    outcome = await marks.add_mark(
        journal,
        actor,
        callback_data.lesson,
        callback_data.pupil,
        callback_data.value,
        callback_data.wt,
    )
    await tell_outcome(outcome, actor, journal, tx, bot, callback_answer)
    await show_marks(query, actor, journal, tx, callback_data.lesson, pupil_id=callback_data.pupil)


async def edit_mark(
    query: CallbackQuery,
    callback_data: MarkEditCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    bot: Bot,
    callback_answer: CallbackAnswer,
    state: FSMContext,
) -> None:
    """Change a mark to another value in one tap, or remove it (value 0). After the
    deadline (R7) the change is a request: the teacher is asked for the reason first."""
    mark = await marks.get_mark(journal, actor, callback_data.mark)
    value = callback_data.value or None
    if value != mark.value and await marks.change_needs_reason(journal, actor, mark.id):
        await ask_mark_reason(query, actor, journal, tx, state, mark, value)
        return
    outcome = await marks.change_mark(journal, actor, callback_data.mark, value)
    await tell_outcome(outcome, actor, journal, tx, bot, callback_answer)
    await show_pupil_marks(query, actor, journal, tx, mark.lesson_id, mark.pupil_id)


# --- the reason of a mark correction after the deadline (R7) ----------------------------------


async def ask_mark_reason(
    query: CallbackQuery,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    state: FSMContext,
    mark: marks.MarkRef,
    value: int | None,
    bulk: BulkCb | None = None,
) -> None:
    """Ask for the reason of a mark change that is a request (R7): from the pupil's marks
    or from bulk mode (``bulk``: the screen to return to), one prompt and one path."""
    sheet = await marks.marks_sheet(journal, actor, mark.lesson_id)
    await state.set_state(MarkReason.typing)
    await state.update_data(
        mark=mark.id, value=value or 0, bulk=bulk.pack() if bulk is not None else None
    )
    await show(query, screens.marks.reason_prompt(tx, sheet, mark, value, bulk))


async def save_mark_reason(
    message: Message, actor: Actor, journal: Journal, tx: Texts, state: FSMContext, bot: Bot
) -> None:
    data = await state.get_data()
    reason = (message.text or "").strip()
    if not reason or len(reason) > REASON_LIMIT:
        await message.answer(tx("error.correction_reason_empty"))
        return  # still waiting for the reason
    await state.clear()  # whatever happens next, the prompt is answered
    mark = await marks.get_mark(journal, actor, int(data["mark"]))
    outcome = await marks.change_mark(
        journal, actor, mark.id, int(data["value"]) or None, reason=reason
    )
    if outcome is Outcome.REQUESTED:
        await message.answer(tx("requests.sent"))
        await tell_approvers(bot, journal, actor.school_id)
    elif outcome is Outcome.APPLIED:
        await message.answer(tx("saved"))
    if data.get("bulk"):  # back to the class test's screen the change was made from
        await show_bulk(message, actor, journal, tx, BulkCb.unpack(str(data["bulk"])))
        return
    await show_pupil_marks(message, actor, journal, tx, mark.lesson_id, mark.pupil_id)


# --- bulk mode for a class test ----------------------------------------------------------------


async def bulk_start(
    query: CallbackQuery, callback_data: LessonActCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    sheet = await marks.marks_sheet(journal, actor, callback_data.lesson)
    choice = BulkCb(lesson=callback_data.lesson, value=5, wt=sheet.bulk_work_type.id)
    await show(query, screens.marks.bulk(tx, sheet, choice))


async def bulk_tap(
    query: CallbackQuery,
    callback_data: BulkCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    bot: Bot,
    callback_answer: CallbackAnswer,
    state: FSMContext,
) -> None:
    if callback_data.pupil:
        given = await marks.bulk_mark(
            journal, actor, callback_data.lesson, callback_data.pupil, callback_data.wt
        )
        if (
            given is not None
            and given.value != callback_data.value
            and await marks.change_needs_reason(journal, actor, given.id)
        ):  # after the deadline (R7): the reason first, as for a one-tap change
            value = callback_data.value
            back = BulkCb(lesson=callback_data.lesson, value=value, wt=callback_data.wt)
            await ask_mark_reason(query, actor, journal, tx, state, given, value, back)
            return
        outcome = await marks.set_bulk_mark(
            journal,
            actor,
            callback_data.lesson,
            callback_data.pupil,
            callback_data.value,
            callback_data.wt,
        )
        await tell_outcome(outcome, actor, journal, tx, bot, callback_answer)
        if outcome is Outcome.UNCHANGED:
            return  # the screen already shows this mark; a redraw could only race a newer one
    await show_bulk(query, actor, journal, tx, callback_data)


async def show_bulk(
    query: CallbackQuery | Message, actor: Actor, journal: Journal, tx: Texts, choice: BulkCb
) -> None:
    sheet = await marks.marks_sheet(journal, actor, choice.lesson)
    await show(query, screens.marks.bulk(tx, sheet, choice))


def build() -> Router:
    router = Router(name="marks")
    router.message.filter(StaffOnly(StaffRole.TEACHER))
    router.callback_query.filter(StaffOnly(StaffRole.TEACHER))
    router.message.register(save_mark_reason, MarkReason.typing, F.text, ~F.text.startswith("/"))
    router.callback_query.register(marks_screen, on(LessonActCb, F.act == LessonAct.MARKS))
    router.callback_query.register(pupil_marks_screen, on(PupilMarksCb))
    router.callback_query.register(marks_page, on(PupilsPageCb, F.screen == PupilsScreen.MARKS))
    router.callback_query.register(add_mark, on(AddMarkCb))
    router.callback_query.register(edit_mark, on(MarkEditCb))
    router.callback_query.register(bulk_start, on(LessonActCb, F.act == LessonAct.BULK))
    router.callback_query.register(bulk_tap, on(BulkCb))
    return router
