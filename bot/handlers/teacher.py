"""The teacher with a phone in one hand: today's lessons, roll call (R4), marks, topic and
homework (R13), substitution (R5), final marks (R11), and corrections after the deadline
going to the deputy (R7). Each handler: one use case, one screen (``bot/screens/``)."""

from __future__ import annotations

from datetime import date

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot import screens
from bot.actions import (
    AddMarkCb,
    BulkCb,
    DayCb,
    FinalCb,
    HomeworkDueCb,
    LessonAct,
    LessonActCb,
    LessonCb,
    MarkEditCb,
    Nav,
    NavCb,
    PupilMarksCb,
    PupilsPageCb,
    PupilsScreen,
    RestCb,
    RollPageCb,
    SubsListCb,
    TapCb,
)
from bot.filters import StaffOnly, on
from bot.middlewares import CallbackAnswer
from bot.notify import tell_approvers
from bot.render import show
from core import attendance, lessons, marks, marks_views
from core.access import Actor
from core.clock import local_today
from core.entries import Outcome
from core.journal import Journal
from core.models import StaffRole
from notifications.substitutions import announce_substitution
from texts import Texts


class Typing(StatesGroup):
    topic = State()
    homework = State()


class MarkReason(StatesGroup):
    """A mark correction after the deadline waits for its typed reason (R7)."""

    typing = State()


REASON_LIMIT = 200


def today(journal: Journal) -> date:
    return local_today(journal.clock, journal.rules.timezone)


# --- the lesson list ---------------------------------------------------------------------------


async def today_command(message: Message, actor: Actor, journal: Journal, tx: Texts) -> None:
    await show_day(message, actor, journal, tx, today(journal))


async def today_button(query: CallbackQuery, actor: Actor, journal: Journal, tx: Texts) -> None:
    await show_day(query, actor, journal, tx, today(journal))


