"""Generic schools of any size: staff hired for the curriculum, classes timetabled,
pupils and guardians filled in."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import NamedTuple

from demo.generate.curriculum import CURRICULUM, ENG, GROUP_NAMES, Roster, day_counts, specialty
from demo.generate.model import _Class, _Course, _Teacher
from demo.generate.school import _School
from demo.generate.timetable import _class_mask, _commit, _place


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
