"""The deputy's decision on a correction request (R7, R8, R9, R10)."""

from __future__ import annotations

from core import entries, periods
from core.access import Actor, ensure_staff
from core.corrections.queries import APPROVERS, RequestView, get_request
from core.errors import NotFound
from core.journal import Journal
from core.models import CorrectionRequest, Lesson, RequestStatus


async def decide(journal: Journal, actor: Actor, request_id: int, approve: bool) -> RequestView:
    """The deputy (or the director) approves or declines. An approved change is applied
    as the requester's entry; the audit log records the approver and the request (R9).
    Deciding twice changes nothing."""
    ensure_staff(actor, *APPROVERS)
    async with journal.transaction() as s:
        request = await s.get(CorrectionRequest, request_id, with_for_update=True)
        if request is None or request.school_id != actor.school_id:
            raise NotFound()
        if request.status == RequestStatus.PENDING:
            lesson = await s.get(Lesson, request.lesson_id)
            assert lesson is not None
            now = journal.clock.now()
            if approve:
                await periods.ensure_open(s, lesson.school_id, lesson.date)  # R10
                await entries.apply(
                    s,
                    at=now,
                    actor_id=actor.person_id,
                    binding_id=actor.binding_id,
                    author_id=request.requested_by,
                    lesson=lesson,
                    pupil_id=request.pupil_id,
                    entity=request.entity,
                    change=request.change,
                    reason=request.reason,
                    request_id=request.id,
                )
            request.status = RequestStatus.APPROVED if approve else RequestStatus.DECLINED
            request.decided_by = actor.person_id
            request.decided_at = now
    return await get_request(journal, actor, request_id)
