"""The lists a teacher, a class, a pupil and the deputy work from: the lessons of a day."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import (
    Actor,
    ensure_can_view_class,
    ensure_can_view_lesson,
    ensure_can_view_pupil,
    ensure_staff,
)
from core.errors import NotFound
from core.journal import Journal
from core.lessons.queries import (
    LessonSummary,
    lesson_summary,
    materialise,
    pupil_lessons_query,
    summary_query,
)
from core.models import (
    Group,
    Lesson,
    Person,
    SchoolClass,
    StaffRole,
)
from core.people import short_name


async def teacher_day(journal: Journal, actor: Actor, day: date) -> list[LessonSummary]:
    """The lessons the teacher gives on a day, substitutions included (R5)."""
    ensure_staff(actor, StaffRole.TEACHER)
    async with journal.transaction() as s:
        await materialise(s, actor.school_id, day, day)
        rows = await s.execute(
            summary_query()
            .where(
                Lesson.teacher_id == actor.person_id,
                Lesson.date == day,
                Lesson.cancelled.is_(False),  # R25: no lesson to give
            )
            .order_by(Lesson.lesson_no)
        )
        return [lesson_summary(r) for r in rows]


async def class_day(
    journal: Journal, actor: Actor, class_id: int, day: date
) -> list[LessonSummary]:
    """A class's lessons on a day (every subgroup), for whoever may view the class."""
    async with journal.transaction() as s:
        return await class_day_in(s, actor, class_id, day)


async def class_day_in(
    s: AsyncSession, actor: Actor, class_id: int, day: date
) -> list[LessonSummary]:
    """``class_day`` inside the caller's transaction."""
    await ensure_can_view_class(s, actor, class_id)
    await materialise(s, actor.school_id, day, day)
    rows = await s.execute(
        summary_query()
        .where(Lesson.class_id == class_id, Lesson.date == day, Lesson.cancelled.is_(False))
        .order_by(Lesson.lesson_no, Lesson.group_id)
    )
    return [lesson_summary(r) for r in rows]


@dataclass(frozen=True)
class SchoolLesson:
    """A lesson of the school's day as a substitution is chosen from: who gives it and
    which subgroup it is for, so two «7В Английский язык» lessons read apart (R5, R20)."""

    lesson: LessonSummary
    teacher: str
    group: str | None
    planned_teacher: str


def school_lesson(rows: list[SchoolLesson], lesson_id: int) -> SchoolLesson:
    """The lesson ``lesson_id`` among a school day's lessons; NotFound when not there
    (a stale or forged button)."""
    found = next((x for x in rows if x.lesson.id == lesson_id), None)
    if found is None:
        raise NotFound()
    return found


async def school_lessons_in(
    s: AsyncSession, school_id: int, day: date, *, not_by: int | None = None
) -> list[SchoolLesson]:
    """The school's lessons of a day, each with its teacher and subgroup (the timetable
    materialised first), read in the caller's session."""
    await materialise(s, school_id, day, day)
    query = summary_query().where(Lesson.school_id == school_id, Lesson.date == day)
    if not_by is not None:  # a teacher's pick: lessons given by others
        query = query.where(Lesson.teacher_id != not_by, Lesson.cancelled.is_(False))
    rows = [
        lesson_summary(r)
        for r in await s.execute(query.order_by(Lesson.lesson_no, SchoolClass.name, Lesson.id))
    ]
    people = {r.teacher_id for r in rows}
    lesson_ids = [r.id for r in rows]
    planned = (
        dict(
            (
                await s.execute(
                    select(Lesson.id, Lesson.planned_teacher_id).where(Lesson.id.in_(lesson_ids))
                )
            ).all()
        )
        if lesson_ids
        else {}
    )
    people |= set(planned.values())
    names = (
        dict(
            (
                await s.execute(select(Person.id, Person.full_name).where(Person.id.in_(people)))
            ).all()
        )
        if people
        else {}
    )
    group_ids = {r.group_id for r in rows if r.group_id is not None}
    groups = (
        dict((await s.execute(select(Group.id, Group.name).where(Group.id.in_(group_ids)))).all())
        if group_ids
        else {}
    )
    return [
        SchoolLesson(
            r,
            short_name(names.get(r.teacher_id, "")),
            groups.get(r.group_id) if r.group_id is not None else None,
            short_name(names.get(planned.get(r.id, r.teacher_id), "")),
        )
        for r in rows
    ]


