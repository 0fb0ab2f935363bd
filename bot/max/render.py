"""The MAX adapter's side of a screen (``bot/screen.py``): a screen becomes MAX messages
here, under MAX's limits (``limits.py``): its text (HTML, counted as sent, tags included)
split at line boundaries, its buttons an inline keyboard attachment of callback buttons
(the packed action as the payload) and link buttons, rows wrapped at 7 and spread over
several messages past 30 rows or 210 buttons; a button's text is cut at 128 characters."""

from __future__ import annotations

import re
from html import escape, unescape
from typing import Any

from maxapi.enums.intent import Intent
from maxapi.types.attachments.buttons.attachment_button import AttachmentButton
from maxapi.types.attachments.buttons.callback_button import CallbackButton
from maxapi.types.attachments.buttons.link_button import LinkButton
from maxapi.utils.inline_keyboard import InlineKeyboardBuilder

from bot.max.limits import MAX_LIMITS
from bot.screen import Button, Row, Screen, Style

LIMITS = MAX_LIMITS
BUTTON_TEXT = 128
LINKS_PER_ROW = 3  # a row with a link button holds at most 3 (dev.max.ru, «Клавиатура»)
_TAG = re.compile(r"<[^>]*>")
CONTINUED = "⬇️"  # the text of a message that only carries the rest of a keyboard

Message = tuple[str, list[Any]]  # text, attachments (maxapi types them as a list of its union)


def messages_of(screen: Screen | str) -> list[Message]:
    """The MAX messages a screen takes: its text in parts, the keyboard under the last (and
    what does not fit one keyboard in messages of its own)."""
    text, rows = (screen.text, screen.rows) if isinstance(screen, Screen) else (screen, [])
    parts = split_text(text) or [CONTINUED]
    keyboards = split_rows(rows)
    messages: list[Message] = [(p, []) for p in parts]
    if keyboards:
        messages[-1] = (parts[-1], [keyboard(keyboards[0])])
        messages += [(CONTINUED, [keyboard(k)]) for k in keyboards[1:]]
    return messages


def keyboard(rows: list[Row]) -> AttachmentButton:
    builder = InlineKeyboardBuilder()
    for row in rows:
        builder.row(*(_button(b) for b in row))
    return builder.as_markup()


def keyboard_problem(rows: list[Row]) -> str | None:
    """Why the rows do not fit one MAX keyboard as they are (``None``: they do)."""
    if len(rows) > LIMITS.rows or sum(len(row) for row in rows) > LIMITS.buttons:
        return f"a keyboard over {LIMITS.rows} rows or {LIMITS.buttons} buttons"
    wide = next((row for row in rows if len(row) > row_width(row)), None)
    return f"a row of {len(wide)} buttons: {[b.text for b in wide]}" if wide else None


def row_width(row: Row) -> int:
    """How many buttons a row of these may hold."""
    return LINKS_PER_ROW if any(b.url is not None for b in row) else LIMITS.buttons_per_row


# MAX's intents colour callback buttons only (a link has none); it has no «primary».
INTENTS = {Style.POSITIVE: Intent.POSITIVE, Style.NEGATIVE: Intent.NEGATIVE}


def _button(button: Button) -> CallbackButton | LinkButton:
    text = button.text if len(button.text) <= BUTTON_TEXT else button.text[: BUTTON_TEXT - 1] + "…"
    if button.url is not None:
        return LinkButton(text=text, url=button.url)
    data = button.data or ""
    if not data or len(data.encode()) > LIMITS.action_bytes:
        raise ValueError(f"callback payload over {LIMITS.action_bytes} bytes: {data!r}")
    intent = INTENTS.get(button.style, Intent.DEFAULT) if button.style else Intent.DEFAULT
    return CallbackButton(text=text, payload=data, intent=intent)


def split_rows(rows: list[Row]) -> list[list[Row]]:
    """Rows wrapped at MAX's per-row limit, in keyboards of at most its rows and buttons
    (a row is never torn apart); none for a screen without buttons."""
    wrapped = [
        row[i : i + row_width(row)] for row in rows for i in range(0, len(row), row_width(row))
    ]
    keyboards: list[list[Row]] = []
    count = 0
    for row in wrapped:
        if not keyboards or len(keyboards[-1]) >= LIMITS.rows or count + len(row) > LIMITS.buttons:
            keyboards.append([])
            count = 0
        keyboards[-1].append(row)
        count += len(row)
    return keyboards


def split_text(text: str, limit: int = LIMITS.text) -> list[str]:
    """Split on line breaks into parts of at most ``limit`` characters; a single line
    longer than that is cut between words (it is one paragraph of a person's text, such
    as a homework: its tags are whole within it only when short, so it goes as plain
    text)."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        pieces = [line] if len(line) <= limit else _cut(line, limit)
        for piece in pieces:
            candidate = f"{current}\n{piece}" if current else piece
            if current and len(candidate) > limit:
                parts.append(current)
                current = piece
            else:
                current = candidate
    if current:
        parts.append(current)
    return [p for p in parts if p.strip()]


def _cut(line: str, limit: int) -> list[str]:
    """A line over the limit as plain text, in pieces ending at a space where possible
    (escaped again, with room for what escaping adds)."""
    plain, pieces = unescape(_TAG.sub("", line)), []
    room = limit // 5  # escaped, «&» takes five
    while plain:
        piece = plain[:room]
        if len(piece) < len(plain) and (space := piece.rfind(" ")) > room // 2:
            piece = piece[: space + 1]
        pieces.append(escape(piece, quote=False))
        plain = plain[len(piece) :]
    return pieces
