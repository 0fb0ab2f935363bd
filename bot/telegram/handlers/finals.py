"""Final marks of the period (R11): flows (``bot/flows/finals.py``), registered for
Telegram."""

from __future__ import annotations

from aiogram import Router

from bot.flows import finals
from bot.telegram.turn import router_of


def build() -> Router:
    return router_of("finals", finals.routes())
