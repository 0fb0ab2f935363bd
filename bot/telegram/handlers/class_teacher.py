"""The class teacher's class: flows (``bot/flows/class_teacher.py``), registered for
Telegram."""

from __future__ import annotations

from aiogram import Router

from bot.flows import class_teacher
from bot.telegram.turn import router_of


def build() -> Router:
    return router_of("class_teacher", class_teacher.routes())
