"""Reading a school roster: an XLSX workbook, or a folder (or zip) of ``<sheet>.csv`` files.

Pure: no database. Every cell is checked here (format, length, duplicates inside a sheet);
references between sheets and to what the journal already holds are checked on import
(:mod:`core.roster`). Problems are collected, never raised, so a user sees all of them.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar

from core.models import StaffRole
from core.roster_format import SHEET_SPECS, SHEETS_SPEC, sheet_key
from core.text import normalise_name
from texts import DEFAULT_LANGUAGE, t

SHEETS = tuple(spec.key for spec in SHEETS_SPEC)
REQUIRED_SHEETS = tuple(spec.key for spec in SHEETS_SPEC if spec.required)

# What a roster file may unpack: a school of a thousand pupils is well under 1 MB, so a
# file beyond these is refused before it is unpacked (a zip bomb must neither hang the
# import nor fill the memory).
MAX_UNPACKED_MB = 50  # all the files of an archive (or of a folder) together
MAX_ENTRIES = 500  # files inside an archive (a workbook holds a few dozen)
MAX_RATIO = 100  # unpacked / packed size of an archive above RATIO_FREE_MB
RATIO_FREE_MB = 5  # small archives may compress as well as they like
MAX_CELL = 10_000  # characters in one cell (the longest real value is 200)

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    spec.key: spec.required_columns for spec in SHEETS_SPEC
}

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

# Latin letters that look like Cyrillic ones: «5A» typed with a Latin A is class «5А».
_LOOKALIKES = str.maketrans("ABCEHKMOPTXY", "АВСЕНКМОРТХУ")


# --- Public types ------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a roster. ``row`` is the row number a spreadsheet user sees
    (the header is row 1); ``sheet`` and ``column`` are the table's keys («pupils»,
    «class», :mod:`core.roster_format`); each is None when not applicable. Where the file
    has them, ``sheet_name`` is the sheet as the file spells it (a CSV file's name, with
    ``csv`` set), ``header`` the column's header as typed and ``letter`` its letter («C»),
    so that the user is told the place in their own words. What is wrong is a key of the
    texts catalogue (``roster.*``) with its ``params``, so a problem reads in the user's
    language; ``message`` and ``str()`` are Russian."""

    sheet: str | None
    row: int | None
    column: str | None
    key: str
    params: dict[str, Any] = field(default_factory=dict, hash=False)
    sheet_name: str | None = None
    csv: bool = False
    header: str | None = None
    letter: str | None = None

    @property
    def message(self) -> str:
        """What is wrong, in Russian (the default language)."""
        return self.text()

    def text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """What is wrong, in ``lang``."""
        return t(self.key, lang, **self.params)

    def where(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The place in the file: «лист «Ученики», строка 2, столбец «Класс» (B)» (empty
        if none). A sheet or column the file lacks is named by its title in ``lang``."""
        where = []
        if self.sheet_name:
            kind = "roster.where.file" if self.csv else "roster.where.sheet"
            where.append(t(kind, lang, sheet=self.sheet_name))
        elif self.sheet in SHEET_SPECS:
            title = t(f"roster.sheet.{self.sheet}", lang)
            where.append(t("roster.where.sheet", lang, sheet=title))
        if self.row:
            where.append(t("roster.where.row", lang, row=self.row))
        if self.header and self.letter:
            where.append(t("roster.where.column", lang, column=self.header, letter=self.letter))
        elif self.letter:
            where.append(t("roster.where.column_letter", lang, letter=self.letter))
        elif self.column:
            title = t(f"roster.column.{self.column}", lang)
            where.append(t("roster.where.column_title", lang, column=title))
        return ", ".join(where)

    def render(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The place and what is wrong, in ``lang``."""
        where = self.where(lang)
        message = self.text(lang)
        return t("roster.where.problem", lang, where=where, message=message) if where else message

    def __str__(self) -> str:
        return self.render()


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


# --- Entry points -------------------------------------------------------------------------


def read_roster(path: Path | str) -> Roster:
    """Read a roster from an XLSX workbook, a zip of CSV files or a folder of CSV files."""
    path = Path(path)
    if path.is_dir():
        files = [f for f in sorted(path.iterdir()) if f.is_file() and f.suffix.lower() == ".csv"]
        total = sum(f.stat().st_size for f in files)
        if total > MAX_UNPACKED_MB * 1024 * 1024:
            return _too_big(total)
        problems: list[Problem] = []
        tables = [(f.name, _csv_rows(f.read_bytes(), f.name, problems)) for f in files]
        return _parse(tables, problems, csv=True)
    try:
        data = path.read_bytes()
    except OSError:
        return _unreadable("roster.unreadable.missing")
    return read_roster_bytes(data, path.name)


def read_roster_bytes(data: bytes, filename: str) -> Roster:
    """Read a roster received as bytes (e.g. a document sent to the bot)."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        return _unreadable("roster.unreadable.single_csv")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return _unreadable("roster.unreadable.not_xlsx")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            bounded = _check_archive(archive, len(data))
            if bounded is not None:
                return bounded
            names = archive.namelist()
            if "xl/workbook.xml" not in names:
                tables: list[tuple[str, list[list[Any]]]] = []
                problems: list[Problem] = []
                for name in sorted(names):
                    base = Path(name).name
                    if Path(base).suffix.lower() == ".csv" and not name.startswith("__MACOSX"):
                        rows = _csv_rows(archive.read(name), base, problems)
                        tables.append((base, rows))
                if not tables:
                    return _unreadable("roster.unreadable.empty_zip")
                return _parse(tables, problems, csv=True)
            formulas = _has_formulas(archive)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return _unreadable("roster.unreadable.bad_zip")
    return _read_xlsx(data, formulas)


def _unreadable(key: str, **params: Any) -> Roster:
    return Roster(problems=[Problem(None, None, None, key, params)], broken=True)


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.0f}" if size >= 10 * 1024 * 1024 else f"{size / 1024 / 1024:.1f}"


def _too_big(size: int) -> Roster:
    return _unreadable("roster.unreadable.too_big", size=_megabytes(size), limit=MAX_UNPACKED_MB)


def _check_archive(archive: zipfile.ZipFile, packed: int) -> Roster | None:
    """Refuse an archive that would unpack beyond the bounds, from its directory alone
    (nothing is unpacked; ``zipfile`` never yields more than an entry's declared size)."""
    entries = archive.infolist()
    if len(entries) > MAX_ENTRIES:
        return _unreadable(
            "roster.unreadable.too_many_files", count=len(entries), limit=MAX_ENTRIES
        )
    total = sum(entry.file_size for entry in entries)
    if total > MAX_UNPACKED_MB * 1024 * 1024:
        return _too_big(total)
    if total > RATIO_FREE_MB * 1024 * 1024 and total > MAX_RATIO * max(packed, 1):
        return _unreadable(
            "roster.unreadable.ratio",
            size=_megabytes(total),
            ratio=total // max(packed, 1),
            limit=MAX_RATIO,
        )
    return None


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[ >/]")


def _has_formulas(archive: zipfile.ZipFile) -> bool:
    """Whether any sheet of the workbook holds a formula (its XML has an ``<f>`` cell)."""
    return any(
        _FORMULA_TAG.search(archive.read(name))
        for name in archive.namelist()
        if name.startswith("xl/worksheets/") and name.endswith(".xml")
    )


class Uncomputed:
    """A formula cell whose value the file does not hold (written by a program that does
    not compute formulas): reported at its place, never read as empty."""

    def __init__(self, formula: str) -> None:
        self.formula = formula

    def __repr__(self) -> str:
        return f"Uncomputed({self.formula!r})"


def _xlsx_sheets(data: bytes, *, data_only: bool) -> dict[str, list[list[Any]]] | Roster:
    from openpyxl import load_workbook

    sheets: dict[str, list[list[Any]]] = {}
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=data_only)
    except Exception:
        return _unreadable("roster.unreadable.not_xlsx")
    try:
        for worksheet in workbook.worksheets:
            if not hasattr(worksheet, "iter_rows"):
                continue
            name = worksheet.title
            if hasattr(worksheet, "reset_dimensions"):
                worksheet.reset_dimensions()  # some programs write a wrong sheet size
            sheets[name] = [list(values) for values in worksheet.iter_rows(values_only=True)]
    except Exception:
        return _unreadable("roster.unreadable.bad_sheets")
    finally:
        workbook.close()
    return sheets


def _read_xlsx(data: bytes, formulas: bool = False) -> Roster:
    """The cells' values; a formula is read by the value Excel saved with it. A formula
    saved without its value (the file was never opened in a spreadsheet program) is a
    problem at its cell, not an empty cell."""
    sheets = _xlsx_sheets(data, data_only=True)
    if isinstance(sheets, Roster) or not formulas:
        return sheets if isinstance(sheets, Roster) else _parse(list(sheets.items()), [])
    written = _xlsx_sheets(data, data_only=False)
    if isinstance(written, Roster):
        return written
    for name, table in sheets.items():
        for values, raw in zip(table, written.get(name, []), strict=False):
            for n, (value, formula) in enumerate(zip(values, raw, strict=False)):
                if value is None and isinstance(formula, str) and formula.startswith("="):
                    values[n] = Uncomputed(formula)
    return _parse(list(sheets.items()), [])


def _decode(data: bytes) -> str:
    """A CSV file's text: UTF-8, UTF-16 (with a byte-order mark, or without one when
    every other byte is zero) or, failing those, Windows-1251 (Excel's "CSV" on Windows)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    sample = data[:4096]
    if len(sample) >= 4:
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) > len(odd) * 0.3 and even.count(0) < len(even) * 0.05:
            return data.decode("utf-16-le", errors="replace")
        if even.count(0) > len(even) * 0.3 and odd.count(0) < len(odd) * 0.05:
            return data.decode("utf-16-be", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1251", errors="replace")


def _csv_rows(
    data: bytes, filename: str = "", problems: list[Problem] | None = None
) -> list[list[Any]]:
    """The rows of a CSV file (``filename``, e.g. pupils.csv). A cell longer than MAX_CELL
    stops the sheet's reading with a problem at its row (the csv module's own limit is
    128 KiB a field)."""
    text = _decode(data).replace("\x00", "")
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[Any]] = []
    try:
        for row in reader:
            if any(len(cell) > MAX_CELL for cell in row):
                raise csv.Error("field larger than MAX_CELL")
            rows.append(row)
    except csv.Error:
        if problems is not None:
            problems.append(
                Problem(
                    sheet_key(Path(filename).stem),
                    reader.line_num,
                    None,
                    "roster.cell_too_long",
                    {"limit": MAX_CELL},
                    sheet_name=filename or None,
                    csv=True,
                )
            )
        rows.append([])  # what was read stays, so the other problems are found too
    return rows


# --- Cells --------------------------------------------------------------------------------


def _text(value: Any) -> str:
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
    text = _text(value)
    return int(text) if re.fullmatch(r"\d{1,4}", text) else None


_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]0{1,2}:00(?::00)?)?")
_RU_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?: 0{1,2}:00(?::00)?)?")


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
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
    if m := _TIME.fullmatch(_text(value)):
        hours, minutes = int(m[1]), int(m[2])
        if hours < 24 and minutes < 60:
            return time(hours, minutes)
    return None


T = TypeVar("T")


class _Row:
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
        value = _text(self.cells.get(column))
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
        if not _text(self.cells.get(column)):
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
            text = _text(value).casefold()
            return True if text in YES else False if text in NO else None

        return self.parsed(column, parse, invalid)

    def ext(self) -> str | None:
        return self.text("id", limit=64)


# Keys of the texts catalogue: what a cell must look like.
_DATE_FORMAT = "roster.invalid.date"
_TIME_FORMAT = "roster.invalid.time"
_LESSON_NO = "roster.invalid.lesson_no"


def _roles(cell: _Row) -> frozenset[StaffRole]:
    raw = _text(cell.cells.get("roles"))
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
    text = _text(value)
    if not re.fullmatch(r"\+?[\d\s()\-]{5,31}", text) or sum(c.isdigit() for c in text) < 5:
        return None
    return text


def _weekday(value: Any) -> int | None:
    number = _int(value)
    if number is not None:
        return number if 1 <= number <= 7 else None
    return WEEKDAY_NAMES.get(_text(value).casefold().rstrip("."))


def _grade_from_name(name: str) -> int | None:
    m = re.match(r"\s*(\d{1,2})", name)
    return int(m[1]) if m and 1 <= int(m[1]) <= 11 else None


def _teacher(r: _Row) -> TeacherRow | None:
    ext = r.ext()
    full_name = r.text("full_name", required="roster.required.full_name")
    roles = _roles(r)
    if full_name is None:
        return None
    return TeacherRow(r.number, ext, full_name, roles)


def _class(r: _Row) -> ClassRow | None:
    ext = r.ext()
    name = r.text("name", required="roster.required.class_name", limit=20)
    grade: int | None = None
    if _text(r.cells.get("grade")):
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


def _subject(r: _Row) -> SubjectRow | None:
    ext = r.ext()
    name = r.text("name", required="roster.required.subject_name", limit=100)
    certified = r.flag("certified", "roster.invalid.certified")
    if name is None:
        return None
    return SubjectRow(r.number, ext, name, certified)


def _pupil(r: _Row) -> PupilRow | None:
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


def _guardian(r: _Row) -> GuardianRow | None:
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


def _assignment(r: _Row) -> AssignmentRow | None:
    teacher = r.text("teacher", required="roster.required.teacher")
    subject = r.text("subject", required="roster.required.subject")
    class_ref = r.text("class", required="roster.required.class")
    group = r.text("group", limit=40)
    if not r.ok or teacher is None or subject is None or class_ref is None:
        return None
    return AssignmentRow(r.number, teacher, subject, class_ref, group)


def _group(r: _Row) -> GroupRow | None:
    class_ref = r.text("class", required="roster.required.class")
    subject = r.text("subject", required="roster.required.subject")
    group = r.text("group", required="roster.required.group", limit=40)
    pupil = r.text("pupil", required="roster.required.pupil")
    if not r.ok or class_ref is None or subject is None or group is None or pupil is None:
        return None
    return GroupRow(r.number, class_ref, subject, group, pupil)


def _bell(r: _Row) -> BellRow | None:
    lesson_no = r.number_in("lesson_no", 0, 20, _LESSON_NO, required="roster.required.lesson_no")
    start = r.parsed("start", _time, _TIME_FORMAT, required="roster.required.start_time")
    end = r.parsed("end", _time, _TIME_FORMAT, required="roster.required.end_time")
    if start is not None and end is not None and start >= end:
        r.problem("end", "roster.invalid.bell_order")
    if not r.ok or lesson_no is None or start is None or end is None:
        return None
    return BellRow(r.number, lesson_no, start, end)


def _timetable(r: _Row) -> TimetableRow | None:
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


def _period(r: _Row) -> PeriodRow | None:
    name = r.text("name", required="roster.required.period_name", limit=60)
    start = r.parsed("start", _date, _DATE_FORMAT, required="roster.required.start_date")
    end = r.parsed("end", _date, _DATE_FORMAT, required="roster.required.end_date")
    if start is not None and end is not None and start > end:
        r.problem("end", "roster.invalid.period_order")
    if not r.ok or name is None or start is None or end is None:
        return None
    return PeriodRow(r.number, name, start, end)


_ROW_READERS: dict[str, Callable[[_Row], Any]] = {
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


# --- Sheets -------------------------------------------------------------------------------


def _blank(values: Sequence[Any]) -> bool:
    return all(_text(v) == "" for v in values)


def column_letter(index: int) -> str:
    """A spreadsheet's name for the column at ``index`` (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _first_data_rows(
    numbered: Sequence[tuple[int, Sequence[Any]]], indexes: Sequence[int]
) -> dict[int, int]:
    """For each column index, the first row that holds something in it (if any does)."""
    found: dict[int, int] = {}
    left = list(indexes)
    for number, values in numbered:
        if not left:
            break
        for index in [i for i in left if i < len(values) and _text(values[i])]:
            found[index] = number
            left.remove(index)
    return found


