"""Every feature's routes, in the order updates are matched (binding first). The Telegram
adapter registers each feature as a router of its own (``bot/telegram/handlers/``); the
MAX adapter matches them in this order (``bot/max/dispatch.py``)."""

from __future__ import annotations

from bot.flows import start, teacher
from bot.flows.routes import Route

FEATURES = (start, teacher)


def all_routes() -> list[Route]:
    return [route for feature in FEATURES for route in feature.routes().routes]
