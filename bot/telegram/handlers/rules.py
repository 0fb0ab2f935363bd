"""The school's rules, the same-day deadline and the edit window (R7, R8): flows
(``bot/flows/rules.py``), registered for Telegram."""

from __future__ import annotations

from aiogram import Router

from bot.flows import rules
from bot.telegram.turn import router_of


def build() -> Router:
    return router_of("rules", rules.routes())
