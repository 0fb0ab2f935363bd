"""R21: teachers' filling of the journal: a sheet per teacher's totals, one of the
lessons with something missing, and one of the written works whose marks are late (R14)."""

from __future__ import annotations

from datetime import date
from typing import Any

from openpyxl import Workbook

from core.access import Actor
from core.journal import Journal
from core.reports import FillingReport, percent, report_scope, teacher_filling
from reports import day_text, file_name
from reports.xlsx.sheet import (
    DATE,
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


def filling_workbook(report: FillingReport, school: str = "", lang: str = "ru") -> Workbook:
    tx = Texts(lang)
    wb = Workbook()
    title = tx("report.title.filling", start=day_text(report.start), end=day_text(report.end))
    ws = first_sheet(wb)
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
            as_number(percent(t.lessons - t.with_gaps, t.lessons)),
        ]
        for t in report.teachers
    ]
    write_table(ws, tx, school, title, columns, rows, frozen_columns=1)

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
    write_table(gaps, tx, school, title, columns, rows, frozen_columns=1)
    written_sheet(wb, report, tx, school, title)
    return wb


def written_sheet(wb: Workbook, report: FillingReport, tx: Texts, school: str, title: str) -> None:
    """R14: the written works whose marks are past their day, with how many are missing."""
    ws = wb.create_sheet(tx("report.sheet.filling_written"))
    columns = [
        Column(tx("report.col.teacher")),
        Column(tx("report.col.date"), DATE),
        Column(tx("report.col.lesson_no"), INT),
        Column(tx("report.col.class")),
        Column(tx("report.col.subject")),
        Column(tx("report.col.work")),
        Column(tx("report.col.marks_due"), DATE),
        Column(tx("report.col.at_lesson"), INT),
        Column(tx("report.col.marks_missing"), INT),
    ]
    rows: list[list[Any]] = [
        [
            w.teacher,
            w.date,
            w.lesson_no,
            w.class_name,
            w.subject,
            w.work,
            w.due,
            w.pupils,
            w.missing,
        ]
        for w in report.overdue
    ]
    write_table(ws, tx, school, title, columns, rows, frozen_columns=1)


async def filling_xlsx(
    journal: Journal,
    actor: Actor,
    start: date,
    end: date,
    class_id: int | None = None,
    lang: str = "ru",
) -> tuple[str, bytes]:
    """R21: teachers' filling of the journal (roll call, topic, homework by 20:00)."""
    report = await teacher_filling(journal, actor, start, end, class_id)
    scope = await report_scope(journal, actor, class_id)
    tx = Texts(lang)
    name = tx(
        "report.file.filling",
        who=file_who(tx, scope),
        start=f"{start:%Y-%m-%d}",
        end=f"{end:%Y-%m-%d}",
    )
    return file_name(name, "xlsx"), workbook_bytes(filling_workbook(report, scope.school, lang))
