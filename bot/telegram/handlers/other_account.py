"""Cutting another account of the same person (R3): a flow
(``bot/flows/other_account.py``), registered for Telegram."""

from __future__ import annotations

from aiogram import Router

from bot.flows import other_account
from bot.telegram.turn import router_of


def build() -> Router:
    return router_of("other_account", other_account.routes())
