"""The digest's read receipt and the list of who has not read: flows
(``bot/flows/digest.py``), registered for Telegram."""

from __future__ import annotations

from aiogram import Router

from bot.flows import digest
from bot.telegram.turn import router_of


def build() -> Router:
    return router_of("digest", digest.routes())
