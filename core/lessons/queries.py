"""What the lesson use cases read: a lesson as its card shows it, its pupils (R20), its
counts, the materialisation of lessons from the timetable, the next lessons of a subject."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    Interval,
    Select,
    and_,
    bindparam,
    cast,
    exists,
    extract,
    func,
    literal,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import (
    Attendance,
    Bell,
    GroupMember,
    Lesson,
    Mark,
    Period,
    Person,
    Pupil,
    SchoolClass,
    Subject,
    TimetableEntry,
)
from core.people import short_name


@dataclass(frozen=True)
class LessonSummary:
    id: int
    date: date
    lesson_no: int
    starts_at: time | None
    ends_at: time | None
    class_id: int
    class_name: str
    grade: int
    group_id: int | None
    subject_id: int
    subject: str
    teacher_id: int
    substituted: bool
    room: str | None
    topic: str | None
    homework: str | None
    attendance_taken: bool
    homework_due: dt.date | None = None  # the lesson the homework is for (next of the subject)
    work_type_id: int | None = None  # R14: the written or control work the lesson is
    cancelled: bool = False  # R25: not given at this slot (cancelled, or moved away)


@dataclass(frozen=True)
class PupilOfLesson:
    id: int
    full_name: str
    short_name: str


_ONE_DAY = literal(timedelta(days=1), Interval())


def _days(start: Any, end: Any) -> Any:
    """``generate_series(start, end, 1 day) AS d(day)``: the dates from start to end."""
    series = func.generate_series(cast(start, Date), cast(end, Date), _ONE_DAY)
    return series.table_valued("day").render_derived(name="d")


# The timetable's lessons on every school day (inside a period) of [start, end].
_PERIOD_DAYS = func.generate_series(
    func.greatest(Period.starts_on, cast(bindparam("start", type_=Date), Date)),
    func.least(Period.ends_on, cast(bindparam("end", type_=Date), Date)),
    _ONE_DAY,
)
_DAY = _PERIOD_DAYS.table_valued("day").render_derived(name="d").lateral()
# On the table: an ORM insert given parameters would be an ORM bulk insert.
_MATERIALISE = (
    pg_insert(Lesson.__table__)
    .from_select(
        [
            Lesson.school_id,
            Lesson.date,
            Lesson.lesson_no,
            Lesson.class_id,
            Lesson.group_id,
            Lesson.subject_id,
            Lesson.teacher_id,
            Lesson.planned_teacher_id,
            Lesson.room,
        ],
        select(
            TimetableEntry.school_id,
            cast(_DAY.c.day, Date),
            TimetableEntry.lesson_no,
            TimetableEntry.class_id,
            TimetableEntry.group_id,
            TimetableEntry.subject_id,
            TimetableEntry.teacher_id,
            TimetableEntry.teacher_id,
            TimetableEntry.room,
        )
        .select_from(Period)
        .join(_DAY, true())
        .join(
            TimetableEntry,
            and_(
                TimetableEntry.school_id == Period.school_id,
                TimetableEntry.weekday == extract("isodow", _DAY.c.day),
            ),
        )
        .where(Period.school_id == bindparam("school_id")),
    )
    .on_conflict_do_nothing(constraint="uq_lessons_class_id_group_id_date_lesson_no")
)


async def materialise(session: AsyncSession, school_id: int, start: date, end: date) -> None:
    """Create the lessons of the timetable for school days in [start, end] (idempotent).
    Only dates inside a reporting period are school days; holidays have no lessons."""
    await session.execute(_MATERIALISE, {"school_id": school_id, "start": start, "end": end})


def summary_query() -> Select[*tuple[Any, ...]]:
    return (
        select(
            Lesson,
            SchoolClass.name,
            SchoolClass.grade,
            Subject.name,
            Bell.starts_at,
            Bell.ends_at,
        )
        .join(SchoolClass, SchoolClass.id == Lesson.class_id)
        .join(Subject, Subject.id == Lesson.subject_id)
        .outerjoin(
            Bell, and_(Bell.school_id == Lesson.school_id, Bell.lesson_no == Lesson.lesson_no)
        )
    )


def lesson_summary(row: Sequence[Any]) -> LessonSummary:
    lesson, class_name, grade, subject, starts_at, ends_at = row
    return LessonSummary(
        id=lesson.id,
        date=lesson.date,
        lesson_no=lesson.lesson_no,
        starts_at=starts_at,
        ends_at=ends_at,
        class_id=lesson.class_id,
        class_name=class_name,
        grade=grade,
        group_id=lesson.group_id,
        subject_id=lesson.subject_id,
        subject=subject,
        teacher_id=lesson.teacher_id,
        substituted=lesson.teacher_id != lesson.planned_teacher_id,
        room=lesson.room,
        topic=lesson.topic,
        homework=lesson.homework,
        attendance_taken=lesson.attendance_taken_at is not None,
        homework_due=lesson.homework_due,
        work_type_id=lesson.work_type_id,
        cancelled=lesson.cancelled,
    )


async def pupils_of_lesson(session: AsyncSession, lesson: Lesson) -> list[PupilOfLesson]:
    """The pupils a lesson is for: its subgroup (R20) or the whole class, as enrolled on
    the lesson's date, sorted as in a paper journal. Looked up once per transaction."""
    cache_key = ("pupils_of_lesson", lesson.id)
    if cache_key in session.info:
        return session.info[cache_key]
    query = (
        select(Pupil.person_id, Person.full_name)
        .join(Person, Person.id == Pupil.person_id)
        .where(
            Pupil.class_id == lesson.class_id,
            or_(Pupil.admitted_on.is_(None), Pupil.admitted_on <= lesson.date),
            or_(Pupil.left_on.is_(None), Pupil.left_on > lesson.date),
        )
        .order_by(Person.full_name, Pupil.person_id)
    )
    if lesson.group_id is not None:
        query = query.join(
            GroupMember,
            and_(GroupMember.pupil_id == Pupil.person_id, GroupMember.group_id == lesson.group_id),
        )
    rows = await session.execute(query)
    pupils = [PupilOfLesson(pid, name, short_name(name)) for pid, name in rows]
    session.info[cache_key] = pupils
    return pupils


