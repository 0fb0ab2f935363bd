"""The timetable as a family reads it (R16, R25): a pupil's lessons of a day or a week
with their rooms and bells, the day's changes marked; and whom a change concerns (the
parents of the pupils of the lesson's class or subgroup: ``schedule_parents``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core import recipients
from core.access import Actor, ensure_can_view_pupil
from core.accounts.caller import PupilRef, children_in
from core.accounts.choices import Topic, wants_sql
from core.clock import local_today
from core.journal import Journal
from core.lessons.changes import ChangeView, changes_touching
from core.lessons.queries import LessonSummary, lesson_summary, materialise, pupil_lessons_query
from core.models import BindingRole, GroupMember, Lesson
from core.recipients import Recipient


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


@dataclass
class ParentTold:
    """A parent binding told of changes of the day, and per child (id, name, class) the
    changes that concern the child, in the order they were made."""

    recipient: Recipient
    children: dict[tuple[int, str, str], list[ChangeView]]


# THE place where the parents told of schedule changes are chosen (R25, R16): the pupils
# enrolled on the day in each change's class (or its subgroup), and their guardians who
# consented (R19), did not opt out of the e-diary (R18) and did not turn schedule changes
# off for that child (R16, «⚙️ Уведомления»); the bindings are picked by
# ``recipients.reachable`` (revoked, unreachable, «Куда присылать»).
_PARENTS_SQL = text(
    f"""
    SELECT x.i, p.person_id, pe.full_name, k.name, g.guardian_id
    FROM unnest(CAST(:classes AS integer[]), CAST(:groups AS integer[]))
         WITH ORDINALITY AS x(class_id, group_id, i)
    JOIN pupils p ON p.class_id = x.class_id
    JOIN people pe ON pe.id = p.person_id
    JOIN classes k ON k.id = p.class_id
    JOIN guardianships g ON g.pupil_id = p.person_id
    WHERE (p.admitted_on IS NULL OR p.admitted_on <= :day)
      AND (p.left_on IS NULL OR p.left_on > :day)
      AND g.consent IS TRUE AND NOT g.diary_opt_out AND {wants_sql(Topic.SCHEDULE)}
      AND (x.group_id IS NULL OR EXISTS (
            SELECT 1 FROM group_members gm
            WHERE gm.group_id = x.group_id AND gm.pupil_id = p.person_id))
    ORDER BY g.guardian_id, pe.full_name, p.person_id, x.i
    """
)


async def schedule_parents(
    s: AsyncSession, changes: list[ChangeView], day: date
) -> list[ParentTold]:
    """The parent bindings to tell of ``changes`` (of ``day``), each with only their own
    children's changes; a parent none of whose children a change concerns is not here."""
    if not changes:
        return []
    rows = await s.execute(
        _PARENTS_SQL,
        {
            "classes": [c.class_id for c in changes],
            "groups": [c.group_id for c in changes],
            "day": day,
        },
    )
    by_guardian: dict[int, dict[tuple[int, str, str], list[ChangeView]]] = defaultdict(dict)
    for i, pupil_id, name, class_name, guardian_id in rows:
        child = by_guardian[guardian_id].setdefault((pupil_id, name, class_name), [])
        child.append(changes[i - 1])
    found = await recipients.reachable(s, list(by_guardian), BindingRole.PARENT)
    return [
        ParentTold(r, by_guardian[guardian])
        for guardian in sorted(by_guardian)
        for r in found.get(guardian, [])
    ]
