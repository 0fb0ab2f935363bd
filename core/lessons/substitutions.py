"""Substitutions (R5, R25): a teacher takes a lesson today, the deputy assigns one for any
day, and the teachers concerned are told from the audit log (R9)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, periods
from core.access import (
    Actor,
    ensure_staff,
    load_lesson,
)
from core.clock import local_today
from core.errors import InvalidValue, NotAllowed
from core.journal import Journal
from core.lessons.changes import record_substitution
from core.lessons.days import SchoolLesson, get_lesson, school_lesson, school_lessons_in
from core.lessons.queries import LessonSummary, lesson_summary, summary_query
from core.models import (
    AuditEntry,
    Group,
    Lesson,
    Person,
    StaffRole,
    StaffRoleRow,
)


async def school_teachers(journal: Journal, actor: Actor) -> list[tuple[int, str]]:
    """The school's teachers (id, full name), by name: who may be made a substitute."""
    ensure_staff(actor, StaffRole.DEPUTY, StaffRole.DIRECTOR, StaffRole.ADMIN)
    async with journal.transaction() as s:
        return await _school_teachers_in(s, actor.school_id)


@dataclass(frozen=True)
class SubstituteChoice:
    """A lesson of the school's day and the school's teachers, one of whom the deputy
    picks as its substitute (R5, R25)."""

    lesson: SchoolLesson
    teachers: list[tuple[int, str]]  # id, full name, by name


async def substitute_choice(
    journal: Journal, actor: Actor, day: date, lesson_id: int
) -> SubstituteChoice:
    """The substitute picker in one read: the lesson among the school's lessons of the
    day (``school_day``; NotFound when not there) and ``school_teachers``."""
    ensure_staff(actor, StaffRole.DEPUTY, StaffRole.DIRECTOR, StaffRole.ADMIN)
    async with journal.transaction() as s:
        lesson = school_lesson(await school_lessons_in(s, actor.school_id, day), lesson_id)
        return SubstituteChoice(lesson, await _school_teachers_in(s, actor.school_id))


async def _school_teachers_in(s: AsyncSession, school_id: int) -> list[tuple[int, str]]:
    rows = await s.execute(
        select(Person.id, Person.full_name)
        .join(StaffRoleRow, StaffRoleRow.person_id == Person.id)
        .where(Person.school_id == school_id, StaffRoleRow.role == StaffRole.TEACHER.value)
        .order_by(Person.full_name, Person.id)
    )
    return [(pid, name) for pid, name in rows]


async def take_as_substitute(journal: Journal, actor: Actor, lesson_id: int) -> LessonSummary:
    """R5: a teacher records that they give another teacher's lesson today; the lesson
    then shows them as its teacher and they may fill it."""
    ensure_staff(actor, StaffRole.TEACHER)
    async with journal.transaction() as s:
        lesson = await load_lesson(s, actor, lesson_id)
        rules = await journal.school_rules(s, actor.school_id)
        if lesson.date != local_today(journal.clock, rules.timezone):
            raise NotAllowed("error.substitute_today_only")
        await periods.ensure_open(s, actor.school_id, lesson.date)
        await _set_teacher(s, journal, actor, lesson, actor.person_id)  # type: ignore[arg-type]  # a teacher has a person
    return await get_lesson(journal, actor, lesson_id)


async def assign_substitute(
    journal: Journal, actor: Actor, lesson_id: int, teacher_id: int
) -> None:
    """R5, R25: the deputy (or director, admin) records a substitution for any day."""
    ensure_staff(actor, StaffRole.DEPUTY, StaffRole.DIRECTOR, StaffRole.ADMIN)
    async with journal.transaction() as s:
        lesson = await load_lesson(s, actor, lesson_id)
        await periods.ensure_open(s, actor.school_id, lesson.date)
        teacher = await s.get(Person, teacher_id)
        if teacher is None or teacher.school_id != actor.school_id:
            raise InvalidValue("error.substitute_not_teacher")
        is_teacher = await s.scalar(
            select(func.count())
            .select_from(StaffRoleRow)
            .where(
                StaffRoleRow.person_id == teacher_id,
                StaffRoleRow.role == StaffRole.TEACHER.value,
            )
        )
        if not is_teacher:
            raise InvalidValue("error.substitute_not_teacher")
        await _set_teacher(s, journal, actor, lesson, teacher_id)


@dataclass(frozen=True)
class SubstitutionNotice:
    """The lesson's latest change of teacher, as the teachers concerned are told of it."""

    change_id: int  # the audit entry
    lesson: LessonSummary
    group: str | None
    old_teacher_id: int
    new_teacher_id: int
    new_teacher: str
    old_teacher: str
    by_id: int | None


async def substitution_notice(journal: Journal, lesson_id: int) -> SubstitutionNotice | None:
    """What the latest substitution on a lesson was (from the audit log, R9), for telling
    the regular teacher (R5); None if its teacher was never changed."""
    async with journal.transaction() as s:
        school_id = await s.scalar(select(Lesson.school_id).where(Lesson.id == lesson_id))
        entry = await s.scalar(
            select(AuditEntry)
            .where(
                # The change was just made: the recent entries of the school (indexed).
                AuditEntry.school_id == school_id,
                AuditEntry.at >= journal.clock.now() - timedelta(days=1),
                AuditEntry.entity == "lesson",
                AuditEntry.action == audit.Action.LESSON_SUBSTITUTE.value,
                AuditEntry.entity_key["lesson_id"].as_integer() == lesson_id,
            )
            .order_by(AuditEntry.id.desc())
            .limit(1)
        )
        if entry is None or not entry.old or not entry.new:
            return None
        row = (await s.execute(summary_query().where(Lesson.id == lesson_id))).one()
        summary = lesson_summary(row)
        old_id, new_id = int(entry.old["teacher_id"]), int(entry.new["teacher_id"])
        names = dict(
            (
                await s.execute(
                    select(Person.id, Person.full_name).where(Person.id.in_([old_id, new_id]))
                )
            ).all()
        )
        group = (
            await s.scalar(select(Group.name).where(Group.id == summary.group_id))
            if summary.group_id is not None
            else None
        )
        return SubstitutionNotice(
            entry.id,
            summary,
            group,
            old_id,
            new_id,
            names.get(new_id, ""),
            names.get(old_id, ""),
            entry.actor_id,
        )


async def _set_teacher(
    s: AsyncSession, journal: Journal, actor: Actor, lesson: Lesson, teacher_id: int
) -> None:
    old = lesson.teacher_id
    if old == teacher_id:
        return
    if lesson.cancelled:
        raise NotAllowed("error.lesson_cancelled")
    lesson.teacher_id = teacher_id
    await record_substitution(s, journal, actor, lesson, old)  # R25: parents are told
    await audit.record(
        s,
        school_id=lesson.school_id,
        at=journal.clock.now(),
        actor_id=actor.person_id,
        binding_id=actor.binding_id,
        action=audit.Action.LESSON_SUBSTITUTE,
        entity="lesson",
        key={"lesson_id": lesson.id},
        old={"teacher_id": old},
        new={"teacher_id": teacher_id},
    )
