"""Roll call (R4) and absence reasons (R6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, entries
from core.access import Actor, ensure_can_view_pupil, is_class_teacher, lesson_for_edit
from core.entries import Outcome
from core.errors import InvalidValue, NotAllowed
from core.journal import Journal
from core.lessons import LessonCounts, PupilOfLesson, lesson_counts, pupils_of_lesson
from core.models import AbsenceReason, Attendance, Lesson, Presence

# One tap moves a pupil on: not taken → absent → late → present → absent …
NEXT_STATUS: dict[str | None, Presence] = {
    None: Presence.ABSENT,
    Presence.ABSENT: Presence.LATE,
    Presence.LATE: Presence.PRESENT,
    Presence.PRESENT: Presence.ABSENT,
}


@dataclass(frozen=True)
class RollCallLine:
    pupil: PupilOfLesson
    status: Presence | None  # None: not taken yet


@dataclass(frozen=True)
class RollCall:
    lesson_id: int
    lines: list[RollCallLine]
    counts: LessonCounts
    taken: bool


async def roll_call(journal: Journal, actor: Actor, lesson_id: int) -> RollCall:
    async with journal.transaction() as s:
        lesson = await lesson_for_edit(s, actor, lesson_id)
        return await _roll_call(s, lesson)


async def _roll_call(s: AsyncSession, lesson: Lesson) -> RollCall:
    pupils = await pupils_of_lesson(s, lesson)
    statuses = dict(
        (
            await s.execute(
                select(Attendance.pupil_id, Attendance.status).where(
                    Attendance.lesson_id == lesson.id
                )
            )
        ).all()
    )
    lines = [
        RollCallLine(p, Presence(statuses[p.id]) if p.id in statuses else None) for p in pupils
    ]
    counts = await lesson_counts(s, lesson)
    return RollCall(lesson.id, lines, counts, lesson.attendance_taken_at is not None)


async def set_status(
    journal: Journal, actor: Actor, lesson_id: int, pupil_id: int, status: Presence | None
) -> Outcome:
    async with journal.transaction() as s:
        lesson = await lesson_for_edit(s, actor, lesson_id, lock=True)
        return await _set(s, journal, actor, lesson, pupil_id, status)


async def cycle_status(
    journal: Journal, actor: Actor, lesson_id: int, pupil_id: int
) -> tuple[Outcome, RollCall]:
    """One tap on a pupil's button in the roll call."""
    async with journal.transaction() as s:
        lesson = await lesson_for_edit(s, actor, lesson_id, lock=True)
        current = await s.scalar(
            select(Attendance.status).where(
                Attendance.lesson_id == lesson_id, Attendance.pupil_id == pupil_id
            )
        )
        outcome = await _set(s, journal, actor, lesson, pupil_id, NEXT_STATUS[current])
        return outcome, await _roll_call(s, lesson)


async def mark_rest_present(journal: Journal, actor: Actor, lesson_id: int) -> RollCall:
    """Everyone not yet marked is present; the roll call is then complete."""
    async with journal.transaction() as s:
        lesson = await lesson_for_edit(s, actor, lesson_id, lock=True)
        call = await _roll_call(s, lesson)
        for line in call.lines:
            if line.status is None:
                await _set(
                    s, journal, actor, lesson, line.pupil.id, Presence.PRESENT, update_taken=False
                )
        await _update_taken(s, journal, lesson)
        return await _roll_call(s, lesson)


async def _set(
    s: AsyncSession,
    journal: Journal,
    actor: Actor,
    lesson: Lesson,
    pupil_id: int,
    status: Presence | None,
    *,
    update_taken: bool = True,
) -> Outcome:
    if pupil_id not in {p.id for p in await pupils_of_lesson(s, lesson)}:
        raise NotAllowed("error.pupil_not_in_lesson")
    row = await s.get(Attendance, (lesson.id, pupil_id))
    old = entries.attendance_snapshot(row)
    if (row.status if row else None) == status:
        return Outcome.UNCHANGED
    outcome = await entries.submit(
        s,
        journal,
        actor,
        lesson,
        pupil_id,
        "attendance",
        {"status": status.value if status else None},
        old,
        is_author=row is not None and row.author_id == actor.person_id,
    )
    if outcome is Outcome.APPLIED and update_taken:
        await _update_taken(s, journal, lesson)
    return outcome


async def _update_taken(s: AsyncSession, journal: Journal, lesson: Lesson) -> None:
    """A roll call is complete when every pupil of the lesson has a status."""
    counts = await lesson_counts(s, lesson)
    taken = counts.not_taken == 0
    if taken != (lesson.attendance_taken_at is not None):
        lesson.attendance_taken_at = journal.clock.now() if taken else None
        await s.flush()


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
                action="attendance.reason",
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
