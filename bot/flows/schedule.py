"""Changes of the day's timetable (R25): the deputy (director, admin) picks a lesson of
the school's day (``staff.substitutions``) and cancels it, moves it, or gives it another
room (a substitute is picked in ``staff``); the teacher is told at once, parents by the
jobs (``notifications/schedule.py``). Parents and pupils read the timetable (/schedule:
today, tomorrow, the week; R16). Screens in ``bot/screens/schedule.py``."""

from __future__ import annotations

from datetime import date

from bot import screens
from bot.actions import ChangeCb, ScheduleCb
from bot.flows.family import gate
from bot.flows.routes import Routes, family, staff
from bot.flows.turn import Turn, actor_of, today
from core import accounts, lessons
from core.errors import InvalidValue, JournalError
from core.models import StaffRole
from notifications.schedule import announce_change

WHEN = {"t": "today", "m": "tomorrow", "w": "week"}


class Typing:
    room = "Typing:room"


async def _lesson(turn: Turn, action: ChangeCb) -> tuple[date, lessons.SchoolLesson]:
    day = date.fromordinal(action.day)
    rows = await lessons.school_day(turn.journal, actor_of(turn), day)
    return day, lessons.school_lesson(rows, action.lesson)


async def _done(turn: Turn, day: date, key: str, lesson: lessons.SchoolLesson) -> None:
    """After a change: the school's day again, the change on top."""
    rows = await lessons.school_day(turn.journal, actor_of(turn), day)
    head = turn.tx(key, lesson=screens.substitutions.lesson_name(lesson))
    turn.answer(turn.tx("saved"))
    await turn.show(screens.substitutions.school_day(turn.tx, day, rows, 0, head))


async def lesson_menu(turn: Turn, action: ChangeCb) -> None:
    day, lesson = await _lesson(turn, action)
    await turn.show(screens.schedule.lesson_menu(turn.tx, day, lesson))


async def cancel_ask(turn: Turn, action: ChangeCb) -> None:
    day, lesson = await _lesson(turn, action)
    await lessons.ensure_can_change(turn.journal, actor_of(turn), lesson.lesson.id, emptied=True)
    await turn.show(screens.schedule.cancel_ask(turn.tx, day, lesson))


async def cancel_do(turn: Turn, action: ChangeCb) -> None:
    day, lesson = await _lesson(turn, action)
    change = await lessons.cancel_lesson(turn.journal, actor_of(turn), lesson.lesson.id)
    await announce_change(turn.journal, change)
    await _done(turn, day, "change.cancelled", lesson)


async def restore_do(turn: Turn, action: ChangeCb) -> None:
    day, lesson = await _lesson(turn, action)
    change = await lessons.restore_lesson(turn.journal, actor_of(turn), lesson.lesson.id)
    await announce_change(turn.journal, change)
    await _done(turn, day, "change.restored", lesson)


async def move_days(turn: Turn, action: ChangeCb) -> None:
    day, lesson = await _lesson(turn, action)
    await lessons.ensure_can_change(turn.journal, actor_of(turn), lesson.lesson.id, emptied=True)
    now = today(turn.journal)
    await turn.show(screens.schedule.move_days(turn.tx, day, lesson, now))


async def move_numbers(turn: Turn, action: ChangeCb) -> None:
    day, lesson = await _lesson(turn, action)
    to = date.fromordinal(action.to)
    choice = await lessons.move_choice(turn.journal, actor_of(turn), lesson.lesson.id, to)
    await turn.show(screens.schedule.move_numbers(turn.tx, day, lesson, choice))


async def move_do(turn: Turn, action: ChangeCb) -> None:
    day, lesson = await _lesson(turn, action)
    to = date.fromordinal(action.to)
    change = await lessons.move_lesson(
        turn.journal, actor_of(turn), lesson.lesson.id, to, action.no
    )
    await announce_change(turn.journal, change)
    await _done(turn, day, "change.moved", lesson)


async def room_ask(turn: Turn, action: ChangeCb) -> None:
    day, lesson = await _lesson(turn, action)
    await lessons.ensure_can_change(turn.journal, actor_of(turn), lesson.lesson.id)
    await turn.conversation.set_state(Typing.room)
    await turn.conversation.update_data(lesson=lesson.lesson.id, day=action.day)
    await turn.send(screens.schedule.room_prompt(turn.tx, day, lesson))


async def room_save(turn: Turn) -> None:
    data = await turn.conversation.get_data()
    action = ChangeCb(act="r", day=int(data["day"]), lesson=int(data["lesson"]))
    try:
        day, lesson = await _lesson(turn, action)
        change = await lessons.change_room(
            turn.journal, actor_of(turn), lesson.lesson.id, turn.text
        )
    except InvalidValue:
        raise  # the prompt still waits: the room typed again
    except JournalError:
        await turn.conversation.clear()  # the lesson cannot change now: no prompt left
        raise
    await turn.conversation.clear()
    await announce_change(turn.journal, change)
    await _done(turn, day, "change.room_saved", lesson)


# --- the family's timetable --------------------------------------------------------------------


async def show_schedule(turn: Turn, action: ScheduleCb | None = None) -> None:
    if not await gate(turn):
        return
    caller = turn.caller
    assert caller.actor and caller.pupil
    if action and action.pupil and action.pupil != caller.pupil.id:  # another child, same view
        await accounts.switch_pupil(turn.journal, caller.actor, caller.user, action.pupil)
        caller = await turn.reidentify()
    actor, pupil = caller.actor, caller.pupil
    assert actor and pupil
    when = action.when if action and action.when in WHEN else "t"
    page = await lessons.schedule_page(turn.journal, actor, pupil.id, WHEN[when])
    await turn.show(screens.schedule.timetable(turn.tx, pupil, page, when))


def routes() -> Routes:
    r = Routes()
    deputies = staff(StaffRole.DEPUTY, StaffRole.DIRECTOR, StaffRole.ADMIN)
    r.press(ChangeCb, lesson_menu, when=lambda a: a.act == "l", who=deputies)
    r.press(ChangeCb, cancel_ask, when=lambda a: a.act == "c", who=deputies)
    r.press(ChangeCb, cancel_do, when=lambda a: a.act == "cc", who=deputies)
    r.press(ChangeCb, restore_do, when=lambda a: a.act == "u", who=deputies)
    r.press(ChangeCb, move_days, when=lambda a: a.act == "m", who=deputies)
    r.press(ChangeCb, move_numbers, when=lambda a: a.act == "md", who=deputies)
    r.press(ChangeCb, move_do, when=lambda a: a.act == "mn", who=deputies)
    r.press(ChangeCb, room_ask, when=lambda a: a.act == "r", who=deputies)
    r.typed(room_save, state=Typing.room, who=deputies)
    r.command("schedule", show_schedule, who=family)
    r.press(ScheduleCb, show_schedule, who=family)
    return r
