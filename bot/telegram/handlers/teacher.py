"""The teacher with a phone in one hand: today's lessons, the roll call (R4), topic and
homework (R13), taking a substitution (R5). The marks are in ``bot/telegram/handlers/marks.py``,
final marks in ``bot/telegram/handlers/finals.py``. Each handler: one use case, one screen."""

from __future__ import annotations

from datetime import date

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot import screens
from bot.actions import (
    DayCb,
    HomeworkDueCb,
    LessonAct,
    LessonActCb,
    LessonCb,
    Nav,
    NavCb,
    RestCb,
    RollPageCb,
    SubsListCb,
    TapCb,
)
from bot.telegram.filters import StaffOnly, on
from bot.telegram.middlewares import CallbackAnswer
from bot.telegram.outcomes import tell_outcome
from bot.telegram.render import LIMITS, show
from core import attendance, lessons
from core.access import Actor
from core.clock import local_today
from core.journal import Journal
from core.models import StaffRole
from notifications.substitutions import announce_substitution
from texts import Texts


class Typing(StatesGroup):
    topic = State()
    homework = State()


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
    await show(target, screens.roll_call.card(tx, call, today(journal), LIMITS))


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
    await show(query, screens.roll_call.card(tx, call, today(journal), LIMITS, callback_data.page))


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
    await tell_outcome(outcome, actor, journal, tx, bot, callback_answer)
    page = screens.roll_call.page_of(call, callback_data.pupil, LIMITS)
    await show(query, screens.roll_call.card(tx, call, today(journal), LIMITS, page))


async def rest_present(
    query: CallbackQuery,
    callback_data: RestCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    bot: Bot,
    callback_answer: CallbackAnswer,
) -> None:
    outcome, call = await attendance.mark_rest_present(journal, actor, callback_data.lesson)
    await tell_outcome(outcome, actor, journal, tx, bot, callback_answer)
    await show(query, screens.roll_call.card(tx, call, today(journal), LIMITS))


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
    return router
