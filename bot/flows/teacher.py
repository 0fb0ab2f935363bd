"""The teacher with a phone in one hand: the day's lessons, the roll call (R4), topic and
homework (R13), taking a substitution (R5). Each flow: one use case, one screen."""

from __future__ import annotations

from datetime import date

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
from bot.flows.outcomes import tell_outcome
from bot.flows.routes import Routes, staff
from bot.flows.turn import Turn, actor_of, today
from core import attendance, lessons
from core.models import StaffRole
from notifications.substitutions import announce_substitution


class Typing:
    """The conversation states of this feature (their names are what is stored)."""

    topic = "Typing:topic"
    homework = "Typing:homework"


# --- the lesson list ---------------------------------------------------------------------------


async def today_view(turn: Turn, action: NavCb | None = None) -> None:
    await show_day(turn, today(turn.journal))


async def other_day(turn: Turn, action: DayCb) -> None:
    await show_day(turn, date.fromordinal(action.day))


async def show_day(turn: Turn, day: date) -> None:
    day_lessons = await lessons.teacher_day(turn.journal, actor_of(turn), day)
    await turn.show(screens.lessons.day(turn.tx, day, day_lessons))


async def substitution_list(turn: Turn, action: SubsListCb) -> None:
    day = date.fromordinal(action.day)
    others = await lessons.substitutable_lessons(turn.journal, actor_of(turn), day)
    await turn.show(screens.substitutions.to_take(turn.tx, day, others, action.page))


async def take_substitution(turn: Turn, action: LessonActCb) -> None:
    await lessons.take_as_substitute(turn.journal, actor_of(turn), action.lesson)
    await announce_substitution(turn.journal, action.lesson)  # R5: the regular teacher
    await show_card(turn, action.lesson)


# --- the lesson card with the roll call -------------------------------------------------------


async def open_lesson(turn: Turn, action: LessonCb) -> None:
    await show_card(turn, action.lesson, answer_first=True)


async def show_card(turn: Turn, lesson_id: int, *, answer_first: bool = False) -> None:
    call = await attendance.roll_call(turn.journal, actor_of(turn), lesson_id)
    if answer_first:
        await turn.answer_now()
    await turn.show(screens.roll_call.card(turn.tx, call, today(turn.journal), turn.limits))


async def roll_call_page(turn: Turn, action: RollPageCb) -> None:
    call = await attendance.roll_call(turn.journal, actor_of(turn), action.lesson)
    await turn.answer_now()
    card = screens.roll_call.card(turn.tx, call, today(turn.journal), turn.limits, action.page)
    await turn.show(card)


async def tap_pupil(turn: Turn, action: TapCb) -> None:
    actor = actor_of(turn)
    outcome, call = await attendance.cycle_status(turn.journal, actor, action.lesson, action.pupil)
    await tell_outcome(turn, outcome, actor)
    page = screens.roll_call.page_of(call, action.pupil, turn.limits)
    await turn.show(screens.roll_call.card(turn.tx, call, today(turn.journal), turn.limits, page))


async def rest_present(turn: Turn, action: RestCb) -> None:
    actor = actor_of(turn)
    outcome, call = await attendance.mark_rest_present(turn.journal, actor, action.lesson)
    await tell_outcome(turn, outcome, actor)
    await turn.show(screens.roll_call.card(turn.tx, call, today(turn.journal), turn.limits))


# --- topic and homework ------------------------------------------------------------------------


async def ask_text(turn: Turn, action: LessonActCb) -> None:
    actor = actor_of(turn)
    lesson = await lessons.get_lesson(turn.journal, actor, action.lesson)
    topic = action.act is LessonAct.TOPIC
    # R10, R12, R13 before the typing, not after
    await lessons.ensure_text_allowed(
        turn.journal, actor, lesson.id, "topic" if topic else "homework"
    )
    await turn.conversation.set_state(Typing.topic if topic else Typing.homework)
    await turn.conversation.update_data(lesson=lesson.id)
    await turn.send(screens.homework.prompt(turn.tx, lesson, topic=topic))


async def save_text(turn: Turn) -> None:
    actor, journal = actor_of(turn), turn.journal
    data = await turn.conversation.get_data()
    lesson_id = int(data["lesson"])
    homework = await turn.conversation.get_state() == Typing.homework
    if homework:
        await lessons.set_homework(journal, actor, lesson_id, turn.text)
    else:
        await lessons.set_topic(journal, actor, lesson_id, turn.text)
    await turn.conversation.clear()
    due = await lessons.homework_due_choices(journal, actor, lesson_id) if homework else None
    # Due at the next lesson by default; the teacher may pick another one (issue 9.3).
    pick = screens.homework.due_pick(turn.tx, due) if due is not None else None
    await turn.show(pick or turn.tx("saved"))
    await show_card(turn, lesson_id)


async def pick_homework_due(turn: Turn, action: HomeworkDueCb) -> None:
    day = date.fromordinal(action.day)
    due = await lessons.set_homework_due(turn.journal, actor_of(turn), action.lesson, day)
    turn.answer(turn.tx("lesson.due_saved", day=screens.homework.due_label(turn.tx, day)))
    await turn.answer_now()
    await turn.show(screens.homework.due_picked(turn.tx, due, day))


def routes() -> Routes:
    r = Routes()
    teacher = staff(StaffRole.TEACHER)
    r.command("today", today_view, who=teacher)
    r.press(NavCb, today_view, when=lambda a: a.to == Nav.TODAY, who=teacher)
    r.press(DayCb, other_day, who=teacher)
    r.press(SubsListCb, substitution_list, who=teacher)
    r.press(
        LessonActCb, take_substitution, when=lambda a: a.act == LessonAct.SUBSTITUTE, who=teacher
    )
    r.press(LessonCb, open_lesson, who=teacher)
    r.press(TapCb, tap_pupil, who=teacher)
    r.press(RestCb, rest_present, who=teacher)
    r.press(RollPageCb, roll_call_page, who=teacher)
    texts = {LessonAct.TOPIC, LessonAct.HOMEWORK}
    r.press(LessonActCb, ask_text, when=lambda a: a.act in texts, who=teacher)
    r.typed(save_text, state=Typing.topic, who=teacher)
    r.typed(save_text, state=Typing.homework, who=teacher)
    r.press(HomeworkDueCb, pick_homework_due, who=teacher)
    return r
