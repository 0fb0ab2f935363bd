"""Writing journal entries (attendance and marks) under the correction rules.

Every change goes through ``submit``: a locked period refuses it (R10); a change past
the deadline or the edit window becomes a request for the deputy (R7, R8); otherwise it
is applied at once. ``apply`` writes the change and its audit entry (R9), and is also
what an approved request runs.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, periods
from core.access import Actor
from core.clock import local_today
from core.errors import InvalidValue, NotFound
from core.journal import Journal
from core.models import Attendance, CorrectionRequest, Lesson, Mark, Presence
from core.rules import needs_approval


class Outcome(StrEnum):
    APPLIED = "applied"
    REQUESTED = "requested"  # awaits the deputy's approval
    UNCHANGED = "unchanged"


async def submit(
    s: AsyncSession,
    journal: Journal,
    actor: Actor,
    lesson: Lesson,
    pupil_id: int,
    entity: str,
    change: dict[str, Any],
    old: dict[str, Any] | None,
    *,
    is_author: bool,
    reason: str | None = None,
) -> Outcome:
    await periods.ensure_open(s, lesson.school_id, lesson.date)
    rules = await journal.school_rules(s, lesson.school_id)
    if lesson.date > local_today(journal.clock, rules.timezone):
        raise InvalidValue("error.lesson_in_future")
    now = journal.clock.now()
    if needs_approval(
        now=now,
        lesson_date=lesson.date,
        rules=rules,
        changes_existing=old is not None,
        is_author=is_author,
    ):
        if reason is not None and not reason.strip():
            raise InvalidValue("error.correction_reason_empty")
        await s.execute(
            insert(CorrectionRequest).values(
                school_id=lesson.school_id,
                lesson_id=lesson.id,
                pupil_id=pupil_id,
                entity=entity,
                change=change,
                old=old,
                reason=reason,
                requested_by=actor.person_id,
                requested_at=now,
                binding_id=actor.binding_id,  # R3: the account it came through
            )
        )
        return Outcome.REQUESTED
    await apply(
        s,
        at=now,
        actor_id=actor.person_id,
        binding_id=actor.binding_id,
        author_id=actor.person_id,
        lesson=lesson,
        pupil_id=pupil_id,
        entity=entity,
        change=change,
        reason=reason,
    )
    return Outcome.APPLIED


async def would_be_request(
    s: AsyncSession,
    journal: Journal,
    lesson: Lesson,
    *,
    changes_existing: bool,
    is_author: bool,
) -> bool:
    """Whether ``submit`` would turn this change into a request for the deputy (R7, R8):
    the bot then asks for the reason before submitting it."""
    rules = await journal.school_rules(s, lesson.school_id)
    return needs_approval(
        now=journal.clock.now(),
        lesson_date=lesson.date,
        rules=rules,
        changes_existing=changes_existing,
        is_author=is_author,
    )


async def apply(
    s: AsyncSession,
    *,
    at: datetime,
    actor_id: int | None,
    author_id: int | None,
    binding_id: int | None = None,
    lesson: Lesson,
    pupil_id: int,
    entity: str,
    change: dict[str, Any],
    reason: str | None = None,
    request_id: int | None = None,
) -> None:
    if entity == "attendance":
        old, new, key = await _apply_attendance(s, at, author_id, lesson, pupil_id, change)
    elif entity == "mark":
        old, new, key = await _apply_mark(s, at, author_id, lesson, pupil_id, change)
    else:
        raise ValueError(entity)
    await audit.record(
        s,
        school_id=lesson.school_id,
        at=at,
        actor_id=actor_id,
        binding_id=binding_id,
        action=audit.Action(f"{entity}.{change.get('op', 'set')}"),
        entity=entity,
        key=key,
        old=old,
        new=new,
        reason=reason,
        request_id=request_id,
    )


Snapshot = dict[str, Any] | None


async def _apply_attendance(
    s: AsyncSession,
    at: datetime,
    author_id: int | None,
    lesson: Lesson,
    pupil_id: int,
    change: dict[str, Any],
) -> tuple[Snapshot, Snapshot, dict[str, Any]]:
    key = {"lesson_id": lesson.id, "pupil_id": pupil_id}
    row = await s.get(Attendance, (lesson.id, pupil_id), with_for_update=True)
    old = attendance_snapshot(row)
    status = change.get("status")
    if status is None:
        if row is not None:
            await s.delete(row)
        return old, None, key
    status = Presence(status).value
    values = {"status": status, "author_id": author_id, "updated_at": at}
    if status == Presence.PRESENT:
        values.update(reason="unconfirmed", reason_confirmed_by=None, reason_confirmed_at=None)
    await s.execute(
        pg_insert(Attendance)
        .values(lesson_id=lesson.id, pupil_id=pupil_id, **values)
        .on_conflict_do_update(index_elements=["lesson_id", "pupil_id"], set_=values)
    )
    return old, {"status": status}, key


def attendance_snapshot(row: Attendance | None) -> Snapshot:
    return None if row is None else {"status": row.status}


async def _apply_mark(
    s: AsyncSession,
    at: datetime,
    author_id: int | None,
    lesson: Lesson,
    pupil_id: int,
    change: dict[str, Any],
) -> tuple[Snapshot, Snapshot, dict[str, Any]]:
    op = change["op"]
    if op == "add":
        mark_id = await s.scalar(
            insert(Mark)
            .values(
                lesson_id=lesson.id,
                pupil_id=pupil_id,
                value=change["value"],
                work_type_id=change["work_type_id"],
                comment=change.get("comment"),
                author_id=author_id,
                created_at=at,
                updated_at=at,
            )
            .returning(Mark.id)
        )
        new = {k: change.get(k) for k in ("value", "work_type_id", "comment")}
        return None, new, {"mark_id": mark_id, "lesson_id": lesson.id, "pupil_id": pupil_id}
    mark = await s.scalar(select(Mark).where(Mark.id == change["mark_id"]).with_for_update())
    if mark is None or mark.lesson_id != lesson.id or mark.pupil_id != pupil_id:
        raise NotFound()
    key = {"mark_id": mark.id, "lesson_id": lesson.id, "pupil_id": pupil_id}
    old = mark_snapshot(mark)
    if op == "delete":
        await s.execute(delete(Mark).where(Mark.id == mark.id))
        return old, None, key
    if op == "set":
        mark.value = change.get("value", mark.value)
        mark.work_type_id = change.get("work_type_id", mark.work_type_id)
        mark.updated_at = at
        await s.flush()
        return old, mark_snapshot(mark), key
    raise ValueError(op)


def mark_snapshot(mark: Mark) -> dict[str, Any]:
    return {"value": mark.value, "work_type_id": mark.work_type_id, "comment": mark.comment}
