"""The shipped demo school «МБОУ СОШ № 7»: classes 1А and 5А, eight staff.

``build_demo_school()`` regenerates exactly the CSV files in ``demo/school/``
(``python -m demo`` writes them).
"""

from __future__ import annotations

from pathlib import Path

from demo.generate import (
    ART,
    BIO,
    CS,
    CURRICULUM,
    ENG,
    GEO,
    GROUP_NAMES,
    HIST,
    LIT,
    LIT_READING,
    MATH,
    MUSIC,
    ODNKNR,
    PE,
    RUS,
    TECH,
    WORLD,
    Roster,
    day_counts,
    write_csv_folder,
)
from demo.generate.model import _Class, _Course, _Teacher
from demo.generate.school import _School
from demo.generate.timetable import _commit, _place

SCHOOL_NAME = "МБОУ СОШ № 7"
DEMO_SEED = 7
CLASSES: tuple[tuple[str, int, int], ...] = (("1А", 1, 26), ("5А", 5, 28))  # name, grade, size

_G1, _G2 = GROUP_NAMES
# (roles, female, [(class, subject, group), ...]) — a small school, so most subject
# teachers cover more than one subject.
STAFF: tuple[tuple[str, bool, tuple[tuple[str, str, str], ...]], ...] = (
    ("director;teacher", True, (("5А", HIST, ""), ("5А", ODNKNR, ""))),
    ("deputy;teacher", True, (("5А", MATH, ""), ("5А", CS, ""))),
    ("admin", False, ()),
    # The class teacher of 1А teaches it everything but music and PE.
    ("teacher", True, tuple(("1А", s, "") for s in (RUS, LIT_READING, MATH, WORLD, ART, TECH))),
    # The class teacher of 5А.
    ("teacher", True, (("5А", RUS, ""), ("5А", LIT, ""))),
    ("teacher", True, (("5А", ENG, _G1), ("5А", BIO, ""), ("5А", GEO, ""))),
    ("teacher", False, (("5А", ENG, _G2), ("1А", MUSIC, ""), ("5А", MUSIC, ""), ("5А", ART, ""))),
    ("teacher", False, (("1А", PE, ""), ("5А", PE, ""), ("5А", TECH, ""))),
)
CLASS_TEACHERS = {"1А": 3, "5А": 4}  # class → index into STAFF


def build_demo_school(seed: int = DEMO_SEED) -> Roster:
    school = _School(seed, "")
    for name, grade, size in CLASSES:
        school.classes.append(_Class(name, grade, size, room=school.homeroom()))
    by_name = {c.name: c for c in school.classes}

    teaching: dict[tuple[str, str, str], _Teacher] = {}
    for i, (roles, female, load) in enumerate(STAFF):
        homeroom = next((c for c, idx in CLASS_TEACHERS.items() if idx == i), None)
        room: str | None = None  # a subject room of their own
        if not load:
            room = ""
        elif homeroom and by_name[homeroom].grade <= 4:
            room = by_name[homeroom].room  # a primary class teacher teaches in the homeroom
        teacher = school.hire("staff", female=female, room=room)
        teacher.roles = roles.split(";")
        for key in load:
            teaching[key] = teacher
        if homeroom:
            by_name[homeroom].class_teacher = teacher

    for cls in school.classes:
        courses: list[_Course] = []
        for subject, hours in CURRICULUM[cls.grade].items():
            if (cls.name, subject, "") in teaching:
                courses.append(_Course(subject, hours, (teaching[cls.name, subject, ""],)))
            else:
                staff = tuple(teaching[cls.name, subject, g] for g in GROUP_NAMES)
                courses.append(_Course(subject, hours, staff, GROUP_NAMES))
                cls.split_subjects.append(subject)
        counts = day_counts(sum(c.hours for c in courses))
        for _attempt in range(500):
            slots = _place(school.rng, counts, courses)
            if isinstance(slots, list):
                _commit(cls, courses, slots)
                break
        else:  # pragma: no cover - the plan above fits easily
            raise RuntimeError(f"no timetable for {cls.name}")

    school.populate(
        sibling_rate=0.12, two_guardians_rate=0.45, consent_no_rate=0.0, no_phone_rate=0.0
    )
    _demo_guardian_cases(school)
    return school.render()


def _demo_guardian_cases(school: _School) -> None:
    """Exactly two guardians without consent (one of them the only guardian of a pupil)
    and one guardian without a phone number."""
    rng = school.rng
    pupils = [p for cls in school.classes for p in cls.pupils]
    single = [p.guardians[0] for p in pupils if len(p.guardians) == 1]
    paired = [p.guardians for p in pupils if len(p.guardians) == 2]
    rng.choice(single).consent = False
    no_consent, no_phone = rng.sample(paired, 2)
    no_consent[rng.randrange(2)].consent = False
    no_phone[0].phone = ""


def write_demo_school(path: str | Path | None = None) -> Path:
    """Regenerate the demo school's CSV files (into ``demo/school/`` by default)."""
    from demo import SCHOOL_DIR

    target = Path(path) if path is not None else SCHOOL_DIR
    write_csv_folder(build_demo_school(), target)
    return target
