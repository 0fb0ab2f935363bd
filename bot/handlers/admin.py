"""The school's administration in the bot (issue 5): the roster sent as a document (all or
nothing, progress shown in one message) and the cards of the pupils it added (R2), reports
sent as documents (R9, R18, R21), voiding what a compromised account did (R3), closing /
reopening reporting periods (R10) and the school's rules: deadline and edit window (R7, R8).

Thin: core decides who may do what, so a forged button changes nothing."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message

from bot import keyboards
from bot.callbacks import AdminCb, CardsCb, PeriodCb, ReportCb, RevertCb, RulesCb
from bot.filters import StaffOnly
from bot.handlers.staff import send_codes
from bot.middlewares import CallbackAnswer
from bot.render import h, show, split_text
from bot.storage import side_slot
from core import invitations, periods, reporting, revert, roster, schools
from core.access import Actor
from core.clock import at_local, local_today
from core.errors import ImportFailed, InvalidValue, NotAllowed, NotFound
from core.journal import Journal
from core.models import BindingRole, StaffRole
from core.periods import PeriodView
from core.roster_format import sheet_titles
from core.schools import SchoolSettings
from notifications.revocations import announce_revert
from reports import statement, xlsx
from reports.roster_template import roster_template
from texts import Texts
from texts.revert import render

log = logging.getLogger(__name__)

ADMINS = (StaffRole.ADMIN, StaffRole.DIRECTOR)
OVERSEERS = (StaffRole.ADMIN, StaffRole.DIRECTOR, StaffRole.DEPUTY)


def _tz(journal: Journal) -> ZoneInfo:
    return journal.rules.timezone


def _today(journal: Journal) -> date:
    return local_today(journal.clock, _tz(journal))


def _day(day: date) -> str:
    return f"{day:%d.%m.%Y}"


async def show_long(
    target: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """``show`` for a text that may exceed one message: the rest follows in new messages,
    the keyboard under the last one."""
    parts = split_text(text)
    if len(parts) == 1:
        await show(target, text, markup)
        return
    await show(target, parts[0])
    message = target.message if isinstance(target, CallbackQuery) else target
    assert isinstance(message, Message)
    for n, part in enumerate(parts[1:], start=2):
        await message.answer(part, reply_markup=markup if n == len(parts) else None)


# --- the roster sent as a document -----------------------------------------------------------

ROSTER_MAX_MB = 10  # a school of a thousand pupils is well under 1 MB
ROSTER_SUFFIXES = (".xlsx", ".zip")
PROGRESS_EVERY = 1.0  # seconds: at most one edit of the progress message a second


class ProgressMessage:
    """One message edited while a long job runs: at most one edit a second, and the job
    never waits for Telegram (it may hold a database transaction): edits run aside."""

    def __init__(self, message: Message, text: Callable[[str], str]) -> None:
        self.message = message
        self.text = text  # stage → the message's text
        self.last = time.monotonic()
        self.task: asyncio.Task[None] | None = None

    async def stage(self, stage: str) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_EVERY or (self.task is not None and not self.task.done()):
            return
        self.last = now
        self.task = asyncio.create_task(self._edit(self.text(stage)))

    async def _edit(self, text: str) -> None:
        with contextlib.suppress(TelegramAPIError):
            await self.message.edit_text(text)

    async def finish(self, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        """The message becomes the answer (the rest, if long, follows; the keyboard goes
        under the last part)."""
        if self.task is not None:
            await self.task
        parts = split_text(text)
        await self.message.edit_text(parts[0], reply_markup=markup if len(parts) == 1 else None)
        for n, part in enumerate(parts[1:], start=2):
            await self.message.answer(part, reply_markup=markup if n == len(parts) else None)


async def roster_help(query: CallbackQuery, actor: Actor, tx: Texts) -> None:
    roster.ensure_may_import(actor)
    text = tx(
        "roster.help",
        required=sheet_titles(required=True),
        optional=sheet_titles(required=False),
    )
    await show(query, text, keyboards.roster_help(tx))


async def roster_template_file(
    query: CallbackQuery, actor: Actor, journal: Journal, tx: Texts, bot: Bot
) -> None:
    """The blank roster workbook, the same as ``journal template`` writes, as a document."""
    roster.ensure_may_import(actor)
    assert isinstance(query.message, Message)
    await bot.send_chat_action(query.message.chat.id, ChatAction.UPLOAD_DOCUMENT)
    data = await asyncio.to_thread(roster_template, _today(journal), tx.lang)
    await query.message.answer_document(
        BufferedInputFile(data, filename=tx("roster.template_file")),
        caption=tx("roster.template_caption"),
    )


async def roster_document(
    message: Message, actor: Actor, journal: Journal, tx: Texts, bot: Bot, state: FSMContext
) -> None:
    """The admin sends the roster workbook: download, import all or nothing, and answer
    with the summary or every problem (sheet, row, column); the pupils it added are
    named, with a button for their (and their parents') invitation cards."""
    roster.ensure_may_import(actor)  # before downloading anything
    document = message.document
    assert document is not None
    name = document.file_name or "document"
    if not name.lower().endswith(ROSTER_SUFFIXES):
        await message.answer(tx("roster.not_xlsx"))
        return
    size = document.file_size or 0
    if size > ROSTER_MAX_MB * 1024 * 1024:
        await message.answer(
            tx("roster.too_big", size=f"{size / 1024 / 1024:.1f}", limit=ROSTER_MAX_MB)
        )
        return
    shown = h(name)
    first = await message.answer(tx("roster.stage.download", file=shown))
    progress = ProgressMessage(first, lambda stage: tx(f"roster.stage.{stage}", file=shown))
    try:
        data = await bot.download(document, destination=io.BytesIO())
        assert isinstance(data, io.BytesIO)
        summary = await roster.import_for_school(
            journal, actor, data.getvalue(), name, progress=progress.stage
        )
    except ImportFailed as failed:
        lines = [tx("roster.failed", file=shown, count=len(failed.problems))]
        lines += [f"• {h(problem.render(tx.lang))}" for problem in failed.problems]
        lines += [h(line) for line in roster.warning_lines(failed.warnings, tx.lang)]
        await progress.finish("\n".join(lines))
        return
    except Exception:  # the progress message always ends with a result
        log.exception("roster upload %r failed", name)
        await progress.finish(tx("roster.failed_unexpected", file=shown))
        return
    lines = [tx("roster.done", file=shown)] + [h(line) for line in summary.lines(tx.lang)]
    added = summary.added_pupils
    markup = None
    if added:
        lines.append(tx("roster.added_pupils", count=len(added)))
        lines += [f"• {h(p.full_name)}, {h(p.class_name)}" for p in added[:ADDED_SHOWN]]
        if len(added) > ADDED_SHOWN:
            lines.append(tx("roster.added_more", count=len(added) - ADDED_SHOWN))
        if len(added) <= NEW_CARDS_MAX:
            token = await remember_added(state, [p.id for p in added])
            markup = keyboards.new_pupil_cards(tx, token, len(added))
        else:  # a whole school's first upload: the cards go class by class
            lines.append(tx("roster.cards_by_class"))
    await progress.finish("\n".join(lines), markup)


# --- the cards of the pupils an import added (R2: a new pupil gets their cards at once) ------

ADDED_SHOWN = 30  # names listed under the summary; the cards cover them all
NEW_CARDS_MAX = 100  # more pupils (a first upload): by class, not one PDF and 100s of links
CARDS_SLOT = "cards"  # the pupils of the chat's last imports, kept aside from conversations
IMPORTS_KEPT = 3


async def remember_added(state: FSMContext, pupil_ids: list[int]) -> int:
    """Keep the pupils an import added for the cards button; the token naming the import
    is its first new pupil's id (ids are never reused)."""
    token = min(pupil_ids)
    slot = side_slot(state, CARDS_SLOT)
    kept = [i for i in (await slot.get_data()).get("imports", []) if i[0] != token]
    await slot.set_data({"imports": [*kept[-(IMPORTS_KEPT - 1) :], [token, pupil_ids]]})
    return token


async def new_pupil_cards(
    query: CallbackQuery,
    callback_data: CardsCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    bot: Bot,
    state: FSMContext,
) -> None:
    """Codes for the new pupils and their parents not yet in the bot: the printable cards,
    then the links (core checks that the actor may issue each one)."""
    imports = (await side_slot(state, CARDS_SLOT).get_data()).get("imports", [])
    pupil_ids = next((ids for token, ids in imports if token == callback_data.token), None)
    if pupil_ids is None:
        raise NotFound("error.cards_gone")
    assert isinstance(query.message, Message)
    await bot.send_chat_action(query.message.chat.id, ChatAction.UPLOAD_DOCUMENT)
    result = await invitations.issue_for_pupils(
        journal, actor, pupil_ids, {BindingRole.PARENT, BindingRole.PUPIL}
    )
    await send_codes(query, result, actor, journal, tx, bot)


# --- reports as documents (R9, R18, R21) -------------------------------------------------------

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
NEEDS_CLASS = frozenset("masv")
MONTHLY = frozenset("mv")
BY_PERIOD = frozenset("asnfd")
MONTHS_OFFERED = 4
PERIODS_OFFERED = 4


def _kind_name(tx: Texts, kind: str) -> str:
    return tx(f"report.kind.{KINDS[kind]}")


def _month_name(tx: Texts, month: date) -> str:
    return tx("report.month_year", month=tx(f"report.month.{month.month}"), year=month.year)


async def reports_menu(
    query: CallbackQuery, callback_data: ReportCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    classes = dict(await reporting.report_classes(journal, actor))  # core: who may see
    names = {kind: _kind_name(tx, kind) for kind in KINDS}
    if callback_data.cls:
        if callback_data.cls not in classes:
            raise NotAllowed()
        title = tx("reports.title_class", cls=h(classes[callback_data.cls]))
    else:
        title = tx("reports.title")
    await show(query, title, keyboards.report_kinds(tx, callback_data.cls, names))


@dataclass
class Built:
    name: str
    data: bytes
    details: str  # for the caption: the class and the month or period
    choices: list[tuple[int, str]]  # other months or periods: (when, label)
    choices_title: str


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
    title = _kind_name(tx, kind)
    if kind in NEEDS_CLASS and not callback_data.cls:
        await show(
            query,
            tx("reports.pick_class", report=title),
            keyboards.report_classes(tx, kind, list(classes.items())),
        )
        return
    assert isinstance(query.message, Message)
    await bot.send_chat_action(query.message.chat.id, ChatAction.UPLOAD_DOCUMENT)
    built = await _build(journal, actor, tx, kind, callback_data.cls, callback_data.when, classes)
    if isinstance(built, str):
        callback_answer.text = built
        callback_answer.show_alert = True
        return
    await query.message.answer_document(
        BufferedInputFile(built.data, filename=built.name),
        caption=tx("reports.caption", report=title, details=h(built.details)),
    )
    text = tx("reports.sent", report=title, details=h(built.details))
    if built.choices:
        text += "\n" + built.choices_title
    back = callback_data.cls if not actor.oversees_school else 0
    await show(
        query, text, keyboards.report_after(tx, kind, callback_data.cls, built.choices, back)
    )


async def _build(
    journal: Journal,
    actor: Actor,
    tx: Texts,
    kind: str,
    class_id: int,
    when: int,
    classes: dict[int, str],
) -> Built | str:
    """The report's file; a string is a short message instead (nothing to report)."""
    lang = tx.lang
    today = _today(journal)
    cls = class_id or None
    if class_id and class_id not in classes:
        raise NotAllowed()
    if cls:
        who = classes[class_id]
    elif actor.oversees_school:
        who = tx("reports.whole_school")
    else:
        who = ", ".join(classes.values())
    if kind in MONTHLY:
        month = date.fromordinal(when).replace(day=1) if when > 0 else today.replace(day=1)
        if kind == "m":
            name, data = await xlsx.attendance_month_xlsx(journal, actor, class_id, month, lang)
        else:
            if not await reporting.opted_out_pupils(journal, actor, class_id):
                return tx("statement.none")
            name, data = await statement.class_statements_pdf(journal, actor, class_id, month, lang)
        months = [today.replace(day=1)]
        while len(months) < MONTHS_OFFERED:
            months.insert(0, (months[0] - timedelta(days=1)).replace(day=1))
        choices = [
            (m.toordinal(), ("• " if m == month else "") + tx(f"report.month.{m.month}"))
            for m in months
        ]
        return Built(
            name, data, f"{who}, {_month_name(tx, month)}", choices, tx("reports.other_month")
        )
    if kind in BY_PERIOD:
        try:
            period = await reporting.find_period(journal, actor.school_id, when or None)
        except NotFound:
            return tx("reports.no_period")
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
        choices = [(p.id, ("• " if p.id == period.id else "") + p.name) for p in started]
        return Built(name, data, f"{who}, {period.name}", choices, tx("reports.other_period"))
    if kind == "p":
        name, data = await xlsx.parents_xlsx(journal, actor, cls, lang)
        return Built(name, data, who, [], "")
    try:
        year_id = await reporting.find_year(journal, actor.school_id)
    except NotFound:
        return tx("reports.no_year")
    name, data = await xlsx.audit_xlsx(journal, actor, year_id, cls, lang)
    return Built(name, data, who, [], "")


# --- a compromised account: cut it, void what it did (R3) -------------------------------------

PREVIEW_LINES = 40
ACCOUNTS_SHOWN = 90  # Telegram takes at most 100 buttons under a message
MOMENT = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[\s,]+(\d{1,2})[:.](\d{2}))?\s*$")


class RevertFlow(StatesGroup):
    since = State()  # waiting for the moment the compromise was reported


def parse_moment(text: str, tz: ZoneInfo) -> datetime | None:
    """«ДД.ММ.ГГГГ ЧЧ:ММ» (or just the date: from 00:00) in the school's time zone."""
    found = MOMENT.match(text)
    if found is None:
        return None
    day, month, year, hour, minute = found.groups()
    try:
        return datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), tzinfo=tz
        )
    except ValueError:
        return None


