"""Pure rules of the regulations, decided on plain values (no database, no clock calls)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from core.clock import at_local

# The work types a new school starts with (code, name, weight). The names are seed data
# stored in the school's own list (work_type.name), which the school keeps in its own
# language like its subjects, not catalogue text: core hands the stored name over as is.
DEFAULT_WORK_TYPES: tuple[tuple[str, str, Decimal], ...] = (
    ("answer", "Ответ на уроке", Decimal("1")),
    ("homework", "Домашняя работа", Decimal("1")),
    ("independent", "Самостоятельная работа", Decimal("1.5")),
    ("test", "Контрольная работа", Decimal("2")),
)

# R14: the default work types that are written or control works (work_types.written;
# a school's own work types say it themselves).
WRITTEN_WORK_CODES = frozenset({"independent", "test"})

TOPIC_LESSONS_AHEAD = 5  # R13: topic and homework up to 5 lessons ahead

# R14: a written or control work's marks are due within this many working days after the
# lesson: (the last grade of a stage, its days). Grades 1–4: 2 days; grades 5–11: 5 days.
WRITTEN_MARKS_WORKING_DAYS: tuple[tuple[int, int], ...] = ((4, 2), (11, 5))


@dataclass(frozen=True)
class Rules:
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Moscow"))
    correction_deadline: time = time(20, 0)
    edit_window_days: int | None = None
    invitation_ttl_days: int = 14
    redeem_attempts_per_hour: int = 5


@dataclass(frozen=True)
class SchoolRules:
    """The rules in force for one school: its own values where it set them."""

    timezone: ZoneInfo
    correction_deadline: time
    edit_window_days: int | None


def correction_deadline_at(lesson_date: date, rules: SchoolRules) -> datetime:
    """R4, R7: entries are corrected by their author until the deadline on the lesson day."""
    return at_local(lesson_date, rules.correction_deadline, rules.timezone)


def edit_window_end(lesson_date: date, rules: SchoolRules) -> datetime | None:
    """R8: the moment after which nothing is added to a lesson without approval."""
    if rules.edit_window_days is None:
        return None
    return correction_deadline_at(lesson_date + timedelta(days=rules.edit_window_days), rules)


def needs_approval(
    *,
    now: datetime,
    lesson_date: date,
    rules: SchoolRules,
    changes_existing: bool,
    is_author: bool,
) -> bool:
    """Whether a change to a lesson's entry must go to the deputy (R7, R8).

    A new entry may be added directly until the edit window closes (a retake or a late
    roll call); a change to an existing entry is direct only for its author and only until
    the deadline on the lesson day.
    """
    if changes_existing:
        return not is_author or now >= correction_deadline_at(lesson_date, rules)
    window_end = edit_window_end(lesson_date, rules)
    if window_end is None:
        return False
    return now >= window_end


def plain_average(values: list[int]) -> Decimal | None:
    if not values:
        return None
    return _round2(Decimal(sum(values)) / len(values))


def weighted_average(marks: list[tuple[int, Decimal]]) -> Decimal | None:
    """Σ value·weight / Σ weight, rounded half-up to two places."""
    total_weight = sum((weight for _, weight in marks), Decimal(0))
    if not marks or total_weight == 0:
        return None
    return _round2(
        sum((Decimal(value) * weight for value, weight in marks), Decimal(0)) / total_weight
    )


def _round2(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def grade_has_marks(grade: int) -> bool:
    """R12: no marks and no homework in the first grade."""
    return grade != 1


def written_marks_days(grade: int) -> int:
    """R14: the working days after a written or control work within which its marks are
    due: 2 in grades 1–4, 5 in grades 5–11."""
    for last_grade, days in WRITTEN_MARKS_WORKING_DAYS:
        if grade <= last_grade:
            return days
    return WRITTEN_MARKS_WORKING_DAYS[-1][1]


def written_marks_due(lesson_date: date, grade: int, working_days: list[date]) -> date | None:
    """R14: the last day for a written work's marks: the ``written_marks_days``-th working
    day after the lesson (``working_days`` sorted; the lesson day itself does not count, a
    weekend or a holiday is skipped). ``None`` when the calendar given ends before it."""
    after = [d for d in working_days if d > lesson_date]
    days = written_marks_days(grade)
    return after[days - 1] if len(after) >= days else None
