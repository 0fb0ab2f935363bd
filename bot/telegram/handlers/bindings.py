"""The admin and the director: the staff's cards and the bindings (R2, R3): flows
(``bot/flows/bindings.py``), registered for Telegram."""

from __future__ import annotations

from aiogram import Router

from bot.flows import bindings
from bot.telegram.turn import router_of


def build() -> Router:
    return router_of("bindings", bindings.routes())
