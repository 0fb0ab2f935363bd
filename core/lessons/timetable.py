"""The timetable as a family reads it (R16, R25): a pupil's lessons of a day or a week
with their rooms and bells, the day's changes marked; and whom a change concerns (the
pupils of the lesson's class or subgroup and their guardians)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import Actor, ensure_can_view_pupil
from core.accounts.caller import PupilRef, children_in
from core.clock import local_today
from core.journal import Journal
from core.lessons.changes import ChangeView, changes_touching
from core.lessons.queries import LessonSummary, lesson_summary, materialise, pupil_lessons_query
from core.models import GroupMember, Guardianship, Lesson, Person, Pupil, SchoolClass


@dataclass(frozen=True)
class ScheduleDay:
    """A pupil's lessons of one day (cancelled and moved-away ones too, marked) and the
    day's changes that concern them."""

    day: date
    lessons: list[LessonSummary]
    changes: list[ChangeView]


@dataclass(frozen=True)
class SchedulePage:
    days: list[ScheduleDay]
    children: list[PupilRef] = field(default_factory=list)  # a parent's, for the switch


WEEK = "week"


async def schedule_page(journal: Journal, actor: Actor, pupil_id: int, when: str) -> SchedulePage:
    """``when``: ``today``, ``tomorrow`` or ``week`` (Monday to Sunday of this week;
    the next one from Saturday on)."""
    today = local_today(journal.clock, journal.rules.timezone)
    if when == WEEK:
        start = today - timedelta(days=today.weekday())
        if today.weekday() >= 5:
            start += timedelta(days=7)
        days = [start + timedelta(days=i) for i in range(7)]
    else:
        days = [today + timedelta(days=1)] if when == "tomorrow" else [today]
    async with journal.transaction() as s:
        found = await schedule_days_in(s, actor, pupil_id, days)
        return SchedulePage(found, await children_in(s, actor))


async def schedule_days_in(
    s: AsyncSession, actor: Actor, pupil_id: int, days: list[date]
) -> list[ScheduleDay]:
    pupil = await ensure_can_view_pupil(s, actor, pupil_id)
    await materialise(s, actor.school_id, days[0], days[-1])
    groups = set(
        await s.scalars(select(GroupMember.group_id).where(GroupMember.pupil_id == pupil_id))
    )
    rows = await s.execute(
        pupil_lessons_query(pupil_id, pupil.class_id)
        .where(Lesson.date.between(days[0], days[-1]))
        .order_by(Lesson.date, Lesson.lesson_no, Lesson.cancelled)
    )
    by_day: dict[date, list[LessonSummary]] = defaultdict(list)
    for row in rows:
        x = lesson_summary(row)
        by_day[x.date].append(x)
    result = []
    for day in days:
        changes = [
            c
            for c in await changes_touching(s, actor.school_id, day, class_id=pupil.class_id)
            if c.group_id is None or c.group_id in groups
        ]
        result.append(ScheduleDay(day, by_day.get(day, []), changes))
    return result


@dataclass(frozen=True)
class Concerned:
    """A pupil a change concerns, and their guardians who read the journal."""

    pupil_id: int
    full_name: str
    class_name: str
    guardians: list[int]


async def concerned_by(s: AsyncSession, change: ChangeView, day: date) -> list[Concerned]:
    """The pupils enrolled on ``day`` in the change's class (or subgroup), each with the
    guardians who consented and did not opt out of the diary (R18, R19)."""
    query = (
        select(Pupil.person_id, Person.full_name, SchoolClass.name, Guardianship.guardian_id)
        .join(Person, Person.id == Pupil.person_id)
        .join(SchoolClass, SchoolClass.id == Pupil.class_id)
        .join(Guardianship, Guardianship.pupil_id == Pupil.person_id)
        .where(
            Pupil.class_id == change.class_id,
            or_(Pupil.admitted_on.is_(None), Pupil.admitted_on <= day),
            or_(Pupil.left_on.is_(None), Pupil.left_on > day),
            Guardianship.consent.is_(True),
            Guardianship.diary_opt_out.is_(False),
        )
        .order_by(Person.full_name, Pupil.person_id, Guardianship.guardian_id)
    )
    if change.group_id is not None:
        query = query.where(
            exists().where(
                and_(
                    GroupMember.group_id == change.group_id,
                    GroupMember.pupil_id == Pupil.person_id,
                )
            )
        )
    found: dict[int, Concerned] = {}
    for pupil_id, name, class_name, guardian_id in await s.execute(query):
        found.setdefault(pupil_id, Concerned(pupil_id, name, class_name, [])).guardians.append(
            guardian_id
        )
    return list(found.values())
