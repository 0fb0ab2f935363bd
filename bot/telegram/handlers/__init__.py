"""The Telegram adapter's routers, built fresh for each dispatcher: every feature's flows
(``bot/flows/features.py``, in its order: binding first) as a router of its own, with
Telegram's own update of the start (a user blocking the bot) beside them, and the
fallback last."""

from aiogram import Router

from bot.flows import features
from bot.flows import start as start_flows
from bot.telegram.handlers import fallback, start
from bot.telegram.turn import router_of


def routers() -> list[Router]:
    flows = [
        router_of(feature.__name__.rsplit(".", 1)[-1], feature.routes())
        for feature in features.FEATURES
        if feature is not start_flows
    ]
    return [start.build(), *flows, fallback.build()]
