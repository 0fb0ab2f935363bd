"""A parent's suggested reason for an absence and the class teacher's rejection of one:
flows (``bot/flows/reasons.py``), registered for Telegram."""

from __future__ import annotations

from aiogram import Router

from bot.flows import reasons
from bot.telegram.turn import router_of


def build() -> Router:
    return router_of("reasons", reasons.routes())
