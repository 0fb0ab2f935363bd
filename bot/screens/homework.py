"""The topic and the homework of a lesson (R13): the prompt to type them, and the lesson
the homework is due at, picked from the next ones of the subject (issue 9.3)."""

from __future__ import annotations

from datetime import date

from bot.actions import HomeworkDueCb, LessonCb
from bot.screen import Button, Screen, quote
from core.lessons import HomeworkDue, LessonSummary
from texts import Texts


def prompt(tx: Texts, lesson: LessonSummary, *, topic: bool) -> Screen:
    """«Напишите тему…», with what is there now; «Отмена» goes back to the card (any
    button press abandons the prompt, see ``CallerMiddleware``)."""
    text = tx(
        "lesson.ask_topic" if topic else "lesson.ask_homework",
        cls=quote(lesson.class_name),
        subject=quote(lesson.subject),
    )
    current = lesson.topic if topic else lesson.homework
    if current:
        text += "\n" + tx("lesson.current", text=quote(current))
    return Screen(text, [[Button(tx("lesson.cancel_typing"), LessonCb(lesson=lesson.id))]])


def due_label(tx: Texts, day: date) -> str:
    """«вт 24.11» in a sentence."""
    return f"{tx(f'wd.{day.isoweekday()}')} {day:%d.%m}"


def due_day(tx: Texts, day: date) -> str:
    """«Вт 24.11»: a lesson the homework may be due at."""
    return tx("lesson.due_day", wd=tx(f"wd.{day.isoweekday()}").capitalize(), day=f"{day:%d.%m}")


def due_pick(tx: Texts, due: HomeworkDue) -> Screen | None:
    """After the homework is typed: when it is due (the next lesson by default; «saved»
    first when it keeps a later one), the next lessons of the subject in one row to pick
    another. ``None`` when there is nothing to pick."""
    if len(due.choices) < 2 or due.due is None:
        return None
    if due.due == due.choices[0]:
        text = tx("lesson.due_pick", day=due_label(tx, due.due))
    else:
        text = tx("saved") + "\n" + tx("lesson.due_picked", day=due_label(tx, due.due))
    return Screen(text, due_rows(tx, due))


def due_picked(tx: Texts, due: HomeworkDue, day: date) -> Screen:
    """The teacher picked the lesson the homework is due at: the row again, ticked."""
    return Screen(tx("lesson.due_picked", day=due_label(tx, day)), due_rows(tx, due))


def due_rows(tx: Texts, due: HomeworkDue) -> list[list[Button]]:
    return [
        [
            Button(
                ("✓ " if day == due.due else "") + due_day(tx, day),
                HomeworkDueCb(lesson=due.lesson_id, day=day.toordinal()),
            )
            for day in due.choices
        ]
    ]
