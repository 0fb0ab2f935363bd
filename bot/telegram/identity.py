"""Who sent a Telegram update, as core names a messenger's user, and through which bot."""

from __future__ import annotations

from collections.abc import Container
from typing import Any

from aiogram import Bot
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message

from core.identity import UserRef


def telegram_user(
    event: Message | CallbackQuery | ChatMemberUpdated, scope: int | None = None
) -> UserRef:
    """The Telegram user who sent the update (a private chat's messages always have one)
    through the bot ``scope`` (``bot_scope``)."""
    if event.from_user is None:
        raise ValueError("an update without a sender")
    return UserRef.telegram(event.from_user.id, scope)


def bot_scope(bot: Bot, school_bots: Container[int]) -> int | None:
    """The school's bot an update came through (issue 14), None for the shared bot.
    ``school_bots``: the school bots' ids (the dispatcher's ``school_bots``)."""
    return bot.id if bot.id in school_bots else None


def scope_of(data: dict[str, Any]) -> int | None:
    """``bot_scope`` of an update's handler data."""
    return bot_scope(data["bot"], data.get("school_bots", ()))