def _example(journal: Journal) -> str:
    return f"{journal.clock.now().astimezone(_tz(journal)):%d.%m.%Y %H:%M}"


def _moment_text(journal: Journal, moment: datetime) -> str:
    return f"{moment.astimezone(_tz(journal)):%d.%m.%Y %H:%M}"


async def revert_accounts(query: CallbackQuery, actor: Actor, journal: Journal, tx: Texts) -> None:
    rows = []
    lines = [tx("revert.choose"), ""]
    # Staff accounts: only they change the journal (a parent's voids little but the
    # reasons it suggested; ``journal revoke`` handles any binding). Two accounts of one
    # person (two phones) differ in when they were bound, the Telegram profile and the
    # last change made through them (R3).
    staff = [a for a in await revert.accounts(journal, actor) if a.role is BindingRole.STAFF]
    tz = _tz(journal)
    for no, a in enumerate(staff[:ACCOUNTS_SHOWN], start=1):
        role = tx(f"role.{a.role.value}")
        device = a.device or tx("revert.device_unknown")
        fields = {"no": no, "name": a.full_name, "role": role, "device": device}
        if a.revoked_at is None:
            label = tx("revert.account", **fields)
        else:
            label = tx("revert.account_cut", day=f"{a.revoked_at.astimezone(tz):%d.%m}", **fields)
        rows.append((a.id, label))
        lines.append(
            tx(
                "revert.account_line",
                bound=f"{a.created_at.astimezone(tz):%d.%m.%Y %H:%M}" if a.created_at else "—",
                last=f"{a.last_used_at.astimezone(tz):%d.%m.%Y %H:%M}"
                if a.last_used_at
                else tx("revert.never"),
                **{**fields, "name": h(a.full_name), "device": h(device)},
            )
        )
    await show_long(query, "\n".join(lines), keyboards.revert_accounts(tx, rows))


