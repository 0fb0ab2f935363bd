"""Screens: functions from core's data to a :class:`bot.screen.Screen` (text and rows of
buttons with typed actions), one module per feature. A screen knows no messenger: nothing
here imports aiogram; the Telegram adapter (``bot/telegram/``: its handlers and
``render.py``) shows them. A handler calls one use case, then one screen function."""

from bot.screens import (
    bindings,
    class_teacher,
    codes,
    common,
    corrections,
    digest,
    family,
    finals,
    homework,
    lessons,
    marks,
    nav,
    periods,
    planned,
    reasons,
    reports,
    revert,
    roll_call,
    roster,
    rules,
    start,
    substitutions,
)

__all__ = [
    "bindings",
    "class_teacher",
    "codes",
    "common",
    "corrections",
    "digest",
    "family",
    "finals",
    "homework",
    "lessons",
    "marks",
    "nav",
    "periods",
    "planned",
    "reasons",
    "reports",
    "revert",
    "roll_call",
    "roster",
    "rules",
    "start",
    "substitutions",
]
