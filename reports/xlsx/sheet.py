"""What every XLSX report shares: the number formats, the styles, the title row, the bold
header, borders, frozen panes, column widths and the page set up for printing; the text
cells written so that nothing typed into the roster becomes a formula."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from copy import copy
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

from core.reports import ReportScope
from reports import day_text
from texts import Texts

MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

INT = "0"
DEC = "0.00"
PCT = "0.0"
DATE = "DD.MM.YYYY"
DATETIME = "DD.MM.YYYY HH:MM"
TEXT = "@"

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=12)
HEADER_ALIGN = Alignment(wrap_text=True, vertical="top")
TITLE_ALIGN = Alignment(wrap_text=True, vertical="top")
THIN = Side(style="thin")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
TITLE_ROWS = "1:2"  # the title and the header, printed on every page
MARGINS = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.6, header=0.3, footer=0.3)


@dataclass(frozen=True)
class Column:
    header: str
    format: str | None = None
    width: float | None = None  # None: fit the contents


# What makes a spreadsheet read a cell as a formula (or a DDE call): OWASP's list.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text(value: Any) -> Any:
    """A string that a spreadsheet would take for a formula gets a leading apostrophe (and
    stays a text cell); anything else is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def text_cell(ws: Worksheet, row: int, column: int, value: Any) -> Cell:
    cell = ws.cell(row=row, column=column, value=as_text(value))
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text
    return cell


def as_number(value: Decimal | int | None) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    return value


def naive(moment: datetime | None) -> datetime | None:
    """Excel has no time zones: the local wall-clock time (core gives local times)."""
    return moment.replace(tzinfo=None) if moment is not None else None


def final_value(value: str | None) -> int | str | None:
    """A period mark: 1–5 as a number, осв / н/а / безотм as text (R11)."""
    if value is None:
        return None
    return int(value) if value.isdigit() else value


def write_table(
    ws: Worksheet,
    tx: Texts,
    school: str,
    title: str,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Any]],
    *,
    frozen_columns: int = 0,
    bold_last: bool = False,
) -> None:
    """Row 1: the school and the title, across the table; row 2: the bold header; the
    data from row 3, in thin borders; panes frozen under the header and right of the
    first ``frozen_columns`` columns; the page set up for printing."""
    shown = tx("report.title_row", school=school, title=title) if school else title
    cell = text_cell(ws, 1, 1, shown)
    cell.font = TITLE
    cell.alignment = TITLE_ALIGN
    for c, column in enumerate(columns, start=1):
        cell = text_cell(ws, 2, c, column.header)
        cell.font = BOLD
        cell.alignment = HEADER_ALIGN
        cell.border = BORDER
    for r, values in enumerate(rows, start=3):
        for c, (column, value) in enumerate(zip(columns, values, strict=True), start=1):
            cell = text_cell(ws, r, c, value)
            cell.border = BORDER
            if column.format and value is not None:
                cell.number_format = column.format
            if bold_last and r == len(rows) + 2:
                cell.font = BOLD
    widths = [
        column.width or fit_width(column, [row[c] for row in rows])
        for c, column in enumerate(columns)
    ]
    for c, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    if len(columns) > 1:  # the title wraps within the table's width, so it prints whole
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    ws.row_dimensions[1].height = 17 * title_lines(shown, sum(widths))
    ws.freeze_panes = ws.cell(row=3, column=frozen_columns + 1).coordinate
    print_setup(ws, tx)


def title_lines(title: str, width: float) -> int:
    """How many lines the title takes in a row ``width`` characters wide (the title's
    font is larger than the table's)."""
    return max(1, math.ceil(len(title) * 1.25 / max(width, 1)))


def print_setup(ws: Worksheet, tx: Texts) -> None:
    """A4 landscape, as wide as the page and as many pages down as it takes, the title
    and header rows on every page, «Стр. N из M» at the foot."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    page_setup = ws.sheet_properties.pageSetUpPr
    assert page_setup is not None  # a new sheet has them
    page_setup.fitToPage = True
    ws.print_title_rows = TITLE_ROWS
    ws.print_options.horizontalCentered = True
    ws.page_margins = copy(MARGINS)
    footer = ws.oddFooter
    assert footer is not None and footer.center is not None  # a new sheet has one
    footer.center.text = tx("report.page_footer")


def first_sheet(wb: Workbook) -> Worksheet:
    """The sheet a new workbook comes with."""
    ws = wb.active
    assert isinstance(ws, Worksheet)
    return ws


def fit_width(column: Column, values: Sequence[Any]) -> float:
    def shown(value: Any) -> int:
        if value is None:
            return 0
        if isinstance(value, datetime):
            return 16
        if isinstance(value, date):
            return 10
        if isinstance(value, float):
            return len(f"{value:.2f}")
        return len(str(value))

    longest_word = max((len(w) for w in column.header.split()), default=4)
    content = max((shown(v) for v in values), default=0)
    return float(min(50, max(6, longest_word + 2, content + 2, min(len(column.header), 18))))


def file_who(tx: Texts, scope: ReportScope) -> str:
    """Whom the file covers, for its name: «школа», or the class (a class teacher's
    classes), so a class's report never overwrites the school's of the same period."""
    return tx("report.file.school") if scope.whole_school else "-".join(scope.classes)


def workbook_bytes(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def yes_no(tx: Texts, value: bool | None) -> str:
    if value is None:
        return tx("report.unknown")
    return tx("report.yes") if value else tx("report.no")


def month_title(tx: Texts, month: date) -> str:
    return tx("report.month_year", month=tx(f"report.month.{month.month}"), year=month.year)


def until_note(tx: Texts, report_end: date, until: date) -> str:
    return tx("report.until", day=day_text(until)) if until < report_end else ""
