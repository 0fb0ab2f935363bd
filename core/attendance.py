"""Roll call (R4) and absence reasons (R6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, entries
from core.access import Actor, ensure_can_view_pupil, is_class_teacher, lesson_for_edit
from core.entries import Outcome
from core.errors import InvalidValue, NotAllowed
from core.journal import Journal
from core.lessons import (
    LessonCounts,
    LessonSummary,
    PupilOfLesson,
    _summary,
    _summary_query,
    pupils_of_lesson,
)
from core.models import (
    AbsenceReason,
    Attendance,
    Lesson,
    Mark,
    Presence,
    School,
)

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
    lesson: LessonSummary  # the lesson itself, as its card shows it


async def roll_call(journal: Journal, actor: Actor, lesson_id: int) -> RollCall:
    """The lesson's card: the lesson and every pupil's status, in one transaction."""
    async with journal.transaction() as s:
        lesson, row = await _lesson(s, actor, lesson_id)
        pupils = await pupils_of_lesson(s, lesson)
        return _roll_call(lesson, row, pupils, await _sheet(s, lesson.id))


async def set_status(
    journal: Journal, actor: Actor, lesson_id: int, pupil_id: int, status: Presence | None
) -> Outcome:
    async with journal.transaction() as s:
        lesson, _ = await _lesson(s, actor, lesson_id, lock=True)
        pupils = await pupils_of_lesson(s, lesson)
        sheet = await _sheet(s, lesson.id)
        return await _change(s, journal, actor, lesson, pupils, sheet, pupil_id, status)


async def cycle_status(
    journal: Journal, actor: Actor, lesson_id: int, pupil_id: int
) -> tuple[Outcome, RollCall]:
    """One tap on a pupil's button in the roll call; the roll call as it is after it."""
    async with journal.transaction() as s:
        lesson, row = await _lesson(s, actor, lesson_id, lock=True)
        pupils = await pupils_of_lesson(s, lesson)
        sheet = await _sheet(s, lesson.id)
        status = NEXT_STATUS[sheet.statuses.get(pupil_id)]
        outcome = await _change(s, journal, actor, lesson, pupils, sheet, pupil_id, status)
        return outcome, _roll_call(lesson, row, pupils, sheet)


async def mark_rest_present(journal: Journal, actor: Actor, lesson_id: int) -> RollCall:
    """Everyone not yet marked is present; the roll call is then complete. The same path
    as a tap (``entries.submit_many``), for all of them at once: a locked period refuses
    it (R10); once the edit window has closed, each becomes a request for the deputy
    (R8); every mark made is audited (R9)."""
    async with journal.transaction() as s:
        lesson, row = await _lesson(s, actor, lesson_id, lock=True)
        pupils = await pupils_of_lesson(s, lesson)
        sheet = await _sheet(s, lesson.id)
        rest = [p.id for p in pupils if p.id not in sheet.statuses]
        present = {"status": Presence.PRESENT.value}
        outcomes = await entries.submit_many(
            s,
            journal,
            actor,
            lesson,
            "attendance",
            [entries.Entry(pupil_id, present, None, is_author=False) for pupil_id in rest],
        )
        for pupil_id, outcome in zip(rest, outcomes, strict=True):
            if outcome is Outcome.APPLIED:
                sheet.statuses[pupil_id] = Presence.PRESENT.value
                sheet.authors[pupil_id] = actor.person_id
        await _update_taken(s, journal, lesson, pupils, sheet)
        return _roll_call(lesson, row, pupils, sheet)


# The statements of the roll call are built once, here (building one costs more CPU than
# running it); every call only binds its values.
_LESSON = _summary_query().where(Lesson.id == bindparam("lesson_id"))
_LESSON_TO_CHANGE = (
    _LESSON.add_columns(School)
    .join(School, School.id == Lesson.school_id)
    .with_for_update(of=Lesson)
)
_ATTENDANCE, _MARKS = Attendance.__table__, Mark.__table__  # plain columns: no ORM work
_ENTRIES = (
    select(_ATTENDANCE.c.pupil_id, _ATTENDANCE.c.status, _ATTENDANCE.c.author_id)
    .where(_ATTENDANCE.c.lesson_id == bindparam("lesson_id"))
    .subquery()
)
_SHEET = select(
    select(func.count())
    .select_from(_MARKS)
    .where(_MARKS.c.lesson_id == bindparam("lesson_id"))
    .scalar_subquery(),
    func.array_agg(_ENTRIES.c.pupil_id),
    func.array_agg(_ENTRIES.c.status),
    func.array_agg(_ENTRIES.c.author_id),
).select_from(_ENTRIES)


