"""Filing a correction (R7, R8): which changes of a lesson's entries need the deputy's
approval, and the requests for them, recorded with the account they came through (R3).
``core.entries.submit_many`` asks here before it applies anything."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import Actor
from core.errors import InvalidValue
from core.journal import Journal
from core.models import CorrectionRequest, Lesson, RequestStatus
from core.rules import needs_approval

if TYPE_CHECKING:
    from core.entries import Entry

_REQUESTS = CorrectionRequest.__table__


async def needing_approval(
    s: AsyncSession,
    journal: Journal,
    lesson: Lesson,
    items: Sequence[Entry],
    reason: str | None,
) -> list[bool]:
    """Per entry, whether it must go to the deputy: past the deadline on the lesson day
    a change to an entry (not one's own) does (R7); past the edit window every change
    does (R8). A request needs a reason when one is asked for."""
    rules = await journal.school_rules(s, lesson.school_id)
    now = journal.clock.now()
    requested = [
        needs_approval(
            now=now,
            lesson_date=lesson.date,
            rules=rules,
            changes_existing=item.old is not None,
            is_author=item.is_author,
        )
        for item in items
    ]
    if any(requested) and reason is not None and not reason.strip():
        raise InvalidValue("error.correction_reason_empty")
    return requested


async def would_be_request(
    s: AsyncSession,
    journal: Journal,
    lesson: Lesson,
    *,
    changes_existing: bool,
    is_author: bool,
) -> bool:
    """Whether this change would become a request for the deputy (R7, R8): the bot then
    asks for the reason before submitting it."""
    rules = await journal.school_rules(s, lesson.school_id)
    return needs_approval(
        now=journal.clock.now(),
        lesson_date=lesson.date,
        rules=rules,
        changes_existing=changes_existing,
        is_author=is_author,
    )


async def waiting(s: AsyncSession, lesson_id: int, entity: str) -> set[int]:
    """The pupils of a lesson with a request still waiting for the deputy: a second change
    to the same entry would only contradict it."""
    rows = await s.scalars(
        select(CorrectionRequest.pupil_id).where(
            CorrectionRequest.lesson_id == lesson_id,
            CorrectionRequest.entity == entity,
            CorrectionRequest.status == RequestStatus.PENDING,
        )
    )
    return set(rows)


async def file_requests(
    s: AsyncSession,
    actor: Actor,
    lesson: Lesson,
    entity: str,
    items: Sequence[Entry],
    *,
    reason: str | None,
    at: datetime,
) -> None:
    """The requests, in one statement."""
    if not items:
        return
    await s.execute(
        insert(_REQUESTS),
        [
            {
                "school_id": lesson.school_id,
                "lesson_id": lesson.id,
                "pupil_id": item.pupil_id,
                "entity": entity,
                "change": item.change,
                "old": item.old,
                "reason": reason,
                "requested_by": actor.person_id,
                "requested_at": at,
                "binding_id": actor.binding_id,  # R3: the account it came through
            }
            for item in items
        ],
    )
