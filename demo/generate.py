"""Deterministic generator of school rosters in the journal's import format.

A roster is ``{sheet name: [row, ...]}`` where each row maps a column to a string (empty
string = no value). The sheets and their columns are :data:`COLUMNS`; a roster is written
as a folder of CSV files (:func:`write_csv_folder`) or one XLSX workbook (:func:`write_xlsx`).

Everything is derived from a seeded ``random.Random``: the same arguments always give the
same roster. Generation is linear in the number of pupils and classes.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import NamedTuple

from demo.names import GRANDFATHERS, NameGenerator, patronymics

Row = dict[str, str]
Roster = dict[str, list[Row]]

COLUMNS: dict[str, tuple[str, ...]] = {
    "teachers": ("id", "full_name", "roles"),
    "classes": ("id", "name", "grade", "class_teacher"),
    "subjects": ("id", "name"),
    "pupils": ("id", "full_name", "class", "birth_date"),
    "guardians": ("id", "full_name", "pupil", "class", "phone", "consent"),
    "assignments": ("teacher", "subject", "class", "group"),
    "groups": ("class", "subject", "group", "pupil"),
    "bells": ("lesson_no", "start", "end"),
    "timetable": ("class", "group", "weekday", "lesson_no", "subject", "teacher", "room"),
    "periods": ("name", "start", "end"),
}
"""Sheet name → columns, in the order they are written."""

ROLES = ("admin", "director", "deputy", "teacher")

BELLS: tuple[tuple[int, str, str], ...] = (
    (1, "08:30", "09:15"),
    (2, "09:25", "10:10"),
    (3, "10:30", "11:15"),
    (4, "11:35", "12:20"),
    (5, "12:30", "13:15"),
    (6, "13:25", "14:10"),
    (7, "14:20", "15:05"),
)

PERIODS: tuple[tuple[str, str, str], ...] = (
    ("1 четверть", "2026-09-01", "2026-10-24"),
    ("2 четверть", "2026-11-05", "2026-12-28"),
    ("3 четверть", "2027-01-12", "2027-03-21"),
    ("4 четверть", "2027-03-31", "2027-05-26"),
)

GROUP_NAMES = ("1 группа", "2 группа")
WEEKDAYS = 5  # Monday..Friday
MAX_LESSONS = len(BELLS)
SCHOOL_YEAR_START = 2026  # the 2026/2027 school year

# --- Subjects and curriculum -------------------------------------------------------------

RUS = "Русский язык"
LIT_READING = "Литературное чтение"
LIT = "Литература"
ENG = "Английский язык"
MATH = "Математика"
ALG = "Алгебра"
GEOM = "Геометрия"
STAT = "Вероятность и статистика"
CS = "Информатика"
WORLD = "Окружающий мир"
HIST = "История"
SOC = "Обществознание"
GEO = "География"
BIO = "Биология"
PHYS = "Физика"
CHEM = "Химия"
ORKSE = "ОРКСЭ"  # Основы религиозных культур и светской этики
ODNKNR = "ОДНКНР"  # Основы духовно-нравственной культуры народов России
MUSIC = "Музыка"
ART = "Изобразительное искусство"
TECH = "Технология"
PE = "Физическая культура"
OBZR = "ОБЗР"  # Основы безопасности и защиты Родины

SUBJECT_ORDER: tuple[str, ...] = (
    RUS, LIT_READING, LIT, ENG, MATH, ALG, GEOM, STAT, CS, WORLD, HIST, SOC, GEO, BIO, PHYS,
    CHEM, ORKSE, ODNKNR, MUSIC, ART, TECH, PE, OBZR,
)  # fmt: skip

_PRIMARY_2_3 = {RUS: 5, LIT_READING: 4, ENG: 2, MATH: 4, WORLD: 2, MUSIC: 1, ART: 1, TECH: 1,
                PE: 3}  # fmt: skip
_SENIOR = {RUS: 2, LIT: 3, ENG: 3, ALG: 4, GEOM: 3, STAT: 1, CS: 1, HIST: 2, SOC: 2, GEO: 1,
           BIO: 1, PHYS: 2, CHEM: 1, PE: 2, OBZR: 1}  # fmt: skip

CURRICULUM: dict[int, dict[str, int]] = {
    1: {RUS: 5, LIT_READING: 4, MATH: 4, WORLD: 2, MUSIC: 1, ART: 1, TECH: 1, PE: 3},
    2: _PRIMARY_2_3,
    3: _PRIMARY_2_3,
    4: {RUS: 5, LIT_READING: 3, ENG: 2, MATH: 4, WORLD: 2, ORKSE: 1, MUSIC: 1, ART: 1, TECH: 1,
        PE: 3},
    5: {RUS: 5, LIT: 3, ENG: 3, MATH: 5, CS: 1, HIST: 2, ODNKNR: 1, BIO: 1, GEO: 1, MUSIC: 1,
        ART: 1, TECH: 2, PE: 3},
    6: {RUS: 6, LIT: 3, ENG: 3, MATH: 5, CS: 1, HIST: 2, SOC: 1, ODNKNR: 1, BIO: 1, GEO: 1,
        MUSIC: 1, ART: 1, TECH: 2, PE: 2},
    7: {RUS: 4, LIT: 2, ENG: 3, ALG: 3, GEOM: 2, STAT: 1, CS: 1, HIST: 2, SOC: 1, GEO: 2, BIO: 1,
        PHYS: 2, MUSIC: 1, ART: 1, TECH: 2, PE: 3},
    8: {RUS: 3, LIT: 2, ENG: 3, ALG: 3, GEOM: 2, STAT: 1, CS: 1, HIST: 2, SOC: 1, GEO: 2, BIO: 2,
        PHYS: 2, CHEM: 2, MUSIC: 1, TECH: 1, PE: 2, OBZR: 1},
    9: {RUS: 3, LIT: 3, ENG: 3, ALG: 3, GEOM: 2, STAT: 1, CS: 1, HIST: 2, SOC: 1, GEO: 2, BIO: 2,
        PHYS: 3, CHEM: 2, PE: 2, OBZR: 1},
    10: _SENIOR,
    11: _SENIOR,
}  # fmt: skip
"""Weekly hours per subject for a five-day week, by grade (ФГОС-like)."""

# Teaching specialties. Grades 1-4: the class teacher ("primary") teaches everything except
# English, music and PE. A subject teacher teaches all subjects of their specialty in a class.
_PRIMARY_SUBJECTS = frozenset({RUS, LIT_READING, MATH, WORLD, ART, TECH, ORKSE})
_SPECIALTY: dict[str, str] = {
    RUS: "russian", LIT: "russian", ENG: "english", MATH: "math", ALG: "math", GEOM: "math",
    STAT: "math", CS: "cs", HIST: "history", SOC: "history", ODNKNR: "history",
    GEO: "geography", BIO: "biology", CHEM: "biology", PHYS: "physics", MUSIC: "music",
    ART: "art", TECH: "technology", PE: "pe", OBZR: "pe",
}  # fmt: skip
_FEMALE_SHARE: dict[str, float] = {
    "primary": 0.97, "russian": 0.95, "english": 0.9, "math": 0.8, "cs": 0.5, "history": 0.7,
    "geography": 0.75, "biology": 0.85, "physics": 0.6, "music": 0.8, "art": 0.85,
    "technology": 0.5, "pe": 0.4,
}  # fmt: skip
GYM = "Спортзал"


def specialty(subject: str, grade: int) -> str:
    """Which kind of teacher teaches ``subject`` in ``grade``."""
    if grade <= 4 and subject in _PRIMARY_SUBJECTS:
        return "primary"
    return _SPECIALTY[subject]


def day_counts(total: int) -> list[int]:
    """Lessons per weekday (Mon..Fri) for ``total`` weekly hours; the extra ones go to the
    middle of the week first (21 → 4 5 4 4 4, 29 → 6 6 6 6 5)."""
    base, extra = divmod(total, WEEKDAYS)
    counts = [base] * WEEKDAYS
    for day in (1, 2, 0, 3, 4)[:extra]:
        counts[day] += 1
    if counts[1] > MAX_LESSONS:
        raise ValueError(f"{total} weekly lessons do not fit into {MAX_LESSONS} bells a day")
    return counts


# --- Timetable engine -------------------------------------------------------------------

# A weekly slot is a bit: bit (day * 8 + lesson_index) of an int mask.
_DAY_MASKS = tuple(0xFF << (day * 8) for day in range(WEEKDAYS))


def _class_mask(counts: Sequence[int]) -> int:
    mask = 0
    for day, n in enumerate(counts):
        mask |= ((1 << n) - 1) << (day * 8)
    return mask


@dataclass(eq=False, slots=True)
class _Teacher:
    full_name: str
    specialty: str
    room: str
    cap: int = 30
    roles: list[str] = field(default_factory=lambda: ["teacher"])
    busy: int = 0  # bitmask of weekly slots
    hours: int = 0
    ext_id: str = ""


@dataclass(eq=False, slots=True)
class _Course:
    """One subject of a class (or of a subgroup split: one teacher per group)."""

    subject: str
    hours: int
    teachers: tuple[_Teacher, ...]
    groups: tuple[str, ...] = ("",)


@dataclass(eq=False, slots=True)
class _Class:
    name: str
    grade: int
    size: int
    room: str = ""
    class_teacher: _Teacher | None = None
    ext_id: str = ""
    # (day 0-based, lesson 0-based, subject, group, teacher)
    lessons: list[tuple[int, int, str, str, _Teacher]] = field(default_factory=list)
    hours_by_teacher: dict[int, int] = field(default_factory=dict)
    pupils: list[_Pupil] = field(default_factory=list)
    split_subjects: list[str] = field(default_factory=list)


def _place(
    rng: random.Random, counts: Sequence[int], courses: Sequence[_Course]
) -> list[int] | int:
    """Put every lesson of ``courses`` into the class's weekly slots so that no teacher is
    busy elsewhere; a split course puts both groups into the same slot. Returns the slot
    bit of each lesson (in course/hour order), or the index of a course that did not fit."""
    free = _class_mask(counts)
    units: list[int] = []  # course index per lesson
    busy: list[int] = []
    for ci, course in enumerate(courses):
        mask = 0
        for teacher in course.teachers:
            mask |= teacher.busy
        units.extend([ci] * course.hours)
        busy.extend([mask] * course.hours)
    if len(units) != free.bit_count():
        raise ValueError("the courses do not fill the class's week exactly")
    # Most constrained lessons first, then subjects with more lessons to spread over the
    # week; random among equals.
    keys = [
        ((free & ~b).bit_count(), -courses[ci].hours, rng.random())
        for ci, b in zip(units, busy, strict=True)
    ]
    order = sorted(range(len(units)), key=keys.__getitem__)
    per_day: dict[int, list[int]] = {}
    slots = [0] * len(units)
    for i in order:
        feasible = free & ~busy[i]
        if not feasible:
            return units[i]
        seen = per_day.setdefault(units[i], [0] * WEEKDAYS)
        best_days: list[int] = []
        best_key: tuple[int, int] | None = None
        for day in range(WEEKDAYS):
            if feasible & _DAY_MASKS[day]:
                # Spread a subject over the week; prefer days with more room left.
                key = (seen[day], -(free & _DAY_MASKS[day]).bit_count())
                if best_key is None or key < best_key:
                    best_key, best_days = key, [day]
                elif key == best_key:
                    best_days.append(day)
        day = best_days[0] if len(best_days) == 1 else rng.choice(best_days)
        day_bits = feasible & _DAY_MASKS[day]
        candidates = [b for b in range(day * 8, day * 8 + MAX_LESSONS) if day_bits >> b & 1]
        bit = candidates[0] if len(candidates) == 1 else rng.choice(candidates)
        free &= ~(1 << bit)
        seen[day] += 1
        slots[i] = bit
    return slots


def _commit(cls: _Class, courses: Sequence[_Course], slots: Sequence[int]) -> None:
    i = 0
    for course in courses:
        for _ in range(course.hours):
            bit = slots[i]
            i += 1
            day, lesson = divmod(bit, 8)
            for teacher, group in zip(course.teachers, course.groups, strict=True):
                teacher.busy |= 1 << bit
                teacher.hours += 1
                cls.lessons.append((day, lesson, course.subject, group, teacher))
                cls.hours_by_teacher[id(teacher)] = cls.hours_by_teacher.get(id(teacher), 0) + 1
    cls.lessons.sort(key=lambda x: (x[0], x[1], x[3]))


# --- People -----------------------------------------------------------------------------


@dataclass(eq=False, slots=True)
class _Guardian:
    full_name: str
    phone: str
    consent: bool
    ext_id: str = ""


@dataclass(eq=False, slots=True)
class _Pupil:
    full_name: str
    birth_date: date
    cls: _Class
    guardians: list[_Guardian]
    ext_id: str = ""


def _sort_key(full_name: str) -> str:
    # Russian collation treats Ё as Е; code points would put it after Я.
    return full_name.replace("ё", "е").replace("Ё", "Е")


# A bijection on 0..10**9-1 (3**18 is coprime to 10**9): unique, random-looking numbers.
_PHONE_MULT = 387_420_489
_PHONE_ADD = 271_828_182


def _phone(seed: int, counter: int) -> str:
    x = (seed % 10_000) * 100_000 + counter % 100_000
    return f"+79{(x * _PHONE_MULT + _PHONE_ADD) % 1_000_000_000:09d}"


class _School:
    """Builds one school; ``render`` turns it into a roster."""

    def __init__(self, seed: int, prefix: str) -> None:
        self.seed = seed
        self.prefix = prefix
        self.rng = random.Random(seed)
        self.names = NameGenerator(self.rng)
        self.teachers: list[_Teacher] = []
        self.classes: list[_Class] = []
        self._rooms = 0
        self._homerooms = 0
        self._phones = 0

    # Staff.

    def hire(self, spec: str, *, female: bool | None = None, room: str | None = None) -> _Teacher:
        rng = self.rng
        if female is None:
            female = rng.random() < _FEMALE_SHARE.get(spec, 0.75)
        if room is None:
            self._rooms += 1
            floor, number = divmod(self._rooms - 1, 30)
            room = str((floor + 2) * 100 + number + 1)
        teacher = _Teacher(
            full_name=self.names.person(female=female, adult=True),
            specialty=spec,
            room=room,
            cap=rng.randint(20, 28),
        )
        self.teachers.append(teacher)
        return teacher

    def homeroom(self) -> str:
        self._homerooms += 1
        return str(100 + self._homerooms)

    # Pupils and guardians.

    def guardian(self, *, female: bool, surname: str, father: str | None = None) -> _Guardian:
        """A parent. A father's given name is pinned (his children's patronymic)."""
        full_name = ""
        if father is not None:
            for _ in range(50):
                own = patronymics(self.rng.choice(GRANDFATHERS))[0]
                if self.names.claim(f"{surname} {father} {own}"):
                    full_name = f"{surname} {father} {own}"
                    break
        if not full_name:
            full_name = self.names.person(female=female, adult=True, surname=surname)
        self._phones += 1
        return _Guardian(full_name, _phone(self.seed, self._phones), consent=True)

    def populate(
        self,
        *,
        sibling_rate: float,
        two_guardians_rate: float,
        consent_no_rate: float,
        no_phone_rate: float,
    ) -> None:
        """Fill every class with ``cls.size`` pupils, family by family."""
        rng = self.rng
        classes = self.classes
        remaining = [cls.size for cls in classes]
        for ci, cls in enumerate(classes):
            while remaining[ci] > 0:
                remaining[ci] -= 1
                homes = [cls]
                if rng.random() < sibling_rate and len(classes) > 1:
                    for _ in range(8):
                        cj = rng.randrange(len(classes))
                        if remaining[cj] > 0 and classes[cj].grade != cls.grade:
                            remaining[cj] -= 1
                            homes.append(classes[cj])
                            break
                self._family(homes, two_guardians_rate, consent_no_rate, no_phone_rate)
        for cls in classes:
            cls.pupils.sort(key=lambda p: _sort_key(p.full_name))

    def _family(
        self,
        homes: list[_Class],
        two_guardians_rate: float,
        consent_no_rate: float,
        no_phone_rate: float,
    ) -> None:
        rng = self.rng
        surname = self.names.surname()
        father = self.names.father()
        guardians: list[_Guardian] = []
        roll = rng.random()
        if roll < two_guardians_rate:
            who: tuple[str, ...] = ("mother", "father")
        elif roll < two_guardians_rate + (1 - two_guardians_rate) * 0.85:
            who = ("mother",)
        else:
            who = ("father",)
        for kind in who:
            g = self.guardian(
                female=kind == "mother",
                surname=surname,
                father=father if kind == "father" else None,
            )
            if rng.random() < consent_no_rate:
                g.consent = False
            if rng.random() < no_phone_rate:
                g.phone = ""
            guardians.append(g)
        for cls in homes:
            female = rng.random() < 0.5
            pupil = _Pupil(
                full_name=self.names.person(
                    female=female, adult=False, surname=surname, father=father
                ),
                birth_date=_birth_date(rng, cls.grade),
                cls=cls,
                guardians=guardians,
            )
            cls.pupils.append(pupil)

    # Output.

    def render(self) -> Roster:
        p = self.prefix
        for n, teacher in enumerate(self.teachers, 1):
            teacher.ext_id = f"{p}T{n:03d}"
        for n, cls in enumerate(self.classes, 1):
            cls.ext_id = f"{p}C{n:02d}"
        used = {lesson[2] for cls in self.classes for lesson in cls.lessons}
        subjects = [s for s in SUBJECT_ORDER if s in used]

        roster: Roster = {name: [] for name in COLUMNS}
        roster["teachers"] = [
            {"id": t.ext_id, "full_name": t.full_name, "roles": ";".join(t.roles)}
            for t in self.teachers
        ]
        roster["classes"] = [
            {
                "id": c.ext_id,
                "name": c.name,
                "grade": str(c.grade),
                "class_teacher": c.class_teacher.full_name if c.class_teacher else "",
            }
            for c in self.classes
        ]
        roster["subjects"] = [
            {"id": f"{p}SUB{n:02d}", "name": s} for n, s in enumerate(subjects, 1)
        ]

        pupils = roster["pupils"]
        groups = roster["groups"]
        guardian_rows: dict[int, list[Row]] = {}
        guardian_order: list[_Guardian] = []
        for cls in self.classes:
            for pupil in cls.pupils:
                pupil.ext_id = f"{p}P{len(pupils) + 1:04d}"
                pupils.append(
                    {
                        "id": pupil.ext_id,
                        "full_name": pupil.full_name,
                        "class": cls.name,
                        "birth_date": pupil.birth_date.isoformat(),
                    }
                )
                for g in pupil.guardians:
                    rows = guardian_rows.get(id(g))
                    if rows is None:
                        rows = guardian_rows[id(g)] = []
                        guardian_order.append(g)
                        g.ext_id = f"{p}G{len(guardian_order):04d}"
                    rows.append(
                        {
                            "id": g.ext_id,
                            "full_name": g.full_name,
                            "pupil": pupil.full_name,
                            "class": cls.name,
                            "phone": g.phone,
                            "consent": "yes" if g.consent else "no",
                        }
                    )
            half = (len(cls.pupils) + 1) // 2
            for subject in cls.split_subjects:
                for i, pupil in enumerate(cls.pupils):
                    groups.append(
                        {
                            "class": cls.name,
                            "subject": subject,
                            "group": GROUP_NAMES[i >= half],
                            "pupil": pupil.full_name,
                        }
                    )
        roster["guardians"] = [row for g in guardian_order for row in guardian_rows[id(g)]]

        order = {s: i for i, s in enumerate(SUBJECT_ORDER)}
        timetable = roster["timetable"]
        assignments = roster["assignments"]
        for cls in self.classes:
            seen: dict[tuple[str, str, int], _Teacher] = {}
            for day, lesson, subject, group, teacher in cls.lessons:
                timetable.append(
                    {
                        "class": cls.name,
                        "group": group,
                        "weekday": str(day + 1),
                        "lesson_no": str(lesson + 1),
                        "subject": subject,
                        "teacher": teacher.full_name,
                        "room": GYM if subject == PE else teacher.room,
                    }
                )
                seen.setdefault((subject, group, id(teacher)), teacher)
            for (subject, group, _), teacher in sorted(
                seen.items(), key=lambda kv: (order[kv[0][0]], kv[0][1], kv[1].ext_id)
            ):
                assignments.append(
                    {
                        "teacher": teacher.full_name,
                        "subject": subject,
                        "class": cls.name,
                        "group": group,
                    }
                )

        roster["bells"] = [{"lesson_no": str(n), "start": s, "end": e} for n, s, e in BELLS]
        roster["periods"] = [{"name": n, "start": s, "end": e} for n, s, e in PERIODS]
        return roster


def _birth_date(rng: random.Random, grade: int) -> date:
    # A first-former of 2026/2027 turns seven in 2026: born in 2019.
    start = date(SCHOOL_YEAR_START - 6 - grade, 1, 1)
    return start + timedelta(days=rng.randrange(365))


# --- Generic schools ----------------------------------------------------------------------


def _pick(
    pool: list[_Teacher],
    hours: int,
    class_mask: int,
    excluded: set[int],
    taken: list[_Teacher],
) -> _Teacher | None:
    """The fullest teacher of a pool who can still take ``hours`` lessons in this class."""
    best: _Teacher | None = None
    best_key: tuple[int, int] | None = None
    for teacher in pool:
        if id(teacher) in excluded or teacher in taken or teacher.hours + hours > teacher.cap:
            continue
        free = (class_mask & ~teacher.busy).bit_count()
        if free < hours + 2:
            continue
        key = (teacher.hours, free)
        if best_key is None or key > best_key:
            best, best_key = teacher, key
    return best


def _schedule_generic(school: _School, split_from_grade: int) -> None:
    rng = school.rng
    pools: dict[str, list[_Teacher]] = {}
    for cls in school.classes:
        plan = CURRICULUM[cls.grade]
        counts = day_counts(sum(plan.values()))
        class_mask = _class_mask(counts)
        # specialty → [(subject, hours)], in curriculum order
        by_spec: dict[str, list[tuple[str, int]]] = {}
        for subject, hours in plan.items():
            by_spec.setdefault(specialty(subject, cls.grade), []).append((subject, hours))
        if cls.grade <= 4:
            cls.class_teacher = school.hire("primary", room=cls.room)
        split = cls.grade >= split_from_grade and ENG in plan
        if split:
            cls.split_subjects.append(ENG)
        excluded: set[int] = set()
        for _attempt in range(200):
            courses: list[_Course] = []
            for spec, items in by_spec.items():
                if spec == "primary":
                    assert cls.class_teacher is not None
                    staff: tuple[_Teacher, ...] = (cls.class_teacher,)
                else:
                    pool = pools.setdefault(spec, [])
                    total = sum(h for _, h in items)
                    n = 2 if split and spec == "english" else 1
                    chosen: list[_Teacher] = []
                    for _ in range(n):
                        t = _pick(pool, total, class_mask, excluded, chosen)
                        if t is None:
                            t = school.hire(spec)
                            pool.append(t)
                        chosen.append(t)
                    staff = tuple(chosen)
                for subject, hours in items:
                    if len(staff) == 2:
                        courses.append(_Course(subject, hours, staff, GROUP_NAMES))
                    else:
                        courses.append(_Course(subject, hours, staff[:1]))
            result = _place(rng, counts, courses)
            if isinstance(result, list):
                _commit(cls, courses, result)
                break
            # The busiest teacher of the course that did not fit steps aside for this class.
            culprit = max(courses[result].teachers, key=lambda t: t.busy.bit_count())
            if culprit.specialty != "primary":
                excluded.add(id(culprit))
        else:  # pragma: no cover - fresh teachers always fit
            raise RuntimeError(f"could not build a timetable for {cls.name}")

    # A teacher hired during an attempt that was then redone may have no lessons.
    school.teachers = [t for t in school.teachers if t.hours]

    # Class teachers for grades 5+: the teacher with most lessons in the class who has
    # no class yet.
    by_id = {id(t): t for t in school.teachers}
    have_class = {id(c.class_teacher) for c in school.classes if c.class_teacher}
    for cls in school.classes:
        if cls.class_teacher is not None:
            continue
        ranked = sorted(cls.hours_by_teacher.items(), key=lambda kv: -kv[1])
        pick = next((k for k, _ in ranked if k not in have_class), ranked[0][0])
        cls.class_teacher = by_id[pick]
        have_class.add(pick)

    # Management: a director and deputies from the subject teachers with the lightest
    # load and no class; an administrator who does not teach.
    candidates = [t for t in school.teachers if id(t) not in have_class] or list(school.teachers)
    candidates.sort(key=lambda t: t.hours)
    deputies = max(1, round(len(school.classes) / 15))
    director, *rest = candidates[: deputies + 1]
    director.roles = ["director", "teacher"]
    for t in rest:
        t.roles = ["deputy", "teacher"]
    admin = school.hire("admin", female=rng.random() < 0.6, room="")
    admin.roles = ["admin"]
    # Management first, then everyone else in hiring order.
    rank = {"director": 0, "deputy": 1, "admin": 2}
    school.teachers.sort(key=lambda t: rank.get(t.roles[0], 3))


def generate_school(
    seed: int,
    classes: list[tuple[str, int]],
    pupils_per_class: tuple[int, int],
    school_prefix: str = "",
    *,
    sibling_rate: float = 0.08,
    split_english_from_grade: int = 5,
) -> Roster:
    """A whole school roster: staff, classes, pupils, guardians, a weekly timetable.

    ``classes`` is ``[(name, grade), ...]`` (e.g. ``[("1А", 1), ("5А", 5)]``; see
    :func:`class_list`), each class gets ``randint(*pupils_per_class)`` pupils.
    ``school_prefix`` is prepended to every ``id`` (``"S001-"`` → ``S001-P0001``). Phone
    numbers are unique within the school and across schools whose seeds differ mod 10,000.
    """
    if not classes:
        raise ValueError("a school needs at least one class")
    names = [name for name, _ in classes]
    if len(set(names)) != len(names):
        raise ValueError("class names must be unique")
    school = _School(seed, school_prefix)
    lo, hi = pupils_per_class
    for name, grade in classes:
        if grade not in CURRICULUM:
            raise ValueError(f"grade {grade} of {name} is not 1..11")
        size = school.rng.randint(lo, hi)
        school.classes.append(_Class(name, grade, size, room=school.homeroom()))
    _schedule_generic(school, split_english_from_grade)
    school.populate(
        sibling_rate=sibling_rate,
        two_guardians_rate=0.45,
        consent_no_rate=0.03,
        no_phone_rate=0.03,
    )
    return school.render()


LETTERS = "АБВГДЕЖИКЛМНОП"


def class_list(count: int, grades: Sequence[int] = range(1, 12)) -> list[tuple[str, int]]:
    """``count`` classes spread evenly over ``grades``, lower grades getting the extra
    parallels: ``class_list(40)`` → 1А..1Г, ..., 7А..7Г, 8А..8В, ..., 11А..11В."""
    per_grade, extra = divmod(count, len(grades))
    result: list[tuple[str, int]] = []
    for i, grade in enumerate(grades):
        for letter in LETTERS[: per_grade + (i < extra)]:
            result.append((f"{grade}{letter}", grade))
    return result


class GeneratedSchool(NamedTuple):
    name: str
    prefix: str
    roster: Roster


def iter_schools(
    count: int,
    classes: list[tuple[str, int]],
    pupils_per_class: tuple[int, int],
    *,
    base_seed: int = 1,
) -> Iterator[GeneratedSchool]:
    """``count`` distinct schools «МБОУ СОШ № n» with seeds ``base_seed + n`` and id
    prefixes ``S001-``, ``S002-``, ...; e.g. 100 × ``class_list(40)`` × (25, 25) ≈ 100,000
    pupils."""
    for n in range(1, count + 1):
        prefix = f"S{n:03d}-"
        yield GeneratedSchool(
            f"МБОУ СОШ № {n}",
            prefix,
            generate_school(base_seed + n, classes, pupils_per_class, prefix),
        )


# --- Reading and writing ----------------------------------------------------------------


def _columns(sheet: str, rows: Sequence[Row]) -> tuple[str, ...]:
    if sheet in COLUMNS:
        return COLUMNS[sheet]
    return tuple(rows[0]) if rows else ()


def write_csv_folder(roster: Roster, path: str | Path) -> None:
    """One ``<sheet>.csv`` per sheet (UTF-8, comma, header row, ``\\n`` line ends)."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    for sheet, rows in roster.items():
        with (folder / f"{sheet}.csv").open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=_columns(sheet, rows), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)


