"""The class teacher's screens: the class's day (the journal read-only, R1), the week's
absences with one-tap reasons and the parents' suggestions (R6), both with the month's
attendance map (a picture), the pupils, the parents' e-diary opt-outs (R18) and reissuing
a card (R2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.actions import (
    ClassCb,
    ClassPupilCb,
    OptOutCb,
    ReasonCb,
    ReissueCb,
    ReportCb,
    UnreadCb,
    WeekPageCb,
)
from bot.screen import Button, Row, Screen, quote
from bot.screens.nav import day_title, menu_row
from core.accounts import GuardianLink, PupilRef
from core.classes import PupilDayAbsence
from core.friday_round import Suggestion
from core.invitations import CardHolder
from core.lessons import LessonSummary
from core.models import AbsenceReason
from core.people import short_name
from texts import Texts

WEEK_PAGE = 8  # pupil-days a screen of the week lists (5 buttons each, under Telegram's limits)
REISSUE_SHOWN = 90  # people offered for a reissue: one message's buttons
REASON_BUTTONS = (
    (AbsenceReason.ILLNESS, "reason.illness"),
    (AbsenceReason.PARENT_STATEMENT, "reason.parent_statement"),
    (AbsenceReason.OTHER_EXCUSED, "reason.other_excused"),
    (AbsenceReason.UNEXCUSED, "reason.unexcused"),
)


def back_to_class(tx: Texts, class_id: int, day: date | None = None) -> Row:
    view = ClassCb(cls=class_id, view="t", day=day.toordinal() if day else 0)
    return [Button(tx("nav.back"), view)]


def heat_map_button(tx: Texts, class_id: int, day: date) -> Button:
    """The month of ``day`` as a picture: the class's attendance, pupils × school days."""
    return Button(tx("class.heat_map"), ClassCb(cls=class_id, view="h", day=day.toordinal()))


def class_day(
    tx: Texts, class_id: int, name: str, day: date, lessons: list[LessonSummary]
) -> Screen:
    lines = [tx("class.day", cls=quote(name), day=day_title(tx, day))]
    for x in lessons:
        taken = "✓" if x.attendance_taken else "·"
        lines.append(
            f"{taken} {x.lesson_no}. {quote(x.class_name)} {quote(x.subject)} — "
            f"{quote(x.topic or '—')}"
        )
        if x.homework:
            lines.append("    " + tx("lesson.homework_line", homework=quote(x.homework)))
    if not lessons:
        lines.append(tx("teacher.no_lessons"))
    prev_day, next_day = day - timedelta(days=1), day + timedelta(days=1)
    rows = [
        [
            Button(
                f"◀ {prev_day:%d.%m}", ClassCb(cls=class_id, view="t", day=prev_day.toordinal())
            ),
            Button(
                f"{next_day:%d.%m} ▶", ClassCb(cls=class_id, view="t", day=next_day.toordinal())
            ),
        ],
        [
            Button(tx("class.week_absences"), ClassCb(cls=class_id, view="w", day=day.toordinal())),
            Button(tx("class.pupils"), ClassCb(cls=class_id, view="p")),
        ],
        [heat_map_button(tx, class_id, day)],
        [Button(tx("class.codes"), ClassCb(cls=class_id, view="k"))],
        [Button(tx("class.opt_outs"), ClassCb(cls=class_id, view="o"))],
        [Button(tx("class.reports"), ReportCb(cls=class_id))],
        [Button(tx("unread.button"), UnreadCb(cls=class_id, day=day.toordinal()))],
        menu_row(tx),
    ]
    return Screen("\n".join(lines), rows)


@dataclass(frozen=True)
class Week:
    """The week's absences of a class and the parents' suggestions waiting for them."""

    class_id: int
    day: date  # the day the class teacher came from
    entries: list[PupilDayAbsence]  # pupil-days with absent lessons
    given: dict[tuple[int, date], list[Suggestion]]

    @property
    def monday(self) -> date:
        return self.day - timedelta(days=self.day.weekday())

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.entries) // WEEK_PAGE))

    def page_of(self, page: int, focus: tuple[int, date] | None) -> int:
        """The page asked for, or that of the entry just confirmed (``focus``)."""
        if focus is not None:
            at = [i for i, e in enumerate(self.entries) if (e.pupil_id, e.date) == focus]
            page = at[0] // WEEK_PAGE if at else page
        return min(page, self.pages - 1)


def week_absences(tx: Texts, week: Week, page: int) -> Screen:
    """The week's absences with one-tap reasons; more than a page of pupil-days (a flu
    week) goes over pages ◀ ▶."""
    monday, pages = week.monday, week.pages
    lines = [tx("class.week", start=f"{monday:%d.%m}", end=f"{monday + timedelta(days=6):%d.%m}")]
    if pages > 1:
        waiting = sum(1 for e in week.entries if not e.confirmed)
        lines.append(tx("class.week_page", page=page + 1, pages=pages, count=waiting))
    rows: list[Row] = []
    here = WeekPageCb(cls=week.class_id, day=monday.toordinal(), page=page)
    for entry in week.entries[page * WEEK_PAGE : (page + 1) * WEEK_PAGE]:
        lines += _week_entry(tx, entry, week.given.get((entry.pupil_id, entry.date), []))
        if not entry.confirmed:
            buttons = reasons(tx, entry.pupil_id, entry.date)
            rows.append([Button(f"{entry.full_name.split()[0]} {entry.date:%d.%m}", here)])
            rows += [buttons[:2], buttons[2:]]
    if len(lines) == 1:
        lines.append(tx("class.no_absences"))
    if page == 0:
        lines += warned_ahead(tx, week)
    if pages > 1:
        back, forward = (page - 1) % pages, (page + 1) % pages
        rows.append(
            [
                Button(f"◀ {back + 1}", here.model_copy(update={"page": back})),
                Button(f"{forward + 1} ▶", here.model_copy(update={"page": forward})),
            ]
        )
    rows.append([heat_map_button(tx, week.class_id, week.day)])
    rows.append(back_to_class(tx, week.class_id, week.day))
    return Screen("\n".join(lines), rows)


