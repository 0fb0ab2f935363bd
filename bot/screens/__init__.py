"""Screens: functions from core's data to a :class:`bot.screen.Screen` (text and rows of
buttons with typed actions), one module per feature. A screen knows no messenger: nothing
here imports aiogram; the Telegram adapter (``bot/render.py``, ``bot/handlers/``) shows
them. A handler calls one use case, then one screen function."""

from bot.screens import (
    bindings,
    class_teacher,
    codes,
    common,
    digest,
    family,
    friday_round,
    nav,
    periods,
    reasons,
    reports,
    revert,
    roster,
    rules,
    start,
)

__all__ = [
    "bindings",
    "class_teacher",
    "codes",
    "common",
    "digest",
    "family",
    "friday_round",
    "nav",
    "periods",
    "reasons",
    "reports",
    "revert",
    "roster",
    "rules",
    "start",
]