def read_csv_folder(path: str | Path) -> Roster:
    """The inverse of :func:`write_csv_folder` (every ``*.csv`` in the folder)."""
    roster: Roster = {}
    for file in sorted(Path(path).glob("*.csv")):
        with file.open(encoding="utf-8-sig", newline="") as f:
            roster[file.stem] = [dict(row) for row in csv.DictReader(f)]
    return {sheet: roster[sheet] for sheet in sorted(roster, key=_sheet_rank)}


def _sheet_rank(sheet: str) -> tuple[int, str]:
    names = list(COLUMNS)
    return (names.index(sheet) if sheet in names else len(names), sheet)


_INT_COLUMNS = {("classes", "grade"), ("bells", "lesson_no"), ("timetable", "weekday"),
                ("timetable", "lesson_no")}  # fmt: skip
_DATE_COLUMNS = {("pupils", "birth_date"), ("periods", "start"), ("periods", "end")}
_TIME_COLUMNS = {("bells", "start"), ("bells", "end")}


def _typed(sheet: str, column: str, value: str) -> object:
    if not value:
        return None
    key = (sheet, column)
    if key in _INT_COLUMNS:
        return int(value)
    if key in _DATE_COLUMNS:
        return date.fromisoformat(value)
    if key in _TIME_COLUMNS:
        return time.fromisoformat(value)
    return value


