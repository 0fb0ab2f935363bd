"""The lesson card with the roll call (R4): the lesson, its counts, a button a pupil
(one tap moves the status on), «the rest are present», and what else the lesson takes
(marks, topic, homework; none of the marks in the first grade, R12)."""

from __future__ import annotations

from datetime import date

from bot.actions import DayCb, LessonAct, LessonActCb, RestCb, RollPageCb, TapCb
from bot.screen import Button, Limits, Row, Screen, Style, quote
from bot.screens.nav import day_title
from core.attendance import RollCall, RollCallLine
from core.lessons import LessonSummary
from core.models import Presence
from core.rules import grade_has_marks
from texts import Texts

STATUS_ICON = {None: "▫️", Presence.PRESENT: "✅", Presence.ABSENT: "❌", Presence.LATE: "🕒"}
# Present green, absent red where the messenger colours buttons (the icons stay).
STATUS_STYLE = {Presence.PRESENT: Style.POSITIVE, Presence.ABSENT: Style.NEGATIVE}
WARNED_ICON = "📨"  # not marked yet; a parent warned of the absence (issue 13): «Н (предупр.)»
PER_ROW = 2  # pupils a row
# Room left under a page for the lesson's own buttons (at most 10 in 5 rows: the page
# turn, «the rest are present», marks/topic/homework, bulk/final/written work (R14),
# back), with some spare.
SPARE_BUTTONS = 20
SPARE_ROWS = 6


def page_size(limits: Limits) -> int:
    """Pupils a page: as many as one message's keyboard holds beside the lesson's buttons
    (80 in Telegram), so that a class of up to that many is one card."""
    return min(limits.buttons - SPARE_BUTTONS, PER_ROW * (limits.rows - SPARE_ROWS))


def pages(call: RollCall, limits: Limits) -> int:
    return max(1, -(-len(call.lines) // page_size(limits)))


def page_of(call: RollCall, pupil_id: int, limits: Limits) -> int:
    """The page a pupil's button is on (a tap redraws the page it was made on)."""
    for index, line in enumerate(call.lines):
        if line.pupil.id == pupil_id:
            return index // page_size(limits)
    return 0


def card(tx: Texts, call: RollCall, today: date, limits: Limits, page: int = 0) -> Screen:
    """The card as the use case returned it; a future lesson's card says so on every
    draw (a page turned, a tap refused)."""
    size, count = page_size(limits), pages(call, limits)
    page = min(max(page, 0), count - 1)
    ahead = call.lesson.date > today
    return Screen(
        card_text(tx, call, page, size, count, ahead=ahead), card_rows(tx, call, page, size, count)
    )


def card_text(tx: Texts, call: RollCall, page: int, size: int, count: int, *, ahead: bool) -> str:
    lesson = call.lesson
    lines = _heading(tx, lesson)
    if ahead:  # a future lesson: say what can be filled ahead (R13) and what cannot (R4)
        lines.append(tx("lesson.ahead" if grade_has_marks(lesson.grade) else "lesson.ahead_grade1"))
    lines.append(tx("lesson.topic_line", topic=quote(lesson.topic or "—")))
    if grade_has_marks(lesson.grade):  # R12
        if lesson.homework and lesson.homework_due:
            day = f"{lesson.homework_due:%d.%m}"
            lines.append(tx("lesson.homework_due_line", day=day, homework=quote(lesson.homework)))
        else:
            lines.append(tx("lesson.homework_line", homework=quote(lesson.homework or "—")))
    c = call.counts
    lines.append(
        tx(
            "lesson.counts",
            present=c.present,
            absent=c.absent,
            late=c.late,
            not_taken=c.not_taken,
            marks=c.marks,
        )
    )
    lines.append(tx("rollcall.hint" if not call.taken else "rollcall.taken"))
    warned = sum(1 for line in call.lines if line.warned and line.status is None)
    if warned:  # the legend of 📝 (a button holds only the icon and the name)
        lines.append(tx("rollcall.warned", count=warned))
    if count > 1:
        first = page * size + 1
        last = min(len(call.lines), first + size - 1)
        lines.append(tx("rollcall.page", first=first, last=last, total=len(call.lines)))
    return "\n".join(lines)


def _heading(tx: Texts, lesson: LessonSummary) -> list[str]:
    when = (
        f"{lesson.starts_at:%H:%M}–{lesson.ends_at:%H:%M}"
        if lesson.starts_at and lesson.ends_at
        else ""
    )
    title = tx(
        "lesson.title",
        cls=quote(lesson.class_name),
        subject=quote(lesson.subject),
        no=lesson.lesson_no,
        time=when,
    )
    room = f" · {tx('lesson.room', room=quote(lesson.room))}" if lesson.room else ""
    lines = [title, day_title(tx, lesson.date) + room]
    if lesson.substituted:
        lines.append(tx("lesson.substituted"))
    return lines


def card_rows(tx: Texts, call: RollCall, page: int, size: int, count: int) -> list[Row]:
    """Two pupils a row (a class larger than one keyboard holds is paged, ◀ ▶). The hot
    path (R4): the buttons are built directly, without a builder copying them."""
    lesson = call.lesson
    lines = call.lines
    if count > 1:
        lines = lines[page * size : (page + 1) * size]
    taps = [
        Button(
            f"{_icon(line)} {line.pupil.short_name}",
            TapCb(lesson=lesson.id, pupil=line.pupil.id).pack(),
            style=STATUS_STYLE.get(line.status) if line.status else None,
        )
        for line in lines
    ]
    rows: list[Row] = [taps[i : i + PER_ROW] for i in range(0, len(taps), PER_ROW)]
    if count > 1:
        turn = []
        if page > 0:
            turn.append(Button(f"◀ {page}", RollPageCb(lesson=lesson.id, page=page - 1)))
        if page < count - 1:
            turn.append(Button(f"{page + 2} ▶", RollPageCb(lesson=lesson.id, page=page + 1)))
        rows.append(turn)
    if call.counts.not_taken:
        rest = Button(tx("rollcall.rest_present"), RestCb(lesson=lesson.id), style=Style.POSITIVE)
        rows.append([rest])
    rows += _lesson_rows(tx, lesson)
    return rows


def _icon(line: RollCallLine) -> str:
    return WARNED_ICON if line.warned and line.status is None else STATUS_ICON[line.status]


def _lesson_rows(tx: Texts, lesson: LessonSummary) -> list[Row]:
    def act(key: str, what: LessonAct) -> Button:
        return Button(tx(key), LessonActCb(lesson=lesson.id, act=what))

    written = "lesson.written_set" if lesson.work_type_id else "lesson.written"  # R14
    if not grade_has_marks(lesson.grade):  # R12: the first grade has no marks
        return [
            [act("lesson.topic", LessonAct.TOPIC)],
            [Button(tx("nav.back_lessons"), DayCb(day=lesson.date.toordinal()))],
        ]
    return [
        [
            act("lesson.marks", LessonAct.MARKS),
            act("lesson.topic", LessonAct.TOPIC),
            act("lesson.homework", LessonAct.HOMEWORK),
        ],
        [
            act("lesson.bulk", LessonAct.BULK),
            act("lesson.final", LessonAct.FINAL),
            act(written, LessonAct.WRITTEN),
        ],
        [Button(tx("nav.back_lessons"), DayCb(day=lesson.date.toordinal()))],
    ]
