"""The roster file's vocabulary: every sheet and column the importer reads, with the names
it accepts for them. One table, used by the reader (:mod:`core.roster.read`), the bot's
upload prompt and the blank template (:mod:`reports.roster_template`), so a name the
product shows is always a name the importer understands.

These names are the file's format, not messages: a school's workbook may use any of them
whatever language its administrator reads. They match regardless of case, ё/е, spaces,
underscores and dashes («Учебные периоды», «учебные_периоды», «УЧЕБНЫЕ ПЕРИОДЫ»).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    """What a column holds: the template validates its cells by it."""

    TEXT = "text"
    ROLES = "roles"
    GRADE = "grade"  # 1–11
    YES_NO = "yes_no"
    DATE = "date"
    TIME = "time"
    WEEKDAY = "weekday"  # 1–7 or пн…вс
    LESSON_NO = "lesson_no"  # 0–20
    PHONE = "phone"


@dataclass(frozen=True)
class ColumnSpec:
    key: str  # the reader's name for it (and an accepted header)
    title: str  # the header the template writes
    aliases: tuple[str, ...] = ()
    required: bool = False
    kind: Kind = Kind.TEXT

    @property
    def names(self) -> tuple[str, ...]:
        return (self.title, self.key, *self.aliases)


@dataclass(frozen=True)
class SheetSpec:
    key: str  # the reader's name for it (and an accepted sheet name)
    title: str  # the name the template, the bot and the README show
    aliases: tuple[str, ...]
    required: bool
    columns: tuple[ColumnSpec, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return (self.title, self.key, *self.aliases)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.columns if c.required)

    def column(self, header: str) -> str | None:
        """The column a header names in this sheet (its key), or None if unknown."""
        return _COLUMNS[self.key].get(name_form(header))


def name_form(text: str) -> str:
    """The form sheet names and headers are compared in: case, ё/е, spaces, underscores
    and dashes do not matter."""
    text = text.replace("\ufeff", "").replace("\xa0", " ").casefold().replace("ё", "е")
    return re.sub(r"[\s_\-]+", " ", text).strip()


# Columns shared by several sheets.
_ID = ColumnSpec("id", "id", ("код", "идентификатор", "external id"))
_FULL_NAME = ColumnSpec("full_name", "ФИО", ("ф.и.о.", "full name", "name"), required=True)
_CLASS = ColumnSpec("class", "Класс", required=True)
_PUPIL = ColumnSpec("pupil", "Ученик", ("учащийся",), required=True)
_TEACHER = ColumnSpec("teacher", "Учитель", ("педагог",), required=True)
_SUBJECT = ColumnSpec("subject", "Предмет", required=True)
_GROUP = ColumnSpec("group", "Подгруппа", ("группа",))
_LESSON_NO = ColumnSpec(
    "lesson_no", "Номер урока", ("урок", "№ урока", "lesson"), True, Kind.LESSON_NO
)


SHEETS_SPEC: tuple[SheetSpec, ...] = (
    SheetSpec(
        "teachers",
        "Сотрудники",
        ("учителя", "педагоги", "staff"),
        True,
        (_FULL_NAME, ColumnSpec("roles", "Роли", ("роль",), True, Kind.ROLES), _ID),
    ),
    SheetSpec(
        "classes",
        "Классы",
        (),
        True,
        (
            ColumnSpec("name", "Название", ("класс",), required=True),
            ColumnSpec("grade", "Параллель", ("grade",), kind=Kind.GRADE),
            ColumnSpec("class_teacher", "Классный руководитель"),
            _ID,
        ),
    ),
    SheetSpec(
        "subjects",
        "Предметы",
        (),
        True,
        (
            ColumnSpec("name", "Название", ("предмет",), required=True),
            ColumnSpec("certified", "Аттестация", kind=Kind.YES_NO),
            _ID,
        ),
    ),
    SheetSpec(
        "pupils",
        "Ученики",
        ("учащиеся",),
        True,
        (
            _FULL_NAME,
            _CLASS,
            ColumnSpec("birth_date", "Дата рождения", kind=Kind.DATE),
            ColumnSpec("admitted_on", "Дата прибытия", ("прибыл",), kind=Kind.DATE),
            ColumnSpec("left_on", "Дата выбытия", ("выбыл",), kind=Kind.DATE),
            _ID,
        ),
    ),
    SheetSpec(
        "guardians",
        "Родители",
        (
            "представители",
            "законные представители",
            "родители (связи с учениками)",
            "parents",
            "parents (links to pupils)",
        ),
        False,
        (
            _FULL_NAME,
            _PUPIL,
            ColumnSpec("class", "Класс"),
            ColumnSpec("phone", "Телефон", kind=Kind.PHONE),
            ColumnSpec("consent", "Согласие", kind=Kind.YES_NO),  # R19
            ColumnSpec(  # R18
                "diary_opt_out",
                "Отказ от электронного дневника",
                ("отказ от дневника", "opt out"),
                kind=Kind.YES_NO,
            ),
            _ID,
        ),
    ),
    SheetSpec(
        "assignments",
        "Нагрузка",
        ("нагрузка учителей", "teaching load", "load"),
        False,
        (_TEACHER, _SUBJECT, _CLASS, _GROUP),
    ),
    SheetSpec(
        "groups",
        "Подгруппы",
        ("состав подгрупп", "subgroups", "subgroup members"),
        False,
        (_CLASS, _SUBJECT, ColumnSpec("group", "Подгруппа", ("группа",), required=True), _PUPIL),
    ),
    SheetSpec(
        "bells",
        "Звонки",
        ("расписание звонков",),
        False,
        (
            _LESSON_NO,
            ColumnSpec("start", "Начало", ("время начала",), True, Kind.TIME),
            ColumnSpec("end", "Конец", ("окончание", "время окончания"), True, Kind.TIME),
        ),
    ),
    SheetSpec(
        "timetable",
        "Расписание",
        ("расписание уроков", "schedule"),
        False,
        (
            _CLASS,
            _GROUP,
            ColumnSpec("weekday", "День недели", ("день",), True, Kind.WEEKDAY),
            _LESSON_NO,
            _SUBJECT,
            _TEACHER,
            ColumnSpec("room", "Кабинет"),
        ),
    ),
    SheetSpec(
        "periods",
        "Учебные периоды",
        ("периоды", "четверти", "триместры", "reporting periods"),
        False,
        (
            ColumnSpec("name", "Название", ("период",), required=True),
            ColumnSpec("start", "Начало", ("дата начала",), True, Kind.DATE),
            ColumnSpec("end", "Конец", ("окончание", "дата окончания"), True, Kind.DATE),
        ),
    ),
)

SHEET_SPECS: dict[str, SheetSpec] = {spec.key: spec for spec in SHEETS_SPEC}

# Every sheet may carry the school's other system's id (read where it identifies a row).
ALWAYS_ACCEPTED = ("id",)


def _index() -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    sheets: dict[str, str] = {}
    columns: dict[str, dict[str, str]] = {}
    for spec in SHEETS_SPEC:
        for name in spec.names:
            assert sheets.setdefault(name_form(name), spec.key) == spec.key, name
        known: dict[str, str] = {name_form(key): key for key in ALWAYS_ACCEPTED}
        for column in spec.columns:
            for name in column.names:
                assert known.setdefault(name_form(name), column.key) == column.key, name
        columns[spec.key] = known
    return sheets, columns


_SHEETS, _COLUMNS = _index()


def sheet_key(name: str) -> str | None:
    """The sheet a workbook's sheet (or a CSV file's name) is, or None if unknown."""
    return _SHEETS.get(name_form(name))


def column_title(sheet: str, column: str) -> str:
    """The header the template writes for a column (the key itself if not in the table)."""
    for spec in SHEET_SPECS[sheet].columns:
        if spec.key == column:
            return spec.title
    return column


def sheet_titles(*, required: bool) -> str:
    """The names of the required (or the optional) sheets, as the template writes them."""
    return ", ".join(spec.title for spec in SHEETS_SPEC if spec.required == required)
