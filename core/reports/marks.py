"""R21: the summary sheet of marks for a reporting period: every pupil's marks per
subject, the plain and the weighted average and the period (final) mark."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select

from core.access import Actor
from core.errors import NotFound
from core.journal import Journal
from core.models import FinalMark, Period
from core.reports.common import (
    MarkEntry,
    PeriodRef,
    SubjectRef,
    checked_class,
    fetch_class_subjects,
    fetch_group_members,
    fetch_lessons,
    fetch_marks,
    fetch_pupils,
    fetch_subject_names,
    subject_refs,
    takes,
)
from core.rules import plain_average, weighted_average


@dataclass
class SubjectResult:
    subject_id: int
    subject: str
    marks: list[MarkEntry] = field(default_factory=list)
    final: str | None = None

    @property
    def values(self) -> list[int]:
        return [m.value for m in self.marks]

    @property
    def average(self) -> Decimal | None:
        return plain_average(self.values)

    @property
    def weighted_average(self) -> Decimal | None:
        return weighted_average([(m.value, m.weight) for m in self.marks])


@dataclass
class PupilResults:
    pupil_id: int
    full_name: str
    subjects: list[SubjectResult]

    def subject(self, subject_id: int) -> SubjectResult | None:
        return next((x for x in self.subjects if x.subject_id == subject_id), None)


@dataclass
class MarksSummary:
    class_id: int
    class_name: str
    grade: int
    period: PeriodRef
    subjects: list[SubjectRef]
    pupils: list[PupilResults]


async def marks_summary(
    journal: Journal, actor: Actor, class_id: int, period_id: int
) -> MarksSummary:
    """R21: every pupil's marks per subject in a reporting period, with the plain and the
    weighted average and the period (final) mark."""
    async with journal.transaction() as s:
        cls = await checked_class(s, actor, class_id)
        period = await s.get(Period, period_id)
        if period is None or period.school_id != actor.school_id:
            raise NotFound()
        start, end = period.starts_on, period.ends_on
        pupils = await fetch_pupils(s, [class_id], start, end)
        ids = [p.id for p in pupils]
        lessons = await fetch_lessons(s, [class_id], start, end)
        taught = (await fetch_class_subjects(s, [class_id], lessons))[class_id]
        members = await fetch_group_members(s, [class_id])
        marks = await fetch_marks(s, ids, start, end)
        finals = (
            list(
                await s.execute(
                    select(FinalMark.pupil_id, FinalMark.subject_id, FinalMark.value).where(
                        FinalMark.period_id == period_id, FinalMark.pupil_id.in_(ids)
                    )
                )
            )
            if ids
            else []
        )
        names = await fetch_subject_names(
            s, {*taught, *(m[1] for m in marks), *(f.subject_id for f in finals)}
        )

    results: dict[int, dict[int, SubjectResult]] = {p.id: {} for p in pupils}
    for pupil in pupils:
        for subject_id, groups in taught.items():
            if takes(pupil.id, groups, members):
                results[pupil.id][subject_id] = SubjectResult(subject_id, names[subject_id])
    for pupil_id, subject_id, mark in marks:
        entry = results[pupil_id].setdefault(
            subject_id, SubjectResult(subject_id, names[subject_id])
        )
        entry.marks.append(mark)
    for pupil_id, subject_id, value in finals:
        entry = results[pupil_id].setdefault(
            subject_id, SubjectResult(subject_id, names[subject_id])
        )
        entry.final = value
    used = {sid for per in results.values() for sid in per}
    return MarksSummary(
        class_id=cls.id,
        class_name=cls.name,
        grade=cls.grade,
        period=PeriodRef(period.id, period.name, start, end),
        subjects=subject_refs(names, used),
        pupils=[
            PupilResults(
                p.id,
                p.full_name,
                sorted(results[p.id].values(), key=lambda x: (x.subject, x.subject_id)),
            )
            for p in pupils
        ],
    )
