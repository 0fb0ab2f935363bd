"""Reports for the school's staff (R21), the monthly statement for parents who opted out
of the electronic diary (R18) and the mark-change audit (R9): the SQL and the arithmetic.

Every function takes the acting person and checks what they may see: the school's
overseers (admin, director, deputy) every class, a class teacher their own class, nobody
else. Each returns plain dataclasses with local dates and times; rendering (XLSX, PDF)
lives in ``reports/``.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import Actor, is_class_teacher
from core.clock import at_local, local_today
from core.errors import NotAllowed, NotFound
from core.journal import Journal
from core.lessons import materialise
from core.models import (
    EXCUSED_REASONS,
    AbsenceReason,
    AcademicYear,
    Assignment,
    Attendance,
    AuditEntry,
    Binding,
    BindingRole,
    CorrectionRequest,
    FinalMark,
    Group,
    GroupMember,
    Guardianship,
    Lesson,
    Mark,
    Period,
    Person,
    Presence,
    Pupil,
    School,
    SchoolClass,
    Subject,
    WorkType,
)
from core.revert import typed_reason
from core.rules import grade_has_marks, plain_average, weighted_average

# --- who may see reports ------------------------------------------------------------------


async def _report_class(s: AsyncSession, actor: Actor, class_id: int) -> SchoolClass:
    """R1, R21: a class's reports are for the school's overseers and its class teacher."""
    cls = await s.get(SchoolClass, class_id)
    if cls is None or cls.school_id != actor.school_id:
        raise NotAllowed()
    if actor.oversees_school or await is_class_teacher(s, actor, class_id):
        return cls
    raise NotAllowed()


async def _report_classes(s: AsyncSession, actor: Actor, class_id: int | None) -> list[SchoolClass]:
    """One class (checked), or every class the actor may report on: the whole school for
    an overseer, the classes they lead for a class teacher; refused for anyone else."""
    if class_id is not None:
        return [await _report_class(s, actor, class_id)]
    query = select(SchoolClass).where(SchoolClass.school_id == actor.school_id)
    if not actor.oversees_school:
        if actor.role is not BindingRole.STAFF or actor.person_id is None:
            raise NotAllowed()
        query = query.where(SchoolClass.class_teacher_id == actor.person_id)
    classes = list(await s.scalars(query.order_by(SchoolClass.grade, SchoolClass.name)))
    if not classes and not actor.oversees_school:
        raise NotAllowed()
    return classes


async def report_classes(journal: Journal, actor: Actor) -> list[tuple[int, str]]:
    """The classes the actor may take reports on (id, name): every class for an overseer,
    their own for a class teacher; NotAllowed for anyone else."""
    async with journal.transaction() as s:
        return [(c.id, c.name) for c in await _report_classes(s, actor, None)]


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
class _PupilRow:
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
class _LessonRow:
    id: int
    date: date
    lesson_no: int
    class_id: int
    group_id: int | None
    subject_id: int
    teacher_id: int
    topic: str | None


# The columns of a _LessonRow, in its order.
_LESSON_COLUMNS = (
    Lesson.id,
    Lesson.date,
    Lesson.lesson_no,
    Lesson.class_id,
    Lesson.group_id,
    Lesson.subject_id,
    Lesson.teacher_id,
    Lesson.topic,
)


async def _today(s: AsyncSession, journal: Journal, school_id: int) -> tuple[date, ZoneInfo]:
    rules = await journal.school_rules(s, school_id)
    return local_today(journal.clock, rules.timezone), rules.timezone


async def _pupils(
    s: AsyncSession, class_ids: Iterable[int], start: date, end: date
) -> list[_PupilRow]:
    """The pupils of the classes enrolled at any time in [start, end], as in a paper
    journal (by name)."""
    rows = await s.execute(
        select(Pupil.person_id, Person.full_name, Pupil.class_id, Pupil.admitted_on, Pupil.left_on)
        .join(Person, Person.id == Pupil.person_id)
        .where(
            Pupil.class_id.in_(list(class_ids)),
            or_(Pupil.admitted_on.is_(None), Pupil.admitted_on <= end),
            or_(Pupil.left_on.is_(None), Pupil.left_on > start),
        )
        .order_by(Person.full_name, Pupil.person_id)
    )
    return [_PupilRow(*r) for r in rows]


async def _lessons(
    s: AsyncSession, class_ids: Iterable[int], start: date, end: date
) -> list[_LessonRow]:
    rows = await s.execute(
        select(*_LESSON_COLUMNS)
        .where(Lesson.class_id.in_(list(class_ids)), Lesson.date.between(start, end))
        .order_by(Lesson.date, Lesson.lesson_no, Lesson.group_id)
    )
    return [_LessonRow(*r) for r in rows]


async def _group_members(s: AsyncSession, class_ids: Iterable[int]) -> dict[int, set[int]]:
    rows = await s.execute(
        select(GroupMember.group_id, GroupMember.pupil_id)
        .join(Group, Group.id == GroupMember.group_id)
        .where(Group.class_id.in_(list(class_ids)))
    )
    members: dict[int, set[int]] = defaultdict(set)
    for group_id, pupil_id in rows:
        members[group_id].add(pupil_id)
    return members


def _attends(pupil: _PupilRow, lesson: _LessonRow, members: dict[int, set[int]]) -> bool:
    """A lesson is for the whole class or for a subgroup the pupil is in (R20), on a day
    the pupil is enrolled."""
    if lesson.class_id != pupil.class_id or not pupil.enrolled_on(lesson.date):
        return False
    return lesson.group_id is None or pupil.id in members.get(lesson.group_id, set())


async def _class_subjects(
    s: AsyncSession, class_ids: Iterable[int], lessons: Iterable[_LessonRow]
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


def _takes(pupil_id: int, groups: set[int | None], members: dict[int, set[int]]) -> bool:
    return any(g is None or pupil_id in members.get(g, set()) for g in groups)


async def _subject_names(s: AsyncSession, ids: Iterable[int]) -> dict[int, str]:
    ids = list(set(ids))
    if not ids:
        return {}
    rows = await s.execute(select(Subject.id, Subject.name).where(Subject.id.in_(ids)))
    return dict(rows.all())


async def _names(s: AsyncSession, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = [i for i in set(ids) if i is not None]
    if not wanted:
        return {}
    rows = await s.execute(select(Person.id, Person.full_name).where(Person.id.in_(wanted)))
    return dict(rows.all())


def month_bounds(month: date) -> tuple[date, date]:
    """The first and the last day of the month that ``month`` falls in."""
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def percent(part: int, whole: int) -> Decimal | None:
    """A share in percent, rounded half-up to one place; None for an empty whole."""
    if whole == 0:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


async def school_name(journal: Journal, school_id: int) -> str:
    async with journal.transaction() as s:
        school = await s.get(School, school_id)
        if school is None:
            raise NotFound()
        return school.name


@dataclass(frozen=True)
class ReportScope:
    """Whom a report covers, for its title row and its file name."""

    school: str
    classes: tuple[str, ...]  # the classes covered: the one chosen, or all the actor may see
    whole_school: bool  # no class chosen, by someone who oversees the school


async def report_scope(journal: Journal, actor: Actor, class_id: int | None) -> ReportScope:
    """The school's name and the classes a report for ``class_id`` (None: every class the
    actor may report on) covers; NotAllowed as the report itself would be."""
    async with journal.transaction() as s:
        classes = await _report_classes(s, actor, class_id)
        school = await s.get(School, actor.school_id)
        if school is None:
            raise NotFound()
        return ReportScope(
            school.name,
            tuple(c.name for c in classes),
            class_id is None and actor.oversees_school,
        )


async def find_period(
    journal: Journal, school_id: int, name_or_id: str | int | None = None
) -> PeriodRef:
    """A reporting period by name or id; without one, the period of today (or, in a
    holiday, the one that ended last)."""
    async with journal.transaction() as s:
        today, _ = await _today(s, journal, school_id)
        query = select(Period).where(Period.school_id == school_id)
        if name_or_id is None:
            query = query.where(Period.starts_on <= today).order_by(Period.starts_on.desc())
        elif isinstance(name_or_id, int) or str(name_or_id).isdigit():
            query = query.where(Period.id == int(name_or_id))
        else:
            query = query.where(Period.name == str(name_or_id).strip()).order_by(
                Period.starts_on.desc()
            )
        period = await s.scalar(query.limit(1))
        if period is None:
            # A name typed (the console) is answered with the names there are; an id comes
            # from a button, and a forged one is simply not found.
            names = await s.scalars(
                select(Period.name).where(Period.school_id == school_id).order_by(Period.starts_on)
            )
            known = ", ".join(dict.fromkeys(names))
            if not known:
                raise NotFound("error.no_periods")
            if name_or_id is None:
                raise NotFound("error.no_current_period", periods=known)
            if isinstance(name_or_id, str) and not name_or_id.isdigit():
                raise NotFound("error.period_unknown", name=name_or_id.strip(), periods=known)
            raise NotFound()
        return PeriodRef(period.id, period.name, period.starts_on, period.ends_on)


async def find_year(journal: Journal, school_id: int, name: str | None = None) -> int:
    """An academic year's id by name («2026/2027»); without one, the current year."""
    async with journal.transaction() as s:
        today, _ = await _today(s, journal, school_id)
        return (await _year(s, school_id, today, name=name)).id


