"""A class as its class teacher sees it: the pupils, and the week's absences (R1, R6)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import Actor, ensure_can_view_class, ensure_can_view_pupil, is_class_teacher
from core.accounts import PupilRef
from core.errors import NotAllowed
from core.journal import Journal
from core.models import AbsenceReason, Attendance, BindingRole, Lesson, Person, Pupil, SchoolClass


async def classes_led_by(journal: Journal, actor: Actor) -> list[tuple[int, str]]:
    """The classes whose class teacher this staff member is."""
    if actor.role is not BindingRole.STAFF or actor.person_id is None:
        return []
    async with journal.transaction() as s:
        return await classes_led_by_in(s, actor)


async def classes_led_by_in(s: AsyncSession, actor: Actor) -> list[tuple[int, str]]:
    """``classes_led_by`` inside the caller's transaction."""
    if actor.role is not BindingRole.STAFF or actor.person_id is None:
        return []
    rows = await s.execute(
        select(SchoolClass.id, SchoolClass.name)
        .where(SchoolClass.class_teacher_id == actor.person_id)
        .order_by(SchoolClass.name)
    )
    return [(i, n) for i, n in rows]


@dataclass
class PupilDayAbsence:
    """A pupil's absences on one day: one entry, however many lessons (R6)."""

    pupil_id: int
    full_name: str
    date: date
    lessons: list[int] = field(default_factory=list)
    late: int = 0
    reasons: set[AbsenceReason] = field(default_factory=set)

    @property
    def confirmed(self) -> bool:
        return AbsenceReason.UNCONFIRMED not in self.reasons


async def class_absences(
    journal: Journal, actor: Actor, class_id: int, start: date, end: date
) -> list[PupilDayAbsence]:
    async with journal.transaction() as s:
        return await class_absences_in(s, actor, class_id, start, end)


async def class_absences_in(
    s: AsyncSession, actor: Actor, class_id: int, start: date, end: date
) -> list[PupilDayAbsence]:
    """The class's absences and lateness in [start, end] by pupil-day, for whoever may
    view the class, inside the caller's transaction."""
    await ensure_can_view_class(s, actor, class_id)
    rows = await s.execute(
        select(
            Attendance.pupil_id,
            Person.full_name,
            Lesson.date,
            Lesson.lesson_no,
            Attendance.status,
            Attendance.reason,
        )
        .join(Lesson, Lesson.id == Attendance.lesson_id)
        .join(Pupil, Pupil.person_id == Attendance.pupil_id)
        .join(Person, Person.id == Attendance.pupil_id)
        .where(
            Pupil.class_id == class_id,
            Lesson.date.between(start, end),
            Attendance.status.in_(["absent", "late"]),
        )
        .order_by(Person.full_name, Lesson.date, Lesson.lesson_no)
    )
    grouped: dict[tuple[int, date], PupilDayAbsence] = {}
    for pupil_id, name, day, lesson_no, status, reason in rows:
        entry = grouped.setdefault((pupil_id, day), PupilDayAbsence(pupil_id, name, day))
        if status == "late":
            entry.late += 1
        else:
            entry.lessons.append(lesson_no)
            entry.reasons.add(AbsenceReason(reason))
    return list(grouped.values())


async def class_of_pupil(journal: Journal, actor: Actor, pupil_id: int) -> int:
    async with journal.transaction() as s:
        pupil = await ensure_can_view_pupil(s, actor, pupil_id)
        return pupil.class_id


async def class_pupils(journal: Journal, actor: Actor, class_id: int) -> list[PupilRef]:
    """The class list, for whoever may view the class (R1)."""
    async with journal.transaction() as s:
        await ensure_can_view_class(s, actor, class_id)
        rows = await s.execute(
            select(Pupil.person_id, Person.full_name, SchoolClass.name, SchoolClass.grade)
            .join(Person, Person.id == Pupil.person_id)
            .join(SchoolClass, SchoolClass.id == Pupil.class_id)
            .where(Pupil.class_id == class_id, Pupil.left_on.is_(None))
            .order_by(Person.full_name)
        )
        return [PupilRef(*r) for r in rows]


async def pupil_ref(journal: Journal, actor: Actor, pupil_id: int) -> PupilRef:
    async with journal.transaction() as s:
        return await pupil_ref_in(s, actor, pupil_id)


async def pupil_ref_in(s: AsyncSession, actor: Actor, pupil_id: int) -> PupilRef:
    """A pupil the actor may view, with their class, inside the caller's transaction."""
    pupil = await ensure_can_view_pupil(s, actor, pupil_id)
    row = (
        await s.execute(
            select(Person.full_name, SchoolClass.name, SchoolClass.grade)
            .join(SchoolClass, SchoolClass.id == pupil.class_id)
            .where(Person.id == pupil_id)
        )
    ).one()
    return PupilRef(pupil_id, *row)


async def ensure_class_teacher(s: AsyncSession, actor: Actor, class_id: int) -> SchoolClass:
    """The class, if ``actor`` is its class teacher or oversees the school."""
    cls = await s.get(SchoolClass, class_id)
    if cls is None or cls.school_id != actor.school_id:
        raise NotAllowed()
    if not (actor.oversees_school or await is_class_teacher(s, actor, class_id)):
        raise NotAllowed("error.class_teacher_only")
    return cls
