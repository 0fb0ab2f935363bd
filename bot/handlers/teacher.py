"""The teacher with a phone in one hand: today's lessons, roll call (R4), marks, topic and
homework (R13), substitution (R5), final marks (R11), and corrections after the deadline
going to the deputy (R7)."""

from __future__ import annotations

from datetime import date

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot import keyboards
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
from bot.render import h, show
from core import attendance, lessons, marks, periods
from core.access import Actor
from core.clock import local_today
from core.entries import Outcome
from core.journal import Journal
from core.models import StaffRole
from core.rules import grade_has_marks
from notifications.substitutions import announce_substitution
from texts import Texts


class Typing(StatesGroup):
    topic = State()
    homework = State()


class MarkReason(StatesGroup):
    """A mark correction after the deadline waits for its typed reason (R7)."""

    typing = State()


REASON_LIMIT = 200

WEEKDAYS = "wd.1 wd.2 wd.3 wd.4 wd.5 wd.6 wd.7".split()


def today(journal: Journal) -> date:
    return local_today(journal.clock, journal.rules.timezone)


def day_title(tx: Texts, day: date) -> str:
    return f"{tx(WEEKDAYS[day.weekday()])}, {day:%d.%m.%Y}"


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
    text = tx("teacher.day", day=day_title(tx, day))
    if not day_lessons:
        text += "\n" + tx("teacher.no_lessons")
    await show(target, text, keyboards.lesson_list(tx, day, day_lessons))


