"""What the approvers read: the pending requests, one request, who the approvers are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from core.access import Actor, ensure_staff
from core.errors import NotFound
from core.journal import Journal
from core.models import (
    CorrectionRequest,
    Lesson,
    Person,
    RequestStatus,
    SchoolClass,
    StaffRole,
    StaffRoleRow,
    Subject,
)

# Who decides a correction request (R7): the deputy, or the director.
APPROVERS = (StaffRole.DEPUTY, StaffRole.DIRECTOR)


@dataclass(frozen=True)
class RequestView:
    id: int
    entity: str
    change: dict[str, Any]
    old: dict[str, Any] | None
    reason: str | None
    status: RequestStatus
    requested_by: int
    requested_by_name: str
    requested_at: datetime
    pupil_id: int
    pupil_name: str
    lesson_id: int
    lesson_date: date
    class_name: str
    subject: str


async def pending(journal: Journal, actor: Actor) -> list[RequestView]:
    ensure_staff(actor, *APPROVERS)
    return await _views(journal, actor, status=RequestStatus.PENDING)


async def newest_pending(journal: Journal, school_id: int) -> RequestView | None:
    """The latest pending request of a school, to announce it to the approvers."""
    async with journal.transaction() as s:
        request_id = await s.scalar(
            select(CorrectionRequest.id)
            .where(
                CorrectionRequest.school_id == school_id,
                CorrectionRequest.status == RequestStatus.PENDING,
            )
            .order_by(CorrectionRequest.id.desc())
            .limit(1)
        )
    if request_id is None:
        return None
    views = await _views_in(journal, school_id, request_id=request_id)
    return views[0] if views else None


async def get_request(journal: Journal, actor: Actor, request_id: int) -> RequestView:
    views = await _views(journal, actor, request_id=request_id)
    if not views:
        raise NotFound()
    return views[0]


async def _views(
    journal: Journal,
    actor: Actor,
    *,
    status: RequestStatus | None = None,
    request_id: int | None = None,
) -> list[RequestView]:
    return await _views_in(journal, actor.school_id, status=status, request_id=request_id)


async def _views_in(
    journal: Journal,
    school_id: int,
    *,
    status: RequestStatus | None = None,
    request_id: int | None = None,
) -> list[RequestView]:
    requester = aliased(Person)
    pupil = aliased(Person)
    query = (
        select(
            CorrectionRequest,
            requester.full_name,
            pupil.full_name,
            Lesson.date,
            SchoolClass.name,
            Subject.name,
        )
        .join(requester, requester.id == CorrectionRequest.requested_by)
        .join(pupil, pupil.id == CorrectionRequest.pupil_id)
        .join(Lesson, Lesson.id == CorrectionRequest.lesson_id)
        .join(SchoolClass, SchoolClass.id == Lesson.class_id)
        .join(Subject, Subject.id == Lesson.subject_id)
        .where(CorrectionRequest.school_id == school_id)
        .order_by(CorrectionRequest.requested_at, CorrectionRequest.id)
    )
    if status is not None:
        query = query.where(CorrectionRequest.status == status)
    if request_id is not None:
        query = query.where(CorrectionRequest.id == request_id)
    async with journal.transaction() as s:
        rows = await s.execute(query)
        return [
            RequestView(
                id=r.id,
                entity=r.entity,
                change=r.change,
                old=r.old,
                reason=r.reason,
                status=RequestStatus(r.status),
                requested_by=r.requested_by,
                requested_by_name=req_name,
                requested_at=r.requested_at,
                pupil_id=r.pupil_id,
                pupil_name=pupil_name,
                lesson_id=r.lesson_id,
                lesson_date=day,
                class_name=class_name,
                subject=subject,
            )
            for r, req_name, pupil_name, day, class_name, subject in rows
        ]


async def approvers(journal: Journal, school_id: int) -> list[int]:
    """The people who decide correction requests in a school (deputies, the director)."""
    async with journal.transaction() as s:
        rows = await s.scalars(
            select(StaffRoleRow.person_id)
            .join(Person, Person.id == StaffRoleRow.person_id)
            .where(Person.school_id == school_id, StaffRoleRow.role.in_(list(APPROVERS)))
            .distinct()
        )
        return list(rows)
