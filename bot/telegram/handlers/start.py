"""Telegram's own updates of the start feature: the user blocking or unblocking the bot.
Binding, consent, the menu, roles, help and logout are flows (``bot/flows/start.py``)."""

from __future__ import annotations

from aiogram import Router
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.types import ChatMemberUpdated

from bot.flows import start
from bot.telegram.identity import telegram_user
from bot.telegram.turn import router_of
from core import accounts
from core.journal import Journal


async def chat_member_changed(event: ChatMemberUpdated, journal: Journal) -> None:
    """The user blocked or unblocked the bot: notifications stop or resume."""
    if event.chat.type != ChatType.PRIVATE:
        return
    gone = event.new_chat_member.status in (ChatMemberStatus.KICKED, ChatMemberStatus.LEFT)
    await accounts.set_reachable(journal, telegram_user(event), not gone)


def build() -> Router:
    router = router_of("start", start.routes())
    router.my_chat_member.register(chat_member_changed)
    return router
