"""Reports sent as documents (R9, R18, R21): flows (``bot/flows/reports.py``), registered
for Telegram."""

from __future__ import annotations

from aiogram import Router

from bot.flows import reports
from bot.telegram.turn import router_of


def build() -> Router:
    return router_of("reports", reports.routes())
