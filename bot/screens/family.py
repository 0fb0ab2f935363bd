"""A parent's and a pupil's screens: marks with plain and weighted averages (and «📈 График»,
the marks as a picture), absences, homework for the next school day (R16), the
notification settings. A corrected or removed mark is shown openly under its subject (R9).
Every screen says whose data it shows; a parent of several children switches between them
on its first row. The class teacher reads the same marks and absences of a pupil (R1)."""

from __future__ import annotations

from datetime import date, time

from bot.actions import FamilyCb, FamilyView, PrefCb
from bot.screen import Button, Row, Screen, quote
from bot.screens.common import children
from bot.screens.nav import menu_row
from core.accounts import QUIET_PRESETS, Prefs, PupilRef, Topic, in_quiet_hours
from core.friday_round import AbsenceEntry
from core.lessons import LessonSummary
from core.marks import SubjectMarks
from core.marks.history import Correction
from core.models import AbsenceChoice, AbsenceReason, Presence
from core.people import gender
from core.periods import PeriodView
from core.rules import grade_has_marks
from texts import Texts

RECENT = 5
CORRECTIONS_SHOWN = 3  # per subject, the newest; the rest as «и ещё N»
DIGEST_HOURS = (17, 18, 19, 20, 21)

_ABSENT_KEY = {
    "m": "family.absent_lessons",
    "f": "family.absent_lessons_f",
    None: "family.absent_lessons_n",
}


def fmt_avg(value: object) -> str:
    return "—" if value is None else str(value).replace(".", ",")


def pupil_header(tx: Texts, pupil: PupilRef) -> str:
    """Every screen says whose data it shows."""
    return tx("family.whose", name=quote(pupil.full_name), cls=pupil.class_name)


def family_rows(tx: Texts, kids: list[PupilRef], active: int | None) -> list[Row]:
    """Under a family screen: the children (when more than one), then the menu."""
    rows = [children(kids, active)] if len(kids) > 1 else []
    return [*rows, menu_row(tx)]


def marks(
    tx: Texts,
    pupil: PupilRef,
    period: PeriodView | None,
    subjects: list[SubjectMarks],
    kids: list[PupilRef],
) -> Screen:
    rows = family_rows(tx, kids, pupil.id)
    if any(s.marks for s in subjects):  # something to draw; the children's switch stays first
        rows.insert(-1, [Button(tx("family.chart"), FamilyCb(view=FamilyView.CHART))])
    return Screen(marks_text(tx, pupil, period, subjects), rows)


def absences(tx: Texts, pupil: PupilRef, rows: list[AbsenceEntry], kids: list[PupilRef]) -> Screen:
    return Screen(absences_text(tx, pupil, rows), family_rows(tx, kids, pupil.id))


def marks_text(
    tx: Texts, pupil: PupilRef, period: PeriodView | None, subjects: list[SubjectMarks]
) -> str:
    """A pupil's marks this period: recent ones, then per subject with plain and weighted
    averages and the final mark."""
    lines = [pupil_header(tx, pupil)]
    if period:
        lines.append(tx("family.period", period=quote(period.name)))
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
            lines.append(
                f"{m.date:%d.%m} {quote(subject)}: <b>{m.value}</b> ({quote(m.work_type)})"
            )
    if subjects:
        lines.append("")
        lines.append(tx("family.by_subject"))
        for subj in subjects:
            values = " ".join(str(m.value) for m in subj.marks) or "—"
            line = tx(
                "family.subject_line",
                subject=quote(subj.subject),
                marks=values,
                avg=fmt_avg(subj.average),
                wavg=fmt_avg(subj.weighted_average),
            )
            if subj.final:
                line += " · " + tx("family.final", value=subj.final)
            lines.append(line)
            lines += correction_lines(tx, subj.corrections)
    elif grade_has_marks(pupil.grade):
        lines.append(tx("family.no_marks"))
    return "\n".join(lines)


def correction_words(tx: Texts, c: Correction) -> str:
    """«исправлено 25.11: 3 → 4, с разрешения завуча», «удалено 25.11: 3» (R9); the
    lesson's date after it when the mark was of an earlier lesson."""
    day = f"{c.day:%d.%m}"
    if c.new is None:
        words = tx("family.removed", day=day, old=c.old)
    else:
        words = tx("family.corrected", day=day, old=c.old, new=c.new)
    if c.approved_by is not None:
        words += tx(f"family.approved_{c.approved_by.value}")
    if c.lesson_date != c.day:
        words += tx("family.of_lesson", date=f"{c.lesson_date:%d.%m}")
    return words


def correction_lines(tx: Texts, changed: list[Correction]) -> list[str]:
    """A subject's corrections under its line, the newest few: many corrections keep the
    screen within one message."""
    lines = [f"  ✏️ {correction_words(tx, c)}" for c in changed[:CORRECTIONS_SHOWN]]
    if len(changed) > CORRECTIONS_SHOWN:
        lines.append("  " + tx("family.corrections_more", count=len(changed) - CORRECTIONS_SHOWN))
    return lines


def absences_text(tx: Texts, pupil: PupilRef, rows: list[AbsenceEntry]) -> str:
    lines = [pupil_header(tx, pupil)]
    if not rows:
        lines.append(tx("family.no_absences"))
    by_day: dict[date, list[AbsenceEntry]] = {}
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


