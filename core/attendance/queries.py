"""What the roll call reads, in Core statements built once (building one costs more CPU
than running it; every call only binds its values): the lesson with its card, and its
attendance entries with the count of its marks in one statement."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import Actor, lesson_for_edit
from core.lessons import summary_query
from core.models import Attendance, Lesson, Mark, School

_LESSON = summary_query().where(Lesson.id == bindparam("lesson_id"))
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


async def lesson_with_card(
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
class Sheet:
    """A lesson's attendance entries and how many marks it has, read in one statement
    (after the lesson is locked, so nothing changes them but this transaction)."""

    statuses: dict[int, str]  # pupil id → status; no entry: not taken
    authors: dict[int, int | None]  # pupil id → who made the entry
    marks: int


async def read_sheet(s: AsyncSession, lesson_id: int) -> Sheet:
    count, pupil_ids, statuses, authors = (await s.execute(_SHEET, {"lesson_id": lesson_id})).one()
    pupil_ids = pupil_ids or []
    return Sheet(
        dict(zip(pupil_ids, statuses or [], strict=True)),
        dict(zip(pupil_ids, authors or [], strict=True)),
        int(count or 0),
    )
