"""Parents and pupils: marks with plain and weighted averages, absences, homework for the
next school day (R16), a child switcher, and a parent's notification settings. Pupils
only view, and only themselves (R1); parents see nothing before consent (R19)."""

from __future__ import annotations

from datetime import date, time, timedelta

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot import keyboards
from bot.actions import ChildCb, FamilyCb, FamilyView, PrefCb
from bot.filters import FamilyOnly, on
from bot.handlers.start import send_menu
from bot.render import h, inline_button, show
from bot.screens.common import children
from core import accounts, friday_round, lessons, marks, periods
from core.access import Actor
from core.accounts import PupilRef, Session
from core.clock import local_today
from core.journal import Journal
from core.models import AbsenceReason, BindingRole, Presence
from core.people import gender
from core.periods import PeriodView
from core.rules import grade_has_marks
from notifications.rules import NotificationRules
from texts import Texts

RECENT = 5


def fmt_avg(value: object) -> str:
    return "—" if value is None else str(value).replace(".", ",")


async def _gate(
    target: Message | CallbackQuery, session: Session, journal: Journal, tx: Texts
) -> bool:
    """Nothing is shown before a parent's consent (R19); nothing without a child."""
    if session.consent_needed or session.pupil is None:
        if session.pupil is None:
            await show(target, tx("family.no_children"))
        else:
            await send_menu(target, session, journal, tx)
        return False
    return True


async def _markup(session: Session, journal: Journal, tx: Texts) -> InlineKeyboardMarkup:
    markup = keyboards.family_back(tx)
    if session.actor and session.actor.role is BindingRole.PARENT:
        kids = await accounts.children(journal, session.actor)
        if len(kids) > 1:
            markup.inline_keyboard.insert(
                0,
                [
                    inline_button(b)
                    for b in children(kids, session.pupil.id if session.pupil else None)
                ],
            )
    return markup


def pupil_header(tx: Texts, pupil: PupilRef) -> str:
    """Every screen says whose data it shows."""
    return tx("family.whose", name=h(pupil.full_name), cls=pupil.class_name)


# --- marks -------------------------------------------------------------------------------------


async def marks_command(message: Message, session: Session, journal: Journal, tx: Texts) -> None:
    await show_marks(message, session, journal, tx)


async def marks_button(query: CallbackQuery, session: Session, journal: Journal, tx: Texts) -> None:
    await show_marks(query, session, journal, tx)


async def show_marks(
    target: Message | CallbackQuery, session: Session, journal: Journal, tx: Texts
) -> None:
    if not await _gate(target, session, journal, tx):
        return
    assert session.actor and session.pupil
    text = await marks_text(journal, session.actor, session.pupil, tx)
    await show(target, text, await _markup(session, journal, tx))


async def this_period(journal: Journal, actor: Actor) -> tuple[date, date, PeriodView | None]:
    """From the current period's first day (or 30 days back in holidays) until today."""
    today = local_today(journal.clock, journal.rules.timezone)
    period = await periods.current_period(journal, actor.school_id, today)
    return (period.starts_on if period else today - timedelta(days=30)), today, period


async def marks_text(journal: Journal, actor: Actor, pupil: PupilRef, tx: Texts) -> str:
    """A pupil's marks this period: recent ones, then per subject with plain and weighted
    averages and the final mark. Shared by parents, pupils and the class teacher."""
    start, today, period = await this_period(journal, actor)
    subjects = await marks.pupil_marks(
        journal, actor, pupil.id, start, today, period.id if period else None
    )
    lines = [pupil_header(tx, pupil)]
    if period:
        lines.append(tx("family.period", period=h(period.name)))
    if not grade_has_marks(pupil.grade):  # R12
        lines.append(tx("family.grade1_no_marks"))
    recent = sorted(
        ((m, subj.subject) for subj in subjects for m in subj.marks),
        key=lambda pair: (pair[0].date, pair[0].id),
        reverse=True,
    )[:RECENT]
    if recent:
        lines.append("")
        lines.append(tx("family.recent"))
        for m, subject in recent:
            lines.append(f"{m.date:%d.%m} {h(subject)}: <b>{m.value}</b> ({h(m.work_type)})")
    if subjects:
        lines.append("")
        lines.append(tx("family.by_subject"))
        for subj in subjects:
            values = " ".join(str(m.value) for m in subj.marks) or "—"
            line = tx(
                "family.subject_line",
                subject=h(subj.subject),
                marks=values,
                avg=fmt_avg(subj.average),
                wavg=fmt_avg(subj.weighted_average),
            )
            if subj.final:
                line += " · " + tx("family.final", value=subj.final)
            lines.append(line)
    elif grade_has_marks(pupil.grade):
        lines.append(tx("family.no_marks"))
    return "\n".join(lines)


# --- absences ----------------------------------------------------------------------------------


async def absences_command(message: Message, session: Session, journal: Journal, tx: Texts) -> None:
    await show_absences(message, session, journal, tx)


async def absences_button(
    query: CallbackQuery, session: Session, journal: Journal, tx: Texts
) -> None:
    await show_absences(query, session, journal, tx)


async def show_absences(
    target: Message | CallbackQuery, session: Session, journal: Journal, tx: Texts
) -> None:
    if not await _gate(target, session, journal, tx):
        return
    assert session.actor and session.pupil
    text = await absences_text(journal, session.actor, session.pupil, tx)
    await show(target, text, await _markup(session, journal, tx))


_ABSENT_KEY = {
    "m": "family.absent_lessons",
    "f": "family.absent_lessons_f",
    None: "family.absent_lessons_n",
}


