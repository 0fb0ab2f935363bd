"""R19: a parent's refusal of consent is recorded and the class teacher of each child is
told at once (an outbox row per class teacher's binding, in the same transaction)."""

from __future__ import annotations

from collections import defaultdict
from html import escape

from core import invitations, recipients
from core.identity import UserRef
from core.journal import Journal
from core.models import BindingRole
from notifications.outbox import OutboxItem, enqueue
from texts import Texts

KIND = "consent_refused"


async def refuse_consent(journal: Journal, binding_id: int, user: UserRef) -> bool:
    """Record the refusal and queue the class teachers' notice; False if refused already."""
    async with journal.transaction() as s:
        refusal = await invitations.refuse_consent(s, journal, binding_id, user)
        if refusal is None:
            return False
        by_teacher: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for name, cls, teacher in refusal.children:
            if teacher is not None:
                by_teacher[teacher].append((name, cls))
        found = await recipients.reachable(s, list(by_teacher), BindingRole.STAFF)
        stamp = f"{refusal.refused_at:%Y%m%d%H%M%S}"
        items = []
        for teacher, kids in by_teacher.items():
            for r in found.get(teacher, []):
                tx = Texts(r.language)
                text = tx(
                    "consent.refused_notice",
                    guardian=escape(refusal.guardian_name),
                    children=", ".join(f"{escape(n)} ({escape(c)})" for n, c in kids),
                    at=f"{refusal.refused_at:%d.%m.%Y}",
                )
                items.append(
                    OutboxItem(
                        key=f"{KIND}:{refusal.guardian_id}:{stamp}:{r.binding_id}",
                        chat_id=r.chat_id,
                        channel=r.channel,
                        kind=KIND,
                        text=text,
                        binding_id=r.binding_id,
                    )
                )
        await enqueue(s, items)
        return True
