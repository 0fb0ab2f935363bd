"""Who a notification goes to: a person's active, reachable bindings in a role; and the
binding a notification's button names, checked against whoever presses it (R3)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import Actor, actor_for_binding
from core.errors import NotAllowed
from core.identity import UserRef, owner_is
from core.journal import Journal
from core.models import Binding, BindingRole, Messenger


@dataclass(frozen=True)
class Recipient:
    """Where a person's notifications in one role go: a reachable, active binding."""

    binding_id: int
    person_id: int
    chat_id: int
    language: str
    channel: str = Messenger.TELEGRAM.value  # the messenger the binding is on


# Whether binding ``b`` (with its prefs ``np``) gets what is sent unasked: yes, unless the
# parent chose their other bindings instead (``notification_prefs.delivers``, the «Куда
# присылать» buttons); and yes after all when none of those others can take it (revoked,
# or the bot blocked there). The one rule, in every query that picks recipients.
DELIVERS_SQL = """(COALESCE(np.delivers, true) OR NOT EXISTS (
        SELECT 1 FROM bindings ob
        LEFT JOIN notification_prefs onp ON onp.binding_id = ob.id
        WHERE ob.person_id = b.person_id AND ob.role = b.role AND ob.id <> b.id
          AND ob.revoked_at IS NULL AND ob.unreachable_at IS NULL
          AND COALESCE(onp.delivers, true)))"""

_RECIPIENTS_SQL = text(
    f"""
    SELECT b.id, b.person_id, COALESCE(a.chat_id, b.user_id),
           COALESCE(a.language, pe.language, 'ru'), b.messenger
    FROM bindings b
    JOIN people pe ON pe.id = b.person_id
    LEFT JOIN accounts a ON a.messenger = b.messenger AND a.user_id = b.user_id
    LEFT JOIN notification_prefs np ON np.binding_id = b.id
    WHERE b.person_id = ANY(:people) AND b.role = :role
      AND b.revoked_at IS NULL AND b.unreachable_at IS NULL
      AND {DELIVERS_SQL}
    ORDER BY b.person_id, b.id
    """
)


async def reachable(
    s: AsyncSession, person_ids: list[int], role: BindingRole
) -> dict[int, list[Recipient]]:
    """Per person: their active, reachable bindings in that role (a person may have bound
    two phones)."""
    found: dict[int, list[Recipient]] = defaultdict(list)
    if not person_ids:
        return found
    rows = await s.execute(_RECIPIENTS_SQL, {"people": sorted(set(person_ids)), "role": role.value})
    for binding_id, person_id, chat_id, language, channel in rows:
        found[person_id].append(Recipient(binding_id, person_id, chat_id, language, channel))
    return found


async def own_binding_actor(s: AsyncSession, user: UserRef, binding_id: int) -> Actor:
    """The actor of a binding named in a button, if it belongs to the account pressing it
    (on that messenger) and is still active (callback data can be forged; R3)."""
    owner = (
        await s.execute(
            select(Binding.messenger, Binding.user_id, Binding.bot_id).where(
                Binding.id == binding_id, Binding.revoked_at.is_(None)
            )
        )
    ).first()
    if owner is None or not owner_is(user, *owner):
        raise NotAllowed("error.binding_revoked")
    return await actor_for_binding(s, binding_id)


async def binding_actor(journal: Journal, user: UserRef, binding_id: int) -> Actor:
    async with journal.transaction() as s:
        return await own_binding_actor(s, user, binding_id)