async def substitution_list(
    query: CallbackQuery, callback_data: SubsListCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    day = date.fromordinal(callback_data.day)
    others = await lessons.substitutable_lessons(journal, actor, day)
    await show(
        query,
        tx("teacher.substitute_pick", day=day_title(tx, day)),
        keyboards.substitution_list(tx, day, others, callback_data.page),
    )


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
    await show_roll_call(target, journal, tx, call)


async def show_roll_call(
    target: Message | CallbackQuery,
    journal: Journal,
    tx: Texts,
    call: attendance.RollCall,
    page: int = 0,
) -> None:
    """The lesson card with the roll call, drawn from what the use case returned; a
    future lesson's card says so on every draw (a page turned, a tap refused)."""
    ahead = call.lesson.date > today(journal)
    await show(
        target,
        card_text(tx, call.lesson, call, page, ahead=ahead),
        keyboards.lesson_card(tx, call.lesson, call, page),
    )


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
    await show_roll_call(query, journal, tx, call, callback_data.page)


def card_text(
    tx: Texts,
    lesson: lessons.LessonSummary,
    call: attendance.RollCall,
    page: int = 0,
    *,
    ahead: bool = False,
) -> str:
    when = (
        f"{lesson.starts_at:%H:%M}–{lesson.ends_at:%H:%M}"
        if lesson.starts_at and lesson.ends_at
        else ""
    )
    lines = [
        tx(
            "lesson.title",
            cls=h(lesson.class_name),
            subject=h(lesson.subject),
            no=lesson.lesson_no,
            time=when,
        ),
        day_title(tx, lesson.date)
        + (f" · {tx('lesson.room', room=h(lesson.room))}" if lesson.room else ""),
    ]
    if lesson.substituted:
        lines.append(tx("lesson.substituted"))
    if ahead:  # a future lesson: say what can be filled ahead (R13) and what cannot (R4)
        lines.append(tx("lesson.ahead" if grade_has_marks(lesson.grade) else "lesson.ahead_grade1"))
    lines.append(tx("lesson.topic_line", topic=h(lesson.topic or "—")))
    if grade_has_marks(lesson.grade):  # R12
        if lesson.homework and lesson.homework_due:
            lines.append(
                tx(
                    "lesson.homework_due_line",
                    day=f"{lesson.homework_due:%d.%m}",
                    homework=h(lesson.homework),
                )
            )
        else:
            lines.append(tx("lesson.homework_line", homework=h(lesson.homework or "—")))
    c = call.counts
    lines.append(
        tx(
            "lesson.counts",
            present=c.present,
            absent=c.absent,
            late=c.late,
            not_taken=c.not_taken,
            marks=c.marks,
        )
    )
    lines.append(tx("rollcall.hint" if not call.taken else "rollcall.taken"))
    pages = keyboards.roll_call_pages(call)
    if pages > 1:
        page = min(max(page, 0), pages - 1)
        first = page * keyboards.ROLL_CALL_PAGE + 1
        last = min(len(call.lines), first + keyboards.ROLL_CALL_PAGE - 1)
        lines.append(tx("rollcall.page", first=first, last=last, total=len(call.lines)))
    return "\n".join(lines)


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
    page = keyboards.roll_call_page_of(call, callback_data.pupil)
    await show_roll_call(query, journal, tx, call, page)


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
    await show_roll_call(query, journal, tx, call)


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
    current = lesson.topic if topic else lesson.homework
    prompt = tx(
        "lesson.ask_topic" if topic else "lesson.ask_homework",
        cls=h(lesson.class_name),
        subject=h(lesson.subject),
    )
    if current:
        prompt += "\n" + tx("lesson.current", text=h(current))
    assert isinstance(query.message, Message)
    await query.message.answer(prompt, reply_markup=keyboards.typing_prompt(tx, lesson.id))


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
    if due is None or len(due.choices) < 2 or due.due is None:
        await message.answer(tx("saved"))
        await show_card(message, actor, journal, tx, lesson_id)
        return
    # Due at the next lesson by default; the teacher may pick another one (issue 9.3).
    key = "lesson.due_pick" if due.due == due.choices[0] else "lesson.due_picked"
    await message.answer(
        (tx("saved") + "\n" if key == "lesson.due_picked" else "")
        + tx(key, day=due_label(tx, due.due)),
        reply_markup=keyboards.homework_due(tx, due),
    )
    await show_card(message, actor, journal, tx, lesson_id)


def due_label(tx: Texts, day: date) -> str:
    return f"{tx(f'wd.{day.isoweekday()}')} {day:%d.%m}"


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
    callback_answer.text = tx("lesson.due_saved", day=due_label(tx, day))
    await callback_answer.send()
    await show(
        query,
        tx("lesson.due_picked", day=due_label(tx, day)),
        keyboards.homework_due(tx, due),
    )


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
    lesson = await lessons.get_lesson(journal, actor, lesson_id)
    call = await attendance.roll_call(journal, actor, lesson_id)
    given = await marks.lesson_marks(journal, actor, lesson_id)
    if pupil_id is not None:
        page = keyboards.pupils_page_of(call, pupil_id)
    text = tx("marks.pick_pupil", cls=h(lesson.class_name), subject=h(lesson.subject))
    await show(
        query,
        text + pupils_page_note(tx, call, page),
        keyboards.marks_pupils(tx, lesson_id, call, given, page),
    )


def pupils_page_note(tx: Texts, call: attendance.RollCall, page: int) -> str:
    """«Ученики 51–100 из 150.» under a paged pupils screen; nothing for one page."""
    lines, page, pages = keyboards.pupils_page(call, page)
    if pages == 1 or not lines:
        return ""
    first = page * keyboards.PUPILS_PAGE + 1
    return "\n" + tx(
        "rollcall.page", first=first, last=first + len(lines) - 1, total=len(call.lines)
    )


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
    call = await attendance.roll_call(journal, actor, lesson_id)
    line = next((x for x in call.lines if x.pupil.id == pupil_id), None)
    if line is None:
        await show(query, tx("error.pupil_not_in_lesson"))
        return
    existing = (await marks.lesson_marks(journal, actor, lesson_id)).get(pupil_id, [])
    work_types = await marks.work_types(journal, actor.school_id)
    text = tx("marks.pupil", name=h(line.pupil.full_name))
    if existing:
        text += "\n" + tx(
            "marks.has", marks=", ".join(f"{m.value} ({m.work_type})" for m in existing)
        )
    back_page = keyboards.pupils_page_of(call, pupil_id)
    await show(
        query,
        text,
        keyboards.pupil_marks(tx, lesson_id, pupil_id, existing, work_types, back_page),
    )


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
    existing = (await marks.lesson_marks(journal, actor, mark.lesson_id)).get(mark.pupil_id, [])
    work = next((m.work_type for m in existing if m.id == mark.id), "")
    call = await attendance.roll_call(journal, actor, mark.lesson_id)
    name = next((x.pupil.full_name for x in call.lines if x.pupil.id == mark.pupil_id), "")
    await state.set_state(MarkReason.typing)
    await state.update_data(
        mark=mark.id, value=value or 0, bulk=bulk.pack() if bulk is not None else None
    )
    await show(
        query,
        tx(
            "marks.ask_reason",
            name=h(name),
            old=mark.value,
            new=value if value is not None else "—",
            work=h(work),
        ),
        keyboards.mark_reason_cancel(tx, mark.lesson_id, mark.pupil_id, bulk),
    )


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


async def bulk_start(
    query: CallbackQuery, callback_data: LessonActCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    work_types = await marks.work_types(journal, actor.school_id)
    test = next((w for w in work_types if w.code == "test"), work_types[0])
    await show_bulk(
        query, actor, journal, tx, BulkCb(lesson=callback_data.lesson, value=5, wt=test.id)
    )


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
    lesson = await lessons.get_lesson(journal, actor, choice.lesson)
    call = await attendance.roll_call(journal, actor, choice.lesson)
    given = await marks.lesson_marks(journal, actor, choice.lesson)
    work_types = await marks.work_types(journal, actor.school_id)
    wt = next((w for w in work_types if w.id == choice.wt), None)
    # A tap on a pupil redraws the page that pupil is on; ◀ ▶ and a new choice carry it.
    page = keyboards.pupils_page_of(call, choice.pupil) if choice.pupil else choice.page
    text = tx(
        "bulk.title",
        cls=h(lesson.class_name),
        subject=h(lesson.subject),
        value=choice.value,
        work=h(wt.name if wt else ""),
        weight=keyboards.weight_text(wt.weight) if wt else "—",
    )
    await show(
        query,
        text + pupils_page_note(tx, call, page),
        keyboards.bulk(tx, choice.lesson, choice.value, choice.wt, work_types, call, given, page),
    )


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
    lesson = await lessons.get_lesson(journal, actor, lesson_id)
    period = await periods.current_period(journal, actor.school_id, lesson.date)
    if period is None:
        await show(query, tx("final.no_period"))
        return
    call = await attendance.roll_call(journal, actor, lesson_id)
    finals = await marks.final_marks_for(journal, actor, lesson_id, period.id)
    if pupil_id is not None:
        page = keyboards.pupils_page_of(call, pupil_id)
    text = tx(
        "final.title", cls=h(lesson.class_name), subject=h(lesson.subject), period=h(period.name)
    )
    await show(
        query,
        text + pupils_page_note(tx, call, page),
        keyboards.final_pupils(tx, lesson_id, call, finals, page),
    )


async def final_pick(
    query: CallbackQuery, callback_data: FinalCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    lesson = await lessons.get_lesson(journal, actor, callback_data.lesson)
    period = await periods.current_period(journal, actor.school_id, lesson.date)
    call = await attendance.roll_call(journal, actor, callback_data.lesson)
    name = next((x.pupil.full_name for x in call.lines if x.pupil.id == callback_data.pupil), None)
    if period is None or name is None:
        await show(query, tx("final.no_period" if period is None else "error.pupil_not_in_lesson"))
        return
    await show(
        query,
        tx("final.pick_value", name=h(name), subject=h(lesson.subject), period=h(period.name)),
        keyboards.final_values(
            tx,
            callback_data.lesson,
            callback_data.pupil,
            keyboards.pupils_page_of(call, callback_data.pupil),
        ),
    )


async def final_set(
    query: CallbackQuery,
    callback_data: FinalCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    callback_answer: CallbackAnswer,
) -> None:
    lesson = await lessons.get_lesson(journal, actor, callback_data.lesson)
    period = await periods.current_period(journal, actor.school_id, lesson.date)
    if period is None:
        await show(query, tx("final.no_period"))
        return
    await marks.set_final_mark(
        journal, actor, period.id, lesson.subject_id, callback_data.pupil, callback_data.value
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
