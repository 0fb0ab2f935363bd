"""Roll call (R4). Absence reasons (R6) are the Friday round's: core/friday_round/."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, String, bindparam, func, insert, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, entries, periods
from core.access import Actor, lesson_for_edit
from core.clock import local_today
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
    AuditEntry,
    CorrectionRequest,
    Lesson,
    Mark,
    Presence,
    School,
)
from core.rules import needs_approval

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
    """Everyone not yet marked is present; the roll call is then complete. One statement
    for all of them, under the same rules as a tap: a locked period refuses it (R10); once
    the edit window has closed, each becomes a request for the deputy (R8); every mark
    made is audited (R9), exactly as ``entries.apply`` records a single one."""
    async with journal.transaction() as s:
        lesson, row = await _lesson(s, actor, lesson_id, lock=True)
        pupils = await pupils_of_lesson(s, lesson)
        sheet = await _sheet(s, lesson.id)
        rest = [p.id for p in pupils if p.id not in sheet.statuses]
        if rest:
            for pupil_id in await _submit_present(s, journal, actor, lesson, rest):
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
# A «present» entry as entries.apply writes one, for many pupils; a pupil who got a status
# meanwhile keeps it.
_INSERT_PRESENT = (
    pg_insert(_ATTENDANCE)
    .from_select(
        ["lesson_id", "pupil_id", "status", "reason", "author_id", "updated_at"],
        select(
            bindparam("lesson_id", type_=_ATTENDANCE.c.lesson_id.type),
            func.unnest(bindparam("pupil_ids", type_=ARRAY(Integer))),
            literal(Presence.PRESENT.value, String),
            literal(AbsenceReason.UNCONFIRMED.value, String),
            bindparam("author_id", type_=_ATTENDANCE.c.author_id.type),
            bindparam("at", type_=_ATTENDANCE.c.updated_at.type),
        ),
    )
    .on_conflict_do_nothing(index_elements=["lesson_id", "pupil_id"])
    .returning(_ATTENDANCE.c.pupil_id)
)


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


async def _submit_present(
    s: AsyncSession, journal: Journal, actor: Actor, lesson: Lesson, pupil_ids: list[int]
) -> list[int]:
    """``entries.submit`` for new «present» entries of many pupils at once; returns the
    pupils marked (none when it became requests for the deputy)."""
    await periods.ensure_open(s, lesson.school_id, lesson.date)
    rules = await journal.school_rules(s, lesson.school_id)
    if lesson.date > local_today(journal.clock, rules.timezone):
        raise InvalidValue("error.lesson_in_future")
    now = journal.clock.now()
    change = {"status": Presence.PRESENT.value}
    if needs_approval(
        now=now, lesson_date=lesson.date, rules=rules, changes_existing=False, is_author=False
    ):
        await s.execute(
            insert(CorrectionRequest.__table__),
            [
                {
                    "school_id": lesson.school_id,
                    "lesson_id": lesson.id,
                    "pupil_id": pupil_id,
                    "entity": "attendance",
                    "change": change,
                    "old": None,
                    "reason": None,
                    "requested_by": actor.person_id,
                    "requested_at": now,
                }
                for pupil_id in pupil_ids
            ],
        )
        return []
    marked = list(
        await s.scalars(
            _INSERT_PRESENT,
            {
                "lesson_id": lesson.id,
                "pupil_ids": pupil_ids,
                "author_id": actor.person_id,
                "at": now,
            },
        )
    )
    if marked:
        await s.execute(
            insert(AuditEntry.__table__),
            [
                {
                    "school_id": lesson.school_id,
                    "at": now,
                    "actor_id": actor.person_id,
                    "binding_id": actor.binding_id,
                    "action": audit.Action.ATTENDANCE_SET.value,
                    "entity": "attendance",
                    "entity_key": {"lesson_id": lesson.id, "pupil_id": pupil_id},
                    "old": None,
                    "new": change,
                    "reason": None,
                    "request_id": None,
                }
                for pupil_id in marked
            ],
        )
    return marked


async def _update_taken(
    s: AsyncSession, journal: Journal, lesson: Lesson, pupils: list[PupilOfLesson], sheet: _Sheet
) -> None:
    """A roll call is complete when every pupil of the lesson has a status."""
    taken = all(p.id in sheet.statuses for p in pupils)
    if taken != (lesson.attendance_taken_at is not None):
        lesson.attendance_taken_at = journal.clock.now() if taken else None
        await s.flush()
