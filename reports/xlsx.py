"""XLSX reports for the school's staff (R9, R21), built with openpyxl from the plain data
of ``core.reports`` (which checks who may see what).

Every sheet: a title row (the school, the report and its period), a bold header row, thin
borders round the table, panes frozen under the header (and beside the names), columns
wide enough to read, and a page set up for printing: A4 landscape, fit to the page's
width (as many pages down as it takes), the title and header rows on every page, page
numbers in the footer. Values: numbers stored as numbers (averages
rounded to two places, shares in percent to one place), dates as dates, text as text:
every string cell (a name from the roster, a topic, a reason) is written through
:func:`as_text`, so ``=HYPERLINK(…)`` or ``=cmd|…`` typed into the roster is never a
formula in the deputy's Excel (OWASP, formula injection). Each public function returns
``(file name, bytes)``, ready for ``BufferedInputFile`` or a file.
"""

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

from core import reports as reporting
from core.access import Actor
from core.audit import Action
from core.journal import Journal
from core.reports import (
    Accumulation,
    AttendanceCounts,
    ClassAttendance,
    FillingReport,
    MarkAudit,
    MarksSummary,
    ParentsActivity,
    PupilMovement,
    ReportScope,
)
from reports import day_text, file_name
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


def _text_cell(ws: Worksheet, row: int, column: int, value: Any) -> Cell:
    cell = ws.cell(row=row, column=column, value=as_text(value))
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text
    return cell


def _number(value: Decimal | int | None) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    return value


def _naive(moment: datetime | None) -> datetime | None:
    """Excel has no time zones: the local wall-clock time (core gives local times)."""
    return moment.replace(tzinfo=None) if moment is not None else None


def _final(value: str | None) -> int | str | None:
    """A period mark: 1–5 as a number, осв / н/а / безотм as text (R11)."""
    if value is None:
        return None
    return int(value) if value.isdigit() else value


