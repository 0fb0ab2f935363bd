"""The command menu: a general one, and a role-specific one per chat after binding."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from core.accounts import Caller
from core.models import BindingRole, StaffRole
from texts import Texts

log = logging.getLogger(__name__)


def commands_for(caller: Caller, tx: Texts) -> list[BotCommand]:
    names = ["menu"]
    actor = caller.actor
    if actor is None:
        names = ["start"]
    elif actor.role is BindingRole.STAFF:
        if actor.has(StaffRole.TEACHER):
            names.append("today")
        if actor.has(StaffRole.DEPUTY, StaffRole.DIRECTOR):
            names.append("requests")
    else:
        names += ["marks", "absences", "homework", "schedule"]
    if caller.bindings > 1:
        names.append("role")
    names += ["help", "logout"] if actor else ["help"]
    return [BotCommand(command=n, description=tx(f"cmd.{n}")) for n in names]


async def set_default_commands(bot: Bot, tx: Texts) -> None:
    await bot.set_my_commands(
        [BotCommand(command=n, description=tx(f"cmd.{n}")) for n in ("start", "help")],
        scope=BotCommandScopeDefault(),
    )


async def set_chat_commands(bot: Bot, chat_id: int, caller: Caller, tx: Texts) -> None:
    try:
        await bot.set_my_commands(
            commands_for(caller, tx), scope=BotCommandScopeChat(chat_id=chat_id)
        )
    except TelegramAPIError:  # a menu is a comfort, not a reason to fail the binding
        log.warning("could not set the command menu for a chat", exc_info=True)
