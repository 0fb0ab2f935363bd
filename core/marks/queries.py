"""What the mark use cases read: work types, whether a lesson takes marks (R12), the mark a
bulk-mode tap changes, and the views of marks they return."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidValue, NotAllowed
from core.lessons import pupils_of_lesson
from core.marks.history import Correction
from core.models import (
    Lesson,
    Mark,
    SchoolClass,
    WorkType,
)
from core.rules import grade_has_marks, plain_average, weighted_average

MARK_VALUES = range(1, 6)


@dataclass(frozen=True)
class WorkTypeView:
    id: int
    code: str
    name: str
    weight: Decimal


async def work_type_of(s: AsyncSession, school_id: int, work_type: int | str) -> WorkType:
    query = select(WorkType).where(WorkType.school_id == school_id)
    query = query.where(
        WorkType.id == work_type if isinstance(work_type, int) else WorkType.code == work_type
    )
    found = await s.scalar(query)
    if found is None:
        raise InvalidValue("error.unknown_work_type")
    return found


async def ensure_lesson_takes_marks(s: AsyncSession, lesson: Lesson, pupil_id: int) -> None:
    grade = await s.scalar(select(SchoolClass.grade).where(SchoolClass.id == lesson.class_id))
    if not grade_has_marks(grade or 0):
        raise NotAllowed("error.grade1_no_marks")  # R12
    if pupil_id not in {p.id for p in await pupils_of_lesson(s, lesson)}:
        raise NotAllowed("error.pupil_not_in_lesson")


async def latest_mark(
    s: AsyncSession, lesson_id: int, pupil_id: int, work_type_id: int, *, lock: bool = False
) -> Mark | None:
    """The pupil's latest mark of this work type on the lesson: the one a bulk-mode tap
    changes (``lock``: for the change itself)."""
    query = (
        select(Mark)
        .where(
            Mark.lesson_id == lesson_id,
            Mark.pupil_id == pupil_id,
            Mark.work_type_id == work_type_id,
        )
        .order_by(Mark.created_at.desc(), Mark.id.desc())
        .limit(1)
    )
    return await s.scalar(query.with_for_update() if lock else query)


@dataclass(frozen=True)
class MarkRef:
    id: int
    lesson_id: int
    pupil_id: int
    value: int


@dataclass(frozen=True)
class MarkView:
    id: int
    lesson_id: int
    date: date
    value: int
    work_type: str
    weight: Decimal
    comment: str | None


@dataclass
class SubjectMarks:
    subject_id: int
    subject: str
    marks: list[MarkView] = field(default_factory=list)
    final: str | None = None
    corrections: list[Correction] = field(default_factory=list)  # newest first (R9)

    @property
    def average(self) -> Decimal | None:
        return plain_average([m.value for m in self.marks])

    @property
    def weighted_average(self) -> Decimal | None:
        return weighted_average([(m.value, m.weight) for m in self.marks])

    @property
    def running_weighted_averages(self) -> list[Decimal | None]:
        """The weighted average after each mark, oldest first (the marks chart's line): the
        same rule as ``weighted_average``, its last value is that."""
        pairs = [(m.value, m.weight) for m in self.marks]
        return [weighted_average(pairs[: n + 1]) for n in range(len(pairs))]


async def lesson_marks_in(s: AsyncSession, lesson: Lesson) -> dict[int, list[MarkView]]:
    """The marks of a lesson per pupil, oldest first."""
    rows = await s.execute(
        select(Mark, WorkType.name, WorkType.weight)
        .join(WorkType, WorkType.id == Mark.work_type_id)
        .where(Mark.lesson_id == lesson.id)
        .order_by(Mark.created_at, Mark.id)
    )
    result: dict[int, list[MarkView]] = defaultdict(list)
    for mark, wt_name, weight in rows:
        result[mark.pupil_id].append(
            MarkView(mark.id, lesson.id, lesson.date, mark.value, wt_name, weight, mark.comment)
        )
    return dict(result)


async def work_types_in(s: AsyncSession, school_id: int) -> list[WorkTypeView]:
    rows = await s.scalars(
        select(WorkType).where(WorkType.school_id == school_id).order_by(WorkType.id)
    )
    return [WorkTypeView(w.id, w.code, w.name, w.weight) for w in rows]
