"""A lesson's topic and homework (R13), and the lesson the homework is due at; the
same rules for both (R10, R12, R13), checked before the teacher types."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, periods
from core.access import (
    Actor,
    lesson_for_edit,
)
from core.clock import local_today
from core.errors import InvalidValue, NotAllowed
from core.journal import Journal
from core.lessons.queries import lessons_ahead, next_lesson_dates
from core.models import (
    Lesson,
    SchoolClass,
)
from core.rules import TOPIC_LESSONS_AHEAD, grade_has_marks

MAX_TEXT = 1000


async def set_topic(journal: Journal, actor: Actor, lesson_id: int, topic: str) -> None:
    await _set_text(journal, actor, lesson_id, "topic", topic)


async def set_homework(journal: Journal, actor: Actor, lesson_id: int, homework: str) -> None:
    await _set_text(journal, actor, lesson_id, "homework", homework)


async def ensure_text_allowed(journal: Journal, actor: Actor, lesson_id: int, field: str) -> None:
    """Check R10, R12 and R13 for a topic or homework before the teacher is asked to type
    it, so that a refusal comes before the typing, not after."""
    async with journal.transaction() as s:
        lesson = await lesson_for_edit(s, actor, lesson_id)
        await _check_text_rules(s, journal, actor, lesson, field)


async def _check_text_rules(
    s: AsyncSession, journal: Journal, actor: Actor, lesson: Lesson, field: str
) -> None:
    await periods.ensure_open(s, actor.school_id, lesson.date)  # R10
    if field == "homework":
        grade = await s.scalar(select(SchoolClass.grade).where(SchoolClass.id == lesson.class_id))
        if not grade_has_marks(grade or 0):
            raise NotAllowed("error.grade1_no_homework")  # R12
    rules = await journal.school_rules(s, actor.school_id)
    today = local_today(journal.clock, rules.timezone)
    if lesson.date > today and await lessons_ahead(s, lesson, today) > TOPIC_LESSONS_AHEAD:
        raise NotAllowed("error.too_far_ahead", limit=TOPIC_LESSONS_AHEAD)  # R13


async def _set_text(journal: Journal, actor: Actor, lesson_id: int, field: str, value: str) -> None:
    value = value.strip()
    if not value or len(value) > MAX_TEXT:
        raise InvalidValue("error.text_length", limit=MAX_TEXT)
    async with journal.transaction() as s:
        lesson = await lesson_for_edit(s, actor, lesson_id, lock=True)
        await _check_text_rules(s, journal, actor, lesson, field)
        now = journal.clock.now()
        old = getattr(lesson, field)
        values: dict[str, object] = {field: value, f"{field}_set_at": now}
        if field == "homework":  # due at the next lesson, or the one the teacher picked
            choices = await next_lesson_dates(s, lesson, HOMEWORK_DUE_CHOICES)
            kept = lesson.homework and lesson.homework_due in choices
            values["homework_due"] = (
                lesson.homework_due
                if kept
                else choices[0]
                if choices
                else lesson.date + timedelta(days=1)
            )
        await s.execute(update(Lesson).where(Lesson.id == lesson.id).values(values))
        if old != value:  # audited, so a revert (R3) can restore it
            await audit.record(
                s,
                school_id=lesson.school_id,
                at=now,
                actor_id=actor.person_id,
                binding_id=actor.binding_id,
                action=audit.Action(f"lesson.{field}"),
                entity="lesson",
                key={"lesson_id": lesson.id},
                old={field: old},
                new={field: value},
            )


HOMEWORK_DUE_CHOICES = 4  # the teacher may pick one of the next four lessons (issue 9.3)


@dataclass(frozen=True)
class HomeworkDue:
    """When a lesson's homework is due, and the lessons the teacher may pick instead."""

    lesson_id: int
    due: date | None
    choices: list[date]


async def homework_due_choices(journal: Journal, actor: Actor, lesson_id: int) -> HomeworkDue:
    """The next lessons of the subject a lesson's homework may be due at (the next one by
    default), for the teacher who fills the lesson."""
    async with journal.transaction() as s:
        lesson = await lesson_for_edit(s, actor, lesson_id)
        choices = await next_lesson_dates(s, lesson, HOMEWORK_DUE_CHOICES)
        return HomeworkDue(lesson.id, lesson.homework_due, choices)


async def set_homework_due(
    journal: Journal, actor: Actor, lesson_id: int, due: date
) -> HomeworkDue:
    """The teacher picks another lesson the homework is due at: one of the next
    ``HOMEWORK_DUE_CHOICES`` lessons of the subject (anything else is refused as a
    stale or forged button). The same rules as for the homework apply (R10, R12, R13)."""
    async with journal.transaction() as s:
        lesson = await lesson_for_edit(s, actor, lesson_id, lock=True)
        await _check_text_rules(s, journal, actor, lesson, "homework")
        if not lesson.homework:
            raise NotAllowed("error.homework_first")
        choices = await next_lesson_dates(s, lesson, HOMEWORK_DUE_CHOICES)
        if due not in choices:
            raise InvalidValue("fallback.stale_button")
        await s.execute(update(Lesson).where(Lesson.id == lesson.id).values(homework_due=due))
        return HomeworkDue(lesson.id, due, choices)