def _table(
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
    cell = _text_cell(ws, 1, 1, shown)
    cell.font = TITLE
    cell.alignment = TITLE_ALIGN
    for c, column in enumerate(columns, start=1):
        cell = _text_cell(ws, 2, c, column.header)
        cell.font = BOLD
        cell.alignment = HEADER_ALIGN
        cell.border = BORDER
    for r, values in enumerate(rows, start=3):
        for c, (column, value) in enumerate(zip(columns, values, strict=True), start=1):
            cell = _text_cell(ws, r, c, value)
            cell.border = BORDER
            if column.format and value is not None:
                cell.number_format = column.format
            if bold_last and r == len(rows) + 2:
                cell.font = BOLD
    widths = [
        column.width or _fit(column, [row[c] for row in rows]) for c, column in enumerate(columns)
    ]
    for c, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    if len(columns) > 1:  # the title wraps within the table's width, so it prints whole
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    ws.row_dimensions[1].height = 17 * _title_lines(shown, sum(widths))
    ws.freeze_panes = ws.cell(row=3, column=frozen_columns + 1).coordinate
    _print_setup(ws, tx)


def _title_lines(title: str, width: float) -> int:
    """How many lines the title takes in a row ``width`` characters wide (the title's
    font is larger than the table's)."""
    return max(1, math.ceil(len(title) * 1.25 / max(width, 1)))


def _print_setup(ws: Worksheet, tx: Texts) -> None:
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


def _first_sheet(wb: Workbook) -> Worksheet:
    """The sheet a new workbook comes with."""
    ws = wb.active
    assert isinstance(ws, Worksheet)
    return ws


def _fit(column: Column, values: Sequence[Any]) -> float:
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


def _who(tx: Texts, scope: ReportScope) -> str:
    """Whom the file covers, for its name: «школа», or the class (a class teacher's
    classes), so a class's report never overwrites the school's of the same period."""
    return tx("report.file.school") if scope.whole_school else "-".join(scope.classes)


def _save(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _yes_no(tx: Texts, value: bool | None) -> str:
    if value is None:
        return tx("report.unknown")
    return tx("report.yes") if value else tx("report.no")


def _month_title(tx: Texts, month: date) -> str:
    return tx("report.month_year", month=tx(f"report.month.{month.month}"), year=month.year)


def _until_note(tx: Texts, report_end: date, until: date) -> str:
    return tx("report.until", day=day_text(until)) if until < report_end else ""


def _counts_columns(tx: Texts) -> list[Column]:
    return [
        Column(tx("report.col.lessons"), INT),
        Column(tx("report.col.missed"), INT),
        Column(tx("report.col.excused"), INT),
        Column(tx("report.col.unexcused"), INT),
        Column(tx("report.col.unconfirmed"), INT),
        Column(tx("report.col.late"), INT),
    ]


def _counts(c: AttendanceCounts) -> list[int]:
    return [c.lessons, c.missed, c.excused, c.unexcused, c.unconfirmed, c.late]


# --- attendance by month (R21) -------------------------------------------------------------


def attendance_month_workbook(
    report: ClassAttendance, school: str = "", lang: str = "ru"
) -> Workbook:
    tx = Texts(lang)
    wb = Workbook()
    ws = _first_sheet(wb)
    ws.title = tx("report.sheet.attendance")
    columns = [
        Column("№", INT, 5),
        Column(tx("report.col.pupil")),
        *(Column(f"{d:%d.%m}", INT, 6.5) for d in report.days),
        *_counts_columns(tx),
    ]
    rows: list[list[Any]] = []
    for n, p in enumerate(report.pupils, start=1):
        rows.append(
            [
                n,
                p.full_name,
                *(p.missed_by_day.get(d) or None for d in report.days),
                *_counts(p.counts),
            ]
        )
    rows.append(
        [
            None,
            tx("report.total"),
            *(sum(p.missed_by_day.get(d, 0) for p in report.pupils) for d in report.days),
            *_counts(report.totals),
        ]
    )
    title = tx(
        "report.title.attendance_month",
        cls=report.class_name,
        month=_month_title(tx, report.start),
    ) + _until_note(tx, report.end, report.until)
    _table(ws, tx, school, title, columns, rows, frozen_columns=2, bold_last=True)
    return wb


async def attendance_month_xlsx(
    journal: Journal, actor: Actor, class_id: int, month: date, lang: str = "ru"
) -> tuple[str, bytes]:
    """R21: the class's attendance by month."""
    report = await reporting.class_attendance_month(journal, actor, class_id, month)
    scope = await reporting.report_scope(journal, actor, class_id)
    tx = Texts(lang)
    name = tx("report.file.attendance_month", cls=report.class_name, month=f"{month:%Y-%m}")
    return file_name(name, "xlsx"), _save(attendance_month_workbook(report, scope.school, lang))


# --- the summary sheet of attendance for a period (R21) -----------------------------------


def attendance_summary_workbook(
    report: ClassAttendance, school: str = "", lang: str = "ru"
) -> Workbook:
    tx = Texts(lang)
    wb = Workbook()
    ws = _first_sheet(wb)
    ws.title = tx("report.sheet.attendance_summary")
    columns = [
        Column("№", INT, 5),
        Column(tx("report.col.pupil")),
        *(Column(tx("report.col.missed_in", subject=s.name), INT) for s in report.subjects),
        *_counts_columns(tx),
        Column(tx("report.col.missed_percent"), PCT),
    ]

    def subject_missed(p: reporting.PupilAttendance, subject_id: int) -> int | None:
        counts = p.by_subject.get(subject_id)
        return counts.missed if counts is not None else None

    rows: list[list[Any]] = []
    for n, p in enumerate(report.pupils, start=1):
        rows.append(
            [
                n,
                p.full_name,
                *(subject_missed(p, s.id) for s in report.subjects),
                *_counts(p.counts),
                _number(reporting.percent(p.counts.missed, p.counts.lessons)),
            ]
        )
    rows.append(
        [
            None,
            tx("report.total"),
            *(sum(subject_missed(p, s.id) or 0 for p in report.pupils) for s in report.subjects),
            *_counts(report.totals),
            _number(reporting.percent(report.totals.missed, report.totals.lessons)),
        ]
    )
    title = tx(
        "report.title.attendance_summary",
        cls=report.class_name,
        start=day_text(report.start),
        end=day_text(report.end),
    ) + _until_note(tx, report.end, report.until)
    _table(ws, tx, school, title, columns, rows, frozen_columns=2, bold_last=True)
    return wb


async def attendance_summary_xlsx(
    journal: Journal, actor: Actor, class_id: int, start: date, end: date, lang: str = "ru"
) -> tuple[str, bytes]:
    """R21: the summary sheet of attendance for [start, end]."""
    report = await reporting.attendance_summary(journal, actor, class_id, start, end)
    scope = await reporting.report_scope(journal, actor, class_id)
    tx = Texts(lang)
    name = tx(
        "report.file.attendance_summary",
        cls=report.class_name,
        start=f"{start:%Y-%m-%d}",
        end=f"{end:%Y-%m-%d}",
    )
    return file_name(name, "xlsx"), _save(attendance_summary_workbook(report, scope.school, lang))


# --- the summary sheet of marks for a period (R21) ----------------------------------------


def marks_summary_workbook(report: MarksSummary, school: str = "", lang: str = "ru") -> Workbook:
    tx = Texts(lang)
    wb = Workbook()
    title = tx(
        "report.title.marks",
        cls=report.class_name,
        period=report.period.name,
        start=day_text(report.period.starts_on),
        end=day_text(report.period.ends_on),
    )
    ws = _first_sheet(wb)
    ws.title = tx("report.sheet.marks")
    columns = [
        Column("№", INT, 5),
        Column(tx("report.col.pupil")),
        Column(tx("report.col.subject")),
        Column(tx("report.col.marks"), TEXT),
        Column(tx("report.col.marks_count"), INT),
        Column(tx("report.col.average"), DEC),
        Column(tx("report.col.weighted"), DEC),
        Column(tx("report.col.final")),
    ]
    rows: list[list[Any]] = []
    for n, p in enumerate(report.pupils, start=1):
        for s in p.subjects:
            rows.append(
                [
                    n,
                    p.full_name,
                    s.subject,
                    " ".join(str(v) for v in s.values) or None,
                    len(s.marks),
                    _number(s.average),
                    _number(s.weighted_average),
                    _final(s.final),
                ]
            )
    _table(ws, tx, school, title, columns, rows, frozen_columns=2)

    matrix = wb.create_sheet(tx("report.sheet.marks_matrix"))
    columns = [Column("№", INT, 5), Column(tx("report.col.pupil"))]
    for ref in report.subjects:
        columns += [
            Column(tx("report.col.subject_weighted", subject=ref.name), DEC),
            Column(tx("report.col.subject_final", subject=ref.name)),
        ]
    rows = []
    for n, p in enumerate(report.pupils, start=1):
        row: list[Any] = [n, p.full_name]
        for ref in report.subjects:
            result = p.subject(ref.id)
            row += [
                _number(result.weighted_average) if result else None,
                _final(result.final) if result else None,
            ]
        rows.append(row)
    _table(matrix, tx, school, title, columns, rows, frozen_columns=2)
    return wb


async def marks_summary_xlsx(
    journal: Journal, actor: Actor, class_id: int, period_id: int, lang: str = "ru"
) -> tuple[str, bytes]:
    """R21: the summary sheet of marks for a reporting period, with averages."""
    report = await reporting.marks_summary(journal, actor, class_id, period_id)
    scope = await reporting.report_scope(journal, actor, class_id)
    tx = Texts(lang)
    name = tx("report.file.marks", cls=report.class_name, period=report.period.name)
    return file_name(name, "xlsx"), _save(marks_summary_workbook(report, scope.school, lang))


# --- накопляемость (R21) --------------------------------------------------------------------


def accumulation_workbook(report: Accumulation, school: str = "", lang: str = "ru") -> Workbook:
    tx = Texts(lang)
    wb = Workbook()
    ws = _first_sheet(wb)
    ws.title = tx("report.sheet.accumulation")
    columns = [
        Column(tx("report.col.class")),
        Column(tx("report.col.subject")),
        Column(tx("report.col.pupils"), INT),
        Column(tx("report.col.no_marks"), INT),
        Column(tx("report.col.one_mark"), INT),
        Column(tx("report.col.no_marks_percent"), PCT),
        Column(tx("report.col.one_mark_percent"), PCT),
        Column(tx("report.col.few_marks_percent"), PCT),
    ]
    rows = [
        [
            r.class_name,
            r.subject,
            r.pupils,
            r.no_marks,
            r.one_mark,
            _number(r.no_marks_percent),
            _number(r.one_mark_percent),
            _number(r.few_marks_percent),
        ]
        for r in report.rows
    ]
    title = tx(
        "report.title.accumulation",
        period=report.period.name,
        start=day_text(report.start),
        end=day_text(report.until),
    )
    _table(ws, tx, school, title, columns, rows, frozen_columns=2)
    return wb


async def accumulation_xlsx(
    journal: Journal,
    actor: Actor,
    period_id: int,
    class_id: int | None = None,
    lang: str = "ru",
) -> tuple[str, bytes]:
    """R21 (накопляемость): pupils with no marks or a single mark so far, per class and
    subject."""
    report = await reporting.mark_accumulation(journal, actor, period_id, class_id)
    scope = await reporting.report_scope(journal, actor, class_id)
    tx = Texts(lang)
    name = tx("report.file.accumulation", who=_who(tx, scope), period=report.period.name)
    return file_name(name, "xlsx"), _save(accumulation_workbook(report, scope.school, lang))


# --- teachers' filling of the journal (R21) -----------------------------------------------


def filling_workbook(report: FillingReport, school: str = "", lang: str = "ru") -> Workbook:
    tx = Texts(lang)
    wb = Workbook()
    title = tx("report.title.filling", start=day_text(report.start), end=day_text(report.end))
    ws = _first_sheet(wb)
    ws.title = tx("report.sheet.filling")
    columns = [
        Column(tx("report.col.teacher")),
        Column(tx("report.col.lessons_given"), INT),
        Column(tx("report.col.no_roll_call"), INT),
        Column(tx("report.col.no_topic"), INT),
        Column(tx("report.col.no_homework"), INT),
        Column(tx("report.col.with_gaps"), INT),
        Column(tx("report.col.filled_percent"), PCT),
    ]
    rows: list[list[Any]] = [
        [
            t.teacher,
            t.lessons,
            t.no_roll_call,
            t.no_topic,
            t.no_homework,
            t.with_gaps,
            _number(reporting.percent(t.lessons - t.with_gaps, t.lessons)),
        ]
        for t in report.teachers
    ]
    _table(ws, tx, school, title, columns, rows, frozen_columns=1)

    gaps = wb.create_sheet(tx("report.sheet.filling_lessons"))
    missing = tx("report.missing")
    columns = [
        Column(tx("report.col.teacher")),
        Column(tx("report.col.date"), DATE),
        Column(tx("report.col.lesson_no"), INT),
        Column(tx("report.col.class")),
        Column(tx("report.col.subject")),
        Column(tx("report.col.roll_call")),
        Column(tx("report.col.topic")),
        Column(tx("report.col.homework")),
    ]
    rows = [
        [
            g.teacher,
            g.date,
            g.lesson_no,
            g.class_name,
            g.subject,
            missing if g.no_roll_call else None,
            missing if g.no_topic else None,
            missing if g.no_homework else None,
        ]
        for g in report.gaps
    ]
    _table(gaps, tx, school, title, columns, rows, frozen_columns=1)
    return wb


async def filling_xlsx(
    journal: Journal,
    actor: Actor,
    start: date,
    end: date,
    class_id: int | None = None,
    lang: str = "ru",
) -> tuple[str, bytes]:
    """R21: teachers' filling of the journal (roll call, topic, homework by 20:00)."""
    report = await reporting.teacher_filling(journal, actor, start, end, class_id)
    scope = await reporting.report_scope(journal, actor, class_id)
    tx = Texts(lang)
    name = tx(
        "report.file.filling",
        who=_who(tx, scope),
        start=f"{start:%Y-%m-%d}",
        end=f"{end:%Y-%m-%d}",
    )
    return file_name(name, "xlsx"), _save(filling_workbook(report, scope.school, lang))


# --- parents' activity (R17, R18, R19, R21) ----------------------------------------------


def parents_workbook(report: ParentsActivity, school: str = "", lang: str = "ru") -> Workbook:
    tx = Texts(lang)
    wb = Workbook()
    title = tx("report.title.parents", start=day_text(report.since), end=day_text(report.until)) + (
        "" if report.reading_recorded else tx("report.parents_no_reading")
    )
    ws = _first_sheet(wb)
    ws.title = tx("report.sheet.parents")
    columns = [
        Column(tx("report.col.class")),
        Column(tx("report.col.pupil")),
        Column(tx("report.col.parent")),
        Column(tx("report.col.bound")),
        Column(tx("report.col.bound_at"), DATE),
        Column(tx("report.col.consent")),
        Column(tx("report.col.consent_at"), DATE),
        Column(tx("report.col.unreachable")),
        Column(tx("report.col.unreachable_at"), DATE),
        Column(tx("report.col.opted_out")),
        Column(tx("report.col.opt_out_at"), DATE),
        Column(tx("report.col.digests_sent"), INT),
        Column(tx("report.col.digests_read"), INT),
        Column(tx("report.col.last_read_at"), DATETIME),
    ]
    rows = []
    for r in report.rows:
        rows.append(
            [
                r.class_name,
                r.pupil,
                r.guardian,
                _yes_no(tx, r.bound),
                _naive(r.bound_at),
                _yes_no(tx, r.consent),
                _naive(r.consent_at),
                _yes_no(tx, r.unreachable) if r.bound else None,
                _naive(r.unreachable_at),
                _yes_no(tx, r.opted_out),
                _naive(r.opt_out_at),
                r.reading.sent if r.reading else None,
                r.reading.read if r.reading else None,
                _naive(r.reading.last_read_at) if r.reading else None,
            ]
        )
    _table(ws, tx, school, title, columns, rows, frozen_columns=3)

    summary = wb.create_sheet(tx("report.sheet.parents_summary"))
    columns = [
        Column(tx("report.col.class")),
        Column(tx("report.col.parents"), INT),
        Column(tx("report.col.bound"), INT),
        Column(tx("report.col.consent"), INT),
        Column(tx("report.col.unreachable"), INT),
        Column(tx("report.col.opted_out"), INT),
        Column(tx("report.col.reading"), INT),
    ]
    per_class: dict[str, dict[str, set[int]]] = {}
    for r in report.rows:
        sets = per_class.setdefault(
            r.class_name,
            {k: set() for k in ("all", "bound", "consent", "unreachable", "opted", "reading")},
        )
        sets["all"].add(r.guardian_id)
        for key, flag in (
            ("bound", r.bound),
            ("consent", r.consent is True),
            ("unreachable", r.unreachable),
            ("opted", r.opted_out),
            ("reading", r.reading is not None and r.reading.read > 0),
        ):
            if flag:
                sets[key].add(r.guardian_id)
    rows = [
        [
            name,
            len(sets["all"]),
            len(sets["bound"]),
            len(sets["consent"]),
            len(sets["unreachable"]),
            len(sets["opted"]),
            len(sets["reading"]) if report.reading_recorded else None,
        ]
        for name, sets in per_class.items()
    ]
    _table(summary, tx, school, title, columns, rows, frozen_columns=1)
    return wb


async def parents_xlsx(
    journal: Journal, actor: Actor, class_id: int | None = None, lang: str = "ru"
) -> tuple[str, bytes]:
    """R21: parents' activity: bound, consented, reachable, opted out, reading."""
    report = await reporting.parents_activity(journal, actor, class_id)
    scope = await reporting.report_scope(journal, actor, class_id)
    tx = Texts(lang)
    name = tx("report.file.parents", who=_who(tx, scope), day=f"{report.until:%Y-%m-%d}")
    return file_name(name, "xlsx"), _save(parents_workbook(report, scope.school, lang))


# --- pupil movement: arrivals and leavers (R21) ---------------------------------------------


def movement_workbook(report: PupilMovement, school: str = "", lang: str = "ru") -> Workbook:
    tx = Texts(lang)
    wb = Workbook()
    title = tx("report.title.movement", start=day_text(report.start), end=day_text(report.end))
    ws = _first_sheet(wb)
    ws.title = tx("report.sheet.movement")
    columns = [
        Column(tx("report.col.date"), DATE),
        Column(tx("report.col.movement")),
        Column(tx("report.col.class")),
        Column(tx("report.col.pupil")),
    ]
    rows = [
        [
            m.day,
            tx("report.movement.arrived") if m.arrived else tx("report.movement.left"),
            m.class_name,
            m.pupil,
        ]
        for m in report.moves
    ]
    _table(ws, tx, school, title, columns, rows, frozen_columns=1)
    summary = wb.create_sheet(tx("report.sheet.movement_summary"))
    columns = [
        Column(tx("report.col.class")),
        Column(tx("report.col.at_start"), INT),
        Column(tx("report.col.arrived"), INT),
        Column(tx("report.col.left"), INT),
        Column(tx("report.col.at_end"), INT),
    ]
    rows = [[c.class_name, c.at_start, c.arrived, c.left, c.at_end] for c in report.classes]
    if len(report.classes) > 1:
        rows.append(
            [
                tx("report.total"),
                *(sum(getattr(c, k) for c in report.classes) for k in _MOVEMENT_COUNTS),
            ]
        )
    _table(
        summary,
        tx,
        school,
        title,
        columns,
        rows,
        frozen_columns=1,
        bold_last=len(report.classes) > 1,
    )
    return wb


_MOVEMENT_COUNTS = ("at_start", "arrived", "left", "at_end")


async def movement_xlsx(
    journal: Journal,
    actor: Actor,
    start: date,
    end: date,
    class_id: int | None = None,
    lang: str = "ru",
) -> tuple[str, bytes]:
    """R21: pupils who arrived and who left in [start, end], per class with its roll."""
    report = await reporting.pupil_movement(journal, actor, start, end, class_id)
    scope = await reporting.report_scope(journal, actor, class_id)
    tx = Texts(lang)
    name = tx(
        "report.file.movement",
        who=_who(tx, scope),
        start=f"{start:%Y-%m-%d}",
        end=f"{end:%Y-%m-%d}",
    )
    return file_name(name, "xlsx"), _save(movement_workbook(report, scope.school, lang))


# --- the mark-change audit (R9) -------------------------------------------------------------


def action_words(tx: Texts, action: str) -> str:
    """An audit action in words: every code of ``core.audit.Action`` has them (a row put
    into the log by hand keeps its code)."""
    return tx(f"report.action.{action}") if action in ACTIONS else action


ACTIONS = frozenset(Action)


def audit_workbook(report: MarkAudit, school: str = "", lang: str = "ru") -> Workbook:
    tx = Texts(lang)
    wb = Workbook()
    ws = _first_sheet(wb)
    ws.title = tx("report.sheet.audit")
    columns = [
        Column(tx("report.col.when"), DATETIME),
        Column(tx("report.col.who")),
        Column(tx("report.col.action")),
        Column(tx("report.col.pupil")),
        Column(tx("report.col.class")),
        Column(tx("report.col.lesson_date"), DATE),
        Column(tx("report.col.lesson_no"), INT),
        Column(tx("report.col.subject")),
        Column(tx("report.col.period")),
        Column(tx("report.col.old")),
        Column(tx("report.col.new")),
        Column(tx("report.col.work_type")),
        Column(tx("report.col.reason")),
        Column(tx("report.col.request"), INT),
        Column(tx("report.col.requested_by")),
    ]
    rows = [
        [
            _naive(r.at),
            r.actor or tx("report.system"),
            action_words(tx, r.action),
            r.pupil,
            r.class_name,
            r.lesson_date,
            r.lesson_no,
            r.subject,
            r.period,
            _final(r.old),
            _final(r.new),
            r.work_type,
            r.reason,
            r.request_id,
            r.requested_by,
        ]
        for r in report.rows
    ]
    title = tx(
        "report.title.audit",
        year=report.year,
        start=day_text(report.start),
        end=day_text(report.end),
    )
    _table(ws, tx, school, title, columns, rows, frozen_columns=1)
    return wb


async def audit_xlsx(
    journal: Journal,
    actor: Actor,
    year_id: int | None = None,
    class_id: int | None = None,
    lang: str = "ru",
) -> tuple[str, bytes]:
    """R9: the year's mark changes: who, when, old → new, reason, request."""
    report = await reporting.mark_audit(journal, actor, year_id, class_id)
    scope = await reporting.report_scope(journal, actor, class_id)
    tx = Texts(lang)
    name = tx("report.file.audit", who=_who(tx, scope), year=report.year.replace("/", "-"))
    return file_name(name, "xlsx"), _save(audit_workbook(report, scope.school, lang))