async def absences_text(journal: Journal, actor: Actor, pupil: PupilRef, tx: Texts) -> str:
    start, today, _ = await this_period(journal, actor)
    rows = await friday_round.pupil_absences(journal, actor, pupil.id, start, today)
    lines = [pupil_header(tx, pupil)]
    if not rows:
        lines.append(tx("family.no_absences"))
    by_day: dict[date, list[friday_round.AbsenceEntry]] = {}
    for row in rows:
        by_day.setdefault(row.date, []).append(row)
    for day, entries in by_day.items():
        absent = [e for e in entries if e.status is Presence.ABSENT]
        late = [e for e in entries if e.status is Presence.LATE]
        parts = []
        if absent:
            parts.append(
                tx(
                    _ABSENT_KEY[gender(pupil.full_name)],
                    count=len(absent),
                    lessons=", ".join(str(e.lesson_no) for e in absent),
                    reason=tx(f"reason.{absent[0].reason.value}"),
                )
            )
        if late:
            parts.append(
                tx("family.late_lessons", lessons=", ".join(str(e.lesson_no) for e in late))
            )
        lines.append(f"{day:%d.%m}: " + "; ".join(parts))
    if rows:
        absent_rows = [r for r in rows if r.status is Presence.ABSENT]
        unexcused = [r for r in absent_rows if r.reason is AbsenceReason.UNEXCUSED]
        lines.append(tx("family.absence_total", total=len(absent_rows), unexcused=len(unexcused)))
    return "\n".join(lines)


# --- homework ----------------------------------------------------------------------------------


async def homework_command(message: Message, session: Session, journal: Journal, tx: Texts) -> None:
    await show_homework(message, session, journal, tx)


async def homework_button(
    query: CallbackQuery, session: Session, journal: Journal, tx: Texts
) -> None:
    await show_homework(query, session, journal, tx)


async def show_homework(
    target: Message | CallbackQuery, session: Session, journal: Journal, tx: Texts
) -> None:
    if not await _gate(target, session, journal, tx):
        return
    assert session.actor and session.pupil
    today = local_today(journal.clock, journal.rules.timezone)
    day_lessons = await lessons.next_school_day_lessons(
        journal, session.actor, session.pupil.id, today
    )
    lines = [pupil_header(tx, session.pupil)]
    if not day_lessons:
        lines.append(tx("family.no_school_days"))
    else:
        lines.append(tx("family.homework_for", day=f"{day_lessons[0].date:%d.%m.%Y}"))
        for x in day_lessons:
            none = "—" if grade_has_marks(x.grade) else tx("family.grade1_no_homework")  # R12
            hw = x.homework or none
            lines.append(f"{x.lesson_no}. {h(x.subject)}: {h(hw)}")
    await show(target, "\n".join(lines), await _markup(session, journal, tx))


# --- child switcher and settings ---------------------------------------------------------------


async def switch_child(
    query: CallbackQuery, callback_data: ChildCb, session: Session, journal: Journal, tx: Texts
) -> None:
    assert session.actor is not None
    await accounts.switch_pupil(journal, session.actor, query.from_user.id, callback_data.pupil)
    session = await accounts.open_session(
        journal, query.from_user.id, query.from_user.id, query.from_user.language_code
    )
    await show_marks(query, session, journal, tx)


async def settings_screen(
    query: CallbackQuery,
    session: Session,
    journal: Journal,
    tx: Texts,
    notification_rules: NotificationRules,
) -> None:
    assert session.actor is not None
    prefs = await accounts.get_prefs(journal, session.actor)
    await show_prefs(query, prefs, tx, notification_rules)


async def show_prefs(
    query: CallbackQuery, prefs: accounts.Prefs, tx: Texts, rules: NotificationRules
) -> None:
    school_hour = (prefs.school_time or rules.digest_time).hour
    hour = prefs.digest_time.hour if prefs.digest_time else school_hour
    await show(query, tx("prefs.title", hour=hour), keyboards.prefs(tx, prefs, school_hour))


async def change_pref(
    query: CallbackQuery,
    callback_data: PrefCb,
    session: Session,
    journal: Journal,
    tx: Texts,
    notification_rules: NotificationRules,
) -> None:
    assert session.actor is not None
    current = await accounts.get_prefs(journal, session.actor)
    if callback_data.what == "d":
        prefs = await accounts.set_prefs(
            journal, session.actor, digest_enabled=not current.digest_enabled
        )
    elif callback_data.what == "a":
        prefs = await accounts.set_prefs(
            journal, session.actor, absence_alerts=not current.absence_alerts
        )
    else:
        if not 0 <= callback_data.hour <= 23:
            return
        prefs = await accounts.set_prefs(
            journal, session.actor, digest_time=time(callback_data.hour)
        )
    await show_prefs(query, prefs, tx, notification_rules)


def build() -> Router:
    router = Router(name="family")
    router.message.filter(FamilyOnly())
    router.callback_query.filter(FamilyOnly())
    router.message.register(marks_command, Command("marks"))
    router.callback_query.register(marks_button, on(FamilyCb, F.view == FamilyView.MARKS))
    router.message.register(absences_command, Command("absences"))
    router.callback_query.register(absences_button, on(FamilyCb, F.view == FamilyView.ABSENCES))
    router.message.register(homework_command, Command("homework"))
    router.callback_query.register(homework_button, on(FamilyCb, F.view == FamilyView.HOMEWORK))
    router.callback_query.register(switch_child, on(ChildCb))
    router.callback_query.register(settings_screen, on(FamilyCb, F.view == FamilyView.SETTINGS))
    router.callback_query.register(change_pref, on(PrefCb))
    return router
