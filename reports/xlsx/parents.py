"""R21: parents' activity (R17, R18, R19): a row per parent and child, and the counts
per class."""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from core.access import Actor
from core.journal import Journal
from core.reports import ParentsActivity, parents_activity, report_scope
from reports import day_text, file_name
from reports.xlsx.sheet import (
    DATE,
    DATETIME,
    INT,
    Column,
    file_who,
    first_sheet,
    naive,
    workbook_bytes,
    write_table,
    yes_no,
)
from texts import Texts


def parents_workbook(report: ParentsActivity, school: str = "", lang: str = "ru") -> Workbook:
    tx = Texts(lang)
    wb = Workbook()
    title = tx("report.title.parents", start=day_text(report.since), end=day_text(report.until)) + (
        "" if report.reading_recorded else tx("report.parents_no_reading")
    )
    ws = first_sheet(wb)
    ws.title = tx("report.sheet.parents")
    _parents_sheet(ws, tx, school, title, report)
    _summary_sheet(wb.create_sheet(tx("report.sheet.parents_summary")), tx, school, title, report)
    return wb


def _parents_sheet(
    ws: Worksheet, tx: Texts, school: str, title: str, report: ParentsActivity
) -> None:
    """A row per parent and child."""
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
    rows = [
        [
            r.class_name,
            r.pupil,
            r.guardian,
            yes_no(tx, r.bound),
            naive(r.bound_at),
            yes_no(tx, r.consent),
            naive(r.consent_at),
            yes_no(tx, r.unreachable) if r.bound else None,
            naive(r.unreachable_at),
            yes_no(tx, r.opted_out),
            naive(r.opt_out_at),
            r.reading.sent if r.reading else None,
            r.reading.read if r.reading else None,
            naive(r.reading.last_read_at) if r.reading else None,
        ]
        for r in report.rows
    ]
    write_table(ws, tx, school, title, columns, rows, frozen_columns=3)


def _summary_sheet(
    ws: Worksheet, tx: Texts, school: str, title: str, report: ParentsActivity
) -> None:
    """Per class, how many parents are bound, consented, unreachable, opted out, reading
    (a parent of two children counted once)."""
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
    write_table(ws, tx, school, title, columns, rows, frozen_columns=1)


async def parents_xlsx(
    journal: Journal, actor: Actor, class_id: int | None = None, lang: str = "ru"
) -> tuple[str, bytes]:
    """R21: parents' activity: bound, consented, reachable, opted out, reading."""
    report = await parents_activity(journal, actor, class_id)
    scope = await report_scope(journal, actor, class_id)
    tx = Texts(lang)
    name = tx("report.file.parents", who=file_who(tx, scope), day=f"{report.until:%Y-%m-%d}")
    return file_name(name, "xlsx"), workbook_bytes(parents_workbook(report, scope.school, lang))
