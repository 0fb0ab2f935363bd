"""Final marks of the period (R11): the lesson's pupils with the mark each has, then the
values to pick for one pupil."""

from __future__ import annotations

from bot.actions import FinalCb, LessonCb, PupilsPageCb, PupilsScreen
from bot.screen import Button, Screen, quote
from bot.screens.marks import page_note, paged, pupil_grid, pupils_page_of
from core.marks import FINAL_VALUES, FinalsSheet
from texts import Texts


def pupils(tx: Texts, sheet: FinalsSheet, page: int = 0, pupil_id: int | None = None) -> Screen:
    """``pupil_id``: draw the page that pupil is on (the one just given a mark)."""
    lesson, period = sheet.lesson, sheet.period
    if period is None:
        return Screen(tx("final.no_period"))
    if pupil_id is not None:
        page = pupils_page_of(sheet.pupils, pupil_id)
    given = {p: f" — {v}" for p, v in sheet.finals.items() if v}
    rows = pupil_grid(sheet.pupils, page, given, FinalCb, lesson=lesson.id)
    turn = PupilsPageCb(lesson=lesson.id, screen=PupilsScreen.FINAL, page=0)
    text = tx(
        "final.title",
        cls=quote(lesson.class_name),
        subject=quote(lesson.subject),
        period=quote(period.name),
    )
    return Screen(
        text + page_note(tx, sheet.pupils, page),
        paged(rows, sheet.pupils, page, turn, LessonCb(lesson=lesson.id), tx),
    )


def values(tx: Texts, sheet: FinalsSheet, pupil_id: int) -> Screen:
    """The final marks (5…1 and the special ones) for one pupil, back to their page."""
    found = sheet.pupil(pupil_id)
    if sheet.period is None or found is None:
        return Screen(
            tx("final.no_period" if sheet.period is None else "error.pupil_not_in_lesson")
        )
    lesson_id = sheet.lesson.id

    def pick(value: str) -> Button:
        return Button(value, FinalCb(lesson=lesson_id, pupil=pupil_id, value=value))

    page = pupils_page_of(sheet.pupils, pupil_id)
    back = PupilsPageCb(lesson=lesson_id, screen=PupilsScreen.FINAL, page=page)
    text = tx(
        "final.pick_value",
        name=quote(found.full_name),
        subject=quote(sheet.lesson.subject),
        period=quote(sheet.period.name),
    )
    return Screen(
        text,
        [
            [pick(v) for v in FINAL_VALUES[:5]],
            [pick(v) for v in FINAL_VALUES[5:]],
            [Button(tx("nav.back"), back)],
        ],
    )
