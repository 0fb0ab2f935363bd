"""What the reports share: who may see a class's reports, the rows every report reads
(pupils on the roll, lessons held, subgroups, marks) and the small arithmetic (month
bounds, percentages). Package-internal: callers use the reports' own modules."""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import Actor, is_class_teacher
from core.clock import local_today
from core.errors import NotAllowed, NotFound
from core.journal import Journal
from core.lessons import materialise
from core.models import (
    EXCUSED_REASONS,
    AbsenceReason,
    AcademicYear,
    Assignment,
    BindingRole,
    Group,
    GroupMember,
    Lesson,
    Mark,
    Person,
    Presence,
    Pupil,
    SchoolClass,
    Subject,
    WorkType,
)

# --- who may see reports ------------------------------------------------------------------


async def checked_class(s: AsyncSession, actor: Actor, class_id: int) -> SchoolClass:
    """R1, R21: a class's reports are for the school's overseers and its class teacher."""
    cls = await s.get(SchoolClass, class_id)
    if cls is None or cls.school_id != actor.school_id:
        raise NotAllowed()
    if actor.oversees_school or await is_class_teacher(s, actor, class_id):
        return cls
    raise NotAllowed()


async def checked_classes(s: AsyncSession, actor: Actor, class_id: int | None) -> list[SchoolClass]:
    """One class (checked), or every class the actor may report on: the whole school for
    an overseer, the classes they lead for a class teacher; refused for anyone else."""
    if class_id is not None:
        return [await checked_class(s, actor, class_id)]
    query = select(SchoolClass).where(SchoolClass.school_id == actor.school_id)
    if not actor.oversees_school:
        if actor.role is not BindingRole.STAFF or actor.person_id is None:
            raise NotAllowed()
        query = query.where(SchoolClass.class_teacher_id == actor.person_id)
    classes = list(await s.scalars(query.order_by(SchoolClass.grade, SchoolClass.name)))
    if not classes and not actor.oversees_school:
        raise NotAllowed()
    return classes


# --- shared pieces --------------------------------------------------------------------------


@dataclass(frozen=True)
class SubjectRef:
    id: int
    name: str


@dataclass(frozen=True)
class PeriodRef:
    id: int
    name: str
    starts_on: date
    ends_on: date


@dataclass
class AttendanceCounts:
    """Lessons a pupil was due to attend (up to the report's day), absences by reason
    (R6) and lateness. Late is not an absence."""

    lessons: int = 0
    missed: int = 0
    excused: int = 0
    unexcused: int = 0
    unconfirmed: int = 0
    late: int = 0

    def count(self, status: str | None, reason: str | None) -> None:
        if status == Presence.ABSENT:
            self.missed += 1
            if reason in EXCUSED_REASONS:
                self.excused += 1
            elif reason == AbsenceReason.UNEXCUSED:
                self.unexcused += 1
            else:
                self.unconfirmed += 1
        elif status == Presence.LATE:
            self.late += 1

    def add(self, other: AttendanceCounts) -> None:
        self.lessons += other.lessons
        self.missed += other.missed
        self.excused += other.excused
        self.unexcused += other.unexcused
        self.unconfirmed += other.unconfirmed
        self.late += other.late


@dataclass(frozen=True)
class MarkEntry:
    lesson_id: int
    date: date
    value: int
    work_type: str
    weight: Decimal


@dataclass(frozen=True)
class PupilRow:
    id: int
    full_name: str
    class_id: int
    admitted_on: date | None
    left_on: date | None

    def enrolled_on(self, day: date) -> bool:
        return (self.admitted_on is None or self.admitted_on <= day) and (
            self.left_on is None or self.left_on > day
        )


@dataclass(frozen=True)
class LessonRow:
    id: int
    date: date
    lesson_no: int
    class_id: int
    group_id: int | None
    subject_id: int
    teacher_id: int
    topic: str | None


# The columns of a LessonRow, in its order.
LESSON_COLUMNS = (
    Lesson.id,
    Lesson.date,
    Lesson.lesson_no,
    Lesson.class_id,
    Lesson.group_id,
    Lesson.subject_id,
    Lesson.teacher_id,
    Lesson.topic,
)

# The columns of a PupilRow, in its order (joined with Person).
PUPIL_COLUMNS = (
    Pupil.person_id,
    Person.full_name,
    Pupil.class_id,
    Pupil.admitted_on,
    Pupil.left_on,
)


def month_bounds(month: date) -> tuple[date, date]:
    """The first and the last day of the month that ``month`` falls in."""
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def percent(part: int, whole: int) -> Decimal | None:
    """A share in percent, rounded half-up to one place; None for an empty whole."""
    if whole == 0:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def subject_refs(names: dict[int, str], ids: Iterable[int]) -> list[SubjectRef]:
    """The subjects as the sheets list them: by name, then id (two subjects may share a
    name)."""
    return sorted((SubjectRef(i, names[i]) for i in ids), key=lambda x: (x.name, x.id))


def attends(pupil: PupilRow, lesson: LessonRow, members: dict[int, set[int]]) -> bool:
    """A lesson is for the whole class or for a subgroup the pupil is in (R20), on a day
    the pupil is enrolled."""
    if lesson.class_id != pupil.class_id or not pupil.enrolled_on(lesson.date):
        return False
    return lesson.group_id is None or pupil.id in members.get(lesson.group_id, set())


def takes(pupil_id: int, groups: set[int | None], members: dict[int, set[int]]) -> bool:
    """The pupil is taught a subject given to these groups (None: the whole class)."""
    return any(g is None or pupil_id in members.get(g, set()) for g in groups)


# --- the queries every report reads -------------------------------------------------------