def _read_sheet(name: str, table: list[list[Any]], roster: Roster) -> list[Any] | None:
    """The sheet's parsed rows, or None when a required column is missing. A column the
    sheet does not know (or a second one for the same thing, or one without a header that
    holds data) is a warning at its place: the import goes on without it."""
    problems = roster.problems
    numbered = [(n, values) for n, values in enumerate(table, start=1) if not _blank(values)]
    if not numbered:
        problems.append(Problem(name, 1, None, "roster.empty_sheet"))
        return None
    spec = SHEET_SPECS[name]
    header_no, header_values = numbered[0]
    width = max(len(values) for _, values in numbered)  # a data row may be the widest
    typed_headers = [_text(v) for v in header_values] + [""] * (width - len(header_values))
    unnamed = _first_data_rows(numbered[1:], [i for i, h in enumerate(typed_headers) if not h])
    header: list[str | None] = []
    placed: dict[str, str] = {}  # column → its letter
    typed_as: dict[str, str] = {}  # column → its header as typed
    for index, typed in enumerate(typed_headers):
        column = spec.column(typed) if typed else None
        letter = column_letter(index)
        if not typed:
            header.append(None)
            if index in unnamed:
                row = unnamed[index]
                roster.warnings.append(
                    Problem(name, row, None, "roster.warning.unnamed_column", letter=letter)
                )
            continue
        if column is None:
            known = ", ".join(c.title for c in spec.columns)
            roster.warnings.append(
                Problem(
                    name,
                    header_no,
                    None,
                    "roster.warning.unknown_column",
                    {"header": typed, "known": known},
                    header=typed,
                    letter=letter,
                )
            )
        elif column in placed:
            roster.warnings.append(
                Problem(
                    name,
                    header_no,
                    None,
                    "roster.warning.duplicate_column",
                    {"header": typed, "first": placed[column]},
                    header=typed,
                    letter=letter,
                )
            )
            column = None
        else:
            placed[column] = letter
            typed_as[column] = typed
        header.append(column)
    roster.columns[name] = placed
    roster.headers[name] = typed_as
    missing = [c for c in REQUIRED_COLUMNS[name] if c not in placed]
    for column in missing:  # named by its title in the user's language (Problem.where)
        problems.append(Problem(name, header_no, column, "roster.no_column"))
    if missing:
        return None
    reader = _ROW_READERS[name]
    rows = []
    for number, values in numbered[1:]:
        cells: dict[str, Any] = {}
        for column, value in zip(header, values, strict=False):
            if column is not None:
                cells[column] = value
        parsed = reader(_Row(name, number, cells, problems))
        if parsed is not None:
            rows.append(parsed)
    return rows


