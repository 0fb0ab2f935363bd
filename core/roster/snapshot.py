"""What the school already holds, loaded for an import in a dozen SELECTs: its people and
staff roles, classes, subjects, pupils, parents' links, subgroups and their members,
teaching load, bells, timetable, years and periods."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import (
    AcademicYear,
    Assignment,
    Bell,
    Group,
    GroupMember,
    Guardianship,
    Period,
    Person,
    Pupil,
    SchoolClass,
    StaffRoleRow,
    Subject,
    TimetableEntry,
)
from core.roster.rows import class_key, name_key


class DbPerson(NamedTuple):
    id: int
    full_name: str
    external_id: str | None
    phone: str | None


class DbClass(NamedTuple):
    id: int
    name: str
    grade: int
    class_teacher_id: int | None
    external_id: str | None


class DbSubject(NamedTuple):
    id: int
    name: str
    certified: bool
    external_id: str | None


class DbPupil(NamedTuple):
    class_id: int
    birth_date: date | None
    admitted_on: date | None = None
    left_on: date | None = None


class DbSlot(NamedTuple):
    id: int
    subject_id: int
    teacher_id: int
    room: str | None


class DbPeriod(NamedTuple):
    id: int
    name: str
    starts_on: date
    ends_on: date
    closed: bool


@dataclass
class Snapshot:
    people: dict[int, DbPerson] = field(default_factory=dict)
    roles: dict[int, set[str]] = field(default_factory=dict)
    classes: dict[int, DbClass] = field(default_factory=dict)
    subjects: dict[int, DbSubject] = field(default_factory=dict)
    pupils: dict[int, DbPupil] = field(default_factory=dict)
    guardianships: dict[tuple[int, int], tuple[bool | None, datetime | None]] = field(
        default_factory=dict
    )
    opt_outs: dict[tuple[int, int], tuple[bool, datetime | None]] = field(default_factory=dict)
    groups: dict[tuple[int, int, str], int] = field(default_factory=dict)
    members: dict[int, set[int]] = field(default_factory=dict)
    assignments: dict[tuple[int, int, int, int | None], int] = field(default_factory=dict)
    bells: dict[int, tuple[time, time]] = field(default_factory=dict)
    timetable: dict[tuple[int, int | None, int, int], DbSlot] = field(default_factory=dict)
    years: dict[str, tuple[int, date, date]] = field(default_factory=dict)
    periods: dict[tuple[int, str], DbPeriod] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.index()

    def index(self) -> None:
        self.people_by_ext = {p.external_id: p for p in self.people.values() if p.external_id}
        self.people_by_name: dict[str, list[DbPerson]] = defaultdict(list)
        for p in self.people.values():
            self.people_by_name[name_key(p.full_name)].append(p)
        self.classes_by_ext = {c.external_id: c for c in self.classes.values() if c.external_id}
        self.classes_by_key: dict[str, list[DbClass]] = defaultdict(list)
        for c in self.classes.values():
            self.classes_by_key[class_key(c.name)].append(c)
        self.subjects_by_ext = {s.external_id: s for s in self.subjects.values() if s.external_id}
        self.subjects_by_key: dict[str, list[DbSubject]] = defaultdict(list)
        for s in self.subjects.values():
            self.subjects_by_key[name_key(s.name)].append(s)

    @classmethod
    async def load(cls, session: AsyncSession, school_id: int) -> Snapshot:
        s = cls()
        loader = _Loader(session, school_id, s)
        await loader.people()
        await loader.classes_and_pupils()
        await loader.links_and_groups()
        await loader.teaching()
        await loader.calendar()
        s.index()
        return s


class _Loader:
    """The SELECTs of :meth:`Snapshot.load`, a few tables each."""

    def __init__(self, session: AsyncSession, school_id: int, snapshot: Snapshot) -> None:
        self.session = session
        self.school_id = school_id
        self.s = snapshot
        self.in_school = SchoolClass.school_id == school_id

    async def rows(self, statement: Any) -> Sequence[Any]:
        return (await self.session.execute(statement)).all()

    async def people(self) -> None:
        s, school_id = self.s, self.school_id
        for r in await self.rows(
            select(Person.id, Person.full_name, Person.external_id, Person.phone).where(
                Person.school_id == school_id
            )
        ):
            s.people[r[0]] = DbPerson(*r)
        for person_id, role in await self.rows(
            select(StaffRoleRow.person_id, StaffRoleRow.role)
            .join(Person, Person.id == StaffRoleRow.person_id)
            .where(Person.school_id == school_id)
        ):
            s.roles.setdefault(person_id, set()).add(role)

    async def classes_and_pupils(self) -> None:
        s, school_id = self.s, self.school_id
        for r in await self.rows(
            select(
                SchoolClass.id,
                SchoolClass.name,
                SchoolClass.grade,
                SchoolClass.class_teacher_id,
                SchoolClass.external_id,
            ).where(self.in_school)
        ):
            s.classes[r[0]] = DbClass(*r)
        for r in await self.rows(
            select(Subject.id, Subject.name, Subject.certified, Subject.external_id).where(
                Subject.school_id == school_id
            )
        ):
            s.subjects[r[0]] = DbSubject(*r)
        for person_id, class_id, birth, admitted, left in await self.rows(
            select(
                Pupil.person_id, Pupil.class_id, Pupil.birth_date, Pupil.admitted_on, Pupil.left_on
            )
            .join(SchoolClass, SchoolClass.id == Pupil.class_id)
            .where(self.in_school)
        ):
            s.pupils[person_id] = DbPupil(class_id, birth, admitted, left)

    async def links_and_groups(self) -> None:
        s = self.s
        for guardian_id, pupil_id, consent, consent_at, opt_out, opt_out_at in await self.rows(
            select(
                Guardianship.guardian_id,
                Guardianship.pupil_id,
                Guardianship.consent,
                Guardianship.consent_at,
                Guardianship.diary_opt_out,
                Guardianship.opt_out_at,
            )
            .join(Pupil, Pupil.person_id == Guardianship.pupil_id)
            .join(SchoolClass, SchoolClass.id == Pupil.class_id)
            .where(self.in_school)
        ):
            s.guardianships[(guardian_id, pupil_id)] = (consent, consent_at)
            s.opt_outs[(guardian_id, pupil_id)] = (bool(opt_out), opt_out_at)
        for group_id, class_id, subject_id, name in await self.rows(
            select(Group.id, Group.class_id, Group.subject_id, Group.name)
            .join(SchoolClass, SchoolClass.id == Group.class_id)
            .where(self.in_school)
        ):
            s.groups[(class_id, subject_id, name_key(name))] = group_id
        for group_id, pupil_id in await self.rows(
            select(GroupMember.group_id, GroupMember.pupil_id)
            .join(Group, Group.id == GroupMember.group_id)
            .join(SchoolClass, SchoolClass.id == Group.class_id)
            .where(self.in_school)
        ):
            s.members.setdefault(group_id, set()).add(pupil_id)

    async def teaching(self) -> None:
        s, school_id = self.s, self.school_id
        for r in await self.rows(
            select(
                Assignment.id,
                Assignment.teacher_id,
                Assignment.subject_id,
                Assignment.class_id,
                Assignment.group_id,
            )
            .join(SchoolClass, SchoolClass.id == Assignment.class_id)
            .where(self.in_school)
        ):
            s.assignments[(r[1], r[2], r[3], r[4])] = r[0]
        for lesson_no, starts, ends in await self.rows(
            select(Bell.lesson_no, Bell.starts_at, Bell.ends_at).where(Bell.school_id == school_id)
        ):
            s.bells[lesson_no] = (starts, ends)
        t = TimetableEntry
        for r in await self.rows(
            select(
                t.id,
                t.class_id,
                t.group_id,
                t.weekday,
                t.lesson_no,
                t.subject_id,
                t.teacher_id,
                t.room,
            ).where(t.school_id == school_id)
        ):
            s.timetable[(r[1], r[2], r[3], r[4])] = DbSlot(r[0], r[5], r[6], r[7])

    async def calendar(self) -> None:
        s, school_id = self.s, self.school_id
        for year_id, name, starts, ends in await self.rows(
            select(
                AcademicYear.id, AcademicYear.name, AcademicYear.starts_on, AcademicYear.ends_on
            ).where(AcademicYear.school_id == school_id)
        ):
            s.years[name] = (year_id, starts, ends)
        for period_id, year_id, name, starts, ends, closed_at in await self.rows(
            select(
                Period.id,
                Period.year_id,
                Period.name,
                Period.starts_on,
                Period.ends_on,
                Period.closed_at,
            ).where(Period.school_id == school_id)
        ):
            s.periods[(year_id, name_key(name))] = DbPeriod(
                period_id, name, starts, ends, closed_at is not None
            )
