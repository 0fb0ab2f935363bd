"""R14: a written or control work's marks are due within a few working days (2 in grades
1–4, 5 in grades 5–11; ``core.rules.written_marks_days``). A lesson is such a work when
its teacher sets its work type (``lessons.work_type_id``, one with ``work_types.written``).

Its marks are "in" when every pupil who was at the lesson (not marked absent; the roll
call not taken counts as present) has a mark of that work type: an absent pupil writes it
later (R15) and does not hold the class's work up. Working days are the school's: the
days inside a reporting period on a weekday its timetable has lessons (Monday to Friday
when it has no timetable), so a weekend or the holidays between periods do not count.

Read in the caller's transaction by the teacher's reminder (``due_on``), the filling
report and the deputy's list (``overdue_in``); the teacher's screen is ``lesson_work``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core import periods
from core.access import Actor, ensure_can_view_lesson, ensure_staff, lesson_for_edit
from core.clock import local_today
from core.errors import InvalidValue, NotAllowed
from core.journal import Journal
from core.lessons import LessonSummary, lesson_summary, summary_query
from core.models import Lesson, StaffRole, WorkType
from core.rules import grade_has_marks, written_marks_days, written_marks_due

# The calendar read beyond a lesson for its due day: 5 working days and the longest
# holidays between two periods (the summer is not: a year ends with its last period).
CALENDAR_AHEAD_DAYS = 45
OVERDUE_LOOKBACK_DAYS = 120  # the deputy's list without a current period


@dataclass(frozen=True)
class WrittenWork:
    """A lesson that is a written or control work, with its marks' state."""

    lesson_id: int
    date: date
    lesson_no: int
    class_id: int
    class_name: str
    grade: int
    subject: str
    teacher_id: int
    teacher: str  # the full name
    work: str  # the work type's name
    due: dt.date | None  # the last day for its marks (None: beyond the school's calendar)
    pupils: int  # who were at the lesson
    marked: int  # of them, with a mark of the work

    @property
    def missing(self) -> int:
        return self.pupils - self.marked


_WORKING_DAYS = text(
    """
    SELECT d::date FROM generate_series(CAST(:start AS date), CAST(:end AS date),
                                        interval '1 day') AS d
    WHERE EXISTS (SELECT 1 FROM periods p WHERE p.school_id = :school
                  AND d::date BETWEEN p.starts_on AND p.ends_on)
      AND (EXTRACT(isodow FROM d) IN (SELECT t.weekday FROM timetable t
                                      WHERE t.school_id = :school)
           OR (EXTRACT(isodow FROM d) <= 5
               AND NOT EXISTS (SELECT 1 FROM timetable t WHERE t.school_id = :school)))
    ORDER BY 1
    """
)


async def working_days(s: AsyncSession, school_id: int, start: date, end: date) -> list[date]:
    """The school's working days in [start, end], in order."""
    rows = await s.execute(_WORKING_DAYS, {"school": school_id, "start": start, "end": end})
    return [d for (d,) in rows]


_WORKS = text(
    """
    SELECT l.id, l.date, l.lesson_no, l.class_id, k.name, k.grade, s.name, l.teacher_id,
           pe.full_name, wt.name, c.pupils, c.marked
    FROM lessons l
    JOIN work_types wt ON wt.id = l.work_type_id AND wt.written
    JOIN classes k ON k.id = l.class_id
    JOIN subjects s ON s.id = l.subject_id
    JOIN people pe ON pe.id = l.teacher_id
    CROSS JOIN LATERAL (
        SELECT count(*) AS pupils,
               count(*) FILTER (WHERE EXISTS (
                   SELECT 1 FROM marks m WHERE m.lesson_id = l.id
                   AND m.pupil_id = p.person_id AND m.work_type_id = l.work_type_id)) AS marked
        FROM pupils p
        WHERE p.class_id = l.class_id
          AND (p.admitted_on IS NULL OR p.admitted_on <= l.date)
          AND (p.left_on IS NULL OR p.left_on > l.date)
          AND (l.group_id IS NULL OR EXISTS (
               SELECT 1 FROM group_members g
               WHERE g.group_id = l.group_id AND g.pupil_id = p.person_id))
          AND NOT EXISTS (
               SELECT 1 FROM attendance a
               WHERE a.lesson_id = l.id AND a.pupil_id = p.person_id AND a.status = 'absent')
    ) AS c
    WHERE l.school_id = :school AND l.date BETWEEN :start AND :end AND k.grade <> 1
      AND l.work_type_id IS NOT NULL
      AND NOT l.cancelled  -- R25: not given here (a moved lesson's copy is the work)
    ORDER BY l.date, l.lesson_no, k.name, l.id
    """
)