async def school_today(s: AsyncSession, journal: Journal, school_id: int) -> tuple[date, ZoneInfo]:
    rules = await journal.school_rules(s, school_id)
    return local_today(journal.clock, rules.timezone), rules.timezone


async def held_until(
    s: AsyncSession, journal: Journal, school_id: int, start: date, end: date
) -> tuple[date, date]:
    """Today, and the last day of [start, end] whose lessons count (today at most); the
    timetable's lessons of [start, that day] are materialised first."""
    today, _ = await school_today(s, journal, school_id)
    until = min(end, today)
    if until >= start:
        await materialise(s, school_id, start, until)
    return today, until


async def fetch_pupils(
    s: AsyncSession, class_ids: Iterable[int], start: date, end: date
) -> list[PupilRow]:
    """The pupils of the classes enrolled at any time in [start, end], as in a paper
    journal (by name)."""
    rows = await s.execute(
        select(*PUPIL_COLUMNS)
        .join(Person, Person.id == Pupil.person_id)
        .where(
            Pupil.class_id.in_(list(class_ids)),
            or_(Pupil.admitted_on.is_(None), Pupil.admitted_on <= end),
            or_(Pupil.left_on.is_(None), Pupil.left_on > start),
        )
        .order_by(Person.full_name, Pupil.person_id)
    )
    return [PupilRow(*r) for r in rows]


async def fetch_lessons(
    s: AsyncSession, class_ids: Iterable[int], start: date, end: date
) -> list[LessonRow]:
    rows = await s.execute(
        select(*LESSON_COLUMNS)
        .where(
            Lesson.class_id.in_(list(class_ids)),
            Lesson.date.between(start, end),
            Lesson.cancelled.is_(False),  # R25: not given (cancelled, or moved away)
        )
        .order_by(Lesson.date, Lesson.lesson_no, Lesson.group_id)
    )
    return [LessonRow(*r) for r in rows]


async def fetch_group_members(s: AsyncSession, class_ids: Iterable[int]) -> dict[int, set[int]]:
    rows = await s.execute(
        select(GroupMember.group_id, GroupMember.pupil_id)
        .join(Group, Group.id == GroupMember.group_id)
        .where(Group.class_id.in_(list(class_ids)))
    )
    members: dict[int, set[int]] = defaultdict(set)
    for group_id, pupil_id in rows:
        members[group_id].add(pupil_id)
    return members


async def fetch_class_subjects(
    s: AsyncSession, class_ids: Iterable[int], lessons: Iterable[LessonRow]
) -> dict[int, dict[int, set[int | None]]]:
    """What each class is taught: class → subject → the groups it is taught to (None for
    the whole class), from the assignments and the lessons actually held."""
    taught: dict[int, dict[int, set[int | None]]] = defaultdict(lambda: defaultdict(set))
    rows = await s.execute(
        select(Assignment.class_id, Assignment.subject_id, Assignment.group_id).where(
            Assignment.class_id.in_(list(class_ids))
        )
    )
    for class_id, subject_id, group_id in rows:
        taught[class_id][subject_id].add(group_id)
    for lesson in lessons:
        taught[lesson.class_id][lesson.subject_id].add(lesson.group_id)
    return taught


async def fetch_marks(
    s: AsyncSession, pupil_ids: list[int], start: date, end: date
) -> list[tuple[int, int, MarkEntry]]:
    """(pupil, subject, mark) in [start, end], by date."""
    if not pupil_ids:
        return []
    rows = await s.execute(
        select(
            Mark.pupil_id,
            Lesson.subject_id,
            Mark.lesson_id,
            Lesson.date,
            Mark.value,
            WorkType.name,
            WorkType.weight,
        )
        .join(Lesson, Lesson.id == Mark.lesson_id)
        .join(WorkType, WorkType.id == Mark.work_type_id)
        .where(Mark.pupil_id.in_(pupil_ids), Lesson.date.between(start, end))
        .order_by(Lesson.date, Lesson.lesson_no, Mark.created_at, Mark.id)
    )
    return [(p, subj, MarkEntry(lid, d, v, wt, w)) for p, subj, lid, d, v, wt, w in rows]


async def fetch_subject_names(s: AsyncSession, ids: Iterable[int]) -> dict[int, str]:
    ids = list(set(ids))
    if not ids:
        return {}
    rows = await s.execute(select(Subject.id, Subject.name).where(Subject.id.in_(ids)))
    return dict(rows.all())


async def fetch_person_names(s: AsyncSession, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = [i for i in set(ids) if i is not None]
    if not wanted:
        return {}
    rows = await s.execute(select(Person.id, Person.full_name).where(Person.id.in_(wanted)))
    return dict(rows.all())


async def fetch_year(
    s: AsyncSession,
    school_id: int,
    today: date,
    *,
    year_id: int | None = None,
    name: str | None = None,
) -> AcademicYear:
    """An academic year by id or name; without either, the year of today."""
    query = select(AcademicYear).where(AcademicYear.school_id == school_id)
    if year_id is not None:
        query = query.where(AcademicYear.id == year_id)
    elif name is not None:
        query = query.where(AcademicYear.name == name.strip())
    else:
        query = query.where(AcademicYear.starts_on <= today).order_by(AcademicYear.starts_on.desc())
    year = await s.scalar(query.limit(1))
    if year is None and name is not None:  # typed at the console: say which years there are
        names = await s.scalars(
            select(AcademicYear.name)
            .where(AcademicYear.school_id == school_id)
            .order_by(AcademicYear.starts_on)
        )
        raise NotFound("error.year_unknown", name=name.strip(), years=", ".join(names) or "—")
    if year is None:
        raise NotFound()
    return year