async def substitutable_lessons(journal: Journal, actor: Actor, day: date) -> list[SchoolLesson]:
    """Other teachers' lessons of the day, which a teacher may take as a substitute, each
    with its teacher and subgroup."""
    ensure_staff(actor, StaffRole.TEACHER)
    async with journal.transaction() as s:
        return await school_lessons_in(s, actor.school_id, day, not_by=actor.person_id)


async def school_day(journal: Journal, actor: Actor, day: date) -> list[SchoolLesson]:
    """Every lesson of the school's day, for the deputy who assigns substitutes (R5, R25)."""
    ensure_staff(actor, StaffRole.DEPUTY, StaffRole.DIRECTOR, StaffRole.ADMIN)
    async with journal.transaction() as s:
        return await school_lessons_in(s, actor.school_id, day)


async def get_lesson(journal: Journal, actor: Actor, lesson_id: int) -> LessonSummary:
    async with journal.transaction() as s:
        await ensure_can_view_lesson(s, actor, lesson_id)
        row = (await s.execute(summary_query().where(Lesson.id == lesson_id))).one()
        return lesson_summary(row)


async def next_school_day_lessons(
    journal: Journal, actor: Actor, pupil_id: int, after: date, horizon_days: int = 21
) -> list[LessonSummary]:
    """The pupil's lessons on the first school day after ``after`` (for homework, R16)."""
    async with journal.transaction() as s:
        return await next_school_day_lessons_in(s, actor, pupil_id, after, horizon_days)


async def next_school_day_lessons_in(
    s: AsyncSession, actor: Actor, pupil_id: int, after: date, horizon_days: int = 21
) -> list[LessonSummary]:
    """``next_school_day_lessons`` inside the caller's transaction."""
    pupil = await ensure_can_view_pupil(s, actor, pupil_id)
    await materialise(
        s, actor.school_id, after + timedelta(days=1), after + timedelta(days=horizon_days)
    )
    query = pupil_lessons_query(pupil_id, pupil.class_id).where(Lesson.cancelled.is_(False))
    first = await s.scalar(
        select(func.min(Lesson.date)).where(
            Lesson.id.in_(query.with_only_columns(Lesson.id)),
            Lesson.date > after,
            Lesson.date <= after + timedelta(days=horizon_days),
        )
    )
    if first is None:
        return []
    rows = await s.execute(query.where(Lesson.date == first).order_by(Lesson.lesson_no))
    day = [lesson_summary(r) for r in rows]
    # Homework is given at an earlier lesson and due on this day (issue 9): show it on
    # the day's first lesson of that subject and group, not what was typed on the day.
    given = await s.execute(
        select(Lesson.subject_id, Lesson.group_id, Lesson.homework)
        .where(
            Lesson.id.in_(query.with_only_columns(Lesson.id)),
            func.coalesce(Lesson.homework_due, Lesson.date) == first,
            Lesson.homework.is_not(None),
            Lesson.homework != "",
        )
        .order_by(Lesson.date, Lesson.lesson_no)
    )
    due: dict[tuple[int, int | None], list[str]] = {}
    for subject_id, group_id, homework in given:
        if homework:  # the query asks for a non-empty one
            due.setdefault((subject_id, group_id), []).append(homework)
    shown: list[LessonSummary] = []
    for x in day:
        texts = due.pop((x.subject_id, x.group_id), None)
        shown.append(replace(x, homework="\n".join(texts) if texts else None))
    return shown
