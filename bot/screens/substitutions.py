"""Substitutions (R5, R25): the teacher takes another teacher's lesson; the deputy picks
a substitute for any lesson of the school's day."""

from __future__ import annotations

from datetime import date, timedelta

from bot.actions import ChangeCb, DayCb, LessonAct, LessonActCb, SubCb, SubsListCb
from bot.screen import Button, Row, Screen, quote
from bot.screens.common import page_of, pager
from bot.screens.nav import day_title, menu_row
from core.lessons import SchoolLesson
from core.people import short_name
from texts import Texts

SCHOOL_LESSONS_PAGE = 30  # a school's day has hundreds of lessons: paged
TEACHERS_PAGE = 30


def lesson_label(tx: Texts, x: SchoolLesson) -> str:
    """A lesson told apart from the others at the same hour: its teacher and subgroup."""
    lesson = x.lesson
    return tx(
        "teacher.substitute_button",
        no=lesson.lesson_no,
        time=lesson.starts_at.strftime("%H:%M") if lesson.starts_at else "",
        cls=lesson.class_name,
        subject=lesson.subject,
        group=f" ({x.group})" if x.group else "",
        teacher=x.teacher,
    )


def lesson_name(x: SchoolLesson) -> str:
    """«3. 5А Математика (группа 1)» in a screen's text."""
    group = f" ({quote(x.group)})" if x.group else ""
    return f"{x.lesson.lesson_no}. {quote(x.lesson.class_name)} {quote(x.lesson.subject)}{group}"


def to_take(tx: Texts, day: date, others: list[SchoolLesson], page: int) -> Screen:
    """Other teachers' lessons of the day the teacher may take as a substitute, paged."""
    shown, page, pages = page_of(others, page, SCHOOL_LESSONS_PAGE)
    rows: list[Row] = [
        [Button(lesson_label(tx, x), LessonActCb(lesson=x.lesson.id, act=LessonAct.SUBSTITUTE))]
        for x in shown
    ]
    if turn := pager(page, pages, SubsListCb(day=day.toordinal(), page=page)):
        rows.append(turn)
    rows.append([Button(tx("nav.back_lessons"), DayCb(day=day.toordinal()))])
    rows.append(menu_row(tx))
    return Screen(tx("teacher.substitute_pick", day=day_title(tx, day)), rows)


def _mark(x: SchoolLesson) -> str:
    """❌ not given at this slot (cancelled or moved away), 🔁 another teacher gives it."""
    if x.lesson.cancelled:
        return "❌ "
    return "🔁 " if x.lesson.substituted else ""


def school_day(
    tx: Texts, day: date, lessons: list[SchoolLesson], page: int, head: str | None = None
) -> Screen:
    """The deputy's day (R25): a tap on a lesson opens what may change about it (🔁: a
    substitute is recorded, ❌: cancelled or moved away);
    paged, ◀ ▶ a day. ``head`` replaces the title (after a substitute is assigned)."""
    shown, page, pages = page_of(lessons, page, SCHOOL_LESSONS_PAGE)
    if head is None:
        lines = [tx("subs.day", day=day_title(tx, day))]
        if not lessons:
            lines.append(tx("subs.no_lessons"))
        if pages > 1:
            first = page * SCHOOL_LESSONS_PAGE + 1
            last = first + len(shown) - 1
            lines.append(tx("subs.page", first=first, last=last, total=len(lessons)))
        head = "\n".join(lines)
    rows: list[Row] = [
        [
            Button(
                _mark(x) + lesson_label(tx, x),
                ChangeCb(act="l", day=day.toordinal(), lesson=x.lesson.id),
            )
        ]
        for x in shown
    ]
    if turn := pager(page, pages, SubCb(act="d", day=day.toordinal(), page=page)):
        rows.append(turn)
    prev_day, next_day = day - timedelta(days=1), day + timedelta(days=1)
    rows.append(
        [
            Button(f"◀ {prev_day:%d.%m}", SubCb(act="d", day=prev_day.toordinal())),
            Button(f"{next_day:%d.%m} ▶", SubCb(act="d", day=next_day.toordinal())),
        ]
    )
    rows.append(menu_row(tx))
    return Screen(head, rows)


def assigned(tx: Texts, day: date, lessons: list[SchoolLesson], lesson: SchoolLesson) -> Screen:
    """After a substitute is recorded: who gives the lesson now, then the day again."""
    head = tx("subs.assigned", lesson=lesson_name(lesson), teacher=quote(lesson.teacher))
    return school_day(tx, day, lessons, 0, head)


def teachers(
    tx: Texts, day: date, lesson: SchoolLesson, staff: list[tuple[int, str]], page: int
) -> Screen:
    """The school's teachers for a lesson, two a row, the one giving it now ticked."""
    shown, page, pages = page_of(staff, page, TEACHERS_PAGE)
    ordinal, lesson_id = day.toordinal(), lesson.lesson.id
    current = lesson.lesson.teacher_id
    taps = [
        Button(
            ("• " if teacher_id == current else "") + short_name(name),
            SubCb(act="t", day=ordinal, lesson=lesson_id, teacher=teacher_id),
        )
        for teacher_id, name in shown
    ]
    rows: list[Row] = [taps[i : i + 2] for i in range(0, len(taps), 2)]
    if turn := pager(page, pages, SubCb(act="l", day=ordinal, lesson=lesson_id, page=page)):
        rows.append(turn)
    rows.append([Button(tx("nav.back"), SubCb(act="d", day=ordinal))])
    text = tx(
        "subs.pick_teacher",
        lesson=lesson_name(lesson),
        teacher=quote(lesson.teacher),
        planned=quote(lesson.planned_teacher),
    )
    return Screen(text, rows)
