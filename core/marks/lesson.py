"""Marks on a lesson (R7, R12, R15): one mark, a class test in bulk mode, a correction or
removal, all through ``entries.submit``; and the lesson's marks for its teacher."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core import entries, periods
from core.access import Actor, lesson_for_edit
from core.corrections import request
from core.entries import Outcome
from core.errors import InvalidValue, NotFound
from core.journal import Journal
from core.marks.queries import (
    MARK_VALUES,
    MarkRef,
    MarkView,
    WorkTypeView,
    ensure_lesson_takes_marks,
    latest_mark,
    lesson_marks_in,
    work_type_of,
    work_types_in,
)
from core.models import (
    Mark,
)


async def work_types(journal: Journal, school_id: int) -> list[WorkTypeView]:
    async with journal.transaction() as s:
        return await work_types_in(s, school_id)


async def add_mark(
    journal: Journal,
    actor: Actor,
    lesson_id: int,
    pupil_id: int,
    value: int,
    work_type: int | str,
    comment: str | None = None,
) -> Outcome:
    """A new mark. It may stand beside an absence: a make-up for a missed topic (R15)."""
    async with journal.transaction() as s:
        return await _add(s, journal, actor, lesson_id, pupil_id, value, work_type, comment)


async def add_marks_bulk(
    journal: Journal,
    actor: Actor,
    lesson_id: int,
    work_type: int | str,
    values: dict[int, int],
) -> dict[int, Outcome]:
    """A class test: one work type, a value per pupil, written all together or not at all."""
    async with journal.transaction() as s:
        return {
            pupil_id: await _add(s, journal, actor, lesson_id, pupil_id, value, work_type, None)
            for pupil_id, value in values.items()
        }


async def set_bulk_mark(
    journal: Journal,
    actor: Actor,
    lesson_id: int,
    pupil_id: int,
    value: int,
    work_type: int | str,
) -> Outcome:
    """Bulk mode (a class test): one mark per pupil, lesson and work type. Tapping a pupil
    who already has a mark of this work type on the lesson changes it to ``value`` (the
    same value again changes nothing); it never adds a second one. The lesson row is
    locked first, so two racing taps are serialised and the second finds the first's
    mark."""
    if value not in MARK_VALUES:
        raise InvalidValue("error.mark_value")
    async with journal.transaction() as s:
        lesson = await lesson_for_edit(s, actor, lesson_id, lock=True)
        await ensure_lesson_takes_marks(s, lesson, pupil_id)
        wt = await work_type_of(s, lesson.school_id, work_type)
        mark = await latest_mark(s, lesson.id, pupil_id, wt.id, lock=True)
        if mark is None:
            return await _add(s, journal, actor, lesson_id, pupil_id, value, wt.id, None)
        if mark.value == value:
            return Outcome.UNCHANGED
        return await entries.submit(
            s,
            journal,
            actor,
            lesson,
            pupil_id,
            "mark",
            {"op": "set", "mark_id": mark.id, "value": value},
            entries.mark_snapshot(mark),
            is_author=mark.author_id == actor.person_id,
        )


async def bulk_mark(
    journal: Journal, actor: Actor, lesson_id: int, pupil_id: int, work_type: int | str
) -> MarkRef | None:
    """The mark a bulk-mode tap on this pupil would change (their latest of this work type
    on the lesson), or None when the tap adds one. The bot asks for the reason first when
    changing it is a request (R7), exactly as for a one-tap change (``change_needs_reason``)."""
    async with journal.transaction() as s:
        lesson = await lesson_for_edit(s, actor, lesson_id)
        wt = await work_type_of(s, lesson.school_id, work_type)
        mark = await latest_mark(s, lesson.id, pupil_id, wt.id)
        return None if mark is None else MarkRef(mark.id, mark.lesson_id, mark.pupil_id, mark.value)


async def _add(
    s: AsyncSession,
    journal: Journal,
    actor: Actor,
    lesson_id: int,
    pupil_id: int,
    value: int,
    work_type: int | str,
    comment: str | None,
) -> Outcome:
    if value not in MARK_VALUES:
        raise InvalidValue("error.mark_value")
    lesson = await lesson_for_edit(s, actor, lesson_id, lock=True)
    await ensure_lesson_takes_marks(s, lesson, pupil_id)
    wt = await work_type_of(s, lesson.school_id, work_type)
    change = {"op": "add", "value": value, "work_type_id": wt.id, "comment": comment}
    return await entries.submit(
        s, journal, actor, lesson, pupil_id, "mark", change, None, is_author=True
    )


async def change_mark(
    journal: Journal, actor: Actor, mark_id: int, value: int | None, reason: str | None = None
) -> Outcome:
    """Correct (``value``) or remove (``None``) a mark. By its author until the deadline on
    the lesson day; afterwards a request for the deputy (R7)."""
    if value is not None and value not in MARK_VALUES:
        raise InvalidValue("error.mark_value")
    async with journal.transaction() as s:
        mark = await s.get(Mark, mark_id)
        if mark is None:
            raise NotFound()
        lesson = await lesson_for_edit(s, actor, mark.lesson_id, lock=True)
        if value == mark.value:
            return Outcome.UNCHANGED
        change = (
            {"op": "delete", "mark_id": mark.id}
            if value is None
            else {"op": "set", "mark_id": mark.id, "value": value}
        )
        return await entries.submit(
            s,
            journal,
            actor,
            lesson,
            mark.pupil_id,
            "mark",
            change,
            entries.mark_snapshot(mark),
            is_author=mark.author_id == actor.person_id,
            reason=reason,
        )


async def change_needs_reason(journal: Journal, actor: Actor, mark_id: int) -> bool:
    """Whether changing or removing this mark now is a request for the deputy (R7): after
    the deadline, or not by its author. The teacher is then asked for the reason first."""
    async with journal.transaction() as s:
        mark = await s.get(Mark, mark_id)
        if mark is None:
            raise NotFound()
        lesson = await lesson_for_edit(s, actor, mark.lesson_id)
        await periods.ensure_open(s, lesson.school_id, lesson.date)  # R10: refuse at once
        return await request.would_be_request(
            s,
            journal,
            lesson,
            changes_existing=True,
            is_author=mark.author_id == actor.person_id,
        )


async def get_mark(journal: Journal, actor: Actor, mark_id: int) -> MarkRef:
    """A mark on a lesson the actor fills (anything else is refused as forged)."""
    async with journal.transaction() as s:
        mark = await s.get(Mark, mark_id)
        if mark is None:
            raise NotFound()
        await lesson_for_edit(s, actor, mark.lesson_id)
        return MarkRef(mark.id, mark.lesson_id, mark.pupil_id, mark.value)


async def lesson_marks(journal: Journal, actor: Actor, lesson_id: int) -> dict[int, list[MarkView]]:
    """The marks of a lesson per pupil, for the teacher filling it."""
    async with journal.transaction() as s:
        lesson = await lesson_for_edit(s, actor, lesson_id)
        return await lesson_marks_in(s, lesson)
