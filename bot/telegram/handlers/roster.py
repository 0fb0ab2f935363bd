"""The roster (issue 5): flows (``bot/flows/roster.py``), registered for Telegram."""

from __future__ import annotations

from aiogram import Router

from bot.flows import roster
from bot.telegram.turn import router_of


def build() -> Router:
    return router_of("roster", roster.routes())
