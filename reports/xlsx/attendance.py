"""R21: a class's attendance by month and the summary sheet of attendance for a period."""

from __future__ import annotations

from datetime import date
from typing import Any

from openpyxl import Workbook

from core.access import Actor
from core.journal import Journal
from core.reports import (
    AttendanceCounts,
    ClassAttendance,
    PupilAttendance,
    attendance_summary,
    class_attendance_month,
    percent,
    report_scope,
)
from reports import day_text, file_name
from reports.xlsx.sheet import (
    INT,
    PCT,
    Column,
    as_number,
    first_sheet,
    month_title,
    until_note,
    workbook_bytes,
    write_table,
)
from texts import Texts


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
    ws = first_sheet(wb)
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
        month=month_title(tx, report.start),
    ) + until_note(tx, report.end, report.until)
    write_table(ws, tx, school, title, columns, rows, frozen_columns=2, bold_last=True)
    return wb


async def attendance_month_xlsx(
    journal: Journal, actor: Actor, class_id: int, month: date, lang: str = "ru"
) -> tuple[str, bytes]:
    """R21: the class's attendance by month."""
    report = await class_attendance_month(journal, actor, class_id, month)
    scope = await report_scope(journal, actor, class_id)
    tx = Texts(lang)
    name = tx("report.file.attendance_month", cls=report.class_name, month=f"{month:%Y-%m}")
    return file_name(name, "xlsx"), workbook_bytes(
        attendance_month_workbook(report, scope.school, lang)
    )


# --- the summary sheet of attendance for a period (R21) -----------------------------------


def attendance_summary_workbook(
    report: ClassAttendance, school: str = "", lang: str = "ru"
) -> Workbook:
    tx = Texts(lang)
    wb = Workbook()
    ws = first_sheet(wb)
    ws.title = tx("report.sheet.attendance_summary")
    columns = [
        Column("№", INT, 5),
        Column(tx("report.col.pupil")),
        *(Column(tx("report.col.missed_in", subject=s.name), INT) for s in report.subjects),
        *_counts_columns(tx),
        Column(tx("report.col.missed_percent"), PCT),
    ]

    def subject_missed(p: PupilAttendance, subject_id: int) -> int | None:
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
                as_number(percent(p.counts.missed, p.counts.lessons)),
            ]
        )
    rows.append(
        [
            None,
            tx("report.total"),
            *(sum(subject_missed(p, s.id) or 0 for p in report.pupils) for s in report.subjects),
            *_counts(report.totals),
            as_number(percent(report.totals.missed, report.totals.lessons)),
        ]
    )
    title = tx(
        "report.title.attendance_summary",
        cls=report.class_name,
        start=day_text(report.start),
        end=day_text(report.end),
    ) + until_note(tx, report.end, report.until)
    write_table(ws, tx, school, title, columns, rows, frozen_columns=2, bold_last=True)
    return wb


async def attendance_summary_xlsx(
    journal: Journal, actor: Actor, class_id: int, start: date, end: date, lang: str = "ru"
) -> tuple[str, bytes]:
    """R21: the summary sheet of attendance for [start, end]."""
    report = await attendance_summary(journal, actor, class_id, start, end)
    scope = await report_scope(journal, actor, class_id)
    tx = Texts(lang)
    name = tx(
        "report.file.attendance_summary",
        cls=report.class_name,
        start=f"{start:%Y-%m-%d}",
        end=f"{end:%Y-%m-%d}",
    )
    return file_name(name, "xlsx"), workbook_bytes(
        attendance_summary_workbook(report, scope.school, lang)
    )
