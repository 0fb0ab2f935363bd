"""The outbox: every notification is first a row with a unique key, inserted
idempotently; a sender delivers the rows. Re-running a job creates nothing new.

This module is the contract between the jobs that build notifications and the sender.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class OutboxItem:
    """One message to one chat.

    ``key`` is unique across the outbox, e.g. ``digest:<binding_id>:2026-11-23`` or
    ``absence:<binding_id>:<pupil_id>:2026-11-23:v2``: inserting an item whose key exists
    does nothing. ``text`` is HTML (parse_mode HTML), at most 4096 characters;
    ``reply_markup`` is an InlineKeyboardMarkup as a JSON-able dict, or None.
    """

    key: str
    chat_id: int
    kind: str  # digest | absence_alert | absence_correction | friday_round | reminder | ...
    text: str
    binding_id: int | None = None
    reply_markup: dict[str, Any] | None = None
    not_before: datetime | None = None  # deliver no earlier than this (UTC)
    meta: dict[str, Any] = field(default_factory=dict)
