"""The Telegram adapter's side of a screen (``bot/screen.py``): a screen becomes Telegram
messages here, and only here. Edit the message a button belongs to (never re-send), or
send one.

Every screen goes out under Telegram's limits (``limits.py``), whatever the data: a text
longer than Telegram takes (counted as Telegram counts it: after HTML parsing, in UTF-16
code units) is split at line boundaries into several messages, the keyboard under the
last one; a keyboard of more buttons than a message holds is spread over several
messages and a row too wide is wrapped. Screens whose lists can grow page them where that reads
better; this layer makes sure nothing is ever refused for its size."""

from __future__ import annotations

import re
from html import escape, unescape

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.screen import Button, Row, Screen, Style
from bot.telegram.limits import KEYBOARD_BYTES, TELEGRAM_LIMITS

LIMITS = TELEGRAM_LIMITS
CONTINUED = "⬇️"  # the text of a message that only carries the rest of a keyboard

_TAG = re.compile(r"<[^>]*>")


def keyboard(rows: list[Row]) -> InlineKeyboardMarkup | None:
    """A screen's buttons as an inline keyboard (none for a screen without buttons)."""
    if not rows:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[[inline_button(b) for b in row] for row in rows])


# Bot API 9.4's button styles; an older Bot API ignores the field (the emoji stay).
STYLES = {Style.POSITIVE: "success", Style.NEGATIVE: "danger", Style.PRIMARY: "primary"}


def inline_button(button: Button) -> InlineKeyboardButton:
    style = STYLES[button.style] if button.style is not None else None
    if button.url is not None:
        return InlineKeyboardButton(text=button.text, url=button.url, style=style)
    data = button.data
    if data is None or len(data.encode()) > LIMITS.action_bytes:
        raise ValueError(f"callback data over {LIMITS.action_bytes} bytes: {data!r}")
    return InlineKeyboardButton(text=button.text, callback_data=data, style=style)


async def show(
    target: Message | CallbackQuery,
    screen: Screen | str,
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    """A callback edits its own message in place (with the first part, when the screen
    takes several messages); a message gets a new answer. The rest follows as new
    messages, the keyboard under the last. (A bare text with an aiogram markup is the
    form screens not yet moved to ``bot/screens/`` still use.)"""
    if isinstance(screen, Screen):
        text, markup = screen.text, keyboard(screen.rows)
    else:
        text = screen
    messages = screen_messages(text, markup)
    if isinstance(target, CallbackQuery):
        message = target.message
        if isinstance(message, Message):
            first_text, first_markup = messages[0]
            try:
                await message.edit_text(first_text, reply_markup=first_markup)
            except TelegramBadRequest as err:
                if "message is not modified" not in str(err):
                    raise
            for part_text, part_markup in messages[1:]:
                await message.answer(part_text, reply_markup=part_markup)
            return
        target = target.message  # type: ignore[assignment]  # our buttons' message is there
    for part_text, part_markup in messages:
        await target.answer(part_text, reply_markup=part_markup)


def screen_messages(
    text: str, markup: InlineKeyboardMarkup | None = None
) -> list[tuple[str, InlineKeyboardMarkup | None]]:
    """The messages a screen takes: its text split under the limit, then its keyboard in
    pieces Telegram accepts (the first under the text's last part)."""
    parts = split_text(text) or [CONTINUED]
    keyboards = split_keyboard(markup) if markup is not None else [None]
    messages: list[tuple[str, InlineKeyboardMarkup | None]] = [(p, None) for p in parts]
    messages[-1] = (parts[-1], keyboards[0])
    messages += [(CONTINUED, kb) for kb in keyboards[1:]]
    return messages


def visible_length(html_text: str) -> int:
    """What Telegram counts against its limit: the text after HTML parsing, in UTF-16
    code units (an emoji outside the BMP counts twice; «&amp;» counts once)."""
    plain = unescape(_TAG.sub("", html_text))
    return len(plain.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = LIMITS.text) -> list[str]:
    """Split on line breaks into messages Telegram accepts (each ≤ ``limit`` as Telegram
    counts it). A single line longer than that is cut between words, as plain text, so
    that no tag or entity is cut in two."""
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.split("\n"):
        length = visible_length(line)
        if length > limit:
            if current:
                parts.append("\n".join(current))
                current, size = [], 0
            parts.extend(_cut_line(line, limit))
            continue
        added = length + (1 if current else 0)
        if current and size + added > limit:
            parts.append("\n".join(current))
            current, size = [line], length
        else:
            current.append(line)
            size += added
    if current:
        parts.append("\n".join(current))
    return [p for p in parts if p.strip()]


def _cut_line(line: str, limit: int) -> list[str]:
    """A line over the limit, as plain text in pieces ending at a space where possible."""
    plain = unescape(_TAG.sub("", line))
    pieces: list[str] = []
    while plain:
        piece = _utf16_prefix(plain, limit)
        if len(piece) < len(plain):
            space = piece.rfind(" ")
            if space > len(piece) // 2:
                piece = piece[: space + 1]
        pieces.append(escape(piece, quote=False))
        plain = plain[len(piece) :]
    return pieces


def _utf16_prefix(text: str, limit: int) -> str:
    """The longest prefix of ``text`` of at most ``limit`` UTF-16 code units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return text[:index]
    return text


def split_keyboard(
    markup: InlineKeyboardMarkup,
    per_message: int = LIMITS.buttons,
    per_row: int = LIMITS.buttons_per_row,
    max_bytes: int = KEYBOARD_BYTES,
) -> list[InlineKeyboardMarkup]:
    """Rows wrapped at ``per_row`` buttons, then spread over keyboards of at most
    ``per_message`` buttons and ``max_bytes`` of JSON (a row is never torn apart). The
    same markup comes back when it fits, which is every keyboard of a paged screen."""
    rows = markup.inline_keyboard
    sizes = [sum(_button_bytes(b) for b in row) + 2 for row in rows]
    if (
        all(len(r) <= per_row for r in rows)
        and sum(len(r) for r in rows) <= per_message
        and sum(sizes) <= max_bytes
    ):
        return [markup]
    wrapped: list[list[InlineKeyboardButton]] = []
    for row in rows:
        wrapped += [row[i : i + per_row] for i in range(0, len(row), per_row)]
    keyboards: list[list[list[InlineKeyboardButton]]] = [[]]
    count = size = 0
    for row in wrapped:
        row_size = sum(_button_bytes(b) for b in row) + 2
        if keyboards[-1] and (count + len(row) > per_message or size + row_size > max_bytes):
            keyboards.append([])
            count = size = 0
        keyboards[-1].append(row)
        count += len(row)
        size += row_size
    return [InlineKeyboardMarkup(inline_keyboard=k) for k in keyboards]


def _button_bytes(button: InlineKeyboardButton) -> int:
    """About what the button weighs in the markup's JSON (cheap: the roll call is hot)."""
    fields = (button.text, button.callback_data or "", button.url or "")
    return sum(len(f.encode("utf-8")) for f in fields) + 48


async def show_rows(query: CallbackQuery, rows: list[Row]) -> None:
    """Only the buttons of the callback's message change (its text stays); buttons that
    are already those are left as they are."""
    if isinstance(query.message, Message):
        try:
            await query.message.edit_reply_markup(reply_markup=keyboard(rows))
        except TelegramBadRequest as err:
            if "message is not modified" not in str(err):
                raise
