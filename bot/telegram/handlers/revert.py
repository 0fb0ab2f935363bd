"""Voiding what a compromised account did (R3): flows (``bot/flows/revert.py``),
registered for Telegram."""

from __future__ import annotations

from aiogram import Router

from bot.flows import revert
from bot.telegram.turn import router_of


def build() -> Router:
    return router_of("revert", revert.routes())
