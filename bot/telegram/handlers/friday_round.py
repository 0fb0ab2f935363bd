"""The Friday round (R6): flows (``bot/flows/friday_round.py``), registered for Telegram."""

from __future__ import annotations

from aiogram import Router

from bot.flows import friday_round
from bot.telegram.turn import router_of


def build() -> Router:
    return router_of("friday_round", friday_round.routes())
