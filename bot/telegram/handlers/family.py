"""Parents and pupils: marks, absences, homework, the child switcher and the notification
settings are flows (``bot/flows/family.py``), registered for Telegram."""

from __future__ import annotations

from aiogram import Router

from bot.flows import family
from bot.telegram.turn import router_of


def build() -> Router:
    return router_of("family", family.routes())