async def _year(
    s: AsyncSession,
    school_id: int,
    today: date,
    *,
    year_id: int | None = None,
    name: str | None = None,
) -> AcademicYear:
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


# --- attendance: the class by month, and the summary sheet for a period (R21) -------------


@dataclass
class PupilAttendance:
    pupil_id: int
    full_name: str
    counts: AttendanceCounts = field(default_factory=AttendanceCounts)
    missed_by_day: dict[date, int] = field(default_factory=dict)
    late_by_day: dict[date, int] = field(default_factory=dict)
    by_subject: dict[int, AttendanceCounts] = field(default_factory=dict)


@dataclass
class ClassAttendance:
    class_id: int
    class_name: str
    start: date
    end: date
    until: date  # lessons are counted up to this day (today, for a month not over yet)
    days: list[date]  # school days of the class in the range, up to ``until``
    subjects: list[SubjectRef]
    pupils: list[PupilAttendance]
    totals: AttendanceCounts


async def class_attendance_month(
    journal: Journal, actor: Actor, class_id: int, month: date
) -> ClassAttendance:
    """R21: the class's attendance in a month: per pupil, the lessons missed each day,
    excused and unexcused (R6), lateness; and the class's totals."""
    start, end = month_bounds(month)
    return await attendance_summary(journal, actor, class_id, start, end)