async def revert_start(
    query: CallbackQuery,
    callback_data: AdminCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    state: FSMContext,
) -> None:
    """Cut the binding at once, then ask since when its actions are void."""
    account = await revert.account(journal, actor, callback_data.binding)
    await invitations.revoke_binding(journal, actor, account.id, tx("revert.reason"))
    await state.set_state(RevertFlow.since)
    await state.update_data(binding=account.id)
    now = journal.clock.now()
    midnight = at_local(_today(journal), clock_time(0), _tz(journal))
    moments = [
        (tx("revert.today"), int(midnight.timestamp())),
        (tx("revert.last_day"), int((now - timedelta(days=1)).timestamp())),
        (tx("revert.last_week"), int((now - timedelta(days=7)).timestamp())),
    ]
    text = tx(
        "revert.ask_since",
        name=h(account.full_name),
        role=tx(f"role.{account.role.value}"),
        example=_example(journal),
    )
    await show(query, text, keyboards.revert_since(tx, account.id, moments))


async def revert_typed(
    message: Message, actor: Actor, journal: Journal, tx: Texts, state: FSMContext
) -> None:
    binding_id = int((await state.get_data()).get("binding", 0))
    if not binding_id:
        await state.clear()
        raise NotFound()
    moment = parse_moment(message.text or "", _tz(journal))
    if moment is None:
        await message.answer(tx("revert.bad_moment", example=_example(journal)))
        return
    if moment > journal.clock.now():
        await message.answer(tx("revert.future"))
        return
    await state.clear()
    await revert_preview(message, actor, journal, tx, binding_id, moment)


