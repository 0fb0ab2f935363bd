"""The reason for a pupil's absences on a day (R6), recorded by the class teacher from the
documents received (in the Friday round or from the pupil's page), and a pupil's absences
with their reasons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.access import Actor, ensure_can_view_pupil, is_class_teacher
from core.errors import InvalidValue, NotAllowed
from core.journal import Journal
from core.models import (
    AbsenceReason,
    Attendance,
    Lesson,
    Presence,
)


@dataclass(frozen=True)
class AbsenceEntry:
    lesson_id: int
    date: date
    lesson_no: int
    status: Presence
    reason: AbsenceReason


async def confirm_reason(
    journal: Journal,
    actor: Actor,
    pupil_id: int,
    day: date,
    reason: AbsenceReason,
    note: str | None = None,
) -> int:
    """R6: the class teacher records the reason for a pupil's absences on a day, from the
    documents received. Returns how many lessons it covered. Audited."""
    if reason is AbsenceReason.UNCONFIRMED:
        raise InvalidValue()
    async with journal.transaction() as s:
        pupil = await ensure_can_view_pupil(s, actor, pupil_id)
        # Overseers may also record reasons, e.g. while the class teacher is away.
        if not (actor.oversees_school or await is_class_teacher(s, actor, pupil.class_id)):
            raise NotAllowed("error.class_teacher_only")
        rows = list(
            await s.execute(
                select(Attendance, Lesson)
                .join(Lesson, Lesson.id == Attendance.lesson_id)
                .where(
                    Attendance.pupil_id == pupil_id,
                    Lesson.date == day,
                    Attendance.status.in_([Presence.ABSENT, Presence.LATE]),
                )
                .with_for_update(of=Attendance)
            )
        )
        now = journal.clock.now()
        for row, lesson in rows:
            old = {"reason": row.reason}
            await s.execute(
                update(Attendance)
                .where(Attendance.lesson_id == row.lesson_id, Attendance.pupil_id == pupil_id)
                .values(
                    reason=reason.value,
                    reason_note=note,
                    reason_confirmed_by=actor.person_id,
                    reason_confirmed_at=now,
                )
            )
            await audit.record(
                s,
                school_id=lesson.school_id,
                at=now,
                actor_id=actor.person_id,
                binding_id=actor.binding_id,
                action=audit.Action.ATTENDANCE_REASON,
                entity="attendance",
                key={"lesson_id": row.lesson_id, "pupil_id": pupil_id},
                old=old,
                new={"reason": reason.value},
                reason=note,
            )
        return len(rows)


async def pupil_absences(
    journal: Journal, actor: Actor, pupil_id: int, start: date, end: date
) -> list[AbsenceEntry]:
    async with journal.transaction() as s:
        return await pupil_absences_in(s, actor, pupil_id, start, end)


async def pupil_absences_in(
    s: AsyncSession, actor: Actor, pupil_id: int, start: date, end: date
) -> list[AbsenceEntry]:
    """A pupil's absences and lateness in [start, end], inside the caller's transaction."""
    await ensure_can_view_pupil(s, actor, pupil_id)
    rows = await s.execute(
        select(Lesson.id, Lesson.date, Lesson.lesson_no, Attendance.status, Attendance.reason)
        .join(Attendance, Attendance.lesson_id == Lesson.id)
        .where(
            Attendance.pupil_id == pupil_id,
            Lesson.date.between(start, end),
            Attendance.status != Presence.PRESENT,
        )
        .order_by(Lesson.date, Lesson.lesson_no)
    )
    return [
        AbsenceEntry(lid, d, no, Presence(st), AbsenceReason(rs)) for lid, d, no, st, rs in rows
    ]
