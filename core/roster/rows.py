"""A roster as read from its file: one dataclass per sheet's row, the problems found, and
the keys names are matched by. Pure: no database, no user text (a problem is a key of the
texts catalogue with its values, rendered by the caller)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, time
from typing import Any

from core.models import StaffRole
from core.roster.format import SHEETS_SPEC
from core.text import normalise_name

SHEETS = tuple(spec.key for spec in SHEETS_SPEC)
REQUIRED_SHEETS = tuple(spec.key for spec in SHEETS_SPEC if spec.required)


# Latin letters that look like Cyrillic ones: «5A» typed with a Latin A is class «5А».
_LOOKALIKES = str.maketrans("ABCEHKMOPTXY", "АВСЕНКМОРТХУ")


# --- Public types ------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a roster. ``row`` is the row number a spreadsheet user sees
    (the header is row 1); ``sheet`` and ``column`` are the table's keys («pupils»,
    «class», :mod:`core.roster.format`); each is None when not applicable. Where the file
    has them, ``sheet_name`` is the sheet as the file spells it (a CSV file's name, with
    ``csv`` set), ``header`` the column's header as typed and ``letter`` its letter («C»),
    so that the user is told the place in their own words. What is wrong is a key of the
    texts catalogue (``roster.*``) with its ``params``, so a problem reads in the user's
    language: the caller renders it (:mod:`texts.roster`)."""

    sheet: str | None
    row: int | None
    column: str | None
    key: str
    params: dict[str, Any] = field(default_factory=dict, hash=False)
    sheet_name: str | None = None
    csv: bool = False
    header: str | None = None
    letter: str | None = None


@dataclass(frozen=True)
class TeacherRow:
    row: int
    ext: str | None
    full_name: str
    roles: frozenset[StaffRole]


@dataclass(frozen=True)
class ClassRow:
    row: int
    ext: str | None
    name: str
    grade: int
    class_teacher: str | None


@dataclass(frozen=True)
class SubjectRow:
    row: int
    ext: str | None
    name: str
    certified: bool | None  # optional column; None = leave as is


@dataclass(frozen=True)
class PupilRow:
    row: int
    ext: str | None
    full_name: str
    class_ref: str
    birth_date: date | None
    # Optional columns; None = leave as is. A leaver (moved to another school) has the
    # date they left: from it they are off the roll call; their history stays.
    admitted_on: date | None = None
    left_on: date | None = None


@dataclass(frozen=True)
class GuardianRow:
    row: int
    ext: str | None
    full_name: str
    pupil_ref: str
    class_ref: str | None
    phone: str | None
    consent: bool | None
    opt_out: bool | None = None  # R18: the printed statement instead; None = leave as is


@dataclass(frozen=True)
class AssignmentRow:
    row: int
    teacher_ref: str
    subject_ref: str
    class_ref: str
    group: str | None


@dataclass(frozen=True)
class GroupRow:
    row: int
    class_ref: str
    subject_ref: str
    group: str
    pupil_ref: str


@dataclass(frozen=True)
class BellRow:
    row: int
    lesson_no: int
    start: time
    end: time


@dataclass(frozen=True)
class TimetableRow:
    row: int
    class_ref: str
    group: str | None
    weekday: int
    lesson_no: int
    subject_ref: str
    teacher_ref: str
    room: str | None


@dataclass(frozen=True)
class PeriodRow:
    row: int
    name: str
    start: date
    end: date


@dataclass
class Roster:
    """A roster as read from a file. An optional sheet that is absent is None (nothing of
    that kind changes on import). A row whose key cells (names, references) are unusable
    is left out; a row with a problem elsewhere stays, so that references to it still
    resolve and only the real problem is reported (any problem stops the import)."""

    teachers: list[TeacherRow] = field(default_factory=list)
    classes: list[ClassRow] = field(default_factory=list)
    subjects: list[SubjectRow] = field(default_factory=list)
    pupils: list[PupilRow] = field(default_factory=list)
    guardians: list[GuardianRow] | None = None
    assignments: list[AssignmentRow] | None = None
    groups: list[GroupRow] | None = None
    bells: list[BellRow] | None = None
    timetable: list[TimetableRow] | None = None
    periods: list[PeriodRow] | None = None
    problems: list[Problem] = field(default_factory=list)
    # What the import leaves out but does not stop for (an unknown sheet or column, a
    # subgroup with no pupils), each at its place in the file.
    warnings: list[Problem] = field(default_factory=list)
    # Each sheet's name as the file spells it (a CSV file's name when ``csv``), and each
    # column's letter and header there, for placing a problem where the user finds it.
    titles: dict[str, str] = field(default_factory=dict)
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    csv: bool = False
    # The file could not be read, or a required sheet or column is missing: references
    # between sheets are not worth checking then.
    broken: bool = False

    def title(self, sheet: str) -> str:
        """The sheet's name as the file spells it."""
        return self.titles.get(sheet, sheet)

    def place(self, problem: Problem) -> Problem:
        """The problem with its sheet and column as the file spells them (where it has
        them): the keys stay, the names a user reads are added."""
        sheet, column = problem.sheet or "", problem.column or ""
        return replace(
            problem,
            sheet_name=problem.sheet_name or self.titles.get(sheet),
            csv=self.csv,
            header=problem.header or self.headers.get(sheet, {}).get(column),
            letter=problem.letter or self.columns.get(sheet, {}).get(column),
        )

    def placed(self, problems: Iterable[Problem]) -> list[Problem]:
        return [self.place(problem) for problem in problems]


# --- Keys for matching names --------------------------------------------------------------


def clean(text: str) -> str:
    """The form a name is stored in: NFC, no control or zero-width characters, single
    spaces (:func:`core.text.normalise_name`)."""
    return normalise_name(text)


def name_key(text: str) -> str:
    """People, subjects, groups and periods match regardless of case, spacing and ё/е."""
    return clean(text).casefold().replace("ё", "е")


def class_key(text: str) -> str:
    """«5 а», «5А» and «5A» (Latin A) are the same class."""
    return "".join(text.split()).upper().replace("Ё", "Е").translate(_LOOKALIKES)
