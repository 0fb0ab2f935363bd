"""The pure rules (core/rules.py) on plain values: no database, no bot, no clock calls.
Each rule function is exercised at its edges; the regulation id is in the test name."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from core.rules import (
    DEFAULT_WORK_TYPES,
    TOPIC_LESSONS_AHEAD,
    Rules,
    SchoolRules,
    correction_deadline_at,
    edit_window_end,
    grade_has_marks,
    needs_approval,
    plain_average,
    weighted_average,
)

MOSCOW = ZoneInfo("Europe/Moscow")  # UTC+3 all year
LESSON_DAY = date(2026, 11, 23)


def _rules(edit_window_days: int | None = None, deadline: time = time(20, 0)) -> SchoolRules:
    return SchoolRules(
        timezone=MOSCOW, correction_deadline=deadline, edit_window_days=edit_window_days
    )


def _utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def test_r7_defaults_are_the_regulations() -> None:
    rules = Rules()
    assert rules.correction_deadline == time(20, 0)
    assert rules.timezone == MOSCOW
    assert rules.edit_window_days is None  # R8: never limited unless the admin sets it
    assert TOPIC_LESSONS_AHEAD == 5  # R13


def test_r7_correction_deadline_is_20_local_on_the_lesson_day() -> None:
    assert correction_deadline_at(LESSON_DAY, _rules()) == _utc(23, 17)


def test_r7_correction_deadline_follows_the_school_timezone_and_hour() -> None:
    rules = SchoolRules(
        timezone=ZoneInfo("Asia/Yekaterinburg"),  # UTC+5
        correction_deadline=time(18, 30),
        edit_window_days=None,
    )
    assert correction_deadline_at(LESSON_DAY, rules) == _utc(23, 13, 30)


def test_r8_edit_window_unlimited_has_no_end() -> None:
    assert edit_window_end(LESSON_DAY, _rules(None)) is None


@pytest.mark.parametrize(("days", "end_day"), [(0, 23), (7, 30)])
def test_r8_edit_window_ends_at_the_deadline_days_after_the_lesson(days: int, end_day: int) -> None:
    assert edit_window_end(LESSON_DAY, _rules(days)) == _utc(end_day, 17)


def test_r8_edit_window_of_a_month_crosses_the_month_end() -> None:
    assert edit_window_end(LESSON_DAY, _rules(30)) == datetime(2026, 12, 23, 17, tzinfo=UTC)


def test_r7_author_corrects_directly_until_20() -> None:
    before = _utc(23, 16, 59)  # 19:59 in Moscow
    assert not needs_approval(
        now=before, lesson_date=LESSON_DAY, rules=_rules(), changes_existing=True, is_author=True
    )


def test_r7_a_correction_at_20_or_later_goes_to_the_deputy() -> None:
    for now in (_utc(23, 17), _utc(24, 8)):  # 20:00 sharp, the next morning
        assert needs_approval(
            now=now, lesson_date=LESSON_DAY, rules=_rules(), changes_existing=True, is_author=True
        )


def test_r7_someone_elses_entry_always_goes_to_the_deputy() -> None:
    assert needs_approval(
        now=_utc(23, 9),
        lesson_date=LESSON_DAY,
        rules=_rules(),
        changes_existing=True,
        is_author=False,
    )


def test_r8_a_new_entry_is_direct_when_the_window_is_unlimited() -> None:
    assert not needs_approval(
        now=_utc(30, 9),
        lesson_date=LESSON_DAY,
        rules=_rules(None),
        changes_existing=False,
        is_author=False,
    )


def test_r8_a_new_entry_is_direct_until_the_window_closes() -> None:
    rules = _rules(7)
    inside = _utc(30, 16, 59)
    closed = _utc(30, 17)
    assert not needs_approval(
        now=inside, lesson_date=LESSON_DAY, rules=rules, changes_existing=False, is_author=True
    )
    assert needs_approval(
        now=closed, lesson_date=LESSON_DAY, rules=rules, changes_existing=False, is_author=True
    )


def test_r8_a_lesson_day_only_window_closes_at_20_the_same_day() -> None:
    rules = _rules(0)
    assert not needs_approval(
        now=_utc(23, 16),
        lesson_date=LESSON_DAY,
        rules=rules,
        changes_existing=False,
        is_author=True,
    )
    assert needs_approval(
        now=_utc(23, 17),
        lesson_date=LESSON_DAY,
        rules=rules,
        changes_existing=False,
        is_author=True,
    )


def test_r21_plain_average_rounds_half_up_to_two_places() -> None:
    assert plain_average([]) is None
    assert plain_average([5]) == Decimal("5.00")
    assert plain_average([4, 5, 5]) == Decimal("4.67")
    assert plain_average([3, 4, 4, 4, 4, 4, 4, 4]) == Decimal("3.88")  # 3.875 → 3.88


def test_r21_weighted_average_weighs_each_mark() -> None:
    assert weighted_average([]) is None
    assert weighted_average([(5, Decimal("0"))]) is None  # no weight: no average
    assert weighted_average([(5, Decimal("1")), (3, Decimal("2"))]) == Decimal("3.67")
    assert weighted_average([(4, Decimal("1.5")), (5, Decimal("1.5"))]) == Decimal("4.50")
    # 2·1 + 5·1.5 = 9.5 over 2.5 = 3.8
    assert weighted_average([(2, Decimal("1")), (5, Decimal("1.5"))]) == Decimal("3.80")


def test_r21_default_work_type_weights() -> None:
    weights = {code: weight for code, _name, weight in DEFAULT_WORK_TYPES}
    assert weights == {
        "answer": Decimal("1"),
        "homework": Decimal("1"),
        "independent": Decimal("1.5"),
        "test": Decimal("2"),
    }


@pytest.mark.parametrize(("grade", "has_marks"), [(1, False), (2, True), (5, True), (11, True)])
def test_r12_no_marks_in_the_first_grade(grade: int, has_marks: bool) -> None:
    assert grade_has_marks(grade) is has_marks
