"""The MAX bot's command menu (``PATCH /me/commands``). MAX keeps one list for every chat
(Telegram also has one per chat, which the Telegram adapter sets after a binding), so the
list holds the commands that mean something to everyone: what a role may do is on the
menu's buttons. Published at start and tried again, 1 s doubling to 60 s, while MAX is
unreachable: a menu is a comfort, never a reason not to serve."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from maxapi import Bot
from maxapi.exceptions.max import MaxApiError, MaxConnection
from maxapi.types.command import BotCommand

from texts import Texts

log = logging.getLogger(__name__)

EVERYONE = ("start", "menu", "role", "help", "logout")
RETRY_FIRST, RETRY_MAX = 1.0, 60.0


def commands(tx: Texts) -> list[BotCommand]:
    return [BotCommand(name=name, description=tx(f"cmd.{name}")) for name in EVERYONE]


async def publish(
    bot: Bot,
    tx: Texts,
    stop: asyncio.Event,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> bool:
    """Set the menu, trying again until it is set (True) or ``stop`` (False)."""
    retry = RETRY_FIRST
    while not stop.is_set():
        try:
            await bot.set_commands(*commands(tx))
        except (MaxConnection, MaxApiError, OSError, TimeoutError) as err:
            log.warning("the MAX menu is not set yet (%s); trying again", type(err).__name__)
            await sleep(retry)
            retry = min(RETRY_MAX, retry * 2)
        else:
            return True
    return False