async def attendance_summary(
    journal: Journal, actor: Actor, class_id: int, start: date, end: date
) -> ClassAttendance:
    """R21: the summary sheet of attendance for [start, end]: per pupil and subject the
    lessons due and missed, with the reasons and lateness."""
    async with journal.transaction() as s:
        cls = await _report_class(s, actor, class_id)
        today, _ = await _today(s, journal, actor.school_id)
        until = min(end, today)
        if until >= start:
            await materialise(s, actor.school_id, start, until)
        pupils = await _pupils(s, [class_id], start, end)
        lessons = await _lessons(s, [class_id], start, until) if until >= start else []
        members = await _group_members(s, [class_id])
        entries_of: dict[tuple[int, int], tuple[str, str]] = {}
        if lessons:
            rows = await s.execute(
                select(
                    Attendance.lesson_id,
                    Attendance.pupil_id,
                    Attendance.status,
                    Attendance.reason,
                ).where(
                    Attendance.lesson_id.in_([x.id for x in lessons]),
                    Attendance.status != Presence.PRESENT,
                )
            )
            entries_of = {(lid, pid): (st, rs) for lid, pid, st, rs in rows}
        subject_names = await _subject_names(s, {x.subject_id for x in lessons})

    result: list[PupilAttendance] = []
    totals = AttendanceCounts()
    for pupil in pupils:
        row = PupilAttendance(pupil.id, pupil.full_name)
        for lesson in lessons:
            entry = entries_of.get((lesson.id, pupil.id))
            # A lesson counts if it is the pupil's, or if they were marked on it anyway
            # (e.g. a subgroup they have left since).
            if not _attends(pupil, lesson, members) and entry is None:
                continue
            subject = row.by_subject.setdefault(lesson.subject_id, AttendanceCounts())
            subject.lessons += 1
            row.counts.lessons += 1
            if entry is None:
                continue
            status, reason = entry
            subject.count(status, reason)
            row.counts.count(status, reason)
            if status == Presence.ABSENT:
                row.missed_by_day[lesson.date] = row.missed_by_day.get(lesson.date, 0) + 1
            elif status == Presence.LATE:
                row.late_by_day[lesson.date] = row.late_by_day.get(lesson.date, 0) + 1
        totals.add(row.counts)
        result.append(row)
    subjects = sorted(
        (SubjectRef(i, n) for i, n in subject_names.items()), key=lambda x: (x.name, x.id)
    )
    return ClassAttendance(
        class_id=cls.id,
        class_name=cls.name,
        start=start,
        end=end,
        until=until,
        days=sorted({x.date for x in lessons}),
        subjects=subjects,
        pupils=result,
        totals=totals,
    )


# --- marks: the summary sheet for a period (R21) ------------------------------------------


@dataclass(frozen=True)
class MarkEntry:
    lesson_id: int
    date: date
    value: int
    work_type: str
    weight: Decimal


@dataclass
class SubjectResult:
    subject_id: int
    subject: str
    marks: list[MarkEntry] = field(default_factory=list)
    final: str | None = None

    @property
    def values(self) -> list[int]:
        return [m.value for m in self.marks]

    @property
    def average(self) -> Decimal | None:
        return plain_average(self.values)

    @property
    def weighted_average(self) -> Decimal | None:
        return weighted_average([(m.value, m.weight) for m in self.marks])


@dataclass
class PupilResults:
    pupil_id: int
    full_name: str
    subjects: list[SubjectResult]

    def subject(self, subject_id: int) -> SubjectResult | None:
        return next((x for x in self.subjects if x.subject_id == subject_id), None)


@dataclass
class MarksSummary:
    class_id: int
    class_name: str
    grade: int
    period: PeriodRef
    subjects: list[SubjectRef]
    pupils: list[PupilResults]


