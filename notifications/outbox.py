"""The outbox: every notification is first a row with a unique key, inserted
idempotently; a sender delivers the rows. Re-running a job creates nothing new.

This module is the contract between the jobs that build notifications and the sender
(``notifications/sender.py``): jobs call :func:`enqueue` inside their own transaction,
so a notification exists exactly when the change that caused it was committed.

A row's life: ``pending`` → ``sent`` (with the messenger's ``message_id``, as text),
``failed`` (with the error), or ``unreachable`` (the user blocked the bot or deleted the
account). Nothing is dropped silently: every row ends in one of those three states,
``attempts`` counts the tries, ``last_error`` keeps the last error.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.screen import Button, Row, Style
from core.accounts.choices import quiet_end, quiet_hours_of
from core.digest.content import COPY_FROM, copy_new, driver
from core.identity import bot_channel
from core.journal import Journal
from core.models import Messenger
from core.status import outbox_states

TELEGRAM = Messenger.TELEGRAM.value  # a channel is named as its messenger
MAX_KEY_LENGTH = 255
ENQUEUE_CHUNK = 5000  # rows per INSERT statement (one round trip each)


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # a permanent error (400 bad request, gave up retrying): see last_error
    UNREACHABLE = "unreachable"  # 403: blocked by the user or account deactivated


@dataclass(frozen=True)
class OutboxItem:
    """One message to one chat.

    ``key`` is unique across the outbox, e.g. ``digest:<binding_id>:2026-11-23`` or
    ``absence:<binding_id>:<pupil_id>:2026-11-23:v2``: inserting an item whose key exists
    does nothing. ``text`` is a screen's text (``bot/screen.py``: the HTML subset every
    channel reads), within the channel's length limit; ``buttons`` are the screen's rows.
    ``channel`` names the messenger that delivers it (``notifications/channels/``).
    ``meta["edit_of"]``, the key of an earlier item to the same chat, makes this item an
    edit of the message that one delivered (a new message if it cannot be edited).
    """

    key: str
    chat_id: int
    kind: str  # digest | absence_alert | absence_correction | friday_round | reminder | ...
    text: str
    binding_id: int | None = None
    buttons: list[Row] | None = None
    channel: str = TELEGRAM
    not_before: datetime | None = None  # deliver no earlier than this (UTC)
    meta: dict[str, Any] = field(default_factory=dict)


def binding_of_channel(channel: str) -> str:
    """SQL: the binding ``b`` goes by the channel that the SQL expression ``channel``
    names (``bot_channel`` read back; (messenger, user_id) still finds it by index)."""
    return (
        f"b.messenger = split_part({channel}, ':', 1) AND b.bot_id IS NOT DISTINCT FROM"
        f" CAST(NULLIF(split_part({channel}, ':', 2), '') AS bigint)"
    )


# The channel a job names is its messenger's; an item to a binding made through a
# school's own bot goes by that bot's channel (derived here, so no job knows of bots).
_INSERT = text(
    """
    INSERT INTO outbox
        (key, kind, channel, chat_id, binding_id, text, buttons, meta, not_before,
         next_attempt_at)
    SELECT u.key, u.kind,
           COALESCE(CAST(:channel AS varchar) || ':' || b.bot_id, CAST(:channel AS varchar)),
           u.chat_id, u.binding_id, u.text,
           CAST(u.buttons AS jsonb), CAST(u.meta AS jsonb), u.not_before, u.not_before
    FROM unnest(
        CAST(:keys AS varchar[]), CAST(:kinds AS varchar[]), CAST(:chat_ids AS bigint[]),
        CAST(:binding_ids AS bigint[]), CAST(:texts AS text[]), CAST(:markups AS text[]),
        CAST(:metas AS text[]), CAST(:not_befores AS timestamptz[])
    ) WITH ORDINALITY AS u(key, kind, chat_id, binding_id, text, buttons, meta, not_before, n)
    LEFT JOIN bindings b ON b.id = u.binding_id
    ORDER BY u.n
    ON CONFLICT (key) DO NOTHING
    """
)


def _check(item: OutboxItem) -> None:
    if not item.key or len(item.key) > MAX_KEY_LENGTH:
        raise ValueError(f"outbox key must be 1..{MAX_KEY_LENGTH} characters: {item.key!r}")
    if item.not_before is not None and item.not_before.tzinfo is None:
        raise ValueError(f"not_before must be an aware datetime: {item.key!r}")


def _chunk(items: Sequence[OutboxItem]) -> dict[str, Any]:
    """One statement's parameters: a chunk is of one channel (a job queues for one)."""
    return {
        "channel": items[0].channel,
        "keys": [i.key for i in items],
        "kinds": [i.kind for i in items],
        "chat_ids": [i.chat_id for i in items],
        "binding_ids": [i.binding_id for i in items],
        "texts": [i.text for i in items],
        "markups": [None if not i.buttons else stored_buttons(i.buttons) for i in items],
        "metas": [json.dumps(i.meta, ensure_ascii=False) for i in items],
        "not_befores": [i.not_before for i in items],
    }


