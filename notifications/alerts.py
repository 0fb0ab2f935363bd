"""Alerts about absences.

**Instant alert to parents** (per binding, ``NotificationPrefs.absence_alerts``). A job
runs every minute and compares each pupil's roll call today with what the parent was last
told about that day (``absence_alert_states``):

* the first absence of the day → one alert listing every lesson missed so far, so a
  morning's lessons marked within the same minute, or caught up together, are one alert;
* more lessons missed later the same day → an update listing every lesson missed so far,
  so the parent's latest message never holds a stale count (issue 9): it edits the
  message told before (the morning's alert; ``meta.edit_of``), or comes as a new message
  if that one cannot be edited (deleted, never delivered) — or, when the pupil
  was marked present (or late) at a lesson after the last announced absence and then
  absent again (left school), a follow-up alert saying so;
* a lesson the parent was told about is no longer an absence (marked present after all,
  or the mark removed) → a correction message stating the day as it now stands.

Every message gets the next version of the pupil-day for that binding, and the key
``absence:<binding>:<pupil>:<date>:v<n>``; the state moves in the same transaction as the
queueing, so nothing is said twice.

**Threshold alert to the class teacher**: a pupil with ``absence_days_threshold`` (3) or
more days this week with an absence not excused (unconfirmed or unexcused), or who
missed ``absence_month_share`` (30 %) of this month's lessons with a roll call; at most
once per pupil per week, and once per month.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions import SuggestCb
from bot.screen import Button, Row, quote
from core import alerts, recipients
from core.accounts.choices import ChildChoices
from core.alerts import AlertParent, AlertSubject, ThresholdPupil, TodayMark
from core.models import AbsenceChoice, BindingRole, Presence
from notifications.compose import day_label, first_names
from notifications.outbox import OutboxItem
from notifications.rules import NotificationRules
from texts import Texts


class AlertKind(StrEnum):
    ALERT = "absence_alert"
    FOLLOW_UP = "absence_follow_up"
    UPDATE = "absence_update"  # more lessons missed since the alert, without coming back
    CORRECTION = "absence_correction"


def decide(announced: list[int], marks: list[TodayMark]) -> AlertKind | None:
    """What a parent who was last told that ``announced`` lessons were missed today should
    hear now, given today's roll call ``marks`` (None: nothing)."""
    absent = {m.lesson_id for m in marks if m.status is Presence.ABSENT}
    told = set(announced)
    if not told:
        return AlertKind.ALERT if absent else None
    if told - absent:
        return AlertKind.CORRECTION
    added = absent - told
    if not added:
        return None
    last_told = max(m.lesson_no for m in marks if m.lesson_id in told)
    first_new = min(m.lesson_no for m in marks if m.lesson_id in added)
    came_back = any(
        m.status is not Presence.ABSENT and last_told < m.lesson_no < first_new for m in marks
    )
    return AlertKind.FOLLOW_UP if came_back else AlertKind.UPDATE


def alert_key(binding_id: int, pupil_id: int, day: date, version: int) -> str:
    return f"absence:{binding_id}:{pupil_id}:{day.isoformat()}:v{version}"


AlertState = tuple[int, int, date, int, list[int]]


async def build_absence_alerts(
    s: AsyncSession, default_tz: ZoneInfo, now: datetime
) -> tuple[list[OutboxItem], list[AlertState]]:
    """The alerts and corrections due now, and the new states to save with them."""
    items: list[OutboxItem] = []
    states: list[AlertState] = []
    catalogues: dict[str, Texts] = {}
    for whole in await alerts.alert_subjects(s, now, default_tz):
        for parent in whole.parents:
            subject, announced = as_told_to(whole, parent)
            kind = decide(announced, subject.marks)
            if kind is None:
                continue
            r = parent.recipient
            tx = catalogues.setdefault(r.language, Texts(r.language))
            version = parent.version + 1
            absent = subject.absent
            meta: dict[str, object] = {
                "pupil_id": subject.pupil_id,
                "day": subject.day.isoformat(),
                "version": version,
                "lessons": [m.lesson_id for m in absent],
            }
            if kind is AlertKind.UPDATE:  # edits the message told before (the sender)
                meta["edit_of"] = alert_key(
                    r.binding_id, subject.pupil_id, subject.day, version - 1
                )
            items.append(
                OutboxItem(
                    key=alert_key(r.binding_id, subject.pupil_id, subject.day, version),
                    chat_id=r.chat_id,
                    channel=r.channel,
                    kind=AlertKind.CORRECTION.value
                    if kind is AlertKind.CORRECTION
                    else AlertKind.ALERT.value,
                    text=render_alert(tx, kind, subject, _warned_by(whole, r.person_id)),
                    binding_id=r.binding_id,
                    buttons=_suggest_markup(tx, parent, subject) if absent else None,
                    meta=meta,
                )
            )
            states.append(
                (
                    r.binding_id,
                    subject.pupil_id,
                    subject.day,
                    version,
                    [m.lesson_id for m in absent],
                )
            )
    return items, states


_WITHOUT_REASON = ChildChoices(absences=AbsenceChoice.UNEXCUSED)


