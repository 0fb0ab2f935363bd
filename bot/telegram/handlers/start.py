"""Telegram's own updates of the start feature: the user blocking or unblocking the bot.
Binding, consent, the menu, roles, help and logout are flows (``bot/flows/start.py``)."""

from __future__ import annotations

from collections.abc import Container

from aiogram import Bot, Router
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.types import ChatMemberUpdated

from bot.flows import start
from bot.telegram.identity import bot_scope, telegram_user
from bot.telegram.turn import router_of
from core import accounts
from core.journal import Journal


async def chat_member_changed(
    event: ChatMemberUpdated, journal: Journal, bot: Bot, school_bots: Container[int] = ()
) -> None:
    """The user blocked or unblocked the bot: notifications through it stop or resume."""
    if event.chat.type != ChatType.PRIVATE:
        return
    gone = event.new_chat_member.status in (ChatMemberStatus.KICKED, ChatMemberStatus.LEFT)
    user = telegram_user(event, bot_scope(bot, school_bots))
    await accounts.set_reachable(journal, user, not gone)


def build() -> Router:
    router = router_of("start", start.routes())
    router.my_chat_member.register(chat_member_changed)
    return router