async def other_day(
    query: CallbackQuery, callback_data: DayCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    await show_day(query, actor, journal, tx, date.fromordinal(callback_data.day))


async def show_day(
    target: Message | CallbackQuery, actor: Actor, journal: Journal, tx: Texts, day: date
) -> None:
    day_lessons = await lessons.teacher_day(journal, actor, day)
    await show(target, screens.lessons.day(tx, day, day_lessons))


async def substitution_list(
    query: CallbackQuery, callback_data: SubsListCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    day = date.fromordinal(callback_data.day)
    others = await lessons.substitutable_lessons(journal, actor, day)
    await show(query, screens.substitutions.to_take(tx, day, others, callback_data.page))


async def take_substitution(
    query: CallbackQuery, callback_data: LessonActCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    await lessons.take_as_substitute(journal, actor, callback_data.lesson)
    await announce_substitution(journal, callback_data.lesson)  # R5: the regular teacher
    await show_card(query, actor, journal, tx, callback_data.lesson)


# --- the lesson card with the roll call -------------------------------------------------------


async def open_lesson(
    query: CallbackQuery,
    callback_data: LessonCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    callback_answer: CallbackAnswer,
) -> None:
    await show_card(query, actor, journal, tx, callback_data.lesson, callback_answer)


async def show_card(
    target: Message | CallbackQuery,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    lesson_id: int,
    callback_answer: CallbackAnswer | None = None,
) -> None:
    call = await attendance.roll_call(journal, actor, lesson_id)
    if callback_answer is not None:
        await callback_answer.send()
    await show(target, screens.roll_call.card(tx, call, today(journal)))


async def roll_call_page(
    query: CallbackQuery,
    callback_data: RollPageCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    callback_answer: CallbackAnswer,
) -> None:
    call = await attendance.roll_call(journal, actor, callback_data.lesson)
    await callback_answer.send()
    await show(query, screens.roll_call.card(tx, call, today(journal), callback_data.page))


async def tap_pupil(
    query: CallbackQuery,
    callback_data: TapCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    bot: Bot,
    callback_answer: CallbackAnswer,
) -> None:
    outcome, call = await attendance.cycle_status(
        journal, actor, callback_data.lesson, callback_data.pupil
    )
    await after_change(outcome, actor, journal, tx, bot, callback_answer)
    page = screens.roll_call.page_of(call, callback_data.pupil)
    await show(query, screens.roll_call.card(tx, call, today(journal), page))


async def rest_present(
    query: CallbackQuery,
    callback_data: RestCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    callback_answer: CallbackAnswer,
) -> None:
    call = await attendance.mark_rest_present(journal, actor, callback_data.lesson)
    await callback_answer.send()
    await show(query, screens.roll_call.card(tx, call, today(journal)))


async def after_change(
    outcome: Outcome,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    bot: Bot,
    callback_answer: CallbackAnswer,
) -> None:
    """Say how a change went, at once (the spinner stops before the screen is redrawn).
    After the deadline a change is a request (R7): say so and tell the deputy."""
    if outcome is Outcome.REQUESTED:
        callback_answer.text = tx("requests.sent")
        callback_answer.show_alert = True
    elif outcome is Outcome.APPLIED:
        callback_answer.text = tx("saved")
    await callback_answer.send()
    if outcome is Outcome.REQUESTED:
        await tell_approvers(bot, journal, actor.school_id)


# --- topic and homework ------------------------------------------------------------------------


async def ask_text(
    query: CallbackQuery,
    callback_data: LessonActCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    state: FSMContext,
) -> None:
    lesson = await lessons.get_lesson(journal, actor, callback_data.lesson)
    topic = callback_data.act is LessonAct.TOPIC
    await lessons.ensure_text_allowed(
        journal, actor, lesson.id, "topic" if topic else "homework"
    )  # R10, R12, R13 before the typing, not after
    await state.set_state(Typing.topic if topic else Typing.homework)
    await state.update_data(lesson=lesson.id)
    assert isinstance(query.message, Message)
    await show(query.message, screens.homework.prompt(tx, lesson, topic=topic))


async def save_text(
    message: Message, actor: Actor, journal: Journal, tx: Texts, state: FSMContext
) -> None:
    data = await state.get_data()
    lesson_id = int(data["lesson"])
    homework = await state.get_state() == Typing.homework.state
    if homework:
        await lessons.set_homework(journal, actor, lesson_id, message.text or "")
    else:
        await lessons.set_topic(journal, actor, lesson_id, message.text or "")
    await state.clear()
    due = await lessons.homework_due_choices(journal, actor, lesson_id) if homework else None
    # Due at the next lesson by default; the teacher may pick another one (issue 9.3).
    pick = screens.homework.due_pick(tx, due) if due is not None else None
    await show(message, pick or tx("saved"))
    await show_card(message, actor, journal, tx, lesson_id)


async def pick_homework_due(
    query: CallbackQuery,
    callback_data: HomeworkDueCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    callback_answer: CallbackAnswer,
) -> None:
    day = date.fromordinal(callback_data.day)
    due = await lessons.set_homework_due(journal, actor, callback_data.lesson, day)
    callback_answer.text = tx("lesson.due_saved", day=screens.homework.due_label(tx, day))
    await callback_answer.send()
    await show(query, screens.homework.due_picked(tx, due, day))


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
    sheet = await marks_views.marks_sheet(journal, actor, lesson_id)
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
    sheet = await marks_views.marks_sheet(journal, actor, lesson_id)
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
    await after_change(outcome, actor, journal, tx, bot, callback_answer)
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
    await after_change(outcome, actor, journal, tx, bot, callback_answer)
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
    sheet = await marks_views.marks_sheet(journal, actor, mark.lesson_id)
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
    sheet = await marks_views.marks_sheet(journal, actor, callback_data.lesson)
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
        await after_change(outcome, actor, journal, tx, bot, callback_answer)
        if outcome is Outcome.UNCHANGED:
            return  # the screen already shows this mark; a redraw could only race a newer one
    await show_bulk(query, actor, journal, tx, callback_data)


async def show_bulk(
    query: CallbackQuery | Message, actor: Actor, journal: Journal, tx: Texts, choice: BulkCb
) -> None:
    sheet = await marks_views.marks_sheet(journal, actor, choice.lesson)
    await show(query, screens.marks.bulk(tx, sheet, choice))


# --- final marks (R11) -------------------------------------------------------------------------


async def final_screen(
    query: CallbackQuery, callback_data: LessonActCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    await show_finals(query, actor, journal, tx, callback_data.lesson)


async def finals_page(
    query: CallbackQuery, callback_data: PupilsPageCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    await show_finals(query, actor, journal, tx, callback_data.lesson, page=callback_data.page)


async def show_finals(
    query: CallbackQuery,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    lesson_id: int,
    *,
    page: int = 0,
    pupil_id: int | None = None,
) -> None:
    """The final marks' pupils; ``pupil_id``: draw the page that pupil is on."""
    sheet = await marks_views.finals_sheet(journal, actor, lesson_id)
    await show(query, screens.finals.pupils(tx, sheet, page, pupil_id))


async def final_pick(
    query: CallbackQuery, callback_data: FinalCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    sheet = await marks_views.finals_sheet(journal, actor, callback_data.lesson)
    await show(query, screens.finals.values(tx, sheet, callback_data.pupil))


async def final_set(
    query: CallbackQuery,
    callback_data: FinalCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    callback_answer: CallbackAnswer,
) -> None:
    target = await marks_views.lesson_period(journal, actor, callback_data.lesson)
    if target.period is None:
        await show(query, tx("final.no_period"))
        return
    await marks.set_final_mark(
        journal,
        actor,
        target.period.id,
        target.lesson.subject_id,
        callback_data.pupil,
        callback_data.value,
    )
    callback_answer.text = tx("saved")
    await show_finals(query, actor, journal, tx, callback_data.lesson, pupil_id=callback_data.pupil)


def build() -> Router:
    router = Router(name="teacher")
    router.message.filter(StaffOnly(StaffRole.TEACHER))
    router.callback_query.filter(StaffOnly(StaffRole.TEACHER))
    router.message.register(today_command, Command("today"))
    router.callback_query.register(today_button, on(NavCb, F.to == Nav.TODAY))
    router.callback_query.register(other_day, on(DayCb))
    router.callback_query.register(substitution_list, on(SubsListCb))
    router.callback_query.register(
        take_substitution, on(LessonActCb, F.act == LessonAct.SUBSTITUTE)
    )
    router.callback_query.register(open_lesson, on(LessonCb))
    router.callback_query.register(tap_pupil, on(TapCb))
    router.callback_query.register(rest_present, on(RestCb))
    router.callback_query.register(roll_call_page, on(RollPageCb))
    router.callback_query.register(
        ask_text, on(LessonActCb, F.act.in_({LessonAct.TOPIC, LessonAct.HOMEWORK}))
    )
    router.message.register(save_text, Typing.topic, F.text)
    router.message.register(save_text, Typing.homework, F.text)
    router.callback_query.register(pick_homework_due, on(HomeworkDueCb))
    router.message.register(save_mark_reason, MarkReason.typing, F.text, ~F.text.startswith("/"))
    router.callback_query.register(marks_screen, on(LessonActCb, F.act == LessonAct.MARKS))
    router.callback_query.register(pupil_marks_screen, on(PupilMarksCb))
    router.callback_query.register(marks_page, on(PupilsPageCb, F.screen == PupilsScreen.MARKS))
    router.callback_query.register(finals_page, on(PupilsPageCb, F.screen == PupilsScreen.FINAL))
    router.callback_query.register(add_mark, on(AddMarkCb))
    router.callback_query.register(edit_mark, on(MarkEditCb))
    router.callback_query.register(bulk_start, on(LessonActCb, F.act == LessonAct.BULK))
    router.callback_query.register(bulk_tap, on(BulkCb))
    router.callback_query.register(final_screen, on(LessonActCb, F.act == LessonAct.FINAL))
    router.callback_query.register(final_pick, on(FinalCb, F.value == ""))
    router.callback_query.register(final_set, on(FinalCb, F.value != ""))
    return router