def write_xlsx(roster: Roster, path: str | Path, *, typed: bool = False) -> None:
    """One worksheet per sheet, header in the first row. Values are text cells unless
    ``typed``: then numbers, dates and times are written as Excel numbers/dates/times, the
    way a school's own workbook would have them. Empty values are blank cells."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for sheet, rows in roster.items():
        ws = wb.create_sheet(sheet)
        columns = _columns(sheet, rows)
        ws.append(list(columns))
        for row in rows:
            if typed:
                ws.append([_typed(sheet, c, row.get(c, "")) for c in columns])
            else:
                ws.append([row.get(c, "") or None for c in columns])
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_xlsx(path: str | Path) -> Roster:
    """Read a workbook back into a roster of strings (numbers, dates and times normalised
    to the CSV spelling: ``5``, ``2026-09-01``, ``08:30``; blank cells to ``""``)."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    roster: Roster = {}
    try:
        for ws in wb.worksheets:
            rows = ws.iter_rows(values_only=True)
            header = [_cell_text(v) for v in next(rows, ())]
            data: list[Row] = []
            for values in rows:
                texts = [_cell_text(v) for v in values]
                if not any(texts):
                    continue
                data.append({c: (texts[i] if i < len(texts) else "") for i, c in enumerate(header)})
            roster[ws.title] = data
    finally:
        wb.close()
    return roster
