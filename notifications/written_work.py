"""R14: on the last working day for a written or control work's marks, its teacher gets
one message listing the works still missing marks, with a button opening each lesson.
Sent with the evening reminder (``teacher_reminders``, the same slot), once: the outbox
key is the teacher's binding and the day, and a work has one last day."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions import lesson_button_data
from bot.screen import Button, Limits, quote
from core import written_work
from core.written_work import WrittenWork
from notifications.compose import Keyboard, day_label
from notifications.outbox import OutboxItem
from notifications.reminders import each_teacher
from texts import Texts

KIND = "written_work_reminder"


def written_reminder_key(binding_id: int, day: date) -> str:
    return f"written:{binding_id}:{day.isoformat()}"


async def build_written_reminders(
    s: AsyncSession, school_id: int, day: date, limits: Mapping[str, Limits]
) -> list[OutboxItem]:
    works = await written_work.due_on(s, school_id, day)
    return await each_teacher(
        s, works, day, written_reminder_key, KIND, render_written_reminder, limits
    )


def render_written_reminder(
    tx: Texts, works: list[WrittenWork], limits: Limits
) -> tuple[str, Keyboard]:
    """The works due today, a line and a button each (as many buttons as a keyboard
    holds: a teacher has a few works due on one day)."""
    lines = [tx("written.remind_title")]
    keyboard: Keyboard = []
    for w in works:
        lines.append(
            tx(
                "written.remind_line",
                cls=quote(w.class_name),
                subject=quote(w.subject),
                day=day_label(tx, w.date),
                no=w.lesson_no,
                work=quote(w.work),
                missing=w.missing,
                pupils=w.pupils,
            )
        )
        label = f"{day_label(tx, w.date)} {w.lesson_no}. {w.class_name} {w.subject}"
        keyboard.append([Button(label, lesson_button_data(w.lesson_id))])
    return "\n".join(lines), keyboard[: min(limits.buttons, limits.rows)]
