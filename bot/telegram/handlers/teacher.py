"""The teacher's day, the roll call, topic and homework, substitutions: flows
(``bot/flows/teacher.py``), registered for Telegram."""

from __future__ import annotations

from aiogram import Router

from bot.flows import teacher
from bot.telegram.turn import router_of


def build() -> Router:
    return router_of("teacher", teacher.routes())