AHEAD_NOTE_CLIP = 100  # a comment, in the list of warnings ahead (30 pupils fit a screen)


def warned_ahead(tx: Texts, week: Week) -> list[str]:
    """The parents' warnings of the week's days not absent (yet), from the day shown on (a
    day gone by without an absence: the pupil came after all): a pupil's days in one line,
    with the reason that will wait for confirmation (issue 13, R6)."""
    absent = {(e.pupil_id, e.date) for e in week.entries}
    grouped: dict[tuple[int, str, str, AbsenceReason, str], list[date]] = {}
    for key, given in sorted(week.given.items()):
        if key in absent or key[1] < week.day:
            continue
        for sg in given:
            note = sg.note or ""
            if len(note) > AHEAD_NOTE_CLIP:
                note = note[: AHEAD_NOTE_CLIP - 1] + "…"
            group = (sg.pupil_id, sg.pupil_name, sg.parent_name, sg.reason, note)
            grouped.setdefault(group, []).append(sg.day)
    if not grouped:
        return []
    lines = ["", tx("class.warned_ahead")]
    for (_pupil, name, parent, reason, note), days in grouped.items():
        lines.append(
            tx(
                "class.warned_line",
                name=quote(name),
                days=", ".join(f"{d:%d.%m}" for d in days),
                reason=tx(f"reason.{reason.value}"),
                parent=quote(parent),
                note=tx("round.note", note=quote(note)) if note else "",
            )
        )
    return lines


def _week_entry(tx: Texts, entry: PupilDayAbsence, given: list[Suggestion]) -> list[str]:
    """A pupil-day, and (until it is confirmed) the parents' reasons waiting for her."""
    reasons_given = ", ".join(sorted(tx(f"reason.{r.value}") for r in entry.reasons))
    lines = [
        tx(
            "class.absence_line",
            name=quote(entry.full_name),
            day=f"{entry.date:%d.%m}",
            count=len(entry.lessons),
            reason=reasons_given,
        )
    ]
    if not entry.confirmed:  # issue 9.5
        for sg in given:
            note = tx("round.note", note=quote(sg.note)) if sg.note else ""
            lines.append(
                tx(
                    "round.suggestion",
                    parent=quote(sg.parent_name),
                    reason=tx(f"reason.{sg.reason.value}"),
                    note=note,
                )
            )
    return lines


def reasons(tx: Texts, pupil_id: int, day: date) -> Row:
    return [
        Button(tx(key), ReasonCb(pupil=pupil_id, day=day.toordinal(), reason=reason.value))
        for reason, key in REASON_BUTTONS
    ]


def class_pupils(tx: Texts, class_id: int, pupils: list[PupilRef]) -> Screen:
    buttons = [
        Button(short_name(p.full_name), ClassPupilCb(cls=class_id, pupil=p.id)) for p in pupils
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append(back_to_class(tx, class_id))
    return Screen(tx("class.pupils_title", count=len(pupils)), rows)


def class_pupil(tx: Texts, class_id: int, pupil_id: int, text: str) -> Screen:
    """A pupil's marks or absences as their family reads them (R1: view, not edit)."""
    return Screen(
        text,
        [
            [
                Button(tx("menu.marks"), ClassPupilCb(cls=class_id, pupil=pupil_id, view="m")),
                Button(tx("menu.absences"), ClassPupilCb(cls=class_id, pupil=pupil_id, view="a")),
            ],
            [Button(tx("nav.back"), ClassCb(cls=class_id, view="p"))],
        ],
    )


def opt_outs(tx: Texts, class_id: int, class_name: str, links: list[GuardianLink]) -> Screen:
    """R18: a button per parent and child; a tap switches the parent's opt-out."""
    text = tx("class.opt_outs_title", cls=quote(class_name))
    if not links:
        text += "\n" + tx("class.opt_outs_none")
    rows: list[Row] = []
    for x in links:
        mark = "📄" if x.opted_out else "📱"
        label = f"{mark} {short_name(x.guardian_name)} → {short_name(x.pupil_name)}"
        data = OptOutCb(
            cls=class_id, guardian=x.guardian_id, pupil=x.pupil_id, on=int(not x.opted_out)
        )
        rows.append([Button(label, data)])
    rows.append(back_to_class(tx, class_id))
    return Screen(text, rows)


def reissue_pick(tx: Texts, class_id: int, holders: list[CardHolder]) -> Screen:
    if not holders:
        return Screen(tx("codes.reissue_none"))
    rows = [
        [
            Button(
                f"{holder.full_name} · {tx(f'role.{holder.role.value}')}",
                ReissueCb(cls=class_id, person=holder.person_id, role=holder.role.value),
            )
        ]
        for holder in holders[:REISSUE_SHOWN]
    ]
    rows.append(menu_row(tx))
    return Screen(tx("codes.reissue_pick"), rows)


def reissue_confirm(tx: Texts, class_id: int, holder: CardHolder) -> Screen:
    role = holder.role.value
    text = tx("codes.reissue_confirm", name=quote(holder.full_name), role=tx(f"role.{role}"))
    yes = ReissueCb(cls=class_id, person=holder.person_id, role=role, ok=1)
    return Screen(
        text,
        [[Button(tx("codes.reissue_yes"), yes), Button(tx("nav.back"), ReissueCb(cls=class_id))]],
    )
