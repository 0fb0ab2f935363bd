"""A parent warns of a child's absence in advance (issue 13): whole days within the next
two weeks, or some lessons of one day; a category (illness, family circumstances, another
good reason) and an optional comment. Each school day it covers holds the parent's
suggested reason for the class teacher to confirm (R6, ``AbsenceSuggestion``); it may be
withdrawn until its first lesson starts."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import Actor
from core.clock import at_local, local_today
from core.errors import InvalidValue, NotAllowed, NotFound
from core.friday_round.suggestions import (
    NOTE_LIMIT,
    SUGGESTIBLE,
    class_teachers_of,
    suggesting_parent,
)
from core.identity import UserRef
from core.journal import Journal
from core.lessons import materialise, pupil_lessons_query
from core.models import (
    AbsenceReason,
    AbsenceSuggestion,
    Lesson,
    Person,
    PlannedAbsence,
    Pupil,
    SchoolClass,
)
from core.recipients import Recipient

HORIZON_DAYS = 14  # a warning covers days from today to 13 days ahead
CATEGORIES = SUGGESTIBLE  # illness, family circumstances (a parent's statement), other


@dataclass(frozen=True)
class PlanLesson:
    no: int
    subject: str
    started: bool  # its bell has rung: too late to warn of it, or to withdraw


@dataclass(frozen=True)
class PlanDay:
    day: date
    lessons: list[PlanLesson]


@dataclass(frozen=True)
class PlanChoices:
    """What a parent may warn of for a child: the school days ahead with lessons not
    started yet."""

    pupil_id: int
    pupil_name: str
    today: date
    days: list[PlanDay]

    def day(self, day: date) -> PlanDay | None:
        return next((d for d in self.days if d.day == day), None)


@dataclass(frozen=True)
class Plan:
    id: int
    pupil_id: int
    pupil_name: str
    first_day: date
    last_day: date
    lessons: tuple[int, ...] | None  # None: the whole day(s)
    reason: AbsenceReason
    note: str | None
    reported_by: str
    withdrawable: bool
    class_teachers: tuple[Recipient, ...] = ()  # told of it now (a new one, or withdrawn)


@dataclass(frozen=True)
class _Covered:
    day: date
    no: int
    subject: str
    starts: datetime


async def _covered(
    s: AsyncSession, journal: Journal, pupil: Pupil, first: date, last: date
) -> list[_Covered]:
    """The pupil's lessons on [first, last] with the moment each starts (midnight when the
    school has no bell for it), in order."""
    school_id, tz = await _school(s, journal, pupil)
    await materialise(s, school_id, first, last)
    rows = await s.execute(
        pupil_lessons_query(pupil.person_id, pupil.class_id)
        .where(Lesson.date.between(first, last), Lesson.cancelled.is_(False))  # R25
        .order_by(Lesson.date, Lesson.lesson_no)
    )
    found = []
    for lesson, _cls, _grade, subject, starts_at, _ends in rows:
        starts = at_local(lesson.date, starts_at or time(0), tz)
        found.append(_Covered(lesson.date, lesson.lesson_no, subject, starts))
    return found


async def _pupil(s: AsyncSession, pupil_id: int, *, lock: bool = False) -> Pupil:
    query = select(Pupil).where(Pupil.person_id == pupil_id)
    pupil = await s.scalar(query.with_for_update() if lock else query)
    if pupil is None:
        raise NotFound()
    return pupil


async def _school(s: AsyncSession, journal: Journal, pupil: Pupil) -> tuple[int, ZoneInfo]:
    """The pupil's school and its time zone."""
    query = select(SchoolClass.school_id).where(SchoolClass.id == pupil.class_id)
    school_id = await s.scalar(query)
    if school_id is None:
        raise NotFound()
    return school_id, (await journal.school_rules(s, school_id)).timezone


async def _today(s: AsyncSession, journal: Journal, pupil: Pupil) -> date:
    _school_id, tz = await _school(s, journal, pupil)
    return local_today(journal.clock, tz)


