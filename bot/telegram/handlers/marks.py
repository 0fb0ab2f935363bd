"""The teacher's marks, bulk mode and the reason of a late correction: flows
(``bot/flows/marks.py``), registered for Telegram."""

from __future__ import annotations

from aiogram import Router

from bot.flows import marks
from bot.telegram.turn import router_of


def build() -> Router:
    return router_of("marks", marks.routes())
