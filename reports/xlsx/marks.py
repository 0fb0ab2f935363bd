"""R21: the summary sheet of marks for a reporting period: a row per pupil and subject
with the marks and averages, and a matrix of weighted averages and period marks."""

from __future__ import annotations

from typing import Any

from openpyxl import Workbook

from core.access import Actor
from core.journal import Journal
from core.reports import MarksSummary, marks_summary, report_scope
from reports import day_text, file_name
from reports.xlsx.sheet import (
    DEC,
    INT,
    TEXT,
    Column,
    as_number,
    final_value,
    first_sheet,
    workbook_bytes,
    write_table,
)
from texts import Texts


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
    ws = first_sheet(wb)
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
                    as_number(s.average),
                    as_number(s.weighted_average),
                    final_value(s.final),
                ]
            )
    write_table(ws, tx, school, title, columns, rows, frozen_columns=2)

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
                as_number(result.weighted_average) if result else None,
                final_value(result.final) if result else None,
            ]
        rows.append(row)
    write_table(matrix, tx, school, title, columns, rows, frozen_columns=2)
    return wb


async def marks_summary_xlsx(
    journal: Journal, actor: Actor, class_id: int, period_id: int, lang: str = "ru"
) -> tuple[str, bytes]:
    """R21: the summary sheet of marks for a reporting period, with averages."""
    report = await marks_summary(journal, actor, class_id, period_id)
    scope = await report_scope(journal, actor, class_id)
    tx = Texts(lang)
    name = tx("report.file.marks", cls=report.class_name, period=report.period.name)
    return file_name(name, "xlsx"), workbook_bytes(
        marks_summary_workbook(report, scope.school, lang)
    )
