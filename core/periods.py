"""Reporting periods. A closed period is locked: its journal is archived and nothing in
it can be edited; only the director reopens it, with a reason (R10)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.access import Actor, ensure_staff
from core.clock import local_today
from core.errors import InvalidValue, NotFound, PeriodLocked
from core.journal import Journal
from core.models import Period, School, SchoolClass, StaffRole


@dataclass(frozen=True)
class PeriodView:
    id: int
    name: str
    starts_on: date
    ends_on: date
    closed: bool


def _view(p: Period) -> PeriodView:
    return PeriodView(p.id, p.name, p.starts_on, p.ends_on, p.closed_at is not None)


async def period_on(session: AsyncSession, school_id: int, day: date) -> Period | None:
    return await session.scalar(
        select(Period).where(
            Period.school_id == school_id, Period.starts_on <= day, Period.ends_on >= day
        )
    )


async def ensure_open(session: AsyncSession, school_id: int, day: date) -> None:
    period = await period_on(session, school_id, day)
    if period is not None and period.closed_at is not None:
        raise PeriodLocked(period=period.name)


async def list_periods(journal: Journal, school_id: int) -> list[PeriodView]:
    async with journal.transaction() as s:
        rows = await s.scalars(
            select(Period).where(Period.school_id == school_id).order_by(Period.starts_on)
        )
        return [_view(p) for p in rows]


async def current_period(journal: Journal, school_id: int, day: date) -> PeriodView | None:
    async with journal.transaction() as s:
        return await current_period_in(s, school_id, day)


async def current_period_in(s: AsyncSession, school_id: int, day: date) -> PeriodView | None:
    """The period of a day; on a holiday, the one that ended last."""
    period = await period_on(s, school_id, day)
    if period is None:
        period = await s.scalar(
            select(Period)
            .where(Period.school_id == school_id, Period.starts_on <= day)
            .order_by(Period.starts_on.desc())
            .limit(1)
        )
    return _view(period) if period else None


@dataclass(frozen=True)
class ClosedPeriod:
    """A closed period with what its archive needs: the school and its classes."""

    school_id: int
    school_name: str
    period: PeriodView
    closed_at: datetime
    classes: list[tuple[int, str]]  # (id, name)


async def closed_periods(journal: Journal) -> list[ClosedPeriod]:
    """Every closed period of every school (for the archive, R10/R22)."""
    async with journal.transaction() as s:
        rows = (
            await s.execute(
                select(Period, School.name)
                .join(School, School.id == Period.school_id)
                .where(Period.closed_at.is_not(None))
                .order_by(Period.school_id, Period.starts_on)
            )
        ).all()
        classes: dict[int, list[tuple[int, str]]] = {}
        for class_id, school_id, name in await s.execute(
            select(SchoolClass.id, SchoolClass.school_id, SchoolClass.name).order_by(
                SchoolClass.grade, SchoolClass.name
            )
        ):
            classes.setdefault(school_id, []).append((class_id, name))
        return [
            ClosedPeriod(p.school_id, name, _view(p), p.closed_at, classes.get(p.school_id, []))
            for p, name in rows
            if p.closed_at is not None
        ]


async def close_period(journal: Journal, actor: Actor, period_id: int) -> None:
    ensure_staff(actor, StaffRole.DIRECTOR, StaffRole.DEPUTY, StaffRole.ADMIN)
    async with journal.transaction() as s:
        period = await _load(s, actor, period_id)
        if period.closed_at is not None:
            return
        period.closed_at = journal.clock.now()
        period.closed_by = actor.person_id
        await _audit(s, journal, actor, period, audit.Action.PERIOD_CLOSE, None)


async def closes_early(journal: Journal, actor: Actor, period_id: int) -> date | None:
    """The period's last day, if closing it now would be before that day (R10: the bot
    asks to confirm, a period closed early locks lessons still to come)."""
    ensure_staff(actor, StaffRole.DIRECTOR, StaffRole.DEPUTY, StaffRole.ADMIN)
    async with journal.transaction() as s:
        period = await _load(s, actor, period_id, lock=False)
        rules = await journal.school_rules(s, actor.school_id)
        today = local_today(journal.clock, rules.timezone)
        return period.ends_on if period.closed_at is None and today < period.ends_on else None


# Words a director types when citing an order (R10); matched against the input, never
# shown, so they are not catalogue text.
_ORDER = re.compile(r"(приказ|распоряжени|решени|№|order|no\.?\s*\d)", re.IGNORECASE)


def check_reason(reason: str) -> str:
    """R10: the grounds for reopening: an order's number («приказ № 15»), or a reason of
    a few words (two words, eight characters, letters in it); «ok» is not a reason."""
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidValue("error.reason_required")
    is_order = bool(_ORDER.search(reason)) and any(c.isdigit() for c in reason)
    letters = sum(c.isalpha() for c in reason)
    if not is_order and (len(reason.split()) < 2 or len(reason) < 8 or letters < 4):
        raise InvalidValue("error.reason_too_short")
    return reason


async def reopen_period(journal: Journal, actor: Actor, period_id: int, reason: str) -> None:
    """R10: only by the director's order, and the order's reason is recorded."""
    ensure_staff(actor, StaffRole.DIRECTOR)
    reason = check_reason(reason)
    async with journal.transaction() as s:
        period = await _load(s, actor, period_id)
        if period.closed_at is None:
            return
        period.closed_at = None
        period.closed_by = None
        await _audit(s, journal, actor, period, audit.Action.PERIOD_REOPEN, reason)


async def _load(s: AsyncSession, actor: Actor, period_id: int, *, lock: bool = True) -> Period:
    period = await s.get(Period, period_id, with_for_update=lock)
    if period is None or period.school_id != actor.school_id:
        raise NotFound()
    return period


async def _audit(
    s: AsyncSession,
    journal: Journal,
    actor: Actor,
    period: Period,
    action: audit.Action,
    reason: str | None,
) -> None:
    await audit.record(
        s,
        school_id=period.school_id,
        at=journal.clock.now(),
        actor_id=actor.person_id,
        binding_id=actor.binding_id,
        action=action,
        entity="period",
        key={"period_id": period.id},
        old=None,
        new={"closed": period.closed_at is not None},
        reason=reason,
    )
