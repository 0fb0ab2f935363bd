"""The teacher's screens as pure functions of core's data (no database, no messenger):
what each draws from a lesson, its roll call and its marks."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

from bot.actions import BulkCb
from bot.screen import Screen
from bot.screens import finals, marks, roll_call
from bot.telegram.limits import TELEGRAM_LIMITS
from core.attendance import RollCall, RollCallLine
from core.lessons import LessonCounts, LessonSummary, PupilOfLesson
from core.marks import FinalsSheet, MarksSheet, MarkView, WorkTypeView
from texts import Texts

tx = Texts()
MONDAY = date(2026, 11, 23)


def lesson(grade: int = 5) -> LessonSummary:
    return LessonSummary(
        1, MONDAY, 2, time(9, 30), time(10, 15), 1, "5А", grade, None, 1, "Математика",
        1, False, None, None, None, False,
    )  # fmt: skip


def pupils(count: int) -> list[PupilOfLesson]:
    return [PupilOfLesson(i, f"Ученик{i:03} Иван", f"Ученик{i:03} И.") for i in range(1, count + 1)]


def call(count: int, grade: int = 5) -> RollCall:
    lines = [RollCallLine(p, None) for p in pupils(count)]
    return RollCall(1, lines, LessonCounts(0, 0, 0, count, 0), False, lesson(grade))


def texts(screen: Screen) -> list[str]:
    return [b.text for row in screen.rows for b in row]


def test_r12_a_first_grade_card_offers_no_marks() -> None:
    first = texts(roll_call.card(tx, call(3, grade=1), MONDAY, TELEGRAM_LIMITS))
    fifth = texts(roll_call.card(tx, call(3), MONDAY, TELEGRAM_LIMITS))
    assert tx("lesson.topic") in first and tx("lesson.topic") in fifth
    for key in ("lesson.marks", "lesson.homework", "lesson.bulk", "lesson.final"):
        assert tx(key) not in first and tx(key) in fifth


def test_r4_a_class_larger_than_a_keyboard_takes_pages_of_the_roll_call() -> None:
    screen = roll_call.card(tx, call(170), MONDAY, TELEGRAM_LIMITS, page=1)
    names = [t for t in texts(screen) if "Ученик" in t]
    assert len(names) == 80 and names[0].endswith("Ученик081 И.")
    assert "◀ 1" in texts(screen) and "3 ▶" in texts(screen)
    assert tx("rollcall.page", first=81, last=160, total=170) in screen.text


def test_r11_final_marks_without_a_period_say_so() -> None:
    sheet = FinalsSheet(lesson(), None, [], {})
    assert finals.pupils(tx, sheet).text == tx("final.no_period")
    assert finals.values(tx, sheet, 1).text == tx("final.no_period")


def test_bulk_mode_shows_each_pupils_mark_of_the_chosen_work_and_keeps_the_page() -> None:
    test = WorkTypeView(7, "test", "Контрольная работа", Decimal("2"))
    answer = WorkTypeView(8, "answer", "Ответ на уроке", Decimal("1"))
    given = {
        60: [
            MarkView(1, 1, MONDAY, 4, "Контрольная работа", Decimal("2"), None),
            MarkView(2, 1, MONDAY, 3, "Ответ на уроке", Decimal("1"), None),
        ]
    }
    sheet = MarksSheet(lesson(), pupils(70), given, [test, answer])
    screen = marks.bulk(tx, sheet, BulkCb(lesson=1, value=5, wt=7, page=1))
    assert "Ученик060 И. — 4" in texts(screen)  # the test's mark, not the answer's
    values = [b for b in screen.rows[0]]
    assert values[-1].text == "• 5" and values[0].action == BulkCb(lesson=1, value=2, wt=7, page=1)
