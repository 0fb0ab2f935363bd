"""A parent warns of a child's absence in advance (issue 13): which child, which days or
lessons, the category, the summary (a comment may be typed; no diagnoses), the warnings
given and their withdrawal. Every step's button carries the whole choice so far."""

from __future__ import annotations

from datetime import date

from bot.actions import PlanCb
from bot.screen import Button, Row, Screen, quote
from bot.screens.nav import day_title, menu_row
from core.accounts import PupilRef
from core.models import AbsenceReason
from core.planned import Plan, PlanChoices, PlanDay
from texts import Texts

CODES = {
    "i": AbsenceReason.ILLNESS,
    "f": AbsenceReason.PARENT_STATEMENT,  # family circumstances: the parent's statement
    "o": AbsenceReason.OTHER_EXCUSED,
}
CODE_OF = {reason: code for code, reason in CODES.items()}
DAYS_PER_ROW = 3
MAX_LESSON = 30  # lesson numbers a mask holds (bit n: lesson n)


def _day(tx: Texts, day: date) -> str:
    return f"{tx(f'wd.{day.isoweekday()}')} {day:%d.%m}"


def lessons_of(mask: int) -> tuple[int, ...]:
    return tuple(n for n in range(1, MAX_LESSON + 1) if mask & (1 << n))


def children(tx: Texts, kids: list[PupilRef]) -> Screen:
    rows = [[Button(f"{k.full_name} ({k.class_name})", PlanCb(act="d", pupil=k.id))] for k in kids]
    return Screen(tx("planned.who"), [*rows, menu_row(tx)])


def days(tx: Texts, choices: PlanChoices) -> Screen:
    """Today, tomorrow (when they have lessons still ahead), some days, some lessons, the
    warnings given."""
    pupil, today = choices.pupil_id, choices.today
    rows: list[Row] = []
    quick = []
    for key, day in (
        ("planned.today", today),
        ("planned.tomorrow", date.fromordinal(today.toordinal() + 1)),
    ):
        if choices.day(day) is not None:
            quick.append(
                Button(
                    tx(key),
                    PlanCb(act="r", pupil=pupil, first=day.toordinal(), last=day.toordinal()),
                )
            )
    if quick:
        rows.append(quick)
    if choices.days:
        rows.append([Button(tx("planned.some_days"), PlanCb(act="f", pupil=pupil))])
        rows.append([Button(tx("planned.some_lessons"), PlanCb(act="o", pupil=pupil))])
    rows.append([Button(tx("planned.list"), PlanCb(act="ls", pupil=pupil))])
    text = tx("planned.when", name=quote(choices.pupil_name))
    if not choices.days:
        text += "\n" + tx("planned.no_days")
    return Screen(text, [*rows, menu_row(tx)])


def _day_rows(tx: Texts, found: list[PlanDay], action: PlanCb, field: str) -> list[Row]:
    buttons = [
        Button(_day(tx, d.day), action.model_copy(update={field: d.day.toordinal()})) for d in found
    ]
    return [buttons[i : i + DAYS_PER_ROW] for i in range(0, len(buttons), DAYS_PER_ROW)]


def _back(tx: Texts, pupil: int) -> Row:
    return [Button(tx("nav.back"), PlanCb(act="d", pupil=pupil))]


def first_day(tx: Texts, choices: PlanChoices) -> Screen:
    action = PlanCb(act="t", pupil=choices.pupil_id)
    rows = _day_rows(tx, choices.days, action, "first")
    return Screen(
        tx("planned.from", name=quote(choices.pupil_name)), [*rows, _back(tx, choices.pupil_id)]
    )


def last_day(tx: Texts, choices: PlanChoices, first: date) -> Screen:
    later = [d for d in choices.days if d.day >= first]
    action = PlanCb(act="r", pupil=choices.pupil_id, first=first.toordinal())
    rows = _day_rows(tx, later, action, "last")
    text = tx("planned.to", name=quote(choices.pupil_name), first=_day(tx, first))
    return Screen(text, [*rows, _back(tx, choices.pupil_id)])


def lesson_day(tx: Texts, choices: PlanChoices) -> Screen:
    action = PlanCb(act="l", pupil=choices.pupil_id)
    rows = _day_rows(tx, choices.days, action, "first")
    text = tx("planned.which_day", name=quote(choices.pupil_name))
    return Screen(text, [*rows, _back(tx, choices.pupil_id)])


