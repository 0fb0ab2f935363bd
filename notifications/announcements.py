"""An announcement's messages (issue 13.3): one outbox row per recipient binding (a
parent who chose both messengers gets it on both, ``core.recipients.reachable``), the
author's text quoted under a header, «Прочитано ✓» under it; delivered by the sender at
its usual pace. Queued in the transaction that saves the announcement, so it is sent
exactly when it is saved; the keys name the announcement and the binding, so nothing is
queued twice. The one reminder goes the same way to those who have not read it."""

from __future__ import annotations

from bot.screens.announcements import message_text, read_buttons
from core import announcements
from core.access import Actor
from core.announcements import Audience, Scope, Sent
from core.clock import local_today
from core.journal import Journal
from notifications.outbox import OutboxItem, enqueue
from texts import Texts

KIND = "announcement"
REMINDER_KIND = "announcement_reminder"


def announcement_key(announcement_id: int, binding_id: int, *, reminder: bool = False) -> str:
    return f"{REMINDER_KIND if reminder else KIND}:{announcement_id}:{binding_id}"


def _items(sent: Sent, *, reminder: bool) -> list[OutboxItem]:
    letter = sent.letter
    texts: dict[str, Texts] = {}
    items = []
    for r in sorted(sent.recipients, key=lambda r: (r.channel, r.binding_id)):
        tx = texts.setdefault(r.language, Texts(r.language))
        items.append(
            OutboxItem(
                key=announcement_key(letter.announcement_id, r.binding_id, reminder=reminder),
                chat_id=r.chat_id,
                channel=r.channel,
                kind=REMINDER_KIND if reminder else KIND,
                text=message_text(tx, letter, reminder=reminder),
                binding_id=r.binding_id,
                buttons=read_buttons(tx, r.binding_id, letter.announcement_id, read=False),
                meta={"announcement": letter.announcement_id},
            )
        )
    return items


async def send_announcement(
    journal: Journal,
    actor: Actor,
    draft: tuple[Scope, int, Audience, str],
    token: str,
) -> Sent:
    """Saves the announcement and queues its messages, once per draft ``token``."""
    today = local_today(journal.clock, journal.rules.timezone)
    async with journal.transaction() as s:
        sent = await announcements.create_in(s, actor, draft, token, journal.clock.now(), today)
        if sent.first:
            await enqueue(s, _items(sent, reminder=False))
    return sent


async def remind_unread(journal: Journal, actor: Actor, announcement_id: int) -> Sent:
    """«Напомнить непрочитавшим»: once; a second time queues nothing."""
    async with journal.transaction() as s:
        sent = await announcements.remind_in(s, actor, announcement_id, journal.clock.now())
        if sent.first:
            await enqueue(s, _items(sent, reminder=True))
    return sent