async def revert_preview_button(
    query: CallbackQuery,
    callback_data: RevertCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    state: FSMContext,
) -> None:
    await state.clear()
    since = datetime.fromtimestamp(callback_data.at, UTC)
    await revert_preview(query, actor, journal, tx, callback_data.binding, since)


async def revert_preview(
    target: Message | CallbackQuery,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    binding_id: int,
    since: datetime,
) -> None:
    account = await revert.account(journal, actor, binding_id)
    items = await revert.preview(journal, actor, binding_id, since)
    when = _moment_text(journal, since)
    if items:
        undo = sum(1 for i in items if i.verdict is revert.Verdict.REVERT)
        lines = [
            tx(
                "revert.preview",
                name=h(account.full_name),
                since=when,
                count=len(items),
                undo=undo,
            )
        ]
        lines += [h(render(revert.describe(i, _tz(journal)), tx)) for i in items[:PREVIEW_LINES]]
        if len(items) > PREVIEW_LINES:
            lines.append(tx("revert.more", count=len(items) - PREVIEW_LINES))
    else:
        lines = [tx("revert.nothing_found", since=when)]
    lines.append(tx("revert.preview_hint"))
    markup = keyboards.revert_confirm(tx, binding_id, int(since.timestamp()))
    await show_long(target, "\n".join(lines), markup)


