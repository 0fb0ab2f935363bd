"""Telegram's limits on one message (the Bot API's documentation: sendMessage's text is
1–4096 characters after entities parsing, counted in UTF-16 code units; an inline
keyboard holds at most 100 buttons, in as many rows, 8 a row; callback_data is 1–64
bytes). Kept apart from ``render.py`` so that the notifications read them without
importing aiogram."""

from __future__ import annotations

from bot.screen import Limits, TextUnit

TELEGRAM_LIMITS = Limits(
    text=4096,
    text_safe=3900,  # a part's header and the «(2/3)» fit in the rest
    buttons=100,
    rows=100,
    buttons_per_row=8,
    action_bytes=64,
    unit=TextUnit.UTF16,
)

KEYBOARD_BYTES = 9_000  # Telegram refuses a markup past about 10 kB of JSON
