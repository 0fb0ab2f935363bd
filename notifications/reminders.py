"""The teachers' evening reminder (R4, R13): a teacher whose lessons today still lack the
roll call, the topic or the homework (no homework in grade 1, R12) gets one message
listing them, with a button opening each lesson's card in the bot, before the deadline."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import date, time
from typing import Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions import lesson_button_data
from bot.screen import Button, Limits, quote
from core import recipients, reminders
from core.models import BindingRole
from core.reminders import IncompleteLesson
from notifications.compose import Keyboard, day_label, items_for, split_blocks
from notifications.outbox import OutboxItem
from texts import Texts

KIND = "teacher_reminder"


def reminder_key(binding_id: int, day: date) -> str:
    return f"reminder:{binding_id}:{day.isoformat()}"


async def build_teacher_reminders(
    s: AsyncSession, school_id: int, day: date, deadline: time, limits: Mapping[str, Limits]
) -> list[OutboxItem]:
    lessons = await reminders.incomplete_lessons(s, school_id, day)

    def render(tx: Texts, own: list[IncompleteLesson], fits: Limits) -> tuple[str, Keyboard]:
        return render_reminder(tx, day, deadline, own, fits)

    return await each_teacher(s, lessons, day, reminder_key, KIND, render, limits)


class TeachersLesson(Protocol):
    """A lesson a teacher is told of (an unfinished one, a written work due)."""

    @property
    def teacher_id(self) -> int: ...

    @property
    def lesson_id(self) -> int: ...


L = TypeVar("L", bound=TeachersLesson)


async def each_teacher(
    s: AsyncSession,
    lessons: Sequence[L],
    day: date,
    key: Callable[[int, date], str],
    kind: str,
    render: Callable[[Texts, list[L], Limits], tuple[str, Keyboard]],
    limits: Mapping[str, Limits],
) -> list[OutboxItem]:
    """One message to each reachable binding of each teacher of ``lessons``: their own,
    rendered in the binding's language and within its messenger's limits, under ``key``
    (binding, day) so that it goes once."""
    by_teacher: dict[int, list[L]] = defaultdict(list)
    for lesson in lessons:
        by_teacher[lesson.teacher_id].append(lesson)
    teachers = await recipients.reachable(s, list(by_teacher), BindingRole.STAFF)
    items: list[OutboxItem] = []
    for teacher_id, own in by_teacher.items():
        for r in teachers.get(teacher_id, []):
            text, keyboard = render(Texts(r.language), own, limits[r.channel])
            items += items_for(
                key(r.binding_id, day),
                r.chat_id,
                kind,
                split_blocks([text], limits[r.channel]),
                binding_id=r.binding_id,
                channel=r.channel,
                keyboard=keyboard,
                meta={"day": day.isoformat(), "lessons": [x.lesson_id for x in own]},
            )
    return items


def render_reminder(
    tx: Texts, day: date, deadline: time, lessons: list[IncompleteLesson], limits: Limits
) -> tuple[str, Keyboard]:
    """The day's unfinished lessons, a button each (as many as a keyboard holds: a
    teacher has at most a dozen lessons a day)."""
    lines = [tx("remind.title", day=day_label(tx, day), deadline=f"{deadline:%H:%M}")]
    keyboard: Keyboard = []
    for x in lessons:
        missing = [
            tx(key)
            for key, lacking in (
                ("remind.roll_call", x.no_roll_call),
                ("remind.topic", x.no_topic),
                ("remind.homework", x.no_homework),
            )
            if lacking
        ]
        lines.append(
            tx(
                "remind.line",
                no=x.lesson_no,
                cls=quote(x.class_name),
                subject=quote(x.subject),
                missing=", ".join(missing),
            )
        )
        keyboard.append(
            [Button(f"{x.lesson_no}. {x.class_name} {x.subject}", lesson_button_data(x.lesson_id))]
        )
    return "\n".join(lines), keyboard[: min(limits.buttons, limits.rows)]
