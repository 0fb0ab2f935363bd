"""Composing notifications: a notification is a screen (``bot/screen.py``: text and rows
of buttons) cut into messages under the limits of the channel it goes through (the
channel's adapter states them: ``bot.screen.Limits``), one outbox row each."""

from __future__ import annotations

from typing import Any

from bot.screen import Limits, Row
from bot.screens.nav import day_label
from notifications.outbox import OutboxItem

Keyboard = list[Row]

__all__ = [
    "Keyboard",
    "clip",
    "day_label",
    "first_names",
    "given_name",
    "items_for",
    "numbered",
    "split_blocks",
]


def clip(value: str, limit: int) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def first_names(full_name: str) -> str:
    """«Иванов Пётр Алексеевич» → «Иванов Пётр»: surname and first name, as parents read it."""
    return " ".join(full_name.split()[:2]) or full_name


def given_name(full_name: str) -> str:
    """«Иванов Пётр Алексеевич» → «Пётр»."""
    parts = full_name.split()
    return parts[1] if len(parts) >= 2 else full_name


def split_blocks(blocks: list[str], limits: Limits) -> list[str]:
    """Join blocks (a few whole lines of HTML each, shown with a blank line between them)
    into as few messages as fit under the channel's limit (``limits.text_safe``, as the
    channel counts length). A message breaks between blocks, or between the lines of a
    block too long alone; every line is complete HTML, so no message ends inside a tag."""
    limit, length = limits.text_safe, limits.text_length
    whole = "\n\n".join(blocks)
    if 2 * len(whole) <= limit or length(whole) <= limit:  # the usual case: one message
        return [whole] if whole else []
    parts: list[str] = []
    current = ""

    def push(piece: str, separator: str) -> None:
        nonlocal current
        candidate = f"{current}{separator}{piece}" if current else piece
        if current and length(candidate) > limit:
            parts.append(current)
            current = piece
        else:
            current = candidate

    for block in blocks:
        if length(block) <= limit:
            push(block, "\n\n")
            continue
        for i, line in enumerate(block.split("\n")):
            # No line built here comes near the limit (texts are clipped); cut if one did.
            push(line if length(line) <= limit else line[: limit // 2], "\n\n" if i == 0 else "\n")
    if current:
        parts.append(current)
    return parts


def numbered(key: str, index: int) -> str:
    """The outbox key of the n-th part of a message: ``key``, ``key:part2``, …"""
    return key if index == 0 else f"{key}:part{index + 1}"


def items_for(
    key: str,
    chat_id: int,
    kind: str,
    parts: list[str],
    *,
    binding_id: int | None,
    channel: str,
    keyboard: Keyboard | None = None,
    meta: dict[str, Any] | None = None,
) -> list[OutboxItem]:
    """One outbox item per part; the buttons go under the last part."""
    items = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        items.append(
            OutboxItem(
                key=numbered(key, i),
                chat_id=chat_id,
                channel=channel,
                kind=kind,
                text=part,
                binding_id=binding_id,
                buttons=keyboard if last and keyboard else None,
                meta={**(meta or {}), "part": i + 1, "parts": len(parts)}
                if len(parts) > 1
                else dict(meta or {}),
            )
        )
    return items
