"""Reports sent as documents (R9, R18, R21): the overseers every class, a class teacher
her own (core decides). The screens are in ``bot/screens/reports.py``."""

from __future__ import annotations

from datetime import date, timedelta

from aiogram import Bot, F, Router
from aiogram.enums import ChatAction
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot import screens
from bot.actions import ReportCb
from bot.screens.reports import KINDS, Built
from bot.telegram.filters import StaffOnly, on
from bot.telegram.middlewares import CallbackAnswer
from bot.telegram.render import show
from core import periods
from core import reports as reporting
from core.access import Actor
from core.clock import local_today
from core.errors import NotAllowed, NotFound
from core.journal import Journal
from reports import statement, xlsx
from texts import Texts

NEEDS_CLASS = frozenset("masv")
MONTHLY = frozenset("mv")
BY_PERIOD = frozenset("asnfd")
MONTHS_OFFERED = 4
PERIODS_OFFERED = 4


async def reports_menu(
    query: CallbackQuery, callback_data: ReportCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    classes = dict(await reporting.report_classes(journal, actor))  # core: who may see
    if callback_data.cls and callback_data.cls not in classes:
        raise NotAllowed()
    name = classes.get(callback_data.cls)
    await show(query, screens.reports.menu(tx, callback_data.cls, name))


async def report(
    query: CallbackQuery,
    callback_data: ReportCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    bot: Bot,
    callback_answer: CallbackAnswer,
) -> None:
    """Pick a report → (a class) → the current month or period: sent as a document."""
    kind = callback_data.kind
    if kind not in KINDS:
        raise NotFound()
    classes = dict(await reporting.report_classes(journal, actor))
    if kind in NEEDS_CLASS and not callback_data.cls:
        await show(query, screens.reports.pick_class(tx, kind, list(classes.items())))
        return
    assert isinstance(query.message, Message)
    await bot.send_chat_action(query.message.chat.id, ChatAction.UPLOAD_DOCUMENT)
    built = await _build(
        journal, actor, tx.lang, kind, callback_data.cls, callback_data.when, classes
    )
    if isinstance(built, str):  # nothing to report: a short answer instead
        callback_answer.text = tx(built)
        callback_answer.show_alert = True
        return
    await query.message.answer_document(
        BufferedInputFile(built.data, filename=built.name),
        caption=screens.reports.caption(tx, kind, built),
    )
    back = callback_data.cls if not actor.oversees_school else 0
    await show(query, screens.reports.sent(tx, kind, callback_data.cls, built, back))


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


def build() -> Router:
    router = Router(name="reports")
    router.message.filter(StaffOnly())
    router.callback_query.filter(StaffOnly())
    # Core decides: the overseers every class, a class teacher their own.
    router.callback_query.register(reports_menu, on(ReportCb, F.kind == ""))
    router.callback_query.register(report, on(ReportCb, F.kind != ""))
    return router