async def _marks(
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


async def marks_summary(
    journal: Journal, actor: Actor, class_id: int, period_id: int
) -> MarksSummary:
    """R21: every pupil's marks per subject in a reporting period, with the plain and the
    weighted average and the period (final) mark."""
    async with journal.transaction() as s:
        cls = await _report_class(s, actor, class_id)
        period = await s.get(Period, period_id)
        if period is None or period.school_id != actor.school_id:
            raise NotFound()
        start, end = period.starts_on, period.ends_on
        pupils = await _pupils(s, [class_id], start, end)
        ids = [p.id for p in pupils]
        lessons = await _lessons(s, [class_id], start, end)
        taught = (await _class_subjects(s, [class_id], lessons))[class_id]
        members = await _group_members(s, [class_id])
        marks = await _marks(s, ids, start, end)
        finals = (
            list(
                await s.execute(
                    select(FinalMark.pupil_id, FinalMark.subject_id, FinalMark.value).where(
                        FinalMark.period_id == period_id, FinalMark.pupil_id.in_(ids)
                    )
                )
            )
            if ids
            else []
        )
        names = await _subject_names(
            s, {*taught, *(m[1] for m in marks), *(f.subject_id for f in finals)}
        )

    results: dict[int, dict[int, SubjectResult]] = {p.id: {} for p in pupils}
    for pupil in pupils:
        for subject_id, groups in taught.items():
            if _takes(pupil.id, groups, members):
                results[pupil.id][subject_id] = SubjectResult(subject_id, names[subject_id])
    for pupil_id, subject_id, mark in marks:
        entry = results[pupil_id].setdefault(
            subject_id, SubjectResult(subject_id, names[subject_id])
        )
        entry.marks.append(mark)
    for pupil_id, subject_id, value in finals:
        entry = results[pupil_id].setdefault(
            subject_id, SubjectResult(subject_id, names[subject_id])
        )
        entry.final = value
    used = {sid for per in results.values() for sid in per}
    return MarksSummary(
        class_id=cls.id,
        class_name=cls.name,
        grade=cls.grade,
        period=PeriodRef(period.id, period.name, start, end),
        subjects=sorted((SubjectRef(i, names[i]) for i in used), key=lambda x: (x.name, x.id)),
        pupils=[
            PupilResults(
                p.id,
                p.full_name,
                sorted(results[p.id].values(), key=lambda x: (x.subject, x.subject_id)),
            )
            for p in pupils
        ],
    )


# --- накопляемость: pupils with no marks or a single mark so far (R21) --------------------


@dataclass(frozen=True)
class AccumulationRow:
    class_id: int
    class_name: str
    subject_id: int
    subject: str
    pupils: int
    no_marks: int
    one_mark: int

    @property
    def few_marks(self) -> int:
        return self.no_marks + self.one_mark

    @property
    def no_marks_percent(self) -> Decimal | None:
        return percent(self.no_marks, self.pupils)

    @property
    def one_mark_percent(self) -> Decimal | None:
        return percent(self.one_mark, self.pupils)

    @property
    def few_marks_percent(self) -> Decimal | None:
        return percent(self.few_marks, self.pupils)


@dataclass
class Accumulation:
    period: PeriodRef
    start: date
    until: date
    rows: list[AccumulationRow]


async def mark_accumulation(
    journal: Journal, actor: Actor, period_id: int, class_id: int | None = None
) -> Accumulation:
    """R21 (накопляемость): per class and subject, how many pupils have no marks or only
    one mark in the period so far. The first grade has no marks (R12) and is left out."""
    async with journal.transaction() as s:
        classes = await _report_classes(s, actor, class_id)
        period = await s.get(Period, period_id)
        if period is None or period.school_id != actor.school_id:
            raise NotFound()
        today, _ = await _today(s, journal, actor.school_id)
        start, until = period.starts_on, min(period.ends_on, today)
        classes = [c for c in classes if grade_has_marks(c.grade)]
        ids = [c.id for c in classes]
        pupils = [p for p in await _pupils(s, ids, start, until) if p.enrolled_on(until)]
        lessons = await _lessons(s, ids, start, until)
        taught = await _class_subjects(s, ids, lessons)
        members = await _group_members(s, ids)
        counts: dict[tuple[int, int], int] = {}
        if pupils and until >= start:
            rows = await s.execute(
                select(Mark.pupil_id, Lesson.subject_id, func.count())
                .join(Lesson, Lesson.id == Mark.lesson_id)
                .where(
                    Mark.pupil_id.in_([p.id for p in pupils]),
                    Lesson.date.between(start, until),
                )
                .group_by(Mark.pupil_id, Lesson.subject_id)
            )
            counts = {(p, subj): n for p, subj, n in rows}
        names = await _subject_names(s, {sid for per in taught.values() for sid in per})

    result: list[AccumulationRow] = []
    for cls in classes:
        class_pupils = [p for p in pupils if p.class_id == cls.id]
        subjects = sorted(taught.get(cls.id, {}).items(), key=lambda x: (names[x[0]], x[0]))
        for subject_id, groups in subjects:
            takers = [p for p in class_pupils if _takes(p.id, groups, members)]
            marks = [counts.get((p.id, subject_id), 0) for p in takers]
            result.append(
                AccumulationRow(
                    class_id=cls.id,
                    class_name=cls.name,
                    subject_id=subject_id,
                    subject=names[subject_id],
                    pupils=len(takers),
                    no_marks=marks.count(0),
                    one_mark=marks.count(1),
                )
            )
    return Accumulation(
        PeriodRef(period.id, period.name, period.starts_on, period.ends_on), start, until, result
    )


# --- teachers' filling of the journal (R4, R13, R21) --------------------------------------


@dataclass(frozen=True)
class LessonGap:
    """A lesson whose deadline has passed with something missing."""

    lesson_id: int
    date: date
    lesson_no: int
    class_name: str
    subject: str
    teacher_id: int
    teacher: str
    no_roll_call: bool
    no_topic: bool
    no_homework: bool


@dataclass
class TeacherFilling:
    teacher_id: int
    teacher: str
    lessons: int = 0
    no_roll_call: int = 0
    no_topic: int = 0
    no_homework: int = 0
    with_gaps: int = 0  # lessons missing anything


@dataclass
class FillingReport:
    start: date
    end: date
    teachers: list[TeacherFilling]
    gaps: list[LessonGap]


def _in_time(value: object, set_at: datetime | None, deadline: datetime) -> bool:
    return value is not None and set_at is not None and set_at <= deadline


async def teacher_filling(
    journal: Journal, actor: Actor, start: date, end: date, class_id: int | None = None
) -> FillingReport:
    """R21: per teacher, the lessons in [start, end] whose roll call (R4), topic or
    homework (R13; none in the first grade, R12) was not in the journal by the deadline,
    20:00 on the lesson day. Only lessons whose deadline has passed are counted; a lesson
    belongs to the teacher who gave it (the substitute, R5). A topic or homework edited
    after the deadline counts as late (only the last change's time is kept)."""
    async with journal.transaction() as s:
        classes = await _report_classes(s, actor, class_id)
        rules = await journal.school_rules(s, actor.school_id)
        now = journal.clock.now()
        today = local_today(journal.clock, rules.timezone)
        until = min(end, today)
        ids = [c.id for c in classes]
        if until >= start:
            await materialise(s, actor.school_id, start, until)
        rows = list(
            await s.execute(
                select(
                    Lesson.id,
                    Lesson.date,
                    Lesson.lesson_no,
                    Lesson.teacher_id,
                    Lesson.class_id,
                    Subject.name,
                    Lesson.attendance_taken_at,
                    Lesson.topic,
                    Lesson.topic_set_at,
                    Lesson.homework,
                    Lesson.homework_set_at,
                )
                .join(Subject, Subject.id == Lesson.subject_id)
                .where(Lesson.class_id.in_(ids), Lesson.date.between(start, until))
                .order_by(Lesson.date, Lesson.lesson_no, Lesson.class_id)
            )
        )
        teachers = await _names(s, {r.teacher_id for r in rows})

    by_class = {c.id: c for c in classes}
    filling: dict[int, TeacherFilling] = {}
    gaps: list[LessonGap] = []
    for r in rows:
        deadline = at_local(r.date, rules.correction_deadline, rules.timezone)
        if deadline > now:
            continue
        no_roll_call = not _in_time(r.attendance_taken_at, r.attendance_taken_at, deadline)
        no_topic = not _in_time(r.topic, r.topic_set_at, deadline)
        homework_required = grade_has_marks(by_class[r.class_id].grade)  # R12
        no_homework = homework_required and not _in_time(r.homework, r.homework_set_at, deadline)
        entry = filling.setdefault(
            r.teacher_id, TeacherFilling(r.teacher_id, teachers.get(r.teacher_id, "?"))
        )
        entry.lessons += 1
        entry.no_roll_call += no_roll_call
        entry.no_topic += no_topic
        entry.no_homework += no_homework
        if no_roll_call or no_topic or no_homework:
            entry.with_gaps += 1
            gaps.append(
                LessonGap(
                    lesson_id=r.id,
                    date=r.date,
                    lesson_no=r.lesson_no,
                    class_name=by_class[r.class_id].name,
                    subject=r.name,
                    teacher_id=r.teacher_id,
                    teacher=entry.teacher,
                    no_roll_call=no_roll_call,
                    no_topic=no_topic,
                    no_homework=no_homework,
                )
            )
    gaps.sort(key=lambda g: (g.teacher, g.teacher_id, g.date, g.lesson_no, g.class_name))
    return FillingReport(
        start, end, sorted(filling.values(), key=lambda x: (x.teacher, x.teacher_id)), gaps
    )


# --- parents' activity (R16, R17, R18, R19, R21) --------------------------------------------


@dataclass(frozen=True)
class DigestReading:
    """R17: the daily digests sent to a parent in the window and how many were marked
    read («Прочитано ✓»)."""

    sent: int
    read: int
    last_read_at: datetime | None


@dataclass(frozen=True)
class ParentActivity:
    guardian_id: int
    guardian: str
    pupil_id: int
    pupil: str
    class_id: int
    class_name: str
    bound: bool  # an active parent binding exists
    bound_at: datetime | None
    consent: bool | None  # R19: None = not asked yet
    consent_at: datetime | None
    unreachable: bool  # every active binding is unreachable (Telegram answered 403)
    unreachable_at: datetime | None
    opted_out: bool  # R18: refused the electronic diary in writing
    opt_out_at: datetime | None
    reading: DigestReading | None  # None: not bound, or read receipts not recorded


@dataclass
class ParentsActivity:
    since: date
    until: date
    reading_recorded: bool  # False when the digests table (read receipts) does not exist
    rows: list[ParentActivity]


READING_WINDOW_DAYS = 30


async def digest_reading(
    s: AsyncSession, binding_ids: list[int], since: date, until: date
) -> dict[int, DigestReading] | None:
    """The hook for parents' reading (R17): per parent binding, the digests sent in
    [since, until] and read. It reads the notifications' ``digests`` table
    (``read_at``); None when that table does not exist in this database."""
    if not await s.scalar(text("SELECT to_regclass('digests') IS NOT NULL")):
        return None
    if not binding_ids:
        return {}
    rows = await s.execute(
        text(
            """
            SELECT binding_id,
                   count(*) FILTER (WHERE parts > 0),
                   count(*) FILTER (WHERE parts > 0 AND read_at IS NOT NULL),
                   max(read_at)
            FROM digests
            WHERE binding_id = ANY(:ids) AND day BETWEEN :since AND :until
            GROUP BY binding_id
            """
        ),
        {"ids": binding_ids, "since": since, "until": until},
    )
    return {b: DigestReading(int(sent), int(read), last) for b, sent, read, last in rows}


async def parents_activity(
    journal: Journal, actor: Actor, class_id: int | None = None
) -> ParentsActivity:
    """R21: per parent and child, whether the parent is bound in the bot, consented (R19),
    is reachable, opted out of the electronic diary (R18), and reads the digests (R17,
    over the last 30 days)."""
    async with journal.transaction() as s:
        classes = await _report_classes(s, actor, class_id)
        today, tz = await _today(s, journal, actor.school_id)
        since = today - timedelta(days=READING_WINDOW_DAYS - 1)
        by_class = {c.id: c for c in classes}
        rows = list(
            await s.execute(
                select(Guardianship, Pupil.class_id)
                .join(Pupil, Pupil.person_id == Guardianship.pupil_id)
                .where(Pupil.class_id.in_(list(by_class)), Pupil.left_on.is_(None))
            )
        )
        names = await _names(s, {g.guardian_id for g, _ in rows} | {g.pupil_id for g, _ in rows})
        bindings: dict[int, list[Binding]] = defaultdict(list)
        guardian_ids = list({g.guardian_id for g, _ in rows})
        if guardian_ids:
            for b in await s.scalars(
                select(Binding).where(
                    Binding.person_id.in_(guardian_ids),
                    Binding.role == BindingRole.PARENT,
                    Binding.revoked_at.is_(None),
                )
            ):
                bindings[b.person_id].append(b)
        reading = await digest_reading(
            s, [b.id for bs in bindings.values() for b in bs], since, today
        )

    def local(moment: datetime | None) -> datetime | None:
        return moment.astimezone(tz) if moment is not None else None

    result: list[ParentActivity] = []
    for g, pupil_class in rows:
        active = bindings.get(g.guardian_id, [])
        unreachable = bool(active) and all(b.unreachable_at is not None for b in active)
        read: DigestReading | None = None
        if reading is not None and active:
            parts = [reading.get(b.id, DigestReading(0, 0, None)) for b in active]
            lasts = [p.last_read_at for p in parts if p.last_read_at is not None]
            read = DigestReading(
                sum(p.sent for p in parts),
                sum(p.read for p in parts),
                local(max(lasts)) if lasts else None,
            )
        result.append(
            ParentActivity(
                guardian_id=g.guardian_id,
                guardian=names.get(g.guardian_id, "?"),
                pupil_id=g.pupil_id,
                pupil=names.get(g.pupil_id, "?"),
                class_id=pupil_class,
                class_name=by_class[pupil_class].name,
                bound=bool(active),
                bound_at=local(min(b.created_at for b in active)) if active else None,
                consent=g.consent,
                consent_at=local(g.consent_at),
                unreachable=unreachable,
                unreachable_at=(
                    local(max(b.unreachable_at for b in active if b.unreachable_at))
                    if unreachable
                    else None
                ),
                opted_out=g.diary_opt_out,
                opt_out_at=local(g.opt_out_at),
                reading=read,
            )
        )
    order = {c.id: n for n, c in enumerate(classes)}
    result.sort(key=lambda r: (order[r.class_id], r.pupil, r.pupil_id, r.guardian, r.guardian_id))
    return ParentsActivity(since, today, reading is not None, result)


# --- pupil movement: arrivals and leavers by period (R21) ----------------------------------


@dataclass(frozen=True)
class PupilMove:
    """A pupil who arrived (``admitted_on``) or left (``left_on``, their first day off
    the roll call) in the range."""

    day: date
    arrived: bool  # False: left
    pupil_id: int
    pupil: str
    class_name: str


@dataclass(frozen=True)
class ClassMovement:
    class_name: str
    at_start: int  # enrolled the day before the range
    arrived: int
    left: int
    at_end: int  # enrolled on the range's last day


@dataclass
class PupilMovement:
    start: date
    end: date
    moves: list[PupilMove]  # by day, then class and name
    classes: list[ClassMovement]


async def pupil_movement(
    journal: Journal, actor: Actor, start: date, end: date, class_id: int | None = None
) -> PupilMovement:
    """R21: the pupils who arrived in and left the classes in [start, end], with each
    class's roll at both ends. A pupil is counted in their present class (the journal
    keeps no history of moves between classes)."""
    async with journal.transaction() as s:
        classes = await _report_classes(s, actor, class_id)
        names = {c.id: c.name for c in classes}
        rows = await s.execute(
            select(
                Pupil.person_id, Person.full_name, Pupil.class_id, Pupil.admitted_on, Pupil.left_on
            )
            .join(Person, Person.id == Pupil.person_id)
            .where(Pupil.class_id.in_(list(names)))
        )
        pupils = [_PupilRow(*r) for r in rows]
    before = start - timedelta(days=1)
    moves: list[PupilMove] = []
    for p in pupils:
        if p.admitted_on is not None and start <= p.admitted_on <= end:
            moves.append(PupilMove(p.admitted_on, True, p.id, p.full_name, names[p.class_id]))
        if p.left_on is not None and start <= p.left_on <= end:
            moves.append(PupilMove(p.left_on, False, p.id, p.full_name, names[p.class_id]))
    moves.sort(key=lambda m: (m.day, m.class_name, m.pupil, m.pupil_id))
    per_class = []
    for c in classes:
        mine = [p for p in pupils if p.class_id == c.id]
        here = [m for m in moves if m.class_name == c.name]
        per_class.append(
            ClassMovement(
                c.name,
                sum(p.enrolled_on(before) for p in mine),
                sum(m.arrived for m in here),
                sum(not m.arrived for m in here),
                sum(p.enrolled_on(end) for p in mine),
            )
        )
    return PupilMovement(start, end, moves, per_class)


# --- the mark-change audit for the year (R9) ---------------------------------------------


@dataclass(frozen=True)
class MarkChange:
    """One audited change of a mark or a final mark: who, when, what, why."""

    at: datetime  # local time
    actor: str | None  # None: the system (the command line)
    action: str  # audit action: mark.add, mark.set, mark.delete, final_mark.set
    pupil_id: int | None
    pupil: str
    class_name: str
    lesson_date: date | None
    lesson_no: int | None
    subject: str | None
    period: str | None  # final marks
    old: str | None
    new: str | None
    work_type: str | None
    reason: str | None
    request_id: int | None
    requested_by: str | None


@dataclass
class MarkAudit:
    year: str
    start: date
    end: date
    rows: list[MarkChange]


def _value(snapshot: dict | None) -> str | None:
    if not snapshot or snapshot.get("value") is None:
        return None
    return str(snapshot["value"])


async def mark_audit(
    journal: Journal, actor: Actor, year_id: int | None = None, class_id: int | None = None
) -> MarkAudit:
    """R9: every change of a mark or a final mark in the academic year, from the
    append-only audit log: who, when, the pupil, the lesson, old → new, the reason and
    the correction request it came from. A class teacher sees only their class."""
    async with journal.transaction() as s:
        classes = await _report_classes(s, actor, class_id)
        today, tz = await _today(s, journal, actor.school_id)
        year = await _year(s, actor.school_id, today, year_id=year_id)
        start_at = at_local(year.starts_on, datetime.min.time(), tz)
        end_at = at_local(year.ends_on + timedelta(days=1), datetime.min.time(), tz)
        entries = list(
            await s.scalars(
                select(AuditEntry)
                .where(
                    AuditEntry.school_id == actor.school_id,
                    AuditEntry.entity.in_(["mark", "final_mark"]),
                    AuditEntry.at >= start_at,
                    AuditEntry.at < end_at,
                )
                .order_by(AuditEntry.at, AuditEntry.id)
            )
        )
        keys = [e.entity_key for e in entries]
        pupil_ids = {k.get("pupil_id") for k in keys if k.get("pupil_id") is not None}
        pupil_class = dict(
            (
                await s.execute(
                    select(Pupil.person_id, Pupil.class_id).where(
                        Pupil.person_id.in_(list(pupil_ids))
                    )
                )
            ).all()
        )
        lesson_ids = {k["lesson_id"] for k in keys if k.get("lesson_id") is not None}
        lessons = {
            r.id: r
            for r in await s.execute(
                select(Lesson.id, Lesson.date, Lesson.lesson_no, Lesson.subject_id).where(
                    Lesson.id.in_(list(lesson_ids))
                )
            )
        }
        periods = dict(
            (
                await s.execute(
                    select(Period.id, Period.name).where(Period.school_id == actor.school_id)
                )
            ).all()
        )
        work_types = dict(
            (
                await s.execute(
                    select(WorkType.id, WorkType.name).where(WorkType.school_id == actor.school_id)
                )
            ).all()
        )
        request_ids = {e.request_id for e in entries if e.request_id is not None}
        requesters = dict(
            (
                await s.execute(
                    select(CorrectionRequest.id, CorrectionRequest.requested_by).where(
                        CorrectionRequest.id.in_(list(request_ids))
                    )
                )
            ).all()
        )
        subject_names = await _subject_names(
            s,
            {x.subject_id for x in lessons.values()}
            | {k["subject_id"] for k in keys if k.get("subject_id") is not None},
        )
        people = await _names(
            s, {e.actor_id for e in entries} | set(pupil_ids) | set(requesters.values())
        )
        class_names = {c.id: c.name for c in classes}
        all_classes = dict(
            (
                await s.execute(
                    select(SchoolClass.id, SchoolClass.name).where(
                        SchoolClass.school_id == actor.school_id
                    )
                )
            ).all()
        )

    rows: list[MarkChange] = []
    for e in entries:
        key = e.entity_key
        pupil_id, period_id = key.get("pupil_id"), key.get("period_id")
        cls = pupil_class.get(pupil_id) if pupil_id is not None else None
        if cls not in class_names and not (actor.oversees_school and class_id is None):
            continue
        lesson = lessons.get(key.get("lesson_id"))
        subject_id = lesson.subject_id if lesson else key.get("subject_id")
        snapshot = e.new or e.old or {}
        work_type_id = snapshot.get("work_type_id")
        rows.append(
            MarkChange(
                at=e.at.astimezone(tz),
                actor=people.get(e.actor_id) if e.actor_id else None,
                action=e.action,
                pupil_id=pupil_id,
                pupil=people.get(pupil_id, "?") if pupil_id is not None else "?",
                class_name=all_classes.get(cls, "") if cls is not None else "",
                lesson_date=lesson.date if lesson else None,
                lesson_no=lesson.lesson_no if lesson else None,
                subject=subject_names.get(subject_id) if subject_id else None,
                period=periods.get(period_id) if period_id is not None else None,
                old=_value(e.old),
                new=_value(e.new),
                work_type=work_types.get(work_type_id) if work_type_id else None,
                reason=typed_reason(e.reason),
                request_id=e.request_id,
                requested_by=people.get(requesters.get(e.request_id)),  # type: ignore[arg-type]  # None finds nothing
            )
        )
    return MarkAudit(year.name, year.starts_on, year.ends_on, rows)


# --- the monthly statement for parents who opted out of the e-diary (R18) -----------------


@dataclass(frozen=True)
class StatementLesson:
    lesson_id: int
    date: date
    lesson_no: int
    topic: str | None
    marks: list[MarkEntry]
    status: str | None  # absent / late / present; None: roll call not taken
    reason: str | None  # R6, for an absence


@dataclass
class StatementSubject:
    subject_id: int
    subject: str
    lessons: list[StatementLesson] = field(default_factory=list)
    attendance: AttendanceCounts = field(default_factory=AttendanceCounts)

    @property
    def marks(self) -> list[MarkEntry]:
        return [m for x in self.lessons for m in x.marks]

    @property
    def average(self) -> Decimal | None:
        return plain_average([m.value for m in self.marks])

    @property
    def weighted_average(self) -> Decimal | None:
        return weighted_average([(m.value, m.weight) for m in self.marks])


@dataclass
class PupilStatement:
    school: str
    pupil_id: int
    full_name: str
    class_name: str
    grade: int
    class_teacher: str | None
    start: date
    end: date
    issued_on: date
    subjects: list[StatementSubject]
    attendance: AttendanceCounts


async def pupil_statement(
    journal: Journal, actor: Actor, pupil_id: int, month: date
) -> PupilStatement:
    """R18: a pupil's month for the parent who opted out of the electronic diary: the
    lessons by subject with topics, marks, plain and weighted averages, absences and
    lateness. For the class teacher (or an overseer) to print."""
    statements = await _statements(journal, actor, month, pupil_id=pupil_id)
    if not statements:
        raise NotFound()
    return statements[0]


async def opted_out_statements(
    journal: Journal, actor: Actor, class_id: int, month: date
) -> list[PupilStatement]:
    """R18: the month's statements for every pupil of the class whose parent opted out
    of the electronic diary."""
    return await _statements(journal, actor, month, class_id=class_id, opted_out_only=True)


async def _statements(
    journal: Journal,
    actor: Actor,
    month: date,
    *,
    pupil_id: int | None = None,
    class_id: int | None = None,
    opted_out_only: bool = False,
) -> list[PupilStatement]:
    start, end = month_bounds(month)
    async with journal.transaction() as s:
        if pupil_id is not None:
            chosen = await s.get(Pupil, pupil_id)
            if chosen is None:
                raise NotAllowed()
            class_id = chosen.class_id
        assert class_id is not None
        cls = await _report_class(s, actor, class_id)
        school = await s.get(School, actor.school_id)
        assert school is not None
        today, _ = await _today(s, journal, actor.school_id)
        until = min(end, today)
        if until >= start:
            await materialise(s, actor.school_id, start, until)
        pupils = await _pupils(s, [class_id], start, end)
        if pupil_id is not None:
            pupils = [p for p in pupils if p.id == pupil_id]
        if opted_out_only:
            opted = set(
                await s.scalars(
                    select(Guardianship.pupil_id).where(
                        Guardianship.pupil_id.in_([p.id for p in pupils]),
                        Guardianship.diary_opt_out.is_(True),
                    )
                )
            )
            pupils = [p for p in pupils if p.id in opted]
        ids = [p.id for p in pupils]
        lessons = await _lessons(s, [class_id], start, until) if until >= start else []
        members = await _group_members(s, [class_id])
        marks = await _marks(s, ids, start, end)
        statuses: dict[tuple[int, int], tuple[str | None, str | None]] = {}
        if ids and lessons:
            rows = await s.execute(
                select(
                    Attendance.lesson_id, Attendance.pupil_id, Attendance.status, Attendance.reason
                ).where(
                    Attendance.pupil_id.in_(ids),
                    Attendance.lesson_id.in_([x.id for x in lessons]),
                )
            )
            statuses = {(lid, pid): (st, rs) for lid, pid, st, rs in rows}
        # Marks on lessons of another class (a pupil who moved during the month).
        extra = {m.lesson_id for _, _, m in marks} - {x.id for x in lessons}
        if extra:
            lessons += [
                _LessonRow(*r)
                for r in await s.execute(select(*_LESSON_COLUMNS).where(Lesson.id.in_(list(extra))))
            ]
            lessons.sort(key=lambda x: (x.date, x.lesson_no))
        names = await _subject_names(s, {x.subject_id for x in lessons})
        class_teacher = (await _names(s, [cls.class_teacher_id])).get(
            cls.class_teacher_id  # type: ignore[arg-type]  # None finds nothing
        )

    marks_by: dict[tuple[int, int], list[MarkEntry]] = defaultdict(list)
    for pid, _, mark in marks:
        marks_by[(pid, mark.lesson_id)].append(mark)
    statements: list[PupilStatement] = []
    for pupil in pupils:
        subjects: dict[int, StatementSubject] = {}
        total = AttendanceCounts()
        for lesson in lessons:
            own_marks = marks_by.get((pupil.id, lesson.id), [])
            status, reason = statuses.get((lesson.id, pupil.id), (None, None))
            if not _attends(pupil, lesson, members) and not own_marks and status is None:
                continue
            entry = subjects.setdefault(
                lesson.subject_id, StatementSubject(lesson.subject_id, names[lesson.subject_id])
            )
            entry.lessons.append(
                StatementLesson(
                    lesson.id,
                    lesson.date,
                    lesson.lesson_no,
                    lesson.topic,
                    own_marks,
                    status,
                    reason if status == Presence.ABSENT else None,
                )
            )
            entry.attendance.lessons += 1
            entry.attendance.count(status, reason)
            total.lessons += 1
            total.count(status, reason)
        statements.append(
            PupilStatement(
                school=school.name,
                pupil_id=pupil.id,
                full_name=pupil.full_name,
                class_name=cls.name,
                grade=cls.grade,
                class_teacher=class_teacher,
                start=start,
                end=end,
                issued_on=today,
                subjects=sorted(subjects.values(), key=lambda x: (x.subject, x.subject_id)),
                attendance=total,
            )
        )
    return statements


async def opted_out_pupils(journal: Journal, actor: Actor, class_id: int) -> list[tuple[int, str]]:
    """R18: the pupils of the class whose parent refused the electronic diary."""
    async with journal.transaction() as s:
        await _report_class(s, actor, class_id)
        rows = await s.execute(
            select(Pupil.person_id, Person.full_name)
            .join(Person, Person.id == Pupil.person_id)
            .join(Guardianship, Guardianship.pupil_id == Pupil.person_id)
            .where(
                Pupil.class_id == class_id,
                Pupil.left_on.is_(None),
                Guardianship.diary_opt_out.is_(True),
            )
            .group_by(Pupil.person_id, Person.full_name)
            .order_by(Person.full_name)
        )
        return [(i, n) for i, n in rows]


__all__ = [
    "Accumulation",
    "AccumulationRow",
    "AttendanceCounts",
    "ClassAttendance",
    "DigestReading",
    "FillingReport",
    "LessonGap",
    "MarkAudit",
    "MarkChange",
    "MarkEntry",
    "MarksSummary",
    "ParentActivity",
    "ParentsActivity",
    "PeriodRef",
    "PupilAttendance",
    "PupilResults",
    "PupilStatement",
    "StatementLesson",
    "StatementSubject",
    "SubjectRef",
    "SubjectResult",
    "TeacherFilling",
    "attendance_summary",
    "class_attendance_month",
    "digest_reading",
    "find_period",
    "find_year",
    "mark_accumulation",
    "mark_audit",
    "marks_summary",
    "month_bounds",
    "opted_out_pupils",
    "opted_out_statements",
    "parents_activity",
    "percent",
    "pupil_statement",
    "school_name",
    "teacher_filling",
]