async def plan_choices(
    journal: Journal, user: UserRef, binding_id: int, pupil_id: int
) -> PlanChoices:
    """The days and lessons a parent may warn of for their child (R1: their own only)."""
    async with journal.transaction() as s:
        await suggesting_parent(s, user, binding_id, pupil_id)
        pupil = await _pupil(s, pupil_id)
        today = await _today(s, journal, pupil)
        last = today + timedelta(days=HORIZON_DAYS - 1)
        now = journal.clock.now()
        days: dict[date, list[PlanLesson]] = {}
        for c in await _covered(s, journal, pupil, today, last):
            days.setdefault(c.day, []).append(PlanLesson(c.no, c.subject, c.starts <= now))
        name = await s.scalar(select(Person.full_name).where(Person.id == pupil_id)) or ""
        open_days = [PlanDay(d, ls) for d, ls in days.items() if not all(x.started for x in ls)]
        return PlanChoices(pupil_id, name, today, open_days)


def _clean_note(note: str | None) -> str | None:
    note = (note or "").strip()
    if len(note) > NOTE_LIMIT:
        raise InvalidValue("error.text_length", limit=NOTE_LIMIT)
    return note or None


async def plan_absence(
    journal: Journal,
    user: UserRef,
    binding_id: int,
    pupil_id: int,
    first: date,
    last: date,
    lessons: tuple[int, ...] | None,
    reason: AbsenceReason,
    note: str | None = None,
) -> tuple[Plan, bool]:
    """A parent's warning of their child's absence; with whether it is new (the same
    warning confirmed twice is one record). Refused for days past the horizon, lessons
    already begun, or days another warning of the child covers."""
    if reason not in CATEGORIES:
        raise InvalidValue()
    note = _clean_note(note)
    async with journal.transaction() as s:
        actor = await suggesting_parent(s, user, binding_id, pupil_id)
        pupil = await _pupil(s, pupil_id, lock=True)  # one warning at a time for a child
        today = await _today(s, journal, pupil)
        if not today <= first <= last < today + timedelta(days=HORIZON_DAYS):
            raise InvalidValue("error.planned_days")
        if lessons is not None and (first != last or not lessons):
            raise InvalidValue("error.planned_days")
        covered = [
            c
            for c in await _covered(s, journal, pupil, first, last)
            if lessons is None or c.no in lessons
        ]
        if lessons is not None and {c.no for c in covered} != set(lessons):
            raise InvalidValue("error.planned_days")
        if not covered or all(c.starts <= journal.clock.now() for c in covered):
            raise InvalidValue("error.planned_started")
        same = await _overlapping(s, pupil_id, first, last)
        if same is not None:
            if (same.reported_by, same.first_day, same.last_day, same.lessons, same.reason) == (
                actor.person_id,
                first,
                last,
                list(lessons) if lessons else None,
                reason.value,
            ):
                return await _plan_view(s, journal, same), False
            raise InvalidValue("error.planned_overlap")
        plan = PlannedAbsence(
            pupil_id=pupil_id,
            first_day=first,
            last_day=last,
            lessons=sorted(lessons) if lessons else None,
            reason=reason.value,
            note=note,
            reported_by=actor.person_id,
            binding_id=binding_id,
            created_at=journal.clock.now(),
        )
        s.add(plan)
        await s.flush()
        await _suggest(s, actor, plan, sorted({c.day for c in covered}))
        view = await _plan_view(s, journal, plan)
        return replace(view, class_teachers=await class_teachers_of(s, pupil_id)), True


async def _overlapping(
    s: AsyncSession, pupil_id: int, first: date, last: date
) -> PlannedAbsence | None:
    return await s.scalar(
        select(PlannedAbsence)
        .where(
            PlannedAbsence.pupil_id == pupil_id,
            PlannedAbsence.withdrawn_at.is_(None),
            PlannedAbsence.first_day <= last,
            PlannedAbsence.last_day >= first,
        )
        .limit(1)
    )


