"""Reporting periods, closed and reopened (R10): flows (``bot/flows/periods.py``),
registered for Telegram."""

from __future__ import annotations

from aiogram import Router

from bot.flows import periods
from bot.telegram.turn import router_of


def build() -> Router:
    return router_of("periods", periods.routes())
