"""The cells of a roster's rows: each value read and checked (dates, times, yes/no, roles,
phones, weekdays), one reader a sheet that turns a row's cells into its dataclass and
reports a problem at the row's place."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from core.models import StaffRole
from core.roster.rows import (
    AssignmentRow,
    BellRow,
    ClassRow,
    GroupRow,
    GuardianRow,
    PeriodRow,
    Problem,
    PupilRow,
    SubjectRow,
    TeacherRow,
    TimetableRow,
    clean,
)

ROLE_ALIASES: dict[str, StaffRole] = {
    "admin": StaffRole.ADMIN,
    "administrator": StaffRole.ADMIN,
    "администратор": StaffRole.ADMIN,
    "админ": StaffRole.ADMIN,
    "director": StaffRole.DIRECTOR,
    "директор": StaffRole.DIRECTOR,
    "deputy": StaffRole.DEPUTY,
    "завуч": StaffRole.DEPUTY,
    "заместитель директора": StaffRole.DEPUTY,
    "замдиректора": StaffRole.DEPUTY,
    "зам. директора": StaffRole.DEPUTY,
    "зам директора": StaffRole.DEPUTY,
    "teacher": StaffRole.TEACHER,
    "учитель": StaffRole.TEACHER,
    "педагог": StaffRole.TEACHER,
    "преподаватель": StaffRole.TEACHER,
    "классный руководитель": StaffRole.TEACHER,
}

WEEKDAY_NAMES = {
    name: number
    for number, names in enumerate(
        (
            ("пн", "пон", "понедельник", "mon", "monday"),
            ("вт", "вто", "вторник", "tue", "tuesday"),
            ("ср", "сре", "среда", "wed", "wednesday"),
            ("чт", "чет", "четверг", "thu", "thursday"),
            ("пт", "пят", "пятница", "fri", "friday"),
            ("сб", "суб", "суббота", "sat", "saturday"),
            ("вс", "вос", "воскресенье", "sun", "sunday"),
        ),
        start=1,
    )
    for name in names
}

YES = frozenset({"yes", "y", "да", "д", "true", "1", "+", "есть"})
NO = frozenset({"no", "n", "нет", "н", "false", "0", "-", "отказ"})


class Uncomputed:
    """A formula cell whose value the file does not hold (written by a program that does
    not compute formulas): reported at its place, never read as empty."""

    def __init__(self, formula: str) -> None:
        self.formula = formula

    def __repr__(self) -> str:
        return f"Uncomputed({self.formula!r})"


# --- Cells --------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, Uncomputed):
        return value.formula
    return clean(str(value).replace("\xa0", " "))


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = cell_text(value)
    return int(text) if re.fullmatch(r"\d{1,4}", text) else None


_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]0{1,2}:00(?::00)?)?")
_RU_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?: 0{1,2}:00(?::00)?)?")


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    try:
        if m := _ISO_DATE.fullmatch(text):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := _RU_DATE.fullmatch(text):
            return date(int(m[3]), int(m[2]), int(m[1]))
    except ValueError:
        return None
    return None


_TIME = re.compile(r"(\d{1,2})[:.](\d{2})(?::00)?")


def _time(value: Any) -> time | None:
    if isinstance(value, datetime):
        return value.time()
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    if isinstance(value, float | int) and not isinstance(value, bool) and 0 <= value < 1:
        minutes = round(float(value) * 24 * 60)  # an Excel time as a fraction of a day
        return (datetime.min + timedelta(minutes=minutes)).time()
    if m := _TIME.fullmatch(cell_text(value)):
        hours, minutes = int(m[1]), int(m[2])
        if hours < 24 and minutes < 60:
            return time(hours, minutes)
    return None


T = TypeVar("T")


class Row:
    """The cells of one data row, with checks that report problems at that row."""

    def __init__(self, sheet: str, number: int, cells: dict[str, Any], problems: list[Problem]):
        self.sheet = sheet
        self.number = number
        self.cells = cells
        self.problems = problems
        self.ok = True
        self.blanked: set[str] = set()  # formula cells without a value
        for column, value in list(cells.items()):
            if isinstance(value, Uncomputed):  # said once, at its place; then read as blank
                self.problem(column, "roster.formula_without_value", formula=value.formula[:60])
                cells[column] = None
                self.blanked.add(column)

    def problem(self, column: str | None, key: str, /, **params: Any) -> None:
        self.problems.append(Problem(self.sheet, self.number, column, key, params))
        self.ok = False

    def text(self, column: str, *, required: str | None = None, limit: int = 200) -> str | None:
        value = cell_text(self.cells.get(column))
        if not value:
            if required and column not in self.blanked:
                self.problem(column, required)
            return None
        if len(value) > limit:
            self.problem(column, "roster.too_long", limit=limit)
            return None
        return value

    def parsed(
        self,
        column: str,
        parse: Callable[[Any], T | None],
        invalid: str,
        *,
        required: str | None = None,
    ) -> T | None:
        if not cell_text(self.cells.get(column)):
            if required and column not in self.blanked:
                self.problem(column, required)
            return None
        result = parse(self.cells.get(column))
        if result is None:
            self.problem(column, invalid)
        return result

    def number_in(
        self, column: str, low: int, high: int, invalid: str, *, required: str
    ) -> int | None:
        def parse(value: Any) -> int | None:
            number = _int(value)
            return number if number is not None and low <= number <= high else None

        return self.parsed(column, parse, invalid, required=required)

    def flag(self, column: str, invalid: str) -> bool | None:
        def parse(value: Any) -> bool | None:
            text = cell_text(value).casefold()
            return True if text in YES else False if text in NO else None

        return self.parsed(column, parse, invalid)

    def ext(self) -> str | None:
        return self.text("id", limit=64)


# Keys of the texts catalogue: what a cell must look like.
_DATE_FORMAT = "roster.invalid.date"
_TIME_FORMAT = "roster.invalid.time"
_LESSON_NO = "roster.invalid.lesson_no"


def _roles(cell: Row) -> frozenset[StaffRole]:
    raw = cell_text(cell.cells.get("roles"))
    roles: set[StaffRole] = set()
    for part in re.split(r"[;,/]", raw):
        word = clean(part).casefold().replace("ё", "е")
        if not word:
            continue
        role = ROLE_ALIASES.get(word)
        if role is None:
            cell.problem("roles", "roster.unknown_role", role=clean(part))
        else:
            roles.add(role)
    return frozenset(roles) or frozenset({StaffRole.TEACHER})


def _phone(value: Any) -> str | None:
    text = cell_text(value)
    if not re.fullmatch(r"\+?[\d\s()\-]{5,31}", text) or sum(c.isdigit() for c in text) < 5:
        return None
    return text


def _weekday(value: Any) -> int | None:
    number = _int(value)
    if number is not None:
        return number if 1 <= number <= 7 else None
    return WEEKDAY_NAMES.get(cell_text(value).casefold().rstrip("."))


def _grade_from_name(name: str) -> int | None:
    m = re.match(r"\s*(\d{1,2})", name)
    return int(m[1]) if m and 1 <= int(m[1]) <= 11 else None


def _teacher(r: Row) -> TeacherRow | None:
    ext = r.ext()
    full_name = r.text("full_name", required="roster.required.full_name")
    roles = _roles(r)
    if full_name is None:
        return None
    return TeacherRow(r.number, ext, full_name, roles)


def _class(r: Row) -> ClassRow | None:
    ext = r.ext()
    name = r.text("name", required="roster.required.class_name", limit=20)
    grade: int | None = None
    if cell_text(r.cells.get("grade")):
        grade = r.number_in(
            "grade", 1, 11, "roster.invalid.grade", required="roster.required.grade"
        )
    elif name is not None:
        grade = _grade_from_name(name)
        if grade is None:
            r.problem("grade", "roster.required.grade_range")
    teacher = r.text("class_teacher")
    if name is None:
        return None
    return ClassRow(r.number, ext, name, grade or 0, teacher)


def _subject(r: Row) -> SubjectRow | None:
    ext = r.ext()
    name = r.text("name", required="roster.required.subject_name", limit=100)
    certified = r.flag("certified", "roster.invalid.certified")
    if name is None:
        return None
    return SubjectRow(r.number, ext, name, certified)


def _pupil(r: Row) -> PupilRow | None:
    ext = r.ext()
    full_name = r.text("full_name", required="roster.required.full_name")
    class_ref = r.text("class", required="roster.required.class")
    birth = r.parsed("birth_date", _date, _DATE_FORMAT)
    admitted = r.parsed("admitted_on", _date, _DATE_FORMAT)
    left = r.parsed("left_on", _date, _DATE_FORMAT)
    if admitted is not None and left is not None and left < admitted:
        r.problem("left_on", "roster.invalid.left_before_admitted")
    if full_name is None or class_ref is None:
        return None
    return PupilRow(r.number, ext, full_name, class_ref, birth, admitted, left)


def _guardian(r: Row) -> GuardianRow | None:
    ext = r.ext()
    full_name = r.text("full_name", required="roster.required.full_name")
    pupil = r.text("pupil", required="roster.required.pupil")
    class_ref = r.text("class")
    phone = r.parsed("phone", _phone, "roster.invalid.phone")
    consent = r.flag("consent", "roster.invalid.consent")
    opt_out = r.flag("diary_opt_out", "roster.invalid.diary_opt_out")
    if full_name is None or pupil is None:
        return None
    return GuardianRow(r.number, ext, full_name, pupil, class_ref, phone, consent, opt_out)


def _assignment(r: Row) -> AssignmentRow | None:
    teacher = r.text("teacher", required="roster.required.teacher")
    subject = r.text("subject", required="roster.required.subject")
    class_ref = r.text("class", required="roster.required.class")
    group = r.text("group", limit=40)
    if not r.ok or teacher is None or subject is None or class_ref is None:
        return None
    return AssignmentRow(r.number, teacher, subject, class_ref, group)


def _group(r: Row) -> GroupRow | None:
    class_ref = r.text("class", required="roster.required.class")
    subject = r.text("subject", required="roster.required.subject")
    group = r.text("group", required="roster.required.group", limit=40)
    pupil = r.text("pupil", required="roster.required.pupil")
    if not r.ok or class_ref is None or subject is None or group is None or pupil is None:
        return None
    return GroupRow(r.number, class_ref, subject, group, pupil)


def _bell(r: Row) -> BellRow | None:
    lesson_no = r.number_in("lesson_no", 0, 20, _LESSON_NO, required="roster.required.lesson_no")
    start = r.parsed("start", _time, _TIME_FORMAT, required="roster.required.start_time")
    end = r.parsed("end", _time, _TIME_FORMAT, required="roster.required.end_time")
    if start is not None and end is not None and start >= end:
        r.problem("end", "roster.invalid.bell_order")
    if not r.ok or lesson_no is None or start is None or end is None:
        return None
    return BellRow(r.number, lesson_no, start, end)


def _timetable(r: Row) -> TimetableRow | None:
    class_ref = r.text("class", required="roster.required.class")
    group = r.text("group", limit=40)
    weekday = r.parsed(
        "weekday", _weekday, "roster.invalid.weekday", required="roster.required.weekday"
    )
    lesson_no = r.number_in("lesson_no", 0, 20, _LESSON_NO, required="roster.required.lesson_no")
    subject = r.text("subject", required="roster.required.subject")
    teacher = r.text("teacher", required="roster.required.teacher")
    room = r.text("room", limit=20)
    if (
        not r.ok
        or class_ref is None
        or weekday is None
        or lesson_no is None
        or subject is None
        or teacher is None
    ):
        return None
    return TimetableRow(r.number, class_ref, group, weekday, lesson_no, subject, teacher, room)


def _period(r: Row) -> PeriodRow | None:
    name = r.text("name", required="roster.required.period_name", limit=60)
    start = r.parsed("start", _date, _DATE_FORMAT, required="roster.required.start_date")
    end = r.parsed("end", _date, _DATE_FORMAT, required="roster.required.end_date")
    if start is not None and end is not None and start > end:
        r.problem("end", "roster.invalid.period_order")
    if not r.ok or name is None or start is None or end is None:
        return None
    return PeriodRow(r.number, name, start, end)


ROW_READERS: dict[str, Callable[[Row], Any]] = {
    "teachers": _teacher,
    "classes": _class,
    "subjects": _subject,
    "pupils": _pupil,
    "guardians": _guardian,
    "assignments": _assignment,
    "groups": _group,
    "bells": _bell,
    "timetable": _timetable,
    "periods": _period,
}
