"""A pupil's marks per subject with plain and weighted averages, and the final mark."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import Actor, ensure_can_view_pupil
from core.journal import Journal
from core.marks.queries import MarkView, SubjectMarks
from core.models import (
    FinalMark,
    Lesson,
    Mark,
    Subject,
    WorkType,
)


async def pupil_marks(
    journal: Journal, actor: Actor, pupil_id: int, start: date, end: date, period_id: int | None
) -> list[SubjectMarks]:
    """A pupil's marks per subject in [start, end] with plain and weighted averages, and
    the final mark of ``period_id`` when one is set."""
    async with journal.transaction() as s:
        return await pupil_marks_in(s, actor, pupil_id, start, end, period_id)


async def pupil_marks_in(
    s: AsyncSession, actor: Actor, pupil_id: int, start: date, end: date, period_id: int | None
) -> list[SubjectMarks]:
    """``pupil_marks`` inside the caller's transaction."""
    await ensure_can_view_pupil(s, actor, pupil_id)
    rows = await s.execute(
        select(Mark, Lesson.date, Subject.id, Subject.name, WorkType.name, WorkType.weight)
        .join(Lesson, Lesson.id == Mark.lesson_id)
        .join(Subject, Subject.id == Lesson.subject_id)
        .join(WorkType, WorkType.id == Mark.work_type_id)
        .where(Mark.pupil_id == pupil_id, Lesson.date.between(start, end))
        .order_by(Subject.name, Lesson.date, Mark.id)
    )
    subjects: dict[int, SubjectMarks] = {}
    for mark, day, subject_id, subject, wt_name, weight in rows:
        entry = subjects.setdefault(subject_id, SubjectMarks(subject_id, subject))
        entry.marks.append(
            MarkView(mark.id, mark.lesson_id, day, mark.value, wt_name, weight, mark.comment)
        )
    if period_id is not None:
        finals = await s.execute(
            select(FinalMark.subject_id, Subject.name, FinalMark.value)
            .join(Subject, Subject.id == FinalMark.subject_id)
            .where(FinalMark.pupil_id == pupil_id, FinalMark.period_id == period_id)
        )
        for subject_id, subject, value in finals:
            subjects.setdefault(subject_id, SubjectMarks(subject_id, subject)).final = value
    return sorted(subjects.values(), key=lambda e: e.subject)