def _duplicates(
    sheet: str,
    rows: Iterable[Any],
    key: Callable[[Any], Any],
    message: str,
    params: Callable[[Any], dict[str, Any]],
    column: str,
    problems: list[Problem],
) -> None:
    """Report every row whose key (when not None) was already seen in an earlier row:
    ``message`` is the catalogue key, with ``params(row)`` and ``first`` (that earlier row)."""
    seen: dict[Any, int] = {}
    for row in rows:
        k = key(row)
        if k is None:
            continue
        if k in seen:
            problems.append(
                Problem(sheet, row.row, column, message, {**params(row), "first": seen[k]})
            )
        else:
            seen[k] = row.row


def _check_duplicates(roster: Roster, problems: list[Problem]) -> None:
    same_id = "roster.duplicate.id"

    def ext(row: Any) -> dict[str, Any]:
        return {"id": row.ext}

    def name(row: Any) -> dict[str, Any]:
        return {"name": row.name}

    for sheet, rows in (("teachers", roster.teachers), ("pupils", roster.pupils)):
        _duplicates(sheet, rows, lambda r: r.ext, same_id, ext, "id", problems)
        _duplicates(
            sheet,
            rows,
            lambda r: None if r.ext else name_key(r.full_name),
            "roster.duplicate.full_name",
            lambda r: {},
            "full_name",
            problems,
        )
    _duplicates("classes", roster.classes, lambda r: r.ext, same_id, ext, "id", problems)
    _duplicates(
        "classes",
        roster.classes,
        lambda r: class_key(r.name),
        "roster.duplicate.class",
        name,
        "name",
        problems,
    )
    _duplicates("subjects", roster.subjects, lambda r: r.ext, same_id, ext, "id", problems)
    _duplicates(
        "subjects",
        roster.subjects,
        lambda r: name_key(r.name),
        "roster.duplicate.subject",
        name,
        "name",
        problems,
    )
    if roster.bells is not None:
        _duplicates(
            "bells",
            roster.bells,
            lambda r: r.lesson_no,
            "roster.duplicate.bell",
            lambda r: {"lesson_no": r.lesson_no},
            "lesson_no",
            problems,
        )
    if roster.periods is not None:
        _duplicates(
            "periods",
            roster.periods,
            lambda r: name_key(r.name),
            "roster.duplicate.period",
            name,
            "name",
            problems,
        )


