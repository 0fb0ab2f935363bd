"""The teacher's marks (R12, R15): the grid of a lesson's pupils, one pupil's marks (add,
change, remove in one tap), bulk mode for a class test, and the prompt for the reason of a
correction after the deadline (R7). A large class is paged, fifty pupils a page."""

from __future__ import annotations

from decimal import Decimal

from bot.actions import (
    AddMarkCb,
    BulkCb,
    LessonCb,
    MarkEditCb,
    PupilMarksCb,
    PupilsPageCb,
    PupilsScreen,
)
from bot.screen import Action, Button, Row, Screen, quote
from bot.screens.common import page_of, pager
from core.lessons import PupilOfLesson
from core.marks import MarkRef, MarksSheet
from texts import Texts

PUPILS_PAGE = 50  # pupils a page of the marks grid, bulk mode, final marks: one message
VALUES = (2, 3, 4, 5)  # the marks a button gives


def pupils_page(pupils: list[PupilOfLesson], page: int) -> tuple[list[PupilOfLesson], int, int]:
    """The pupils of a page of a marks screen (clamped), the page and the pages."""
    return page_of(pupils, page, PUPILS_PAGE)


def pupils_page_of(pupils: list[PupilOfLesson], pupil_id: int) -> int:
    """The page of a marks screen a pupil's button is on."""
    for index, pupil in enumerate(pupils):
        if pupil.id == pupil_id:
            return index // PUPILS_PAGE
    return 0


def page_note(tx: Texts, pupils: list[PupilOfLesson], page: int) -> str:
    """«Ученики 51–100 из 150.» under a paged pupils screen; nothing for one page."""
    shown, page, pages = pupils_page(pupils, page)
    if pages == 1 or not shown:
        return ""
    first = page * PUPILS_PAGE + 1
    return "\n" + tx("rollcall.page", first=first, last=first + len(shown) - 1, total=len(pupils))


def pupil_grid(
    pupils: list[PupilOfLesson],
    page: int,
    label: dict[int, str],
    tap: type[Action],
    **fields: object,
) -> list[Row]:
    """A page of pupils, two a row, each with what the screen adds to the name."""
    shown, _, _ = pupils_page(pupils, page)
    taps = [Button(p.short_name + label.get(p.id, ""), tap(pupil=p.id, **fields)) for p in shown]
    return [taps[i : i + 2] for i in range(0, len(taps), 2)]


def paged(
    rows: list[Row], pupils: list[PupilOfLesson], page: int, turn: Action, back: Action, tx: Texts
) -> list[Row]:
    """The pupils' rows, ◀ ▶ when the class takes several pages, «back»."""
    _, page, pages = pupils_page(pupils, page)
    if arrows := pager(page, pages, turn):
        rows.append(arrows)
    rows.append([Button(tx("nav.back_lesson"), back)])
    return rows


def weight_text(weight: Decimal) -> str:
    """A work type's weight as a teacher reads it: 1, 1.5, 2."""
    return format(weight.normalize(), "f")


def grid(tx: Texts, sheet: MarksSheet, page: int = 0, pupil_id: int | None = None) -> Screen:
    """The marks grid: a pupil a button with the marks given; ``pupil_id``: draw the page
    that pupil is on (the one tapped)."""
    lesson, pupils = sheet.lesson, sheet.pupils
    if pupil_id is not None:
        page = pupils_page_of(pupils, pupil_id)
    values = {p: " " + ",".join(str(m.value) for m in given) for p, given in sheet.marks.items()}
    rows = pupil_grid(
        pupils, page, {p: v for p, v in values.items() if v.strip()}, PupilMarksCb, lesson=lesson.id
    )
    turn = PupilsPageCb(lesson=lesson.id, screen=PupilsScreen.MARKS, page=0)
    text = tx("marks.pick_pupil", cls=quote(lesson.class_name), subject=quote(lesson.subject))
    return Screen(
        text + page_note(tx, pupils, page),
        paged(rows, pupils, page, turn, LessonCb(lesson=lesson.id), tx),
    )


