"""Reports sent as documents (R9, R18, R21): the overseers every class, a class teacher
her own (core decides). The screens are in ``bot/screens/reports.py``."""

from __future__ import annotations

from datetime import date, timedelta

from bot import screens
from bot.actions import ReportCb
from bot.flows.routes import Routes, staff
from bot.flows.turn import Turn, actor_of
from bot.screens.reports import KINDS, Built
from core import periods
from core import reports as reporting
from core.access import Actor
from core.clock import local_today
from core.errors import NotAllowed, NotFound
from core.journal import Journal
from reports import statement, xlsx

NEEDS_CLASS = frozenset("masv")
MONTHLY = frozenset("mv")
BY_PERIOD = frozenset("asnfd")
MONTHS_OFFERED = 4
PERIODS_OFFERED = 4


async def reports_menu(turn: Turn, action: ReportCb) -> None:
    classes = dict(await reporting.report_classes(turn.journal, actor_of(turn)))  # who may see
    if action.cls and action.cls not in classes:
        raise NotAllowed()
    await turn.show(screens.reports.menu(turn.tx, action.cls, classes.get(action.cls)))


async def report(turn: Turn, action: ReportCb) -> None:
    """Pick a report → (a class) → the current month or period: sent as a document."""
    journal, actor, tx, kind = turn.journal, actor_of(turn), turn.tx, action.kind
    if kind not in KINDS:
        raise NotFound()
    classes = dict(await reporting.report_classes(journal, actor))
    if kind in NEEDS_CLASS and not action.cls:
        await turn.show(screens.reports.pick_class(tx, kind, list(classes.items())))
        return
    await turn.sending_file()
    built = await _build(journal, actor, tx.lang, kind, action.cls, action.when, classes)
    if isinstance(built, str):  # nothing to report: a short answer instead
        turn.answer(tx(built), alert=True)
        return
    await turn.send_file(built.name, built.data, screens.reports.caption(tx, kind, built))
    back = action.cls if not actor.oversees_school else 0
    await turn.show(screens.reports.sent(tx, kind, action.cls, built, back))


async def _build(
    journal: Journal,
    actor: Actor,
    lang: str,
    kind: str,
    class_id: int,
    when: int,
    classes: dict[int, str],
) -> Built | str:
    """The report's file; a string is the key of a short message instead."""
    if class_id and class_id not in classes:
        raise NotAllowed()
    if class_id:
        who: str | None = classes[class_id]
    elif actor.oversees_school:
        who = None
    else:
        who = ", ".join(classes.values())
    if kind in MONTHLY:
        return await _monthly(journal, actor, lang, kind, class_id, when, who)
    if kind in BY_PERIOD:
        return await _by_period(journal, actor, lang, kind, class_id, when, who)
    cls = class_id or None
    if kind == "p":
        name, data = await xlsx.parents_xlsx(journal, actor, cls, lang)
        return Built(name, data, who)
    try:
        year_id = await reporting.find_year(journal, actor.school_id)
    except NotFound:
        return "reports.no_year"
    name, data = await xlsx.audit_xlsx(journal, actor, year_id, cls, lang)
    return Built(name, data, who)


async def _monthly(
    journal: Journal, actor: Actor, lang: str, kind: str, class_id: int, when: int, who: str | None
) -> Built | str:
    today = local_today(journal.clock, journal.rules.timezone)
    month = date.fromordinal(when).replace(day=1) if when > 0 else today.replace(day=1)
    if kind == "m":
        name, data = await xlsx.attendance_month_xlsx(journal, actor, class_id, month, lang)
    else:
        if not await reporting.opted_out_pupils(journal, actor, class_id):
            return "statement.none"
        name, data = await statement.class_statements_pdf(journal, actor, class_id, month, lang)
    months = [today.replace(day=1)]
    while len(months) < MONTHS_OFFERED:
        months.insert(0, (months[0] - timedelta(days=1)).replace(day=1))
    return Built(name, data, who, month=month, months=months)


async def _by_period(
    journal: Journal, actor: Actor, lang: str, kind: str, class_id: int, when: int, who: str | None
) -> Built | str:
    today = local_today(journal.clock, journal.rules.timezone)
    cls = class_id or None
    try:
        period = await reporting.find_period(journal, actor.school_id, when or None)
    except NotFound:
        return "reports.no_period"
    if kind == "a":
        name, data = await xlsx.attendance_summary_xlsx(
            journal, actor, class_id, period.starts_on, period.ends_on, lang
        )
    elif kind == "s":
        name, data = await xlsx.marks_summary_xlsx(journal, actor, class_id, period.id, lang)
    elif kind == "n":
        name, data = await xlsx.accumulation_xlsx(journal, actor, period.id, cls, lang)
    elif kind == "d":  # R21: arrivals and leavers of the period, as `journal report`
        name, data = await xlsx.movement_xlsx(
            journal, actor, period.starts_on, period.ends_on, cls, lang
        )
    else:
        end = max(period.starts_on, min(period.ends_on, today))
        name, data = await xlsx.filling_xlsx(journal, actor, period.starts_on, end, cls, lang)
    started = [
        p for p in await periods.list_periods(journal, actor.school_id) if p.starts_on <= today
    ][-PERIODS_OFFERED:]
    return Built(name, data, who, period=period, periods=started)


def routes() -> Routes:
    r = Routes()
    # Core decides: the overseers every class, a class teacher their own.
    r.press(ReportCb, reports_menu, when=lambda a: a.kind == "", who=staff())
    r.press(ReportCb, report, when=lambda a: a.kind != "", who=staff())
    return r
