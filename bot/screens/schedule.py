"""Changes of the day's timetable (R25): the deputy's lesson menu (cancel, move, another
room, another teacher) and its pickers; the family's timetable of today, tomorrow or the
week with rooms and bells, the changes marked (R16)."""

from __future__ import annotations

from datetime import date, timedelta

from bot.actions import ChangeCb, ScheduleCb, SubCb
from bot.screen import Button, Row, Screen, quote
from bot.screens.common import children
from bot.screens.family import pupil_header
from bot.screens.nav import day_label, day_title, menu_row
from bot.screens.substitutions import lesson_name
from core.accounts import PupilRef
from core.lessons import ChangeView, LessonSummary, MoveChoice, SchedulePage, SchoolLesson
from core.models import ChangeKind
from core.people import short_name
from texts import Texts

MOVE_DAYS = 7  # a lesson moves within the coming week
DEFAULT_LESSONS = 8  # numbers offered when the school has no bells


def _cb(act: str, day: date, x: SchoolLesson, **more: int) -> ChangeCb:
    return ChangeCb(act=act, day=day.toordinal(), lesson=x.lesson.id, **more)


def _back(tx: Texts, day: date, x: SchoolLesson) -> Row:
    return [Button(tx("nav.back"), _cb("l", day, x))]


def lesson_menu(tx: Texts, day: date, x: SchoolLesson) -> Screen:
    """A lesson of the school's day and what may change about it."""
    lines = [tx("change.menu", lesson=lesson_name(x), day=day_title(tx, day))]
    lines.append(tx("change.menu_teacher", teacher=quote(x.teacher)))
    lines.append(tx("change.menu_room", room=quote(x.lesson.room or "—")))
    back = [Button(tx("nav.back"), SubCb(act="d", day=day.toordinal()))]
    substitute = SubCb(act="l", day=day.toordinal(), lesson=x.lesson.id)
    if x.lesson.cancelled:
        lines.append(tx("change.menu_cancelled"))
        return Screen("\n".join(lines), [[Button(tx("change.do_restore"), _cb("u", day, x))], back])
    rows: list[Row] = [
        [
            Button(tx("change.do_cancel"), _cb("c", day, x)),
            Button(tx("change.do_move"), _cb("m", day, x)),
        ],
        [
            Button(tx("change.do_room"), _cb("r", day, x)),
            Button(tx("change.do_substitute"), substitute),
        ],
        back,
    ]
    return Screen("\n".join(lines), rows)


def cancel_ask(tx: Texts, day: date, x: SchoolLesson) -> Screen:
    return Screen(
        tx("change.cancel_ask", lesson=lesson_name(x), day=day_title(tx, day)),
        [[Button(tx("change.cancel_yes"), _cb("cc", day, x))], _back(tx, day, x)],
    )


def move_days(tx: Texts, day: date, x: SchoolLesson, today: date) -> Screen:
    """The coming week's days (Sundays left out), two a row."""
    days = [today + timedelta(days=i) for i in range(MOVE_DAYS + 1)]
    taps = [
        Button(day_label(tx, d), _cb("md", day, x, to=d.toordinal()))
        for d in days
        if d.isoweekday() != 7
    ][:MOVE_DAYS]
    rows: list[Row] = [taps[i : i + 2] for i in range(0, len(taps), 2)]
    rows.append(_back(tx, day, x))
    return Screen(tx("change.move_day", lesson=lesson_name(x)), rows)


def move_numbers(tx: Texts, day: date, x: SchoolLesson, choice: MoveChoice) -> Screen:
    """The lesson numbers of the chosen day with their bells; those the class already has
    a lesson at are marked (the move onto them is refused)."""
    numbers = sorted(choice.bells) or list(range(1, DEFAULT_LESSONS + 1))
    taps = []
    for no in numbers:
        at = choice.bells.get(no)
        label = f"{no}" + (f" · {at:%H:%M}" if at else "")
        if no in choice.taken:
            label = "⛔ " + label
        taps.append(Button(label, _cb("mn", day, x, to=choice.day.toordinal(), no=no)))
    rows: list[Row] = [taps[i : i + 3] for i in range(0, len(taps), 3)]
    rows.append([Button(tx("nav.back"), _cb("m", day, x))])
    text = tx("change.move_no", lesson=lesson_name(x), day=day_title(tx, choice.day))
    return Screen(text, rows)


def room_prompt(tx: Texts, day: date, x: SchoolLesson) -> Screen:
    text = tx("change.room_ask", lesson=lesson_name(x), room=quote(x.lesson.room or "—"))
    return Screen(text, [[Button(tx("lesson.cancel_typing"), _cb("l", day, x))]])


# --- the family's timetable --------------------------------------------------------------------


def _line(tx: Texts, x: LessonSummary, changes: list[ChangeView]) -> str:
    when = f"{x.starts_at:%H:%M}–{x.ends_at:%H:%M} " if x.starts_at and x.ends_at else ""
    room = tx("timetable.room", room=quote(x.room)) if x.room else ""
    line = f"{x.lesson_no}. {when}{quote(x.subject)}{room}"
    notes = []
    # A restore undoes the cancel or move before it: only what came after it is told.
    restored = max(
        (c.id for c in changes if c.lesson_id == x.id and c.kind is ChangeKind.RESTORE), default=0
    )
    for c in changes:
        if c.lesson_id == x.id and c.id < restored:
            continue
        if c.kind is ChangeKind.MOVE and c.new_lesson_id == x.id:
            notes.append(tx("timetable.moved_from", day=f"{c.day:%d.%m}", no=c.lesson_no))
        elif c.lesson_id != x.id:
            continue
        elif c.kind is ChangeKind.MOVE:
            notes.append(tx("timetable.moved_to", day=f"{c.new_day:%d.%m}", no=c.new_lesson_no))
        elif c.kind is ChangeKind.CANCEL:
            notes.append(tx("timetable.cancelled"))
        elif c.kind is ChangeKind.RESTORE:
            notes.append(tx("timetable.restored"))
        elif c.kind is ChangeKind.ROOM and c.old_room:
            notes.append(tx("timetable.room_changed", room=quote(c.old_room)))
        elif c.kind is ChangeKind.ROOM:
            notes.append(tx("timetable.room_new"))
        else:
            notes.append(tx("timetable.substitute", teacher=quote(short_name(c.teacher))))
    if x.cancelled:
        line = f"❌ <s>{line}</s>"
    elif notes:
        line = "❗ " + line
    return line + (" — " + "; ".join(notes) if notes else "")


def timetable(tx: Texts, pupil: PupilRef, page: SchedulePage, when: str) -> Screen:
    lines = [pupil_header(tx, pupil)]
    shown = [d for d in page.days if d.lessons or len(page.days) == 1]
    if not shown:
        lines.append(tx("timetable.no_lessons"))
    for d in shown:
        lines.append("")
        lines.append(f"<b>{day_title(tx, d.day)}</b>")
        if not d.lessons:
            lines.append(tx("timetable.no_lessons"))
        lines += [_line(tx, x, d.changes) for x in d.lessons]
    buttons = [
        Button(("• " if when == key else "") + tx(f"timetable.{key}"), ScheduleCb(when=key))
        for key in ("t", "m", "w")
    ]
    rows: list[Row] = [buttons]
    if len(page.children) > 1:  # the switch keeps to the timetable
        rows.append(children(page.children, pupil.id, ScheduleCb(when=when)))
    return Screen("\n".join(lines), [*rows, menu_row(tx)])
