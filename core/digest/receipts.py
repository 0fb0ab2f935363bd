"""A digest read (R17): the parent's «Прочитано ✓», and the class teacher's list of
parents who have not read the week's digests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import ColumnElement, exists, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import Actor
from core.classes import ensure_class_teacher
from core.digest.content import (
    Child,
    absences_told,
    day_absences,
    enrolled_on,
    guardians_children,
    waits_for_reason,
)
from core.errors import NotFound
from core.friday_round import pending_suggestions_by
from core.identity import UserRef
from core.journal import Journal
from core.models import AnnouncementReceipt, Digest
from core.planned.warned import warnings_of_days
from core.recipients import own_binding_actor


@dataclass(frozen=True)
class Receipt:
    """A digest marked read, and what its buttons offer now."""

    first: bool  # the first press (pressing again keeps the first moment)
    to_suggest: list[Child]  # still absent that day without a reason, none suggested by them


ReadRow = type[Digest] | type[AnnouncementReceipt]


async def press_read(
    s: AsyncSession,
    user: UserRef,
    binding_id: int,
    row: ReadRow,
    match: Callable[[Actor], Sequence[ColumnElement[bool]]],
    now: datetime,
) -> tuple[Actor, bool]:
    """R17's «Прочитано ✓», for whatever carries one (a digest, an announcement): the
    binding the button names must be the presser's own (R3); ``match`` picks the row from
    that actor. The first press records the moment and returns ``True``; pressing again
    (on this messenger or another) keeps the first moment. ``NotFound``: no such row."""
    actor = await own_binding_actor(s, user, binding_id)
    where = match(actor)
    result = await s.execute(update(row).where(*where, row.read_at.is_(None)).values(read_at=now))
    first = bool(result.rowcount)  # type: ignore[attr-defined]  # a DML result is a CursorResult
    if not first and not await s.scalar(select(exists().where(*where))):
        raise NotFound()
    return actor, first


async def mark_digest_read(journal: Journal, user: UserRef, binding_id: int, day: date) -> Receipt:
    """R17: the parent has read the day's digest; with, read in the same transaction, the
    children for whom the digest may still ask a reason (R6): the receipt redraws the
    digest's buttons from that, not from the message's old ones."""
    async with journal.transaction() as s:
        actor, first = await press_read(
            s,
            user,
            binding_id,
            Digest,
            lambda _: (Digest.binding_id == binding_id, Digest.day == day),
            journal.clock.now(),
        )
        person = actor.person_id
        if person is None:  # a digest goes to a parent, who is a person: never here
            return Receipt(first, [])
        children = enrolled_on((await guardians_children(s, [person])).get(person, ()), day)
        pupils = [c.pupil_id for c in children]
        absences = await day_absences(s, [actor.school_id], pupils, [day])
        given = await pending_suggestions_by(s, [person], pupils, [day])
        warnings = await warnings_of_days(s, sorted(absences))
        return Receipt(
            first,
            [
                c
                for c in children
                if (person, c.pupil_id, day) not in given
                and waits_for_reason(
                    absences_told(
                        c.choices,
                        absences.get((c.pupil_id, day), []),
                        warnings.get((c.pupil_id, day), []),
                        person,
                    )
                )
            ],
        )


@dataclass(frozen=True)
class UnreadParent:
    """A parent who got digests in the period and did not mark all of them read (a day's
    digest counts as read when it is read on any of the parent's accounts: bound on
    Telegram and on MAX, they get it on both and read it on one)."""

    person_id: int
    parent_name: str
    children: str
    sent: int
    read: int


@dataclass(frozen=True)
class UnreadReport:
    class_name: str
    start: date
    end: date
    parents: list[UnreadParent]
    # Parents Telegram refuses to deliver to (they blocked the bot): name, children, since.
    unreachable: list[tuple[str, str, datetime]] = field(default_factory=list)


async def unread_digests(
    journal: Journal, actor: Actor, class_id: int, start: date, end: date
) -> UnreadReport:
    """R17: the class teacher (or an overseer) checks which parents of the class have not
    read the digests sent to them in [start, end]: how many were sent, how many read."""
    async with journal.transaction() as s:
        cls = await ensure_class_teacher(s, actor, class_id)
        rows = await s.execute(
            text(
                """
                SELECT gp.id, gp.full_name,
                       string_agg(DISTINCT split_part(cp.full_name, ' ', 2), ', '),
                       count(DISTINCT dg.day),
                       count(DISTINCT dg.day) FILTER (WHERE dg.read_at IS NOT NULL)
                FROM pupils p
                JOIN people cp ON cp.id = p.person_id
                JOIN guardianships g ON g.pupil_id = p.person_id
                JOIN people gp ON gp.id = g.guardian_id
                JOIN bindings b ON b.person_id = g.guardian_id AND b.role = 'parent'
                JOIN digests dg ON dg.binding_id = b.id AND dg.day BETWEEN :start AND :end
                                AND dg.parts > 0
                WHERE p.class_id = :cls
                GROUP BY gp.id, gp.full_name
                HAVING count(DISTINCT dg.day) FILTER (WHERE dg.read_at IS NOT NULL)
                       < count(DISTINCT dg.day)
                ORDER BY gp.full_name, gp.id
                """
            ),
            {"cls": class_id, "start": start, "end": end},
        )
        parents = [UnreadParent(*r) for r in rows]
        unreachable = await s.execute(
            text(
                """
                SELECT gp.full_name,
                       string_agg(DISTINCT split_part(cp.full_name, ' ', 2), ', '),
                       max(b.unreachable_at)
                FROM pupils p
                JOIN people cp ON cp.id = p.person_id
                JOIN guardianships g ON g.pupil_id = p.person_id
                JOIN people gp ON gp.id = g.guardian_id
                JOIN bindings b ON b.person_id = g.guardian_id AND b.role = 'parent'
                               AND b.revoked_at IS NULL AND b.unreachable_at IS NOT NULL
                WHERE p.class_id = :cls
                GROUP BY gp.id, gp.full_name
                ORDER BY gp.full_name
                """
            ),
            {"cls": class_id},
        )
        return UnreadReport(cls.name, start, end, parents, [(n, c, at) for n, c, at in unreachable])
