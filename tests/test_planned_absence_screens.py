"""The roll call card of the largest class the rules allow with most of it warned of in
advance (issue 13): 30 pupils with long names, 22 of them «Н (предупр.)», is one message on
Telegram and on MAX, within each messenger's limits; the class teacher's week lists the
warnings ahead."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.max import render as max_render
from bot.max.limits import MAX_LIMITS
from bot.screens import roll_call
from bot.screens.class_teacher import Week, warned_ahead
from bot.telegram import render as telegram_render
from bot.telegram.limits import TELEGRAM_LIMITS
from core.attendance import RollCall, RollCallLine
from core.friday_round import Suggestion
from core.lessons import LessonCounts, PupilOfLesson
from core.models import AbsenceReason, Presence
from tests.test_teacher_screens_unit import MONDAY, lesson, tx

LONGEST = "Константинопольская-Преображенская"


def warned_call(count: int = 30, warned: int = 22) -> RollCall:
    lines = [
        RollCallLine(
            PupilOfLesson(i, f"{LONGEST}{i:02} Александра", f"{LONGEST}{i:02} А."),
            None,
            warned=i <= warned,
        )
        for i in range(1, count + 1)
    ]
    return RollCall(1, lines, LessonCounts(0, 0, 0, count, 0), False, lesson())


def test_thirty_pupils_twenty_two_warned_are_one_card_on_telegram() -> None:
    screen = roll_call.card(tx, warned_call(), MONDAY, TELEGRAM_LIMITS)
    labels = [b.text for row in screen.rows for b in row]
    assert sum(t.startswith("📨 ") for t in labels) == 22
    assert sum(t.startswith("▫️ ") for t in labels) == 8
    assert "Н (предупр.) — 22" in screen.text
    messages = telegram_render.screen_messages(screen.text, telegram_render.keyboard(screen.rows))
    assert len(messages) == 1  # the text and the whole keyboard, as one card


def test_thirty_pupils_twenty_two_warned_are_one_card_on_max() -> None:
    screen = roll_call.card(tx, warned_call(), MONDAY, MAX_LIMITS)
    assert max_render.keyboard_problem(screen.rows) is None
    assert all(len(b.text) <= 128 for row in screen.rows for b in row)  # MAX's button text
    assert len(max_render.messages_of(screen)) == 1


def test_a_warned_pupil_once_marked_shows_the_mark_not_the_warning() -> None:
    call = warned_call(3, 3)
    marked = RollCall(
        1,
        [RollCallLine(call.lines[0].pupil, None, warned=True)]
        + [RollCallLine(line.pupil, Presence.PRESENT, warned=True) for line in call.lines[1:]],
        call.counts,
        False,
        call.lesson,
    )
    screen = roll_call.card(tx, marked, MONDAY, TELEGRAM_LIMITS)
    labels = [b.text for row in screen.rows for b in row if LONGEST in b.text]
    assert sum(t.startswith("📨 ") for t in labels) == 1
    assert sum(t.startswith("✅ ") for t in labels) == 2
    assert "Н (предупр.) — 1" in screen.text


def test_the_class_teachers_week_lists_warnings_ahead_a_pupils_days_in_one_line() -> None:
    at = datetime(2026, 11, 23, 10, 0)
    days = [MONDAY + timedelta(days=n) for n in range(5)]
    given = {
        (7, d): [
            Suggestion(
                7, d, AbsenceReason.ILLNESS, "ж" * 300, "Иванова Светлана", at, "Иванов Пётр"
            )
        ]
        for d in days
    }
    week = Week(1, days[1], [], given)  # seen on Tuesday: Monday is gone by
    lines = warned_ahead(tx, week)
    [line] = [x for x in lines if x.startswith("📨")]
    assert line.startswith("📨 Иванов Пётр, 24.11, 25.11, 26.11, 27.11 — болезнь (справка)")
    assert "ж" * 99 + "…" in line and "ж" * 100 not in line