def stored_buttons(rows: list[Row]) -> str:
    """A screen's rows as the outbox keeps them: ``[[{"text", "data" | "url", "style"?}]]``."""
    return json.dumps(
        [[_stored(b) for b in row] for row in rows], ensure_ascii=False, separators=(",", ":")
    )


def _stored(button: Button) -> dict[str, str]:
    if button.url is not None:
        kept = {"text": button.text, "url": button.url}
    else:
        action = button.action
        data = action if isinstance(action, str) else button.data or ""
        kept = {"text": button.text, "data": data}
    if button.style is not None:
        kept["style"] = button.style.value
    return kept


def loaded_buttons(stored: list[list[dict[str, str]]] | None) -> list[Row]:
    """The rows :func:`stored_buttons` kept, as the sender hands them to a channel."""
    return [[_loaded(b) for b in row] for row in stored or []]


def _loaded(kept: dict[str, str]) -> Button:
    style = kept.get("style")
    return Button(
        kept["text"], kept.get("data"), url=kept.get("url"), style=Style(style) if style else None
    )


async def enqueue(session: AsyncSession, items: Iterable[OutboxItem]) -> int:
    """Queue ``items`` in the caller's transaction; returns how many rows were inserted.

    Idempotent: an item whose key is already in the outbox (sent or not) is skipped
    (``ON CONFLICT (key) DO NOTHING``), so re-running a job creates nothing new. Rows go
    in with one ``INSERT … SELECT FROM unnest(…)`` per 5,000 items of one channel, in the
    given order (which is the delivery order for the items of one chat); from
    ``COPY_FROM`` items (a digest chunk) by one ``COPY`` straight into the outbox, the
    same rows at half the database's cost (no temporary table, no speculative insertion
    into the key's index), unless one of their keys is queued already.
    """
    found = await held_in_quiet_hours(session, list(items))
    for item in found:
        _check(item)
    if len(found) >= COPY_FROM:
        return await _copy_in(session, found)
    return await _insert_batches(session, found)


async def _insert_batches(session: AsyncSession, items: Sequence[OutboxItem]) -> int:
    """The items by one ``INSERT … ON CONFLICT (key) DO NOTHING`` per ``ENQUEUE_CHUNK`` of
    one channel, in order; how many rows were new."""
    batch: list[OutboxItem] = []
    inserted = 0
    for item in items:
        if batch and (len(batch) >= ENQUEUE_CHUNK or item.channel != batch[0].channel):
            inserted += await _insert(session, batch)
            batch = []
        batch.append(item)
    if batch:
        inserted += await _insert(session, batch)
    return inserted


#: What a parent's quiet hours do not hold: the absence alerts (their updates and
#: corrections too; ``notifications.alerts.AlertKind``'s kinds, named here as that
#: module queues through this one). Everything else to a parent waits for their end.
UNHELD_KINDS = frozenset({"absence_alert", "absence_correction"})


async def held_in_quiet_hours(session: AsyncSession, items: list[OutboxItem]) -> list[OutboxItem]:
    """The items, those to a parent in their quiet hours (R16; ``core.accounts.choices``)
    due no earlier than the hours' end: the one place every notification passes."""
    held = [i.binding_id for i in items if i.binding_id is not None and i.kind not in UNHELD_KINDS]
    quiet = await quiet_hours_of(session, held)
    if not quiet:
        return items
    journal = session.info.get("journal")
    if not isinstance(journal, Journal):  # a programming error, never a user's
        raise TypeError("quiet hours need the journal's clock: enqueue in journal.transaction()")
    now, default_zone = journal.clock.now(), journal.rules.timezone
    found = []
    for item in items:
        unheld = item.binding_id is None or item.kind in UNHELD_KINDS
        hours = None if unheld else quiet.get(item.binding_id or 0)
        if hours is not None:
            starts, ends, zone = hours
            due = max(now, item.not_before) if item.not_before else now
            end = quiet_end(due, starts, ends, ZoneInfo(zone) if zone else default_zone)
            if end is not None:
                item = replace(item, not_before=end)
        found.append(item)
    return found