def _parse(
    tables: Sequence[tuple[str, list[list[Any]]]], problems: list[Problem], *, csv: bool = False
) -> Roster:
    """The roster from the file's sheets (or CSV files, ``csv``), each with its name in the
    file. A sheet of no known name is a warning (the import goes on without it); a second
    sheet of the same kind is an error (one of them would be lost). Every problem is
    placed where the file has it (:meth:`Roster.place`)."""
    roster = Roster(problems=problems, csv=csv)
    sheets: dict[str, list[list[Any]]] = {}
    for title, table in tables:
        name = sheet_key(Path(title).stem if csv else title)
        if name is None:
            if not all(_blank(values) for values in table):  # an empty extra sheet is no loss
                known = ", ".join(f"«{spec.title}»" for spec in SHEETS_SPEC)
                roster.warnings.append(
                    Problem(
                        None,
                        None,
                        None,
                        "roster.warning.unknown_sheet",
                        {"known": known},
                        sheet_name=title,
                    )
                )
            continue
        if name in sheets:
            problems.append(
                Problem(
                    None,
                    None,
                    None,
                    "roster.duplicate_sheet",
                    {"sheet": SHEET_SPECS[name].title, "first": roster.titles[name]},
                    sheet_name=title,
                )
            )
            continue
        sheets[name] = table
        roster.titles[name] = title
    for name in SHEETS:
        found = sheets.get(name)
        if found is None:
            if name in REQUIRED_SHEETS:  # named by its title in the user's language
                if csv:
                    problems.append(
                        Problem(
                            name, None, None, "roster.no_file", sheet_name=f"{name}.csv", csv=True
                        )
                    )
                else:
                    problems.append(Problem(name, None, None, "roster.no_sheet"))
                roster.broken = True
            continue
        rows = _read_sheet(name, found, roster)
        if rows is None:
            roster.broken = roster.broken or name in REQUIRED_SHEETS
            continue
        setattr(roster, name, rows)
    _check_duplicates(roster, problems)
    roster.problems = roster.placed(problems)
    roster.warnings = roster.placed(roster.warnings)
    return roster
