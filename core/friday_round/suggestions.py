"""A parent's suggested reason for an absence (R6): what the class teacher sees in the
Friday round, accepts or rejects."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, Integer, any_, cast, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import Actor, is_guardian
from core.classes import ensure_class_teacher
from core.errors import InvalidValue, NotAllowed, NotFound
from core.identity import UserRef
from core.journal import Journal
from core.models import (
    AbsenceReason,
    AbsenceSuggestion,
    Attendance,
    BindingRole,
    Guardianship,
    Lesson,
    Person,
    Presence,
    Pupil,
    SchoolClass,
)
from core.recipients import Recipient, own_binding_actor, reachable

SUGGESTIBLE = (AbsenceReason.ILLNESS, AbsenceReason.PARENT_STATEMENT, AbsenceReason.OTHER_EXCUSED)


NOTE_LIMIT = 500


@dataclass(frozen=True)
class SuggestionView:
    pupil_id: int
    pupil_name: str
    day: date
    reason: AbsenceReason
    note: str | None
    parent_name: str = ""
    class_teachers: tuple[Recipient, ...] = ()  # told of the suggestion at once (issue 9.5)
    at: datetime | None = None  # when it was given (or commented): the notice's identity


async def class_teachers_of(s: AsyncSession, pupil_id: int) -> tuple[Recipient, ...]:
    teacher = await s.scalar(
        select(SchoolClass.class_teacher_id)
        .join(Pupil, Pupil.class_id == SchoolClass.id)
        .where(Pupil.person_id == pupil_id)
    )
    if teacher is None:
        return ()
    return tuple((await reachable(s, [teacher], BindingRole.STAFF)).get(teacher, []))


async def suggesting_parent(
    s: AsyncSession, user: UserRef, binding_id: int, pupil_id: int
) -> Actor:
    actor = await own_binding_actor(s, user, binding_id)
    if actor.role is not BindingRole.PARENT or not await is_guardian(s, actor, pupil_id):
        raise NotAllowed()
    consent = await s.scalar(
        select(Guardianship.consent).where(
            Guardianship.guardian_id == actor.person_id, Guardianship.pupil_id == pupil_id
        )
    )
    if consent is not True:
        raise NotAllowed()
    return actor


async def _absent_that_day(s: AsyncSession, pupil_id: int, day: date) -> None:
    absent = await s.scalar(
        select(func.count())
        .select_from(Attendance)
        .join(Lesson, Lesson.id == Attendance.lesson_id)
        .where(
            Attendance.pupil_id == pupil_id,
            Lesson.date == day,
            Attendance.status == Presence.ABSENT,
        )
    )
    if not absent:
        raise NotFound()


async def absence_to_explain(
    journal: Journal, user: UserRef, binding_id: int, pupil_id: int, day: date
) -> str:
    """The full name of a parent's child who was absent on ``day``, for the parent to
    suggest the reason (refused for anyone else's child, R1)."""
    async with journal.transaction() as s:
        await suggesting_parent(s, user, binding_id, pupil_id)
        await _absent_that_day(s, pupil_id, day)
        return await s.scalar(select(Person.full_name).where(Person.id == pupil_id)) or ""


async def suggest_reason(
    journal: Journal,
    user: UserRef,
    binding_id: int,
    pupil_id: int,
    day: date,
    reason: AbsenceReason,
) -> SuggestionView:
    """A parent tells the class teacher why their child was absent on a day. It is a
    suggestion in the class teacher's queue, not a confirmation (R6): the reason on the
    attendance stays as it is until the class teacher confirms it from documents. A new
    suggestion by the same parent for the same day replaces the earlier one."""
    if reason not in SUGGESTIBLE:
        raise InvalidValue()
    async with journal.transaction() as s:
        actor = await suggesting_parent(s, user, binding_id, pupil_id)
        await _absent_that_day(s, pupil_id, day)
        values: dict[str, Any] = {
            "reason": reason.value,
            "note": None,
            "binding_id": binding_id,
            "suggested_at": journal.clock.now(),
        }
        await s.execute(
            pg_insert(AbsenceSuggestion)
            .values(pupil_id=pupil_id, day=day, suggested_by=actor.person_id, **values)
            .on_conflict_do_update(index_elements=["pupil_id", "day", "suggested_by"], set_=values)
        )
        name = await s.scalar(select(Person.full_name).where(Person.id == pupil_id))
        parent = await s.scalar(select(Person.full_name).where(Person.id == actor.person_id))
        return SuggestionView(
            pupil_id,
            name or "",
            day,
            reason,
            None,
            parent or "",
            await class_teachers_of(s, pupil_id),
            values["suggested_at"],
        )


async def add_suggestion_note(
    journal: Journal, user: UserRef, binding_id: int, pupil_id: int, day: date, note: str
) -> SuggestionView:
    """The parent's free-text comment to their suggestion (returned with the class
    teachers to pass it on to)."""
    note = note.strip()
    if not note or len(note) > NOTE_LIMIT:
        raise InvalidValue("error.text_length", limit=NOTE_LIMIT)
    async with journal.transaction() as s:
        actor = await suggesting_parent(s, user, binding_id, pupil_id)
        now = journal.clock.now()
        result = await s.execute(
            update(AbsenceSuggestion)
            .where(
                AbsenceSuggestion.pupil_id == pupil_id,
                AbsenceSuggestion.day == day,
                AbsenceSuggestion.suggested_by == actor.person_id,
            )
            .values(note=note, suggested_at=now)
        )
        if not result.rowcount:  # type: ignore[attr-defined]  # a DML result is a CursorResult
            raise NotFound()
        name = await s.scalar(select(Person.full_name).where(Person.id == pupil_id))
        parent = await s.scalar(select(Person.full_name).where(Person.id == actor.person_id))
        return SuggestionView(
            pupil_id,
            name or "",
            day,
            AbsenceReason.UNCONFIRMED,
            note,
            parent or "",
            await class_teachers_of(s, pupil_id),
            now,
        )


@dataclass(frozen=True)
class Suggestion:
    pupil_id: int
    day: date
    reason: AbsenceReason
    note: str | None
    parent_name: str
    suggested_at: datetime
    pupil_name: str = ""


async def suggestions_for(
    s: AsyncSession, pupil_days: set[tuple[int, date]]
) -> dict[tuple[int, date], list[Suggestion]]:
    """Parents' suggestions for these pupil-days, oldest first."""
    found: dict[tuple[int, date], list[Suggestion]] = defaultdict(list)
    if not pupil_days:
        return found
    pairs = sorted(pupil_days)
    rows = await s.execute(
        text(
            """
            SELECT sg.pupil_id, sg.day, sg.reason, sg.note, pe.full_name, sg.suggested_at,
                   pp.full_name
            FROM unnest(CAST(:pupils AS integer[]), CAST(:days AS date[])) AS x(pupil_id, day)
            JOIN absence_suggestions sg ON sg.pupil_id = x.pupil_id AND sg.day = x.day
            JOIN people pe ON pe.id = sg.suggested_by
            JOIN people pp ON pp.id = sg.pupil_id
            ORDER BY sg.pupil_id, sg.day, sg.suggested_at
            """
        ),
        {"pupils": [p for p, _ in pairs], "days": [d for _, d in pairs]},
    )
    for pupil_id, day, reason, note, parent, at, pupil in rows:
        found[(pupil_id, day)].append(
            Suggestion(pupil_id, day, AbsenceReason(reason), note, parent, at, pupil)
        )
    return found


async def class_suggestions(
    journal: Journal, actor: Actor, class_id: int, start: date, end: date
) -> dict[tuple[int, date], list[Suggestion]]:
    """The class teacher's queue of parents' suggestions for a class's pupil-days."""
    async with journal.transaction() as s:
        return await class_suggestions_in(s, actor, class_id, start, end)


async def class_suggestions_in(
    s: AsyncSession, actor: Actor, class_id: int, start: date, end: date
) -> dict[tuple[int, date], list[Suggestion]]:
    """``class_suggestions`` inside the caller's transaction."""
    await ensure_class_teacher(s, actor, class_id)
    keys = await s.execute(
        select(AbsenceSuggestion.pupil_id, AbsenceSuggestion.day)
        .join(Pupil, Pupil.person_id == AbsenceSuggestion.pupil_id)
        .where(Pupil.class_id == class_id, AbsenceSuggestion.day.between(start, end))
    )
    return await suggestions_for(s, {(p, d) for p, d in keys})


@dataclass(frozen=True)
class ReasonAnswer:
    """Whom to tell the class teacher's answer to parents' suggested reasons."""

    pupil_name: str
    parents: tuple[Recipient, ...]
    suggested_at: datetime | None = None  # the latest suggestion answered (its identity)


async def _suggesting_parents(s: AsyncSession, pupil_id: int, day: date) -> ReasonAnswer:
    name = await s.scalar(select(Person.full_name).where(Person.id == pupil_id)) or ""
    rows = (
        await s.execute(
            select(AbsenceSuggestion.suggested_by, AbsenceSuggestion.suggested_at).where(
                AbsenceSuggestion.pupil_id == pupil_id, AbsenceSuggestion.day == day
            )
        )
    ).all()
    parents = [p for p, _ in rows]
    found = await reachable(s, parents, BindingRole.PARENT)
    return ReasonAnswer(
        name,
        tuple(r for p in parents for r in found.get(p, [])),
        max((at for _, at in rows), default=None),
    )


async def parents_to_tell(journal: Journal, actor: Actor, pupil_id: int, day: date) -> ReasonAnswer:
    """The parents who suggested a reason for this pupil-day (told once it is confirmed)."""
    async with journal.transaction() as s:
        cls = await s.scalar(select(Pupil.class_id).where(Pupil.person_id == pupil_id))
        if cls is None:
            raise NotFound()
        await ensure_class_teacher(s, actor, cls)
        return await _suggesting_parents(s, pupil_id, day)


async def unconfirmed_left(journal: Journal, actor: Actor, pupil_id: int, day: date) -> int:
    """How many pupil-days of this pupil's class, in the week of ``day``, still have an
    absence without a confirmed reason (the round's header after a tap)."""
    async with journal.transaction() as s:
        cls = await s.scalar(select(Pupil.class_id).where(Pupil.person_id == pupil_id))
        if cls is None:
            raise NotFound()
        await ensure_class_teacher(s, actor, cls)
        return await unconfirmed_left_in(s, cls, day)


async def unconfirmed_left_in(s: AsyncSession, class_id: int, day: date) -> int:
    """:func:`unconfirmed_left` of a class already authorised, in the caller's session."""
    monday = day - timedelta(days=day.weekday())
    days = (
        select(Attendance.pupil_id, Lesson.date)
        .join(Lesson, Lesson.id == Attendance.lesson_id)
        .join(Pupil, Pupil.person_id == Attendance.pupil_id)
        .where(
            Pupil.class_id == class_id,
            Lesson.date.between(monday, monday + timedelta(days=6)),
            Attendance.status == Presence.ABSENT,
            Attendance.reason == AbsenceReason.UNCONFIRMED,
        )
        .distinct()
        .subquery()
    )
    found = await s.scalar(select(func.count()).select_from(days))
    return int(found or 0)


async def reject_suggestions(
    journal: Journal, actor: Actor, pupil_id: int, day: date, explanation: str
) -> ReasonAnswer:
    """R6: the class teacher does not accept the parents' suggested reason for a pupil-day;
    the suggestions are withdrawn (the parent may give another) and the parents who gave
    them are returned, to be told the short explanation."""
    explanation = explanation.strip()
    if not explanation or len(explanation) > NOTE_LIMIT:
        raise InvalidValue("error.text_length", limit=NOTE_LIMIT)
    async with journal.transaction() as s:
        cls = await s.scalar(select(Pupil.class_id).where(Pupil.person_id == pupil_id))
        if cls is None:
            raise NotFound()
        await ensure_class_teacher(s, actor, cls)
        answer = await _suggesting_parents(s, pupil_id, day)
        await s.execute(
            delete(AbsenceSuggestion).where(
                AbsenceSuggestion.pupil_id == pupil_id, AbsenceSuggestion.day == day
            )
        )
        return answer


def _ids(ids: list[int]) -> Any:
    return cast(sorted(set(ids)), ARRAY(Integer))


async def pending_suggestions_by(
    s: AsyncSession, parents: list[int], pupils: list[int], days: list[date]
) -> set[tuple[int, int, date]]:
    """(parent, pupil, day) for which the parent has given a reason that still waits for
    the class teacher (the digest then says so instead of asking again, R6)."""
    if not parents or not pupils or not days:
        return set()
    # One array parameter each (``= ANY``): the nightly digest asks for every parent of a
    # district at once, past PostgreSQL's 32,767 parameters of an IN list.
    rows = await s.execute(
        select(
            AbsenceSuggestion.suggested_by, AbsenceSuggestion.pupil_id, AbsenceSuggestion.day
        ).where(
            AbsenceSuggestion.suggested_by == any_(_ids(parents)),
            AbsenceSuggestion.pupil_id == any_(_ids(pupils)),
            AbsenceSuggestion.day == any_(cast(sorted(set(days)), ARRAY(Date))),
        )
    )
    return {(g, p, d) for g, p, d in rows}