def pupil(tx: Texts, sheet: MarksSheet, pupil_id: int) -> Screen:
    """One pupil's marks on the lesson: a row a work type to give a mark, a row a mark to
    change it, one to remove it; back to the grid's page the pupil is on."""
    found = sheet.pupil(pupil_id)
    if found is None:
        return Screen(tx("error.pupil_not_in_lesson"))
    lesson_id = sheet.lesson.id
    existing = sheet.marks.get(pupil_id, [])
    text = tx("marks.pupil", name=quote(found.full_name))
    if existing:
        given = ", ".join(f"{m.value} ({m.work_type})" for m in existing)
        text += "\n" + tx("marks.has", marks=given)
    here = PupilMarksCb(lesson=lesson_id, pupil=pupil_id)
    rows: list[Row] = []
    for wt in sheet.work_types:
        label = tx("marks.work_type", work=wt.name, weight=weight_text(wt.weight))
        give = [
            Button(str(v), AddMarkCb(lesson=lesson_id, pupil=pupil_id, value=v, wt=wt.id))
            for v in VALUES
        ]
        rows.append([Button(label, here), *give])
    for m in existing:
        label = tx("marks.change_label", value=m.value, work=m.work_type)
        change = [
            Button(tx("marks.change_to", value=v), MarkEditCb(mark=m.id, value=v))
            for v in VALUES
            if v != m.value
        ]
        rows.append([Button(label, here), *change])
        remove = tx("marks.remove", value=m.value, work=m.work_type)
        rows.append([Button(remove, MarkEditCb(mark=m.id, value=0))])
    page = pupils_page_of(sheet.pupils, pupil_id)
    back = PupilsPageCb(lesson=lesson_id, screen=PupilsScreen.MARKS, page=page)
    rows.append([Button(tx("nav.back_marks"), back)])
    return Screen(text, rows)


def bulk(tx: Texts, sheet: MarksSheet, choice: BulkCb) -> Screen:
    """Bulk mode: the value and the work type, then the pupils with the mark of that work
    type each has (a large class paged; a tap redraws the tapped pupil's page, and the
    page is kept when the value or the work type changes)."""
    lesson, pupils = sheet.lesson, sheet.pupils
    page = pupils_page_of(pupils, choice.pupil) if choice.pupil else choice.page
    _, page, _ = pupils_page(pupils, page)
    value, wt_id = choice.value, choice.wt
    wt = sheet.work_type(wt_id)
    text = tx(
        "bulk.title",
        cls=quote(lesson.class_name),
        subject=quote(lesson.subject),
        value=value,
        work=quote(wt.name if wt else ""),
        weight=weight_text(wt.weight) if wt else "—",
    )
    values = [
        Button(
            ("• " if v == value else "") + str(v),
            BulkCb(lesson=lesson.id, value=v, wt=wt_id, page=page),
        )
        for v in VALUES
    ]
    kinds = [
        Button(
            ("• " if w.id == wt_id else "")
            + tx("marks.work_type", work=w.name.split()[0], weight=weight_text(w.weight)),
            BulkCb(lesson=lesson.id, value=value, wt=w.id, page=page),
        )
        for w in sheet.work_types
    ]
    work = wt.name if wt else ""
    latest = {
        p: f" — {same[-1].value}"
        for p, given in sheet.marks.items()
        if (same := [m for m in given if m.work_type == work])
    }
    grid_rows = pupil_grid(pupils, page, latest, BulkCb, lesson=lesson.id, value=value, wt=wt_id)
    turn = BulkCb(lesson=lesson.id, value=value, wt=wt_id, page=page)
    rows = paged([values, kinds, *grid_rows], pupils, page, turn, LessonCb(lesson=lesson.id), tx)
    return Screen(text + page_note(tx, pupils, page), rows)


def reason_prompt(
    tx: Texts, sheet: MarksSheet, mark: MarkRef, value: int | None, bulk: BulkCb | None
) -> Screen:
    """A mark change after the deadline is a request (R7): its reason first. «Отмена» goes
    back to the pupil's marks, or to the class test's screen (``bulk``) it was asked from."""
    work = next((m.work_type for m in sheet.marks.get(mark.pupil_id, []) if m.id == mark.id), "")
    found = sheet.pupil(mark.pupil_id)
    text = tx(
        "marks.ask_reason",
        name=quote(found.full_name if found else ""),
        old=mark.value,
        new=value if value is not None else "—",
        work=quote(work),
    )
    back = bulk if bulk is not None else PupilMarksCb(lesson=mark.lesson_id, pupil=mark.pupil_id)
    return Screen(text, [[Button(tx("marks.reason_cancel"), back)]])
