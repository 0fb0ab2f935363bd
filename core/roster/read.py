"""Reading a school roster: an XLSX workbook, or a folder (or zip) of ``<sheet>.csv`` files.

Pure: no database. Every cell is checked here (format, length, duplicates inside a sheet);
references between sheets and to what the journal already holds are checked on import
(:mod:`core.roster.plan`). Problems are collected, never raised, so a user sees all of them.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from core.roster.cells import ROW_READERS, Row, Uncomputed, cell_text
from core.roster.format import SHEET_SPECS, SHEETS_SPEC, sheet_key
from core.roster.rows import REQUIRED_SHEETS, SHEETS, Problem, Roster, class_key, name_key

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


# --- Sheets -------------------------------------------------------------------------------


def _blank(values: Sequence[Any]) -> bool:
    return all(cell_text(v) == "" for v in values)


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
        for index in [i for i in left if i < len(values) and cell_text(values[i])]:
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
    typed_headers = [cell_text(v) for v in header_values] + [""] * (width - len(header_values))
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
    reader = ROW_READERS[name]
    rows = []
    for number, values in numbered[1:]:
        cells: dict[str, Any] = {}
        for column, value in zip(header, values, strict=False):
            if column is not None:
                cells[column] = value
        parsed = reader(Row(name, number, cells, problems))
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
