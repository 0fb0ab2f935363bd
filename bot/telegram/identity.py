"""Who sent a Telegram update, as core names a messenger's user."""

from __future__ import annotations

from aiogram.types import CallbackQuery, ChatMemberUpdated, Message

from core.identity import UserRef


def telegram_user(event: Message | CallbackQuery | ChatMemberUpdated) -> UserRef:
    """The Telegram user who sent the update (a private chat's messages always have one)."""
    if event.from_user is None:
        raise ValueError("an update without a sender")
    return UserRef.telegram(event.from_user.id)