async def _lesson(
    s: AsyncSession, actor: Actor, lesson_id: int, *, lock: bool = False
) -> tuple[Lesson, Any]:
    """The lesson (locked when about to change it) with what its card shows, in one
    statement; the teacher of the lesson only (R1, R5). Before a change the school comes
    along too: ``Journal.school_rules`` then finds it in the session."""
    query = _LESSON_TO_CHANGE if lock else _LESSON
    row = (await s.execute(query, {"lesson_id": lesson_id})).first()
    # Found in the session now: this only checks who may edit it.
    return await lesson_for_edit(s, actor, lesson_id), row


@dataclass
class _Sheet:
    """A lesson's attendance entries and how many marks it has, read in one statement
    (after the lesson is locked, so nothing changes them but this transaction)."""

    statuses: dict[int, str]  # pupil id → status; no entry: not taken
    authors: dict[int, int | None]  # pupil id → who made the entry
    marks: int


async def _sheet(s: AsyncSession, lesson_id: int) -> _Sheet:
    count, pupil_ids, statuses, authors = (await s.execute(_SHEET, {"lesson_id": lesson_id})).one()
    pupil_ids = pupil_ids or []
    return _Sheet(
        dict(zip(pupil_ids, statuses or [], strict=True)),
        dict(zip(pupil_ids, authors or [], strict=True)),
        int(count or 0),
    )


def _roll_call(lesson: Lesson, row: Any, pupils: list[PupilOfLesson], sheet: _Sheet) -> RollCall:
    lines = []
    tally = {None: 0, Presence.PRESENT: 0, Presence.ABSENT: 0, Presence.LATE: 0}
    for p in pupils:
        value = sheet.statuses.get(p.id)
        status = Presence(value) if value is not None else None
        tally[status] += 1
        lines.append(RollCallLine(p, status))
    counts = LessonCounts(
        present=tally[Presence.PRESENT],
        absent=tally[Presence.ABSENT],
        late=tally[Presence.LATE],
        not_taken=tally[None],
        marks=sheet.marks,
    )
    summary = _summary(tuple(row)[:6])  # the lesson as it is now (attendance taken or not)
    return RollCall(lesson.id, lines, counts, lesson.attendance_taken_at is not None, summary)


async def _change(
    s: AsyncSession,
    journal: Journal,
    actor: Actor,
    lesson: Lesson,
    pupils: list[PupilOfLesson],
    sheet: _Sheet,
    pupil_id: int,
    status: Presence | None,
) -> Outcome:
    """Change one pupil's status under the correction rules (``entries.submit``); the
    sheet and the lesson's «taken» follow."""
    if pupil_id not in {p.id for p in pupils}:
        raise NotAllowed("error.pupil_not_in_lesson")
    current = sheet.statuses.get(pupil_id)
    if current == status:
        return Outcome.UNCHANGED
    outcome = await entries.submit(
        s,
        journal,
        actor,
        lesson,
        pupil_id,
        "attendance",
        {"status": status.value if status else None},
        None if current is None else {"status": current},
        is_author=current is not None and sheet.authors.get(pupil_id) == actor.person_id,
    )
    if outcome is Outcome.APPLIED:
        if status is None:
            sheet.statuses.pop(pupil_id, None)
            sheet.authors.pop(pupil_id, None)
        else:
            sheet.statuses[pupil_id] = status.value
            sheet.authors[pupil_id] = actor.person_id
        await _update_taken(s, journal, lesson, pupils, sheet)
    return outcome


async def _update_taken(
    s: AsyncSession, journal: Journal, lesson: Lesson, pupils: list[PupilOfLesson], sheet: _Sheet
) -> None:
    """A roll call is complete when every pupil of the lesson has a status."""
    taken = all(p.id in sheet.statuses for p in pupils)
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
