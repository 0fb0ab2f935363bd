"""R21: parents' activity: per parent and child, whether the parent is bound in the bot,
consented (R19), is reachable, opted out of the electronic diary (R18) and reads the
daily digests (R16, R17)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import Actor
from core.journal import Journal
from core.models import Binding, BindingRole, Digest, Guardianship, Pupil
from core.reports.common import checked_classes, fetch_person_names, school_today


@dataclass(frozen=True)
class DigestReading:
    """R17: the daily digests sent to a parent in the window and how many were marked
    read (the digest's «read» button, ``digest.read``)."""

    sent: int
    read: int
    last_read_at: datetime | None


@dataclass(frozen=True)
class ParentActivity:
    guardian_id: int
    guardian: str
    pupil_id: int
    pupil: str
    class_id: int
    class_name: str
    bound: bool  # an active parent binding exists
    bound_at: datetime | None
    consent: bool | None  # R19: None = not asked yet
    consent_at: datetime | None
    unreachable: bool  # every active binding is unreachable (Telegram answered 403)
    unreachable_at: datetime | None
    opted_out: bool  # R18: refused the electronic diary in writing
    opt_out_at: datetime | None
    reading: DigestReading | None  # None: not bound, or read receipts not recorded


@dataclass
class ParentsActivity:
    since: date
    until: date
    reading_recorded: bool  # False when the digests table (read receipts) does not exist
    rows: list[ParentActivity]


READING_WINDOW_DAYS = 30


async def digest_reading(
    s: AsyncSession, binding_ids: list[int], since: date, until: date
) -> dict[int, DigestReading] | None:
    """The hook for parents' reading (R17): per parent binding, the digests sent in
    [since, until] and read. It reads the notifications' ``digests`` table
    (``read_at``); None when that table does not exist in this database."""
    if not await s.scalar(select(func.to_regclass("digests").is_not(None))):
        return None
    if not binding_ids:
        return {}
    sent = Digest.parts > 0
    rows = await s.execute(
        select(
            Digest.binding_id,
            func.count().filter(sent),
            func.count().filter(and_(sent, Digest.read_at.is_not(None))),
            func.max(Digest.read_at),
        )
        .where(Digest.binding_id.in_(binding_ids), Digest.day.between(since, until))
        .group_by(Digest.binding_id)
    )
    return {b: DigestReading(int(n), int(read), last) for b, n, read, last in rows}


async def parents_activity(
    journal: Journal, actor: Actor, class_id: int | None = None
) -> ParentsActivity:
    """R21: per parent and child, whether the parent is bound in the bot, consented (R19),
    is reachable, opted out of the electronic diary (R18), and reads the digests (R17,
    over the last 30 days)."""
    async with journal.transaction() as s:
        classes = await checked_classes(s, actor, class_id)
        today, tz = await school_today(s, journal, actor.school_id)
        since = today - timedelta(days=READING_WINDOW_DAYS - 1)
        class_names = {c.id: c.name for c in classes}
        rows = list(
            await s.execute(
                select(Guardianship, Pupil.class_id)
                .join(Pupil, Pupil.person_id == Guardianship.pupil_id)
                .where(Pupil.class_id.in_(list(class_names)), Pupil.left_on.is_(None))
            )
        )
        names = await fetch_person_names(
            s, {g.guardian_id for g, _ in rows} | {g.pupil_id for g, _ in rows}
        )
        bindings = await _parent_bindings(s, {g.guardian_id for g, _ in rows})
        reading = await digest_reading(
            s, [b.id for bs in bindings.values() for b in bs], since, today
        )

    result = [
        _activity(g, pupil_class, class_names[pupil_class], names, bindings, reading, tz)
        for g, pupil_class in rows
    ]
    order = {c.id: n for n, c in enumerate(classes)}
    result.sort(key=lambda r: (order[r.class_id], r.pupil, r.pupil_id, r.guardian, r.guardian_id))
    return ParentsActivity(since, today, reading is not None, result)


async def _parent_bindings(s: AsyncSession, guardian_ids: set[int]) -> dict[int, list[Binding]]:
    """The active parent bindings of each guardian."""
    bindings: dict[int, list[Binding]] = defaultdict(list)
    if guardian_ids:
        for b in await s.scalars(
            select(Binding).where(
                Binding.person_id.in_(list(guardian_ids)),
                Binding.role == BindingRole.PARENT,
                Binding.revoked_at.is_(None),
            )
        ):
            bindings[b.person_id].append(b)
    return bindings


def _activity(
    g: Guardianship,
    class_id: int,
    class_name: str,
    names: dict[int, str],
    bindings: dict[int, list[Binding]],
    reading: dict[int, DigestReading] | None,
    tz: ZoneInfo,
) -> ParentActivity:
    """One parent and child, their moments in the school's local time."""

    def local(moment: datetime | None) -> datetime | None:
        return moment.astimezone(tz) if moment is not None else None

    active = bindings.get(g.guardian_id, [])
    unreachable = bool(active) and all(b.unreachable_at is not None for b in active)
    read: DigestReading | None = None
    if reading is not None and active:
        parts = [reading.get(b.id, DigestReading(0, 0, None)) for b in active]
        lasts = [p.last_read_at for p in parts if p.last_read_at is not None]
        read = DigestReading(
            sum(p.sent for p in parts),
            sum(p.read for p in parts),
            local(max(lasts)) if lasts else None,
        )
    return ParentActivity(
        guardian_id=g.guardian_id,
        guardian=names.get(g.guardian_id, "?"),
        pupil_id=g.pupil_id,
        pupil=names.get(g.pupil_id, "?"),
        class_id=class_id,
        class_name=class_name,
        bound=bool(active),
        bound_at=local(min(b.created_at for b in active)) if active else None,
        consent=g.consent,
        consent_at=local(g.consent_at),
        unreachable=unreachable,
        unreachable_at=(
            local(max(b.unreachable_at for b in active if b.unreachable_at))
            if unreachable
            else None
        ),
        opted_out=g.diary_opt_out,
        opt_out_at=local(g.opt_out_at),
        reading=read,
    )