async def _suggest(s: AsyncSession, actor: Actor, plan: PlannedAbsence, days: list[date]) -> None:
    """The parent's suggested reason on each school day of the warning (R6): what the
    class teacher confirms in the Friday round."""
    for day in days:
        values: dict[str, Any] = {
            "reason": plan.reason,
            "note": plan.note,
            "binding_id": plan.binding_id,
            "suggested_at": plan.created_at,
            "planned_id": plan.id,
        }
        await s.execute(
            pg_insert(AbsenceSuggestion)
            .values(pupil_id=plan.pupil_id, day=day, suggested_by=actor.person_id, **values)
            .on_conflict_do_update(index_elements=["pupil_id", "day", "suggested_by"], set_=values)
        )


async def _plan_view(s: AsyncSession, journal: Journal, plan: PlannedAbsence) -> Plan:
    pupil = await _pupil(s, plan.pupil_id)
    starts = [
        c.starts
        for c in await _covered(s, journal, pupil, plan.first_day, plan.last_day)
        if plan.lessons is None or c.no in plan.lessons
    ]
    first_start = min(starts, default=None)
    names = dict(
        (
            await s.execute(
                select(Person.id, Person.full_name).where(
                    Person.id.in_([plan.pupil_id, plan.reported_by])
                )
            )
        ).all()
    )
    return Plan(
        plan.id,
        plan.pupil_id,
        names.get(plan.pupil_id, ""),
        plan.first_day,
        plan.last_day,
        tuple(plan.lessons) if plan.lessons else None,
        AbsenceReason(plan.reason),
        plan.note,
        names.get(plan.reported_by, ""),
        plan.withdrawn_at is None and (first_start is None or journal.clock.now() < first_start),
    )


async def family_plans(
    journal: Journal, user: UserRef, binding_id: int, pupil_id: int
) -> tuple[str, list[Plan]]:
    """A child's full name and warnings not withdrawn that are not over yet (by any of
    their parents)."""
    async with journal.transaction() as s:
        await suggesting_parent(s, user, binding_id, pupil_id)
        pupil = await _pupil(s, pupil_id)
        today = await _today(s, journal, pupil)
        plans = await s.scalars(
            select(PlannedAbsence)
            .where(
                PlannedAbsence.pupil_id == pupil_id,
                PlannedAbsence.withdrawn_at.is_(None),
                PlannedAbsence.last_day >= today,
            )
            .order_by(PlannedAbsence.first_day, PlannedAbsence.id)
        )
        name = await s.scalar(select(Person.full_name).where(Person.id == pupil_id)) or ""
        return name, [await _plan_view(s, journal, p) for p in plans]


async def withdraw_plan(journal: Journal, user: UserRef, binding_id: int, plan_id: int) -> Plan:
    """A parent of the child withdraws a warning before its first lesson starts (after it,
    refused: the roll call has the word). Its suggested reasons go with it. Withdrawing
    one already withdrawn changes nothing."""
    async with journal.transaction() as s:
        plan = await s.scalar(
            select(PlannedAbsence).where(PlannedAbsence.id == plan_id).with_for_update()
        )
        if plan is None:
            raise NotFound()
        actor = await suggesting_parent(s, user, binding_id, plan.pupil_id)
        if plan.withdrawn_at is not None:
            return await _plan_view(s, journal, plan)
        if not (await _plan_view(s, journal, plan)).withdrawable:
            raise NotAllowed("error.planned_begun")
        plan.withdrawn_at = journal.clock.now()
        plan.withdrawn_by = actor.person_id
        await s.execute(delete(AbsenceSuggestion).where(AbsenceSuggestion.planned_id == plan.id))
        await s.flush()
        view = await _plan_view(s, journal, plan)
        return replace(view, class_teachers=await class_teachers_of(s, plan.pupil_id))
