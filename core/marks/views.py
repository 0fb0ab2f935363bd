"""What the teacher's marks screens show, each read in one transaction: the marks grid,
a pupil's marks, bulk mode and the prompt for a correction's reason (``marks_sheet``),
the final marks of the period (``finals_sheet``, ``lesson_period``, R11). Authorised as
the screens always were: a lesson the actor may view (R1), then one they fill (R1, R5).

(Beside the ``core/marks`` package for now, to be moved into it as ``views``; its
``lesson_marks_in`` and ``work_types_in`` are what ``marks.lesson_marks`` and
``marks.work_types`` read, and can become their one body.)"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import Actor, ensure_can_view_lesson, lesson_for_edit
from core.journal import Journal
from core.lessons import (
    LessonSummary,
    PupilOfLesson,
    lesson_summary,
    pupils_of_lesson,
    summary_query,
)
from core.marks.queries import MarkView, WorkTypeView, lesson_marks_in, work_types_in
from core.models import FinalMark, Lesson
from core.periods import PeriodView, current_period_in

DEFAULT_BULK_WORK = "test"  # bulk mode opens on the class test


@dataclass(frozen=True)
class MarksSheet:
    """A lesson with its pupils (its subgroup, R20), their marks and the school's work
    types: everything a marks screen of the lesson draws."""

    lesson: LessonSummary
    pupils: list[PupilOfLesson]
    marks: dict[int, list[MarkView]]  # pupil id → the marks given on the lesson, in order
    work_types: list[WorkTypeView]

    def pupil(self, pupil_id: int) -> PupilOfLesson | None:
        return next((p for p in self.pupils if p.id == pupil_id), None)

    def work_type(self, work_type_id: int) -> WorkTypeView | None:
        return next((w for w in self.work_types if w.id == work_type_id), None)

    @property
    def bulk_work_type(self) -> WorkTypeView:
        """The work type bulk mode opens on: the class test, else the first."""
        return next((w for w in self.work_types if w.code == DEFAULT_BULK_WORK), self.work_types[0])


@dataclass(frozen=True)
class LessonPeriod:
    """A lesson (one the actor may view) and the period it is in now: where a final mark
    given from the lesson goes (``None``: the school has no period yet)."""

    lesson: LessonSummary
    period: PeriodView | None


@dataclass(frozen=True)
class FinalsSheet:
    """A lesson's pupils with their final marks of the current period in its subject
    (``period`` ``None``: the school has no period yet, nothing else is read)."""

    lesson: LessonSummary
    period: PeriodView | None
    pupils: list[PupilOfLesson]
    finals: dict[int, str]  # pupil id → the final mark given

    def pupil(self, pupil_id: int) -> PupilOfLesson | None:
        return next((p for p in self.pupils if p.id == pupil_id), None)


async def marks_sheet(journal: Journal, actor: Actor, lesson_id: int) -> MarksSheet:
    async with journal.transaction() as s:
        summary, lesson = await _lesson(s, actor, lesson_id)
        return MarksSheet(
            summary,
            await pupils_of_lesson(s, lesson),
            await lesson_marks_in(s, lesson),
            await work_types_in(s, actor.school_id),
        )


async def lesson_period(journal: Journal, actor: Actor, lesson_id: int) -> LessonPeriod:
    async with journal.transaction() as s:
        return await _lesson_period(s, actor, lesson_id)


async def finals_sheet(journal: Journal, actor: Actor, lesson_id: int) -> FinalsSheet:
    async with journal.transaction() as s:
        found = await _lesson_period(s, actor, lesson_id)
        if found.period is None:
            return FinalsSheet(found.lesson, None, [], {})
        lesson = await lesson_for_edit(s, actor, lesson_id)
        pupils = await pupils_of_lesson(s, lesson)
        rows = await s.execute(
            select(FinalMark.pupil_id, FinalMark.value).where(
                FinalMark.period_id == found.period.id,
                FinalMark.subject_id == lesson.subject_id,
                FinalMark.pupil_id.in_([p.id for p in pupils]),
            )
        )
        return FinalsSheet(found.lesson, found.period, pupils, dict(rows.all()))


async def _lesson_period(s: AsyncSession, actor: Actor, lesson_id: int) -> LessonPeriod:
    await ensure_can_view_lesson(s, actor, lesson_id)
    summary = lesson_summary((await s.execute(summary_query().where(Lesson.id == lesson_id))).one())
    return LessonPeriod(summary, await current_period_in(s, actor.school_id, summary.date))


async def _lesson(s: AsyncSession, actor: Actor, lesson_id: int) -> tuple[LessonSummary, Lesson]:
    await ensure_can_view_lesson(s, actor, lesson_id)
    lesson = await lesson_for_edit(s, actor, lesson_id)
    summary = lesson_summary((await s.execute(summary_query().where(Lesson.id == lesson_id))).one())
    return summary, lesson
