"""The deputy's correction requests and substitutions, help for the staff: flows
(``bot/flows/staff.py``), registered for Telegram."""

from __future__ import annotations

from aiogram import Router

from bot.flows import staff
from bot.telegram.turn import router_of


def build() -> Router:
    return router_of("staff", staff.routes())