HOMEWORK_DUE_HORIZON_DAYS = 21


def _next_lessons_query() -> Select[date]:
    """The dates from :start to :end with a lesson of :subject for :class and :group:
    school days (inside a period of :school) on the timetable's weekdays, and lessons
    added by hand; the first :count of them."""
    start, end = bindparam("start", type_=Date), bindparam("end", type_=Date)
    group = bindparam("group", type_=Integer)
    days = _days(start, end)
    day = cast(days.c.day, Date)
    planned = select(day.label("day")).where(
        exists().where(
            Period.school_id == bindparam("school"), day.between(Period.starts_on, Period.ends_on)
        ),
        exists().where(
            TimetableEntry.class_id == bindparam("class"),
            TimetableEntry.group_id.is_not_distinct_from(group),
            TimetableEntry.subject_id == bindparam("subject"),
            TimetableEntry.weekday == extract("isodow", days.c.day),
        ),
    )
    added = select(Lesson.date).where(
        Lesson.class_id == bindparam("class"),
        Lesson.group_id.is_not_distinct_from(group),
        Lesson.subject_id == bindparam("subject"),
        Lesson.date.between(start, end),
    )
    both = union(planned, added).subquery("x")
    return select(both.c.day).order_by(both.c.day).limit(bindparam("count", type_=Integer))


_NEXT_LESSONS = _next_lessons_query()


async def next_lesson_dates(s: AsyncSession, lesson: Lesson, count: int) -> list[date]:
    """The dates of the next ``count`` lessons of this subject for this class (or group)
    after ``lesson``, within three weeks: read from the timetable (school days inside a
    period) and lessons added by hand, without materialising future lessons."""
    rows = await s.execute(
        _NEXT_LESSONS,
        {
            "start": lesson.date + timedelta(days=1),
            "end": lesson.date + timedelta(days=HOMEWORK_DUE_HORIZON_DAYS),
            "school": lesson.school_id,
            "class": lesson.class_id,
            "group": lesson.group_id,
            "subject": lesson.subject_id,
            "count": count,
        },
    )
    return [day for (day,) in rows]


async def lessons_ahead(s: AsyncSession, lesson: Lesson, today: date) -> int:
    """How many lessons of this subject for this class (or group) lie from tomorrow up
    to and including this one. R13 allows entering topics up to 5 lessons ahead."""
    await materialise(s, lesson.school_id, today + timedelta(days=1), lesson.date)
    return int(
        await s.scalar(
            select(func.count())
            .select_from(Lesson)
            .where(
                Lesson.class_id == lesson.class_id,
                Lesson.group_id.is_not_distinct_from(lesson.group_id),
                Lesson.subject_id == lesson.subject_id,
                Lesson.date > today,
                or_(
                    Lesson.date < lesson.date,
                    and_(Lesson.date == lesson.date, Lesson.lesson_no <= lesson.lesson_no),
                ),
            )
        )
        or 0
    )


@dataclass(frozen=True)
class LessonCounts:
    present: int
    absent: int
    late: int
    not_taken: int
    marks: int


async def lesson_counts(session: AsyncSession, lesson: Lesson) -> LessonCounts:
    pupils = await pupils_of_lesson(session, lesson)
    statuses = dict(
        (
            await session.execute(
                select(Attendance.pupil_id, Attendance.status).where(
                    Attendance.lesson_id == lesson.id
                )
            )
        ).all()
    )
    marks = await session.scalar(
        select(func.count()).select_from(Mark).where(Mark.lesson_id == lesson.id)
    )
    values = [statuses.get(p.id) for p in pupils]
    return LessonCounts(
        present=values.count("present"),
        absent=values.count("absent"),
        late=values.count("late"),
        not_taken=values.count(None),
        marks=int(marks or 0),
    )


def pupil_lessons_query(pupil_id: int, class_id: int) -> Select[*tuple[Any, ...]]:
    """The lessons a pupil attends: the class's, and those of the subgroups they are in."""
    return summary_query().where(
        Lesson.class_id == class_id,
        or_(
            Lesson.group_id.is_(None),
            Lesson.group_id.in_(
                select(GroupMember.group_id).where(GroupMember.pupil_id == pupil_id)
            ),
        ),
    )
