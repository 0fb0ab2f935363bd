"""Showing a screen: edit the message a button belongs to (never re-send), or send one."""

from __future__ import annotations

from html import escape

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

TELEGRAM_TEXT_LIMIT = 4096


async def show(
    target: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """A callback edits its own message in place; a message gets a new answer."""
    if isinstance(target, CallbackQuery):
        message = target.message
        if isinstance(message, Message):
            try:
                await message.edit_text(text, reply_markup=markup)
            except TelegramBadRequest as err:
                if "message is not modified" not in str(err):
                    raise
            return
        target = target.message  # type: ignore[assignment]
    await target.answer(text, reply_markup=markup)  # type: ignore[union-attr]


def h(text: object) -> str:
    """Escape user-supplied text for HTML parse mode."""
    return escape(str(text), quote=False)


def split_text(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Split on line breaks into messages Telegram accepts (each ≤ ``limit``)."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts
