"""A small school built straight into the database, for tests of the core rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time

from core.access import Actor
from core.journal import Journal
from core.models import (
    AcademicYear,
    Assignment,
    Bell,
    BindingRole,
    Group,
    GroupMember,
    Guardianship,
    Period,
    Person,
    Pupil,
    SchoolClass,
    StaffRole,
    StaffRoleRow,
    Subject,
    TimetableEntry,
)
from core.schools import ensure_school

MONDAY = date(2026, 11, 23)


@dataclass
class World:
    school_id: int
    people: dict[str, int] = field(default_factory=dict)
    classes: dict[str, int] = field(default_factory=dict)
    subjects: dict[str, int] = field(default_factory=dict)
    periods: dict[str, int] = field(default_factory=dict)
    groups: dict[str, int] = field(default_factory=dict)
    roles: dict[str, frozenset[StaffRole]] = field(default_factory=dict)

    def staff(self, name: str) -> Actor:
        return Actor(self.people[name], self.school_id, BindingRole.STAFF, self.roles[name])

    def parent(self, name: str) -> Actor:
        return Actor(self.people[name], self.school_id, BindingRole.PARENT)

    def pupil(self, name: str) -> Actor:
        return Actor(self.people[name], self.school_id, BindingRole.PUPIL)


STAFF = {
    "director": ("Соколова Ирина Павловна", {StaffRole.DIRECTOR, StaffRole.TEACHER}),
    "deputy": ("Морозов Андрей Игоревич", {StaffRole.DEPUTY, StaffRole.TEACHER}),
    "admin": ("Белова Ольга Сергеевна", {StaffRole.ADMIN}),
    "math": ("Кузнецова Елена Викторовна", {StaffRole.TEACHER}),
    "english": ("Смирнов Павел Олегович", {StaffRole.TEACHER}),
    "english2": ("Орлова Анна Дмитриевна", {StaffRole.TEACHER}),
    "primary": ("Волкова Наталья Ивановна", {StaffRole.TEACHER}),
}
PUPILS = {
    "petya": ("Иванов Пётр Алексеевич", "5А"),
    "masha": ("Иванова Мария Алексеевна", "5А"),
    "kolya": ("Сидоров Николай Андреевич", "5А"),
    "dasha": ("Иванова Дарья Алексеевна", "1А"),
    "vanya": ("Фёдоров Иван Сергеевич", "1А"),
}
# Иванова Светлана is the mother of three; Сидоров Андрей of one.
GUARDIANS = {
    "mother": ("Иванова Светлана Николаевна", ["petya", "masha", "dasha"]),
    "sidorov": ("Сидоров Андрей Петрович", ["kolya"]),
}


async def build_world(journal: Journal) -> World:
    async with journal.transaction() as s:
        school = await ensure_school(s, "Школа № 1")
        w = World(school.id)

        def person(key: str, full_name: str) -> Person:
            p = Person(school_id=school.id, full_name=full_name)
            s.add(p)
            return p

        staff = {k: person(k, name) for k, (name, _) in STAFF.items()}
        pupils = {k: person(k, name) for k, (name, _) in PUPILS.items()}
        guardians = {k: person(k, name) for k, (name, _) in GUARDIANS.items()}
        await s.flush()
        for k, p in {**staff, **pupils, **guardians}.items():
            w.people[k] = p.id
        for k, (_, roles) in STAFF.items():
            w.roles[k] = frozenset(roles)
            for r in roles:
                s.add(StaffRoleRow(person_id=staff[k].id, role=r.value))

        year = AcademicYear(
            school_id=school.id,
            name="2026/2027",
            starts_on=date(2026, 9, 1),
            ends_on=date(2027, 5, 31),
        )
        s.add(year)
        await s.flush()
        for name, start, end in (
            ("1 четверть", date(2026, 9, 1), date(2026, 10, 24)),
            ("2 четверть", date(2026, 11, 5), date(2026, 12, 28)),
        ):
            period = Period(
                school_id=school.id, year_id=year.id, name=name, starts_on=start, ends_on=end
            )
            s.add(period)
            await s.flush()
            w.periods[name] = period.id

        for name, grade, teacher in (("5А", 5, "math"), ("1А", 1, "primary")):
            c = SchoolClass(
                school_id=school.id, name=name, grade=grade, class_teacher_id=staff[teacher].id
            )
            s.add(c)
            await s.flush()
            w.classes[name] = c.id
        for name in ("Математика", "Английский язык", "Русский язык"):
            subj = Subject(school_id=school.id, name=name)
            s.add(subj)
            await s.flush()
            w.subjects[name] = subj.id
        for k, (_, class_name) in PUPILS.items():
            s.add(Pupil(person_id=pupils[k].id, class_id=w.classes[class_name]))
        await s.flush()
        for k, (_, children) in GUARDIANS.items():
            for child in children:
                s.add(Guardianship(guardian_id=guardians[k].id, pupil_id=pupils[child].id))

        for group_name, members in (("1 группа", ["petya", "masha"]), ("2 группа", ["kolya"])):
            g = Group(
                class_id=w.classes["5А"], subject_id=w.subjects["Английский язык"], name=group_name
            )
            s.add(g)
            await s.flush()
            w.groups[group_name] = g.id
            for m in members:
                s.add(GroupMember(group_id=g.id, pupil_id=pupils[m].id))

        for no, starts_at, ends_at in (
            (1, time(8, 30), time(9, 15)),
            (2, time(9, 25), time(10, 10)),
            (3, time(10, 30), time(11, 15)),
        ):
            s.add(Bell(school_id=school.id, lesson_no=no, starts_at=starts_at, ends_at=ends_at))
        math, eng, rus = (w.subjects[n] for n in ("Математика", "Английский язык", "Русский язык"))
        c5, c1 = w.classes["5А"], w.classes["1А"]
        entries = []
        for weekday in range(1, 6):
            entries += [
                (c5, None, weekday, 1, math, "math"),
                (c5, w.groups["1 группа"], weekday, 2, eng, "english"),
                (c5, w.groups["2 группа"], weekday, 2, eng, "english2"),
                (c1, None, weekday, 1, rus, "primary"),
                (c1, None, weekday, 2, math, "primary"),
            ]
        for class_id, group_id, weekday, no, subject_id, teacher in entries:
            s.add(
                TimetableEntry(
                    school_id=school.id,
                    class_id=class_id,
                    group_id=group_id,
                    weekday=weekday,
                    lesson_no=no,
                    subject_id=subject_id,
                    teacher_id=staff[teacher].id,
                )
            )
        for class_id, group_id, subject_id, teacher in (
            (c5, None, math, "math"),
            (c5, w.groups["1 группа"], eng, "english"),
            (c5, w.groups["2 группа"], eng, "english2"),
            (c1, None, rus, "primary"),
            (c1, None, math, "primary"),
        ):
            s.add(
                Assignment(
                    teacher_id=staff[teacher].id,
                    subject_id=subject_id,
                    class_id=class_id,
                    group_id=group_id,
                )
            )
    return w
