"""R18: the monthly statement for a parent who opted out of the electronic diary: a
pupil's lessons by subject with topics, marks, plain and weighted averages, absences and
lateness; for the class teacher (or an overseer) to print."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import Actor
from core.errors import NotAllowed, NotFound
from core.journal import Journal
from core.models import Attendance, Guardianship, Lesson, Person, Presence, Pupil, School
from core.reports.common import (
    LESSON_COLUMNS,
    AttendanceCounts,
    LessonRow,
    MarkEntry,
    PupilRow,
    attends,
    checked_class,
    fetch_group_members,
    fetch_lessons,
    fetch_marks,
    fetch_person_names,
    fetch_pupils,
    fetch_subject_names,
    held_until,
    month_bounds,
)
from core.rules import plain_average, weighted_average


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


async def opted_out_pupils(journal: Journal, actor: Actor, class_id: int) -> list[tuple[int, str]]:
    """R18: the pupils of the class whose parent refused the electronic diary."""
    async with journal.transaction() as s:
        await checked_class(s, actor, class_id)
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


@dataclass(frozen=True)
class _Month:
    """What a class's statements for a month are made of, read in one transaction."""

    school: str
    class_name: str
    grade: int
    class_teacher: str | None
    today: date
    pupils: list[PupilRow]
    lessons: list[LessonRow]  # by day and number
    members: dict[int, set[int]]  # subgroup → its pupils
    marks: dict[tuple[int, int], list[MarkEntry]]  # (pupil, lesson) → marks
    statuses: dict[tuple[int, int], tuple[str | None, str | None]]  # (lesson, pupil)
    subjects: dict[int, str]


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
        data = await _read_month(s, journal, actor, class_id, start, end, pupil_id, opted_out_only)
    return [_statement(data, pupil, start, end) for pupil in data.pupils]


async def _read_month(
    s: AsyncSession,
    journal: Journal,
    actor: Actor,
    class_id: int,
    start: date,
    end: date,
    pupil_id: int | None,
    opted_out_only: bool,
) -> _Month:
    cls = await checked_class(s, actor, class_id)
    school = await s.get(School, actor.school_id)
    assert school is not None
    today, until = await held_until(s, journal, actor.school_id, start, end)
    pupils = await _chosen_pupils(s, class_id, start, end, pupil_id, opted_out_only)
    ids = [p.id for p in pupils]
    lessons = await fetch_lessons(s, [class_id], start, until) if until >= start else []
    members = await fetch_group_members(s, [class_id])
    marks = await fetch_marks(s, ids, start, end)
    statuses = await _statuses(s, ids, lessons)
    # Marks on lessons of another class (a pupil who moved during the month).
    extra = {m.lesson_id for _, _, m in marks} - {x.id for x in lessons}
    if extra:
        lessons += [
            LessonRow(*r)
            for r in await s.execute(select(*LESSON_COLUMNS).where(Lesson.id.in_(list(extra))))
        ]
        lessons.sort(key=lambda x: (x.date, x.lesson_no))
    teacher = cls.class_teacher_id
    marks_by: dict[tuple[int, int], list[MarkEntry]] = defaultdict(list)
    for pid, _, mark in marks:
        marks_by[(pid, mark.lesson_id)].append(mark)
    return _Month(
        school=school.name,
        class_name=cls.name,
        grade=cls.grade,
        class_teacher=(await fetch_person_names(s, [teacher])).get(teacher) if teacher else None,
        today=today,
        pupils=pupils,
        lessons=lessons,
        members=members,
        marks=marks_by,
        statuses=statuses,
        subjects=await fetch_subject_names(s, {x.subject_id for x in lessons}),
    )


async def _chosen_pupils(
    s: AsyncSession,
    class_id: int,
    start: date,
    end: date,
    pupil_id: int | None,
    opted_out_only: bool,
) -> list[PupilRow]:
    """The class's pupils of the month: the one asked for, or those whose parent opted
    out of the electronic diary."""
    pupils = await fetch_pupils(s, [class_id], start, end)
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
    return pupils


async def _statuses(
    s: AsyncSession, pupil_ids: list[int], lessons: list[LessonRow]
) -> dict[tuple[int, int], tuple[str | None, str | None]]:
    """(lesson, pupil) → the roll call's status and reason."""
    if not pupil_ids or not lessons:
        return {}
    rows = await s.execute(
        select(
            Attendance.lesson_id, Attendance.pupil_id, Attendance.status, Attendance.reason
        ).where(
            Attendance.pupil_id.in_(pupil_ids),
            Attendance.lesson_id.in_([x.id for x in lessons]),
        )
    )
    return {(lid, pid): (st, rs) for lid, pid, st, rs in rows}


def _statement(data: _Month, pupil: PupilRow, start: date, end: date) -> PupilStatement:
    """One pupil's month: the lessons that were theirs, or that they have a mark or a
    roll-call entry on."""
    subjects: dict[int, StatementSubject] = {}
    total = AttendanceCounts()
    for lesson in data.lessons:
        own_marks = data.marks.get((pupil.id, lesson.id), [])
        status, reason = data.statuses.get((lesson.id, pupil.id), (None, None))
        if not attends(pupil, lesson, data.members) and not own_marks and status is None:
            continue
        entry = subjects.setdefault(
            lesson.subject_id, StatementSubject(lesson.subject_id, data.subjects[lesson.subject_id])
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
    return PupilStatement(
        school=data.school,
        pupil_id=pupil.id,
        full_name=pupil.full_name,
        class_name=data.class_name,
        grade=data.grade,
        class_teacher=data.class_teacher,
        start=start,
        end=end,
        issued_on=data.today,
        subjects=sorted(subjects.values(), key=lambda x: (x.subject, x.subject_id)),
        attendance=total,
    )
