"""R21: the accumulation of marks: pupils with no marks or a single mark so far, per
class and subject."""

from __future__ import annotations

from openpyxl import Workbook

from core.access import Actor
from core.journal import Journal
from core.reports import Accumulation, mark_accumulation, report_scope
from reports import day_text, file_name
from reports.xlsx.sheet import (
    INT,
    PCT,
    Column,
    as_number,
    file_who,
    first_sheet,
    workbook_bytes,
    write_table,
)
from texts import Texts


def accumulation_workbook(report: Accumulation, school: str = "", lang: str = "ru") -> Workbook:
    tx = Texts(lang)
    wb = Workbook()
    ws = first_sheet(wb)
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
            as_number(r.no_marks_percent),
            as_number(r.one_mark_percent),
            as_number(r.few_marks_percent),
        ]
        for r in report.rows
    ]
    title = tx(
        "report.title.accumulation",
        period=report.period.name,
        start=day_text(report.start),
        end=day_text(report.until),
    )
    write_table(ws, tx, school, title, columns, rows, frozen_columns=2)
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
    report = await mark_accumulation(journal, actor, period_id, class_id)
    scope = await report_scope(journal, actor, class_id)
    tx = Texts(lang)
    name = tx("report.file.accumulation", who=file_who(tx, scope), period=report.period.name)
    return file_name(name, "xlsx"), workbook_bytes(
        accumulation_workbook(report, scope.school, lang)
    )
