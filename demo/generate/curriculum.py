"""The import format's sheets, the school's bells and periods, the subjects and the
curriculum (weekly hours per grade), and who teaches what."""

from __future__ import annotations

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
