"""What the office and family screens share: the way back to the menu and a day's title."""

from __future__ import annotations

from datetime import date

from bot.actions import Nav, NavCb
from bot.screen import Button, Row, Screen
from texts import Texts


def menu_row(tx: Texts) -> Row:
    """«В меню»: the last row of a screen that leads nowhere else."""
    return [Button(tx("nav.menu"), NavCb(to=Nav.MENU))]


def to_menu(tx: Texts, text: str) -> Screen:
    """A text with only the way back to the menu under it."""
    return Screen(text, [menu_row(tx)])


def day_title(tx: Texts, day: date) -> str:
    """«Понедельник, 30.11.2026»."""
    return f"{tx(f'wd.{day.isoweekday()}')}, {day:%d.%m.%Y}"


def day_label(tx: Texts, day: date) -> str:
    """«пн 23.11»."""
    return f"{tx(f'wd.{day.isoweekday()}')} {day:%d.%m}"
