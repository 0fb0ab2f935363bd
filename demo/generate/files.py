"""Rosters on disk: a folder of CSV files or one XLSX workbook, both ways."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path

from demo.generate.curriculum import COLUMNS, Roster, Row


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