async def revert_execute(
    query: CallbackQuery, callback_data: RevertCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    since = datetime.fromtimestamp(callback_data.at, UTC)
    summary = await revert.revert(journal, actor, callback_data.binding, since, tx("revert.reason"))
    # The owner is told on the accounts they still hold (R3).
    cut = await revert.account(journal, actor, summary.binding_id)
    await announce_revert(journal, cut, summary)
    lines = [h(render(line, tx)) for line in revert.summary_lines(summary, _tz(journal))]
    await show_long(query, "\n".join(lines), keyboards.family_back(tx))


async def revert_cancel(
    query: CallbackQuery, actor: Actor, journal: Journal, tx: Texts, state: FSMContext
) -> None:
    await state.clear()
    await show(query, tx("revert.cancelled"), keyboards.family_back(tx))


# --- reporting periods: close, reopen by the director's order (R10) ---------------------------


class PeriodFlow(StatesGroup):
    reason = State()  # waiting for the director's reason to reopen


def _span(p: PeriodView) -> dict[str, str]:
    return {"start": f"{p.starts_on:%d.%m}", "end": _day(p.ends_on)}


async def _period(journal: Journal, actor: Actor, period_id: int) -> PeriodView:
    for p in await periods.list_periods(journal, actor.school_id):
        if p.id == period_id:
            return p
    raise NotFound()


async def periods_list(query: CallbackQuery, actor: Actor, journal: Journal, tx: Texts) -> None:
    rows = await periods.list_periods(journal, actor.school_id)
    if not rows:
        await show(query, tx("periods.none"), keyboards.family_back(tx))
        return
    labels = [
        (
            p.id,
            tx(
                "periods.button_closed" if p.closed else "periods.button_open",
                name=p.name,
                **_span(p),
            ),
        )
        for p in rows
    ]
    await show(query, tx("periods.title"), keyboards.periods_list(tx, labels))


async def period_show(
    query: CallbackQuery, callback_data: PeriodCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    p = await _period(journal, actor, callback_data.period)
    await _show_period(query, actor, journal, tx, p)


async def _show_period(
    target: Message | CallbackQuery, actor: Actor, journal: Journal, tx: Texts, p: PeriodView
) -> None:
    key = "periods.card_closed" if p.closed else "periods.card_open"
    markup = keyboards.period_card(tx, p.id, p.closed, actor.has(StaffRole.DIRECTOR))
    await show(target, tx(key, name=h(p.name), **_span(p)), markup)


async def period_close(
    query: CallbackQuery,
    callback_data: PeriodCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    callback_answer: CallbackAnswer,
) -> None:
    """R10: closing before the period's last day asks first, saying so (act e: confirmed)."""
    if callback_data.act == "c":
        end = await periods.closes_early(journal, actor, callback_data.period)
        if end is not None:
            p = await _period(journal, actor, callback_data.period)
            text = tx("periods.confirm_early", name=h(p.name), end=f"{end:%d.%m.%Y}")
            await show(query, text, keyboards.period_close_early(tx, p.id))
            return
    await periods.close_period(journal, actor, callback_data.period)
    p = await _period(journal, actor, callback_data.period)
    callback_answer.text = tx("periods.closed", name=p.name)
    await _show_period(query, actor, journal, tx, p)


async def period_reopen_ask(
    query: CallbackQuery,
    callback_data: PeriodCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    state: FSMContext,
) -> None:
    p = await _period(journal, actor, callback_data.period)
    if not p.closed:
        await _show_period(query, actor, journal, tx, p)
        return
    await state.set_state(PeriodFlow.reason)
    await state.update_data(period=p.id)
    await show(query, tx("periods.ask_reason", name=h(p.name)))


async def period_reason_typed(
    message: Message, actor: Actor, journal: Journal, tx: Texts, state: FSMContext
) -> None:
    period_id = int((await state.get_data()).get("period", 0))
    if not period_id:
        await state.clear()
        raise NotFound()
    reason = (message.text or "").strip()
    try:
        periods.check_reason(reason)
    except InvalidValue as err:  # the director types again; the question still stands
        await message.answer(tx(err.key, **err.params))
        return
    await state.clear()
    await periods.reopen_period(journal, actor, period_id, reason)
    p = await _period(journal, actor, period_id)
    await message.answer(tx("periods.reopened", name=h(p.name)))
    await _show_period(message, actor, journal, tx, p)


# --- the school's rules: the same-day deadline and the edit window (R7, R8) -------------------


def _window(tx: Texts, days: int | None) -> str:
    if days is None:
        return tx("rules.window_unlimited")
    return tx("rules.window_days", days=days) if days else tx("rules.window_none")


def _window_short(tx: Texts, days: int | None) -> str:
    if days is None:
        return tx("rules.button_unlimited")
    return tx("rules.button_days", days=days) if days else tx("rules.button_none")


async def rules_show(query: CallbackQuery, actor: Actor, journal: Journal, tx: Texts) -> None:
    await _show_rules(query, actor, journal, tx, await schools.school_settings(journal, actor))


async def rules_set(
    query: CallbackQuery,
    callback_data: RulesCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    callback_answer: CallbackAnswer,
) -> None:
    """Core refuses anyone but the director and the admin, and any window not offered."""
    value = callback_data.value
    if callback_data.what == "w":
        current = await schools.set_school_rules(
            journal,
            actor,
            edit_window_days=None if value == -1 else value,
            default_edit_window=value == -1,
        )
    elif callback_data.what == "d":
        if not 0 <= value < 24 * 60:
            raise InvalidValue()
        deadline = clock_time(value // 60, value % 60)
        current = await schools.set_school_rules(journal, actor, correction_deadline=deadline)
    else:
        raise NotFound()
    callback_answer.text = tx("rules.saved")
    await _show_rules(query, actor, journal, tx, current)


async def _show_rules(
    target: CallbackQuery, actor: Actor, journal: Journal, tx: Texts, current: SchoolSettings
) -> None:
    default = journal.rules.edit_window_days
    window = _window(tx, default if current.edit_window_days is None else current.edit_window_days)
    if current.edit_window_days is None:
        window += " " + tx("rules.window_is_default")
    text = tx(
        "rules.title",
        name=h(current.name),
        deadline=f"{current.correction_deadline:%H:%M}",
        window=window,
    )
    if actor.has(*schools.RULE_SETTERS):
        markup = keyboards.school_rules(
            tx,
            current.correction_deadline,
            current.edit_window_days,
            schools.EDIT_WINDOWS,
            _window_short(tx, default),
        )
        text += "\n" + tx("rules.hint")
    else:
        markup = keyboards.family_back(tx)
    await show(target, text, markup)


def build() -> Router:
    router = Router(name="admin")
    router.message.filter(StaffOnly())
    router.callback_query.filter(StaffOnly())
    admins, overseers = StaffOnly(*ADMINS), StaffOnly(*OVERSEERS)
    # Any staff member's document reaches core, which refuses all but the admin clearly.
    router.message.register(roster_document, F.document)
    router.callback_query.register(roster_help, AdminCb.filter(F.act == "i"), admins)
    router.callback_query.register(roster_template_file, AdminCb.filter(F.act == "t"), admins)
    # Reports: core decides (the overseers every class, a class teacher their own).
    router.callback_query.register(reports_menu, ReportCb.filter(F.kind == ""))
    router.callback_query.register(report, ReportCb.filter(F.kind != ""))
    router.callback_query.register(revert_accounts, AdminCb.filter(F.act == "v"), admins)
    router.callback_query.register(revert_start, AdminCb.filter(F.act == "w"), admins)
    router.message.register(revert_typed, RevertFlow.since, F.text)
    router.callback_query.register(revert_preview_button, RevertCb.filter(F.act == "p"), admins)
    router.callback_query.register(revert_execute, RevertCb.filter(F.act == "x"), admins)
    router.callback_query.register(revert_cancel, RevertCb.filter(F.act == "c"), admins)
    router.callback_query.register(periods_list, PeriodCb.filter(F.period == 0), overseers)
    router.callback_query.register(period_show, PeriodCb.filter(F.act == "s"), overseers)
    router.callback_query.register(period_close, PeriodCb.filter(F.act.in_({"c", "e"})), overseers)
    router.callback_query.register(
        period_reopen_ask, PeriodCb.filter(F.act == "o"), StaffOnly(StaffRole.DIRECTOR)
    )
    router.message.register(period_reason_typed, PeriodFlow.reason, F.text)
    # The cards of new pupils and the school's rules: core decides who may.
    router.callback_query.register(new_pupil_cards, CardsCb.filter())
    router.callback_query.register(rules_show, RulesCb.filter(F.what == ""))
    router.callback_query.register(rules_set, RulesCb.filter(F.what != ""))
    return router
