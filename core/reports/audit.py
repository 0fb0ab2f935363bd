"""R9: the mark-change audit for the academic year, from the append-only audit log: every
change of a mark or a final mark, who made it, when, old → new, the reason and the
correction request it came from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import Actor
from core.clock import at_local
from core.journal import Journal
from core.models import (
    AcademicYear,
    AuditEntry,
    CorrectionRequest,
    Lesson,
    Period,
    Pupil,
    SchoolClass,
    WorkType,
)
from core.reports.common import (
    checked_classes,
    fetch_person_names,
    fetch_subject_names,
    fetch_year,
    school_today,
)
from core.revert import typed_reason


@dataclass(frozen=True)
class MarkChange:
    """One audited change of a mark or a final mark: who, when, what, why."""

    at: datetime  # local time
    actor: str | None  # None: the system (the command line)
    action: str  # audit action: mark.add, mark.set, mark.delete, final_mark.set
    pupil_id: int | None
    pupil: str
    class_name: str
    lesson_date: date | None
    lesson_no: int | None
    subject: str | None
    period: str | None  # final marks
    old: str | None
    new: str | None
    work_type: str | None
    reason: str | None
    request_id: int | None
    requested_by: str | None


@dataclass
class MarkAudit:
    year: str
    start: date
    end: date
    rows: list[MarkChange]


@dataclass(frozen=True)
class _LessonRef:
    date: date
    lesson_no: int
    subject_id: int


@dataclass(frozen=True)
class _Names:
    """What the audit rows refer to by id, looked up once for all of them."""

    pupil_class: dict[int, int]  # pupil → their class
    classes: dict[int, str]  # every class of the school
    lessons: dict[int, _LessonRef]
    subjects: dict[int, str]
    periods: dict[int, str]
    work_types: dict[int, str]
    requesters: dict[int, int]  # correction request → who asked
    people: dict[int, str]  # actors, pupils, requesters


async def mark_audit(
    journal: Journal, actor: Actor, year_id: int | None = None, class_id: int | None = None
) -> MarkAudit:
    """R9: every change of a mark or a final mark in the academic year, from the
    append-only audit log: who, when, the pupil, the lesson, old → new, the reason and
    the correction request it came from. A class teacher sees only their class."""
    async with journal.transaction() as s:
        classes = await checked_classes(s, actor, class_id)
        today, tz = await school_today(s, journal, actor.school_id)
        year = await fetch_year(s, actor.school_id, today, year_id=year_id)
        entries = await _entries(s, actor.school_id, year, tz)
        names = await _names(s, actor.school_id, entries)

    shown = {c.id for c in classes}
    everything = actor.oversees_school and class_id is None
    rows: list[MarkChange] = []
    for e in entries:
        pupil_id = e.entity_key.get("pupil_id")
        cls = names.pupil_class.get(pupil_id) if pupil_id is not None else None
        if cls in shown or everything:
            rows.append(_change(e, cls, names, tz))
    return MarkAudit(year.name, year.starts_on, year.ends_on, rows)


async def _entries(
    s: AsyncSession, school_id: int, year: AcademicYear, tz: ZoneInfo
) -> list[AuditEntry]:
    """The audit rows of marks and final marks in the year's days (local time)."""
    start_at = at_local(year.starts_on, datetime.min.time(), tz)
    end_at = at_local(year.ends_on + timedelta(days=1), datetime.min.time(), tz)
    return list(
        await s.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.school_id == school_id,
                AuditEntry.entity.in_(["mark", "final_mark"]),
                AuditEntry.at >= start_at,
                AuditEntry.at < end_at,
            )
            .order_by(AuditEntry.at, AuditEntry.id)
        )
    )


K = TypeVar("K")
V = TypeVar("V")


async def _pairs(s: AsyncSession, query: Select[K, V]) -> dict[K, V]:
    """A two-column query as a dict."""
    return dict((await s.execute(query)).all())


async def _names(s: AsyncSession, school_id: int, entries: list[AuditEntry]) -> _Names:
    keys = [e.entity_key for e in entries]
    pupil_ids = {k["pupil_id"] for k in keys if k.get("pupil_id") is not None}
    lesson_ids = {k["lesson_id"] for k in keys if k.get("lesson_id") is not None}
    request_ids = {e.request_id for e in entries if e.request_id is not None}
    lessons = {
        r.id: _LessonRef(r.date, r.lesson_no, r.subject_id)
        for r in await s.execute(
            select(Lesson.id, Lesson.date, Lesson.lesson_no, Lesson.subject_id).where(
                Lesson.id.in_(list(lesson_ids))
            )
        )
    }
    requesters = await _pairs(
        s,
        select(CorrectionRequest.id, CorrectionRequest.requested_by).where(
            CorrectionRequest.id.in_(list(request_ids))
        ),
    )
    subject_ids = {x.subject_id for x in lessons.values()} | {
        k["subject_id"] for k in keys if k.get("subject_id") is not None
    }
    return _Names(
        pupil_class=await _pairs(
            s,
            select(Pupil.person_id, Pupil.class_id).where(Pupil.person_id.in_(list(pupil_ids))),
        ),
        classes=await _pairs(
            s, select(SchoolClass.id, SchoolClass.name).where(SchoolClass.school_id == school_id)
        ),
        lessons=lessons,
        subjects=await fetch_subject_names(s, subject_ids),
        periods=await _pairs(
            s, select(Period.id, Period.name).where(Period.school_id == school_id)
        ),
        work_types=await _pairs(
            s, select(WorkType.id, WorkType.name).where(WorkType.school_id == school_id)
        ),
        requesters=requesters,
        people=await fetch_person_names(
            s, {e.actor_id for e in entries} | pupil_ids | set(requesters.values())
        ),
    )


def _value(snapshot: dict[str, Any] | None) -> str | None:
    if not snapshot or snapshot.get("value") is None:
        return None
    return str(snapshot["value"])


def _change(e: AuditEntry, cls: int | None, names: _Names, tz: ZoneInfo) -> MarkChange:
    """One audit row in words: the names behind its ids, its time in local time."""
    key = e.entity_key
    pupil_id, period_id = key.get("pupil_id"), key.get("period_id")
    lesson_id = key.get("lesson_id")
    lesson = names.lessons.get(lesson_id) if lesson_id is not None else None
    subject_id = lesson.subject_id if lesson else key.get("subject_id")
    snapshot = e.new or e.old or {}
    work_type_id = snapshot.get("work_type_id")
    requester = names.requesters.get(e.request_id) if e.request_id is not None else None
    return MarkChange(
        at=e.at.astimezone(tz),
        actor=names.people.get(e.actor_id) if e.actor_id else None,
        action=e.action,
        pupil_id=pupil_id,
        pupil=names.people.get(pupil_id, "?") if pupil_id is not None else "?",
        class_name=names.classes.get(cls, "") if cls is not None else "",
        lesson_date=lesson.date if lesson else None,
        lesson_no=lesson.lesson_no if lesson else None,
        subject=names.subjects.get(subject_id) if subject_id else None,
        period=names.periods.get(period_id) if period_id is not None else None,
        old=_value(e.old),
        new=_value(e.new),
        work_type=names.work_types.get(work_type_id) if work_type_id else None,
        reason=typed_reason(e.reason),
        request_id=e.request_id,
        requested_by=names.people.get(requester) if requester is not None else None,
    )