def lessons(tx: Texts, choices: PlanChoices, day: PlanDay, mask: int) -> Screen:
    """Each lesson of the day not begun yet, ticked or not; «Далее» once one is."""
    pupil, ordinal = choices.pupil_id, day.day.toordinal()
    rows: list[Row] = []
    for lesson in day.lessons:
        if lesson.started or lesson.no > MAX_LESSON:
            continue
        ticked = bool(mask & (1 << lesson.no))
        label = f"{'☑️' if ticked else '▫️'} {lesson.no}. {lesson.subject}"
        toggled = mask ^ (1 << lesson.no)
        rows.append(
            [Button(label, PlanCb(act="l", pupil=pupil, first=ordinal, last=ordinal, mask=toggled))]
        )
    if mask:
        rows.append(
            [
                Button(
                    tx("planned.next"),
                    PlanCb(act="r", pupil=pupil, first=ordinal, last=ordinal, mask=mask),
                )
            ]
        )
    text = tx("planned.which_lessons", name=quote(choices.pupil_name), day=day_title(tx, day.day))
    return Screen(text, [*rows, _back(tx, pupil)])


def when_text(tx: Texts, first: date, last: date, lessons: tuple[int, ...] | None) -> str:
    if lessons:
        return tx("planned.on_lessons", day=_day(tx, first), lessons=", ".join(map(str, lessons)))
    if first == last:
        return tx("planned.on_day", day=_day(tx, first))
    return tx("planned.on_days", first=_day(tx, first), last=_day(tx, last))


def reasons(tx: Texts, action: PlanCb, name: str) -> Screen:
    first, last = date.fromordinal(action.first), date.fromordinal(action.last)
    when = when_text(tx, first, last, lessons_of(action.mask) or None)
    rows = [
        [
            Button(
                tx(f"planned.reason_{code}"), action.model_copy(update={"act": "c", "reason": code})
            )
        ]
        for code in CODES
    ]
    text = tx("planned.why", name=quote(name), when=when)
    return Screen(text, [*rows, _back(tx, action.pupil)])


def summary(tx: Texts, action: PlanCb, name: str, note: str | None) -> Screen:
    """What will be sent, and the prompt for a comment (optional; no diagnoses)."""
    first, last = date.fromordinal(action.first), date.fromordinal(action.last)
    lines = [
        tx(
            "planned.summary",
            name=quote(name),
            when=when_text(tx, first, last, lessons_of(action.mask) or None),
        ),
        tx("planned.category", reason=tx(f"planned.reason_{action.reason}")),
    ]
    if note:
        lines.append(tx("planned.note_line", note=quote(note)))
    lines += ["", tx("planned.ask_note")]
    rows = [
        [Button(tx("planned.confirm"), action.model_copy(update={"act": "y"}))],
        [Button(tx("planned.cancel"), PlanCb(act="d", pupil=action.pupil))],
    ]
    return Screen("\n".join(lines), rows)


def plan_line(tx: Texts, plan: Plan) -> str:
    when = when_text(tx, plan.first_day, plan.last_day, plan.lessons)
    line = tx(
        "planned.item",
        when=when,
        reason=tx(f"planned.reason_{CODE_OF[plan.reason]}"),
        parent=quote(plan.reported_by),
    )
    if plan.note:
        line += "\n" + tx("planned.note_line", note=quote(plan.note))
    return line


def saved(tx: Texts, plan: Plan, created: bool) -> Screen:
    head = tx("planned.saved" if created else "planned.already", name=quote(plan.pupil_name))
    rows = [[Button(tx("planned.list"), PlanCb(act="ls", pupil=plan.pupil_id))], menu_row(tx)]
    return Screen(head + "\n" + plan_line(tx, plan) + "\n\n" + tx("planned.saved_hint"), rows)


def plans(tx: Texts, pupil: int, name: str, found: list[Plan], note: str = "") -> Screen:
    """The child's warnings not over yet, each withdrawable until its first lesson."""
    lines = [note] if note else []
    lines.append(tx("planned.list_title", name=quote(name)))
    if not found:
        lines.append(tx("planned.none"))
    rows: list[Row] = []
    for plan in found:
        lines += ["", plan_line(tx, plan)]
        if plan.withdrawable:
            label = tx("planned.withdraw", when=_day(tx, plan.first_day))
            rows.append([Button(label, PlanCb(act="x", pupil=pupil, plan=plan.id))])
    rows.append([Button(tx("planned.new"), PlanCb(act="d", pupil=pupil))])
    return Screen("\n".join(lines), [*rows, menu_row(tx)])