def homework(
    tx: Texts, pupil: PupilRef, day_lessons: list[LessonSummary], kids: list[PupilRef]
) -> Screen:
    """The next school day's lessons and their homework (R16; none in the first grade, R12)."""
    lines = [pupil_header(tx, pupil)]
    if not day_lessons:
        lines.append(tx("family.no_school_days"))
    else:
        lines.append(tx("family.homework_for", day=f"{day_lessons[0].date:%d.%m.%Y}"))
        for x in day_lessons:
            none = "—" if grade_has_marks(x.grade) else tx("family.grade1_no_homework")  # R12
            hw = x.homework or none
            lines.append(f"{x.lesson_no}. {quote(x.subject)}: {quote(hw)}")
    return Screen("\n".join(lines), family_rows(tx, kids, pupil.id))


def no_children(tx: Texts) -> Screen:
    return Screen(tx("family.no_children"))


#: A child's on/off choices (R16), by the letter their buttons carry, in the screen's order.
TOPICS: dict[str, Topic] = {
    "m": Topic.MARKS,
    "h": Topic.HOMEWORK,
    "n": Topic.ANNOUNCEMENTS,
    "s": Topic.SCHEDULE,
}
#: The absences' choices by the number their button carries; a tap moves to the next.
ABSENCE_CHOICES = (AbsenceChoice.ALL, AbsenceChoice.UNEXCUSED, AbsenceChoice.OFF)


def prefs(tx: Texts, p: Prefs, school_hour: int) -> Screen:
    """A parent's notifications: the digest and the absence alerts on or off, the digest's
    hour (the school's own hour among those offered); what to hear of each child (a
    child's switch for a parent of several); the quiet hours; where they go."""
    hour = p.digest_time.hour if p.digest_time else school_hour
    hours = sorted({*DIGEST_HOURS, school_hour})
    lines = [tx("prefs.title", hour=hour)]
    if p.quiet is not None and p.digest_enabled and in_quiet_hours(time(hour), *p.quiet):
        lines.append(tx("prefs.digest_held", end=f"{p.quiet[1]:%H:%M}"))
    if p.child is not None:
        lines += ["", tx("prefs.child", name=quote(p.child.full_name), cls=p.child.class_name)]
        if len(p.children) > 1:
            lines.append(tx("prefs.child_each"))
    lines += ["", _quiet_words(tx, p.quiet)]
    if len(p.channels) > 1:
        lines += ["", tx("prefs.where_title")]
    return Screen(
        "\n".join(lines),
        [
            [
                Button(
                    tx("prefs.digest_on" if p.digest_enabled else "prefs.digest_off"),
                    PrefCb(what="d"),
                )
            ],
            [
                Button(
                    tx("prefs.alerts_on" if p.absence_alerts else "prefs.alerts_off"),
                    PrefCb(what="a"),
                )
            ],
            [
                Button(("• " if h == hour else "") + f"{h}:00", PrefCb(what="h", hour=h))
                for h in hours
            ],
            *_child_rows(tx, p),
            _quiet_row(tx, p.quiet),
            *_where(tx, p),
            menu_row(tx),
        ],
    )


def _child_rows(tx: Texts, p: Prefs) -> list[Row]:
    """The shown child's choices, one button each carrying the choice it makes; above
    them the children (when several), the shown one ticked."""
    child = p.child
    if child is None:
        return []
    rows: list[Row] = []
    if len(p.children) > 1:
        rows.append(children(p.children, child.id, PrefCb(what="c")))

    def toggle(key: str) -> Button:
        on = bool(getattr(p.choices, TOPICS[key].value))
        what = tx(f"prefs.topic_{TOPICS[key].value}")
        return Button(
            ("✅ " if on else "▫️ ") + what,
            PrefCb(what="k", pupil=child.id, kind=key, value=0 if on else 1),
        )

    now = ABSENCE_CHOICES.index(p.choices.absences)
    absences = Button(
        tx(f"prefs.absences_{p.choices.absences.value}"),
        PrefCb(what="b", pupil=child.id, value=(now + 1) % len(ABSENCE_CHOICES)),
    )
    return [*rows, [toggle("m"), toggle("h")], [absences], [toggle("n"), toggle("s")]]


def _quiet_row(tx: Texts, quiet: tuple[time, time] | None) -> Row:
    chosen = (quiet[0].hour, quiet[1].hour) if quiet else None
    row = [Button(("• " if chosen is None else "") + tx("prefs.quiet_none"), PrefCb(what="q"))]
    for start, end in QUIET_PRESETS:
        mark = "• " if chosen == (start, end) else ""
        row.append(Button(f"{mark}{start}–{end}", PrefCb(what="q", hour=start, end=end)))
    return row


def _quiet_words(tx: Texts, quiet: tuple[time, time] | None) -> str:
    if quiet is None:
        return tx("prefs.quiet_off")
    return tx("prefs.quiet_on", start=f"{quiet[0]:%H:%M}", end=f"{quiet[1]:%H:%M}")


def _where(tx: Texts, p: Prefs) -> list[Row]:
    """A parent bound on several messengers: which of them get the notifications (a
    button each, this one marked), nothing for a parent on one."""
    if len(p.channels) < 2:
        return []
    seen: dict[str, int] = {}
    buttons = []
    for channel in p.channels:
        name = channel.messenger.label
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:  # two phones on one messenger
            name = f"{name} {seen[name]}"
        text = tx(
            "prefs.where_on" if channel.delivers else "prefs.where_off",
            messenger=name + (tx("prefs.where_here") if channel.this else ""),
        )
        buttons.append(Button(text, PrefCb(what="w", binding=channel.binding_id)))
    return [buttons]