async def works_in(s: AsyncSession, school_id: int, start: date, end: date) -> list[WrittenWork]:
    """The school's written works given in [start, end], each with its due day."""
    rows = list(await s.execute(_WORKS, {"school": school_id, "start": start, "end": end}))
    if not rows:
        return []
    days = await working_days(s, school_id, start, end + timedelta(days=CALENDAR_AHEAD_DAYS))
    return [
        WrittenWork(
            lesson_id=r[0],
            date=r[1],
            lesson_no=r[2],
            class_id=r[3],
            class_name=r[4],
            grade=r[5],
            subject=r[6],
            teacher_id=r[7],
            teacher=r[8],
            work=r[9],
            due=written_marks_due(r[1], r[5], days),
            pupils=r[10],
            marked=r[11],
        )
        for r in rows
    ]


async def due_on(s: AsyncSession, school_id: int, day: date) -> list[WrittenWork]:
    """The written works whose marks are due on ``day`` and not all in yet (the teacher's
    reminder on the last day)."""
    start = day - timedelta(days=CALENDAR_AHEAD_DAYS)
    return [w for w in await works_in(s, school_id, start, day) if w.due == day and w.missing]


async def overdue_in(
    s: AsyncSession, school_id: int, start: date, end: date, today: date
) -> list[WrittenWork]:
    """The written works given in [start, end] whose due day is before ``today`` and whose
    marks are still not all in, by teacher then date."""
    works = [
        w
        for w in await works_in(s, school_id, start, end)
        if w.due is not None and w.due < today and w.missing
    ]
    return sorted(works, key=lambda w: (w.teacher, w.teacher_id, w.date, w.lesson_no))


@dataclass(frozen=True)
class OverdueList:
    """The deputy's list: the school's overdue written works since ``since``."""

    today: date
    since: date
    works: list[WrittenWork]


async def overdue_works(journal: Journal, actor: Actor) -> OverdueList:
    """R14: the school's written works past their marks' day, from the start of the
    current period (for the deputy, the director, the admin)."""
    ensure_staff(actor, StaffRole.DEPUTY, StaffRole.DIRECTOR, StaffRole.ADMIN)
    async with journal.transaction() as s:
        rules = await journal.school_rules(s, actor.school_id)
        today = local_today(journal.clock, rules.timezone)
        period = await periods.current_period_in(s, actor.school_id, today)
        since = period.starts_on if period else today - timedelta(days=OVERDUE_LOOKBACK_DAYS)
        works = await overdue_in(s, actor.school_id, since, today, today)
        return OverdueList(today, since, works)


@dataclass(frozen=True)
class LessonWork:
    """The teacher's screen of a lesson's written work: the lesson, the written work types
    to pick from, the one set, its marks' state and due day."""

    lesson: LessonSummary
    choices: list[tuple[int, str]]  # (work type id, name)
    work_type_id: int | None
    work: WrittenWork | None
    days: int  # the working days the rules give for the lesson's grade
    today: dt.date

    @property
    def past_due(self) -> bool:
        return self.work is not None and self.work.due is not None and self.work.due < self.today


async def lesson_work(journal: Journal, actor: Actor, lesson_id: int) -> LessonWork:
    async with journal.transaction() as s:
        return await _lesson_work(s, journal, actor, lesson_id)


async def set_lesson_work(
    journal: Journal, actor: Actor, lesson_id: int, work_type_id: int | None
) -> tuple[LessonWork, bool]:
    """Make the lesson a written work of that type (``None``: an ordinary lesson again);
    the screen's data and whether anything changed. Its teacher only (R1, R5), not in the
    first grade (R12) nor a closed period (R10), and not once its marks' day has passed
    (the deputy's overdue list would lose it)."""
    async with journal.transaction() as s:
        lesson = await lesson_for_edit(s, actor, lesson_id, lock=True)
        before = await _lesson_work(s, journal, actor, lesson_id)
        if not grade_has_marks(before.lesson.grade):
            raise NotAllowed("error.grade1_no_marks")  # R12
        await periods.ensure_open(s, actor.school_id, lesson.date)  # R10
        if (
            before.work is not None
            and before.work.due is not None
            and before.work.due < before.today
        ):
            raise NotAllowed("error.written_work_past_due")
        if work_type_id is not None and work_type_id not in dict(before.choices):
            raise InvalidValue("error.unknown_work_type")
        if lesson.work_type_id == work_type_id:
            return before, False
        lesson.work_type_id = work_type_id
        await s.flush()
        return await _lesson_work(s, journal, actor, lesson_id), True


async def _lesson_work(
    s: AsyncSession, journal: Journal, actor: Actor, lesson_id: int
) -> LessonWork:
    lesson = await ensure_can_view_lesson(s, actor, lesson_id)
    summary = lesson_summary((await s.execute(summary_query().where(Lesson.id == lesson_id))).one())
    choices = [
        (w.id, w.name)
        for w in await s.scalars(
            select(WorkType)
            .where(WorkType.school_id == actor.school_id, WorkType.written)
            .order_by(WorkType.id)
        )
    ]
    rules = await journal.school_rules(s, actor.school_id)
    found = await works_in(s, actor.school_id, lesson.date, lesson.date)
    work = next((w for w in found if w.lesson_id == lesson_id), None)
    return LessonWork(
        summary,
        choices,
        lesson.work_type_id,
        work,
        written_marks_days(summary.grade),
        local_today(journal.clock, rules.timezone),
    )
