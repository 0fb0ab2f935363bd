"""One school being built: its staff, its families and pupils, and the roster it
renders."""

from __future__ import annotations

import random
from datetime import date, timedelta

from demo.generate.curriculum import (
    _FEMALE_SHARE,
    BELLS,
    COLUMNS,
    GROUP_NAMES,
    GYM,
    PE,
    PERIODS,
    SCHOOL_YEAR_START,
    SUBJECT_ORDER,
    Roster,
    Row,
)
from demo.generate.model import _Class, _Guardian, _Pupil, _Teacher
from demo.names import GRANDFATHERS, NameGenerator, patronymics


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

        self._render_pupils(roster)
        self._render_lessons(roster)
        roster["bells"] = [{"lesson_no": str(n), "start": s, "end": e} for n, s, e in BELLS]
        roster["periods"] = [{"name": n, "start": s, "end": e} for n, s, e in PERIODS]
        return roster

    def _render_pupils(self, roster: Roster) -> None:
        """The pupils, their guardians (one row per child) and the subgroups' lists."""
        p = self.prefix
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

    def _render_lessons(self, roster: Roster) -> None:
        """The timetable and, per class, who teaches which subject (and group)."""
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


def _birth_date(rng: random.Random, grade: int) -> date:
    # A first-former of 2026/2027 turns seven in 2026: born in 2019.
    start = date(SCHOOL_YEAR_START - 6 - grade, 1, 1)
    return start + timedelta(days=rng.randrange(365))
