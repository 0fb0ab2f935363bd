"""R9: the year's mark changes: who, when, old → new, the reason and the request."""

from __future__ import annotations

from openpyxl import Workbook

from core.access import Actor
from core.audit import Action
from core.journal import Journal
from core.reports import MarkAudit, mark_audit, report_scope
from reports import day_text, file_name
from reports.xlsx.sheet import (
    DATE,
    DATETIME,
    INT,
    Column,
    file_who,
    final_value,
    first_sheet,
    naive,
    workbook_bytes,
    write_table,
)
from texts import Texts


def action_words(tx: Texts, action: str) -> str:
    """An audit action in words: every code of ``core.audit.Action`` has them (a row put
    into the log by hand keeps its code)."""
    return tx(f"report.action.{action}") if action in ACTIONS else action


ACTIONS = frozenset(Action)


def audit_workbook(report: MarkAudit, school: str = "", lang: str = "ru") -> Workbook:
    tx = Texts(lang)
    wb = Workbook()
    ws = first_sheet(wb)
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
            naive(r.at),
            r.actor or tx("report.system"),
            action_words(tx, r.action),
            r.pupil,
            r.class_name,
            r.lesson_date,
            r.lesson_no,
            r.subject,
            r.period,
            final_value(r.old),
            final_value(r.new),
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
    write_table(ws, tx, school, title, columns, rows, frozen_columns=1)
    return wb


async def audit_xlsx(
    journal: Journal,
    actor: Actor,
    year_id: int | None = None,
    class_id: int | None = None,
    lang: str = "ru",
) -> tuple[str, bytes]:
    """R9: the year's mark changes: who, when, old → new, reason, request."""
    report = await mark_audit(journal, actor, year_id, class_id)
    scope = await report_scope(journal, actor, class_id)
    tx = Texts(lang)
    name = tx("report.file.audit", who=file_who(tx, scope), year=report.year.replace("/", "-"))
    return file_name(name, "xlsx"), workbook_bytes(audit_workbook(report, scope.school, lang))
