"""R21, the accumulation of marks (``report.title.accumulation``): per class and subject, how
many pupils have no marks or a single mark in the period so far."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from core.access import Actor
from core.errors import NotFound
from core.journal import Journal
from core.models import Lesson, Mark, Period
from core.reports.common import (
    PeriodRef,
    checked_classes,
    fetch_class_subjects,
    fetch_group_members,
    fetch_lessons,
    fetch_pupils,
    fetch_subject_names,
    percent,
    school_today,
    takes,
)
from core.rules import grade_has_marks


@dataclass(frozen=True)
class AccumulationRow:
    class_id: int
    class_name: str
    subject_id: int
    subject: str
    pupils: int
    no_marks: int
    one_mark: int

    @property
    def few_marks(self) -> int:
        return self.no_marks + self.one_mark

    @property
    def no_marks_percent(self) -> Decimal | None:
        return percent(self.no_marks, self.pupils)

    @property
    def one_mark_percent(self) -> Decimal | None:
        return percent(self.one_mark, self.pupils)

    @property
    def few_marks_percent(self) -> Decimal | None:
        return percent(self.few_marks, self.pupils)


@dataclass
class Accumulation:
    period: PeriodRef
    start: date
    until: date
    rows: list[AccumulationRow]


async def mark_accumulation(
    journal: Journal, actor: Actor, period_id: int, class_id: int | None = None
) -> Accumulation:
    """R21: per class and subject, how many pupils have no marks or only one mark in the
    period so far. The first grade has no marks (R12) and is left out."""
    async with journal.transaction() as s:
        classes = await checked_classes(s, actor, class_id)
        period = await s.get(Period, period_id)
        if period is None or period.school_id != actor.school_id:
            raise NotFound()
        today, _ = await school_today(s, journal, actor.school_id)
        start, until = period.starts_on, min(period.ends_on, today)
        classes = [c for c in classes if grade_has_marks(c.grade)]
        ids = [c.id for c in classes]
        pupils = [p for p in await fetch_pupils(s, ids, start, until) if p.enrolled_on(until)]
        lessons = await fetch_lessons(s, ids, start, until)
        taught = await fetch_class_subjects(s, ids, lessons)
        members = await fetch_group_members(s, ids)
        counts: dict[tuple[int, int], int] = {}
        if pupils and until >= start:
            rows = await s.execute(
                select(Mark.pupil_id, Lesson.subject_id, func.count())
                .join(Lesson, Lesson.id == Mark.lesson_id)
                .where(
                    Mark.pupil_id.in_([p.id for p in pupils]),
                    Lesson.date.between(start, until),
                )
                .group_by(Mark.pupil_id, Lesson.subject_id)
            )
            counts = {(p, subj): n for p, subj, n in rows}
        names = await fetch_subject_names(s, {sid for per in taught.values() for sid in per})

    result: list[AccumulationRow] = []
    for cls in classes:
        class_pupils = [p for p in pupils if p.class_id == cls.id]
        subjects = sorted(taught.get(cls.id, {}).items(), key=lambda x: (names[x[0]], x[0]))
        for subject_id, groups in subjects:
            takers = [p for p in class_pupils if takes(p.id, groups, members)]
            marks = [counts.get((p.id, subject_id), 0) for p in takers]
            result.append(
                AccumulationRow(
                    class_id=cls.id,
                    class_name=cls.name,
                    subject_id=subject_id,
                    subject=names[subject_id],
                    pupils=len(takers),
                    no_marks=marks.count(0),
                    one_mark=marks.count(1),
                )
            )
    return Accumulation(
        PeriodRef(period.id, period.name, period.starts_on, period.ends_on), start, until, result
    )
