"""R21: pupil movement: the arrivals and leavers of a range, and each class's roll at
both ends."""

from __future__ import annotations

from datetime import date

from openpyxl import Workbook

from core.access import Actor
from core.journal import Journal
from core.reports import PupilMovement, pupil_movement, report_scope
from reports import day_text, file_name
from reports.xlsx.sheet import (
    DATE,
    INT,
    Column,
    file_who,
    first_sheet,
    workbook_bytes,
    write_table,
)
from texts import Texts


def movement_workbook(report: PupilMovement, school: str = "", lang: str = "ru") -> Workbook:
    tx = Texts(lang)
    wb = Workbook()
    title = tx("report.title.movement", start=day_text(report.start), end=day_text(report.end))
    ws = first_sheet(wb)
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
    write_table(ws, tx, school, title, columns, rows, frozen_columns=1)
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
    write_table(
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
    report = await pupil_movement(journal, actor, start, end, class_id)
    scope = await report_scope(journal, actor, class_id)
    tx = Texts(lang)
    name = tx(
        "report.file.movement",
        who=file_who(tx, scope),
        start=f"{start:%Y-%m-%d}",
        end=f"{end:%Y-%m-%d}",
    )
    return file_name(name, "xlsx"), workbook_bytes(movement_workbook(report, scope.school, lang))
