"""The school's rules (R7, R8): the same-day deadline for corrections and the edit window;
the director and the admin change them, everyone else reads them."""

from __future__ import annotations

from datetime import time

from bot.actions import RulesCb
from bot.screen import Button, Row, Screen, quote
from bot.screens.nav import menu_row
from core.schools import SchoolSettings
from texts import Texts

# The same-day deadlines offered (any other is set by the CLI).
DEADLINES = (time(18, 0), time(19, 0), time(20, 0), time(21, 0))


def _window(tx: Texts, days: int | None) -> str:
    if days is None:
        return tx("rules.window_unlimited")
    return tx("rules.window_days", days=days) if days else tx("rules.window_none")


def _window_short(tx: Texts, days: int | None) -> str:
    if days is None:
        return tx("rules.button_unlimited")
    return tx("rules.button_days", days=days) if days else tx("rules.button_none")


def rules(
    tx: Texts,
    current: SchoolSettings,
    default_window: int | None,
    windows: tuple[int, ...] | None,
) -> Screen:
    """``windows``: the edit windows offered to one who may set them (``None``: may not)."""
    window = _window(
        tx, default_window if current.edit_window_days is None else current.edit_window_days
    )
    if current.edit_window_days is None:
        window += " " + tx("rules.window_is_default")
    text = tx(
        "rules.title",
        name=quote(current.name),
        deadline=f"{current.correction_deadline:%H:%M}",
        window=window,
    )
    if windows is None:
        return Screen(text, [menu_row(tx)])
    text += "\n" + tx("rules.hint")
    return Screen(text, _choices(tx, current, windows, _window_short(tx, default_window)))


def _choices(
    tx: Texts, current: SchoolSettings, windows: tuple[int, ...], default: str
) -> list[Row]:
    """The edit window (days after the lesson, or the deployment's default) and the
    deadline; the current choice marked •."""
    window, deadline = current.edit_window_days, current.correction_deadline
    return [
        [
            Button(
                ("• " if days == window else "")
                + (tx("rules.button_days", days=days) if days else tx("rules.button_none")),
                RulesCb(what="w", value=days),
            )
            for days in windows
        ],
        [
            Button(
                ("• " if window is None else "") + tx("rules.button_default", value=default),
                RulesCb(what="w", value=-1),
            )
        ],
        [
            Button(
                ("• " if at == deadline else "") + f"⏰ {at:%H:%M}",
                RulesCb(what="d", value=at.hour * 60 + at.minute),
            )
            for at in DEADLINES
        ],
        menu_row(tx),
    ]