def as_told_to(subject: AlertSubject, parent: AlertParent) -> tuple[AlertSubject, list[int]]:
    """The pupil's day as this parent hears of it, and the lessons they were told of: the
    absences they warned of themselves in advance are no news to them (issue 13), so a
    day of only those brings them no alert (what else is missed still does). A parent
    who chose only absences without a reason (R16) hears of no lesson excused or warned
    of before they were told of it (one told of stays, so no correction follows)."""
    own = [w for w in subject.warnings if w.person_id == parent.recipient.person_id]
    known = {m.lesson_id for m in subject.absent if any(w.covers(m.lesson_no) for w in own)}
    if parent.absences is AbsenceChoice.UNEXCUSED:
        told = set(parent.announced)
        known |= {
            m.lesson_id
            for m in subject.absent
            if m.lesson_id not in told
            and not _WITHOUT_REASON.hears_of(
                m.reason, warned=any(w.covers(m.lesson_no) for w in subject.warnings)
            )
        }
    if not known:
        return subject, parent.announced
    marks = [m for m in subject.marks if m.lesson_id not in known]
    return replace(subject, marks=marks), [i for i in parent.announced if i not in known]


def _warned_by(subject: AlertSubject, person_id: int) -> list[str]:
    """The other parents who warned of the day in advance: the alert names them (a
    second parent who did not know learns it was expected)."""
    names = (w.full_name for w in subject.warnings if w.person_id != person_id)
    return list(dict.fromkeys(names))


def _lessons(marks: list[TodayMark]) -> str:
    return ", ".join(f"{m.lesson_no} ({quote(m.subject)})" for m in marks)


def render_alert(
    tx: Texts, kind: AlertKind, subject: AlertSubject, warned_by: list[str] | None = None
) -> str:
    params = {
        "name": quote(first_names(subject.full_name)),
        "cls": quote(subject.class_name),
        "day": day_label(tx, subject.day),
        "lessons": _lessons(subject.absent),
    }
    warned = "\n" + tx("alert.warned_by", parents=quote(", ".join(warned_by))) if warned_by else ""
    if kind is AlertKind.ALERT:
        return tx("alert.absent", **params) + warned + "\n" + tx("alert.hint")
    if kind is AlertKind.FOLLOW_UP:
        return tx("alert.absent_again", **params) + warned
    if kind is AlertKind.UPDATE:  # it replaces the alert's text: the hint stays
        return tx("alert.absent_more", **params) + warned + "\n" + tx("alert.hint")
    if subject.absent:
        return tx("alert.corrected_some", **params)
    return tx("alert.corrected_none", **params)


def _suggest_markup(tx: Texts, parent: AlertParent, subject: AlertSubject) -> list[Row] | None:
    data = SuggestCb(
        binding=parent.recipient.binding_id, pupil=subject.pupil_id, day=subject.day.toordinal()
    )
    return [[Button(tx("digest.suggest"), data.pack())]]


# --- thresholds for the class teacher ------------------------------------------------------


def week_key(binding_id: int, pupil_id: int, monday: date) -> str:
    return f"threshold:week:{binding_id}:{pupil_id}:{monday.isoformat()}"


def month_key(binding_id: int, pupil_id: int, first: date) -> str:
    return f"threshold:month:{binding_id}:{pupil_id}:{first:%Y-%m}"


async def build_thresholds(
    s: AsyncSession, rules: NotificationRules, school_id: int, day: date
) -> list[OutboxItem]:
    """Threshold alerts for the class teachers of a school, as of ``day``."""
    monday = day - timedelta(days=day.weekday())
    first = day.replace(day=1)
    weekly = await alerts.week_absence_days(s, school_id, monday, day, rules.absence_days_threshold)
    monthly = await alerts.month_absence_share(
        s,
        school_id,
        first,
        day,
        rules.absence_month_share,
        rules.absence_month_min_lessons,
    )
    teachers = await recipients.reachable(
        s, [p.class_teacher_id for p in weekly + monthly], BindingRole.STAFF
    )
    items: list[OutboxItem] = []
    for pupil in weekly:
        for r in teachers.get(pupil.class_teacher_id, []):
            tx = Texts(r.language)
            text = (
                _threshold_head(tx, pupil)
                + "\n"
                + tx(
                    "threshold.week",
                    start=f"{monday:%d.%m}",
                    end=f"{day:%d.%m}",
                    count=len(pupil.days),
                    days=", ".join(day_label(tx, d) for d in pupil.days),
                )
            )
            items.append(_threshold_item(week_key(r.binding_id, pupil.pupil_id, monday), r, text))
    for pupil in monthly:
        for r in teachers.get(pupil.class_teacher_id, []):
            tx = Texts(r.language)
            text = (
                _threshold_head(tx, pupil)
                + "\n"
                + tx(
                    "threshold.month",
                    month=f"{first:%m.%Y}",
                    share=round(100 * pupil.absent / pupil.total),
                    absent=pupil.absent,
                    total=pupil.total,
                )
            )
            items.append(_threshold_item(month_key(r.binding_id, pupil.pupil_id, first), r, text))
    return items


def _threshold_head(tx: Texts, pupil: ThresholdPupil) -> str:
    return tx(
        "threshold.title", name=quote(first_names(pupil.full_name)), cls=quote(pupil.class_name)
    )


def _threshold_item(key: str, r: recipients.Recipient, text: str) -> OutboxItem:
    return OutboxItem(
        key=key,
        chat_id=r.chat_id,
        channel=r.channel,
        kind="absence_threshold",
        text=text,
        binding_id=r.binding_id,
    )
