"""A teacher's day: the lessons of a date, a fortnight of days one tap away (R4, R5)."""

from __future__ import annotations

from datetime import date, timedelta

from bot.actions import DayCb, LessonCb, SubsListCb
from bot.screen import Button, Row, Screen
from bot.screens.nav import day_title, menu_row
from core.lessons import LessonSummary
from texts import Texts


def day(tx: Texts, shown: date, lessons: list[LessonSummary]) -> Screen:
    """The teacher's lessons of a day (✓ once the roll call is taken), ◀ ▶ a day, the
    fortnight, taking a substitution, the menu."""
    text = tx("teacher.day", day=day_title(tx, shown))
    if not lessons:
        text += "\n" + tx("teacher.no_lessons")
    rows: list[Row] = []
    for x in lessons:
        when = x.starts_at.strftime("%H:%M") if x.starts_at else ""
        done = " ✓" if x.attendance_taken else ""
        label = f"{x.lesson_no}. {when} {x.class_name} {x.subject}{done}"
        rows.append([Button(label, LessonCb(lesson=x.id))])
    prev_day, next_day = shown - timedelta(days=1), shown + timedelta(days=1)
    rows.append(
        [
            Button(f"◀ {prev_day:%d.%m}", DayCb(day=prev_day.toordinal())),
            Button(f"{next_day:%d.%m} ▶", DayCb(day=next_day.toordinal())),
        ]
    )
    rows.extend(week_rows(tx, shown))
    rows.append([Button(tx("teacher.substitute"), SubsListCb(day=shown.toordinal()))])
    rows.append(menu_row(tx))
    return Screen(text, rows)


def week_rows(tx: Texts, shown: date) -> list[Row]:
    """The shown day's week and the next as two rows of days («Пн 30» … «Сб 5»): any day
    of the fortnight is one tap away; the shown day is marked with a dot."""
    monday = shown - timedelta(days=shown.weekday())
    rows = []
    for week in (0, 1):
        row = []
        for i in range(6):
            d = monday + timedelta(days=7 * week + i)
            label = f"{tx(f'wd.{i + 1}').capitalize()} {d.day}"
            row.append(Button(f"• {label}" if d == shown else label, DayCb(day=d.toordinal())))
        rows.append(row)
    return rows
