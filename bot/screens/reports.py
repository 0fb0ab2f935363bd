"""Reports as documents (R9, R18, R21): pick a report, a class where it needs one, then
the current month or period; after a report was sent, the same one for another month or
period."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bot.actions import ClassCb, ReportCb
from bot.screen import Button, Row, Screen, quote
from bot.screens.nav import menu_row
from core.periods import PeriodView
from core.reports import PeriodRef
from texts import Texts

KINDS = {
    "m": "attendance_month",
    "a": "attendance",
    "s": "marks",
    "n": "accumulation",
    "f": "filling",
    "p": "parents",
    "u": "audit",
    "d": "movement",
    "v": "statement",
}


@dataclass
class Built:
    """A report's file, and what it covers: ``who`` is the class (or classes), ``None``
    the whole school; a monthly report its month and the months offered, a report by
    period its period and the periods offered."""

    name: str
    data: bytes
    who: str | None
    month: date | None = None
    months: list[date] = field(default_factory=list)
    period: PeriodRef | None = None
    periods: list[PeriodView] = field(default_factory=list)


def kind_name(tx: Texts, kind: str) -> str:
    return tx(f"report.kind.{KINDS[kind]}")


def month_name(tx: Texts, month: date) -> str:
    return tx("report.month_year", month=tx(f"report.month.{month.month}"), year=month.year)


def menu(tx: Texts, class_id: int, class_name: str | None) -> Screen:
    """The reports; a class teacher's (``class_id``) go back to her class."""
    if class_id:
        title = tx("reports.title_class", cls=quote(class_name or ""))
    else:
        title = tx("reports.title")
    rows = [[Button(kind_name(tx, kind), ReportCb(kind=kind, cls=class_id))] for kind in KINDS]
    if class_id:
        rows.append([Button(tx("nav.back"), ClassCb(cls=class_id, view="t"))])
    else:
        rows.append(menu_row(tx))
    return Screen(title, rows)


def pick_class(tx: Texts, kind: str, classes: list[tuple[int, str]]) -> Screen:
    buttons = [Button(name, ReportCb(kind=kind, cls=class_id)) for class_id, name in classes]
    rows = [buttons[i : i + 4] for i in range(0, len(buttons), 4)]
    rows.append([Button(tx("reports.back"), ReportCb())])
    return Screen(tx("reports.pick_class", report=kind_name(tx, kind)), rows)


def details(tx: Texts, built: Built) -> str:
    """For the caption: the class and the month or period."""
    who = built.who if built.who is not None else tx("reports.whole_school")
    if built.month is not None:
        return f"{who}, {month_name(tx, built.month)}"
    if built.period is not None:
        return f"{who}, {built.period.name}"
    return who


def caption(tx: Texts, kind: str, built: Built) -> str:
    return tx("reports.caption", report=kind_name(tx, kind), details=quote(details(tx, built)))


def sent(tx: Texts, kind: str, class_id: int, built: Built, back_cls: int) -> Screen:
    """After a report was sent: the same report for another month or period."""
    text = tx("reports.sent", report=kind_name(tx, kind), details=quote(details(tx, built)))
    choices: list[tuple[int, str]] = []
    if built.month is not None:
        text += "\n" + tx("reports.other_month")
        choices = [
            (m.toordinal(), ("• " if m == built.month else "") + tx(f"report.month.{m.month}"))
            for m in built.months
        ]
    elif built.period is not None and built.periods:
        text += "\n" + tx("reports.other_period")
        choices = [
            (p.id, ("• " if p.id == built.period.id else "") + p.name) for p in built.periods
        ]
    buttons = [
        Button(label, ReportCb(kind=kind, cls=class_id, when=when)) for when, label in choices
    ]
    rows: list[Row] = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    rows.append([Button(tx("reports.back"), ReportCb(cls=back_cls))])
    return Screen(text, rows)
