"""R14: a lesson's written or control work (the teacher picks its work type; the screen
says by which day its marks are due and how many are in) and the deputy's list of the
works past that day, paged."""

from __future__ import annotations

from bot.actions import LessonCb, OverdueCb, WrittenWorkCb
from bot.screen import Button, Row, Screen, quote
from bot.screens.common import page_of, pager
from bot.screens.nav import day_label, menu_row
from core.written_work import LessonWork, OverdueList, WrittenWork
from texts import Texts

OVERDUE_PAGE = 10  # works a page of the deputy's list: about 1,500 characters


def lesson_work(tx: Texts, found: LessonWork) -> Screen:
    """The lesson, its written work (or none) and when its marks are due; a button a
    written work type (the one set ticked), «an ordinary lesson», back to the card."""
    lesson = found.lesson
    lines = [
        tx(
            "written.title",
            cls=quote(lesson.class_name),
            subject=quote(lesson.subject),
            no=lesson.lesson_no,
            day=day_label(tx, lesson.date),
        )
    ]
    work = found.work
    if work is None:
        lines.append(tx("written.none", days=found.days))
    else:
        lines.append(tx("written.set", work=quote(work.work), days=found.days))
        if work.due is not None:
            key = "written.due_passed" if work.due < found.today else "written.due"
            lines.append(tx(key, due=day_label(tx, work.due)))
        lines.append(tx("written.marked", marked=work.marked, pupils=work.pupils))
    rows: list[Row] = [
        [
            Button(
                ("• " if wt_id == found.work_type_id else "") + name,
                WrittenWorkCb(lesson=lesson.id, wt=wt_id),
            )
        ]
        for wt_id, name in found.choices
    ]
    plain = ("• " if found.work_type_id is None else "") + tx("written.plain")
    rows.append([Button(plain, WrittenWorkCb(lesson=lesson.id, wt=0))])
    rows.append([Button(tx("nav.back_lesson"), LessonCb(lesson=lesson.id))])
    return Screen("\n".join(lines), rows)


def overdue_line(tx: Texts, index: int, w: WrittenWork) -> str:
    return tx(
        "written.overdue_line",
        n=index,
        teacher=quote(w.teacher),
        cls=quote(w.class_name),
        subject=quote(w.subject),
        day=day_label(tx, w.date),
        no=w.lesson_no,
        work=quote(w.work),
        missing=w.missing,
        pupils=w.pupils,
        due=day_label(tx, w.due) if w.due else "—",
    )


def overdue(tx: Texts, found: OverdueList, page: int) -> Screen:
    """The school's written works whose marks are late, by teacher, ten a page."""
    if not found.works:
        return Screen(tx("written.overdue_none", since=day_label(tx, found.since)), [menu_row(tx)])
    shown, page, pages = page_of(found.works, page, OVERDUE_PAGE)
    first = page * OVERDUE_PAGE + 1
    lines = [tx("written.overdue_title", count=len(found.works), since=day_label(tx, found.since))]
    lines += [overdue_line(tx, first + i, w) for i, w in enumerate(shown)]
    rows: list[Row] = []
    if turn := pager(page, pages, OverdueCb(page=page)):
        rows.append(turn)
    rows.append(menu_row(tx))
    return Screen("\n\n".join(lines), rows)