_COPY_COLUMNS = (
    "key", "kind", "channel", "chat_id", "binding_id", "text", "buttons", "meta", "not_before",
    "next_attempt_at",
)  # fmt: skip
# The school's own bots of the bindings (the rest go by their messenger's shared bot).
_BOTS_OF = "SELECT id, bot_id FROM bindings WHERE id = ANY($1::bigint[]) AND bot_id IS NOT NULL"


async def _copy_in(session: AsyncSession, items: Sequence[OutboxItem]) -> int:
    """The items by one ``COPY`` straight into the outbox, each with its bot's channel;
    when one's key is queued already (a re-run, or a duplicate among them), none of them
    is copied and they go in by the ``INSERT … ON CONFLICT`` batches instead."""
    conn = await driver(session)  # the session's asyncpg connection, in its transaction
    bound = sorted({i.binding_id for i in items if i.binding_id is not None})
    bots = {r[0]: r[1] for r in await conn.fetch(_BOTS_OF, bound)} if bound else {}
    records = [
        (
            i.key,
            i.kind,
            i.channel if i.binding_id is None else bot_channel(i.channel, bots.get(i.binding_id)),
            i.chat_id,
            i.binding_id,
            i.text,
            None if not i.buttons else stored_buttons(i.buttons),
            json.dumps(i.meta, ensure_ascii=False) if i.meta else "{}",
            i.not_before,
            i.not_before,
        )
        for i in items
    ]
    if await copy_new(conn, "outbox", _COPY_COLUMNS, records):
        return len(records)
    return await _insert_batches(session, items)


async def _insert(session: AsyncSession, items: Sequence[OutboxItem]) -> int:
    result = await session.execute(_INSERT, _chunk(items))
    return int(result.rowcount)  # type: ignore[attr-defined]  # a DML result is a CursorResult


@dataclass(frozen=True)
class SentItem:
    """An item as it was delivered: what a tap on its message redraws from."""

    key: str
    kind: str
    binding_id: int | None
    text: str
    meta: dict[str, Any]


async def sent_item(
    s: AsyncSession, channel: str, chat_id: int, message_id: str, kinds: Sequence[str]
) -> SentItem | None:
    """The item of one of ``kinds`` delivered as that message (``None``: not one of ours,
    or sent before the outbox kept it). Found through the (status, kind) index."""
    query = text(
        """
        SELECT key, kind, binding_id, text, meta FROM outbox
        WHERE status = 'sent' AND kind = ANY(CAST(:kinds AS varchar[]))
          AND channel = :channel AND chat_id = :chat_id AND message_id = :message_id
        ORDER BY id DESC LIMIT 1
        """
    )
    params = {
        "kinds": list(kinds),
        "channel": channel,
        "chat_id": chat_id,
        "message_id": message_id,
    }
    row = (await s.execute(query, params)).first()
    return SentItem(row[0], row[1], row[2], row[3], dict(row[4] or {})) if row else None


@dataclass(frozen=True)
class DeliveryStats:
    """How many outbox rows are in each state (``pending`` includes rows in flight)."""

    pending: int = 0
    sent: int = 0
    failed: int = 0
    unreachable: int = 0

    @property
    def total(self) -> int:
        return self.pending + self.sent + self.failed + self.unreachable

    @property
    def undelivered(self) -> int:
        return self.failed + self.unreachable


async def delivery_stats(
    journal: Journal,
    *,
    kind: str | None = None,
    key_prefix: str | None = None,
    binding_ids: Sequence[int] | None = None,
) -> DeliveryStats:
    """Counts per delivery state, optionally for one kind of message, keys starting with
    ``key_prefix`` (e.g. ``friday_round:2026-11-27:``) or some bindings (a class).
    Unfiltered (/metrics, every scrape), they are read from the counts the recorder keeps
    (``core.status.outbox_states``), not counted over the outbox's whole history."""
    if kind is None and key_prefix is None and binding_ids is None:
        async with journal.transaction() as s:
            states, _ = await outbox_states(s)
        return DeliveryStats(**{s.value: states[s.value] for s in DeliveryStatus})
    conditions = ["TRUE"]
    params: dict[str, Any] = {}
    if kind is not None:
        conditions.append("kind = :kind")
        params["kind"] = kind
    if key_prefix is not None:
        conditions.append("starts_with(key, :prefix)")
        params["prefix"] = key_prefix
    if binding_ids is not None:
        conditions.append("binding_id = ANY(CAST(:bindings AS bigint[]))")
        params["bindings"] = list(binding_ids)
    query = text(
        f"SELECT status, count(*) FROM outbox WHERE {' AND '.join(conditions)} GROUP BY status"
    )
    async with journal.transaction() as s:
        counts = {status: int(n) for status, n in (await s.execute(query, params)).all()}
    return DeliveryStats(**{s.value: counts.get(s.value, 0) for s in DeliveryStatus})
