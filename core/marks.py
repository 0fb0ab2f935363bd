"""Marks on lessons, averages, and final (period) marks (R7, R11, R12, R15)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, entries, periods
from core.access import Actor, ensure_can_view_pupil, lesson_for_edit
from core.entries import Outcome
from core.errors import InvalidValue, NotAllowed, NotFound, PeriodLocked
from core.journal import Journal
from core.lessons import pupils_of_lesson
from core.models import (
    FINAL_SPECIAL_VALUES,
    Assignment,
    FinalMark,
    Lesson,
    Mark,
    Period,
    Pupil,
    SchoolClass,
    StaffRole,
    Subject,
    WorkType,
)
from core.rules import grade_has_marks, plain_average, weighted_average

MARK_VALUES = range(1, 6)
FINAL_VALUES = ("5", "4", "3", "2", "1", *FINAL_SPECIAL_VALUES)


@dataclass(frozen=True)
class WorkTypeView:
    id: int
    code: str
    name: str
    weight: Decimal


async def work_types(journal: Journal, school_id: int) -> list[WorkTypeView]:
    async with journal.transaction() as s:
        rows = await s.scalars(
            select(WorkType).where(WorkType.school_id == school_id).order_by(WorkType.id)
        )
        return [WorkTypeView(w.id, w.code, w.name, w.weight) for w in rows]


async def _work_type(s: AsyncSession, school_id: int, work_type: int | str) -> WorkType:
    query = select(WorkType).where(WorkType.school_id == school_id)
    query = query.where(
        WorkType.id == work_type if isinstance(work_type, int) else WorkType.code == work_type
    )
    found = await s.scalar(query)
    if found is None:
        raise InvalidValue("error.unknown_work_type")
    return found


async def _ensure_lesson_takes_marks(s: AsyncSession, lesson: Lesson, pupil_id: int) -> None:
    grade = await s.scalar(select(SchoolClass.grade).where(SchoolClass.id == lesson.class_id))
    if not grade_has_marks(grade or 0):
        raise NotAllowed("error.grade1_no_marks")  # R12
    if pupil_id not in {p.id for p in await pupils_of_lesson(s, lesson)}:
        raise NotAllowed("error.pupil_not_in_lesson")


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
        await _ensure_lesson_takes_marks(s, lesson, pupil_id)
        wt = await _work_type(s, lesson.school_id, work_type)
        mark = await _latest_mark(s, lesson.id, pupil_id, wt.id, lock=True)
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


async def _latest_mark(
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


async def bulk_mark(
    journal: Journal, actor: Actor, lesson_id: int, pupil_id: int, work_type: int | str
) -> MarkRef | None:
    """The mark a bulk-mode tap on this pupil would change (their latest of this work type
    on the lesson), or None when the tap adds one. The bot asks for the reason first when
    changing it is a request (R7), exactly as for a one-tap change (``change_needs_reason``)."""
    async with journal.transaction() as s:
        lesson = await lesson_for_edit(s, actor, lesson_id)
        wt = await _work_type(s, lesson.school_id, work_type)
        mark = await _latest_mark(s, lesson.id, pupil_id, wt.id)
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
    await _ensure_lesson_takes_marks(s, lesson, pupil_id)
    wt = await _work_type(s, lesson.school_id, work_type)
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
        return await entries.would_be_request(
            s,
            journal,
            lesson,
            changes_existing=True,
            is_author=mark.author_id == actor.person_id,
        )


@dataclass(frozen=True)
class MarkRef:
    id: int
    lesson_id: int
    pupil_id: int
    value: int


async def get_mark(journal: Journal, actor: Actor, mark_id: int) -> MarkRef:
    """A mark on a lesson the actor fills (anything else is refused as forged)."""
    async with journal.transaction() as s:
        mark = await s.get(Mark, mark_id)
        if mark is None:
            raise NotFound()
        await lesson_for_edit(s, actor, mark.lesson_id)
        return MarkRef(mark.id, mark.lesson_id, mark.pupil_id, mark.value)


async def final_marks_for(
    journal: Journal, actor: Actor, lesson_id: int, period_id: int
) -> dict[int, str]:
    """The period marks already given in the lesson's subject to its pupils."""
    async with journal.transaction() as s:
        lesson = await lesson_for_edit(s, actor, lesson_id)
        pupils = [p.id for p in await pupils_of_lesson(s, lesson)]
        rows = await s.execute(
            select(FinalMark.pupil_id, FinalMark.value).where(
                FinalMark.period_id == period_id,
                FinalMark.subject_id == lesson.subject_id,
                FinalMark.pupil_id.in_(pupils),
            )
        )
        return dict(rows.all())


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

    @property
    def average(self) -> Decimal | None:
        return plain_average([m.value for m in self.marks])

    @property
    def weighted_average(self) -> Decimal | None:
        return weighted_average([(m.value, m.weight) for m in self.marks])


async def lesson_marks(journal: Journal, actor: Actor, lesson_id: int) -> dict[int, list[MarkView]]:
    """The marks of a lesson per pupil, for the teacher filling it."""
    async with journal.transaction() as s:
        lesson = await lesson_for_edit(s, actor, lesson_id)
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


async def pupil_marks(
    journal: Journal, actor: Actor, pupil_id: int, start: date, end: date, period_id: int | None
) -> list[SubjectMarks]:
    """A pupil's marks per subject in [start, end] with plain and weighted averages, and
    the final mark of ``period_id`` when one is set."""
    async with journal.transaction() as s:
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


async def set_final_mark(
    journal: Journal,
    actor: Actor,
    period_id: int,
    subject_id: int,
    pupil_id: int,
    value: str,
    reason: str | None = None,
) -> None:
    """R11: the subject's teacher gives the period mark (1–5, осв, н/а, безотм). Once given
    it is never corrected except by the director's decision (R7), and never in a closed
    period (R10)."""
    if value not in FINAL_VALUES:
        raise InvalidValue("error.final_value")
    async with journal.transaction() as s:
        period = await s.get(Period, period_id)
        pupil = await s.get(Pupil, pupil_id)
        subject = await s.get(Subject, subject_id)
        if (
            period is None
            or pupil is None
            or subject is None
            or period.school_id != actor.school_id
            or subject.school_id != actor.school_id
        ):
            raise NotFound()
        if period.closed_at is not None:
            raise PeriodLocked(period=period.name)
        if not subject.certified:
            raise NotAllowed("error.subject_not_certified")
        grade = await s.scalar(select(SchoolClass.grade).where(SchoolClass.id == pupil.class_id))
        if not grade_has_marks(grade or 0):
            raise NotAllowed("error.grade1_no_marks")  # R12
        existing = await s.scalar(
            select(FinalMark)
            .where(
                FinalMark.period_id == period_id,
                FinalMark.subject_id == subject_id,
                FinalMark.pupil_id == pupil_id,
            )
            .with_for_update()
        )
        is_director = actor.has(StaffRole.DIRECTOR)
        if existing is not None:
            if not is_director:
                raise NotAllowed("error.final_mark_locked")
            if existing.value == value:
                return
        elif not (is_director or await _teaches(s, actor, subject_id, pupil)):
            raise NotAllowed("error.not_your_subject")
        now = journal.clock.now()
        old = None if existing is None else {"value": existing.value}
        if existing is None:
            existing = FinalMark(
                period_id=period_id,
                subject_id=subject_id,
                pupil_id=pupil_id,
                value=value,
                author_id=actor.person_id,
                set_at=now,
            )
            s.add(existing)
        else:
            assert actor.person_id is not None  # a director or the subject's teacher
            existing.value = value
            existing.author_id = actor.person_id
            existing.set_at = now
        await s.flush()
        await audit.record(
            s,
            school_id=actor.school_id,
            at=now,
            actor_id=actor.person_id,
            binding_id=actor.binding_id,
            action=audit.Action.FINAL_MARK_SET,
            entity="final_mark",
            key={"period_id": period_id, "subject_id": subject_id, "pupil_id": pupil_id},
            old=old,
            new={"value": value},
            reason=reason,
        )


async def _teaches(s: AsyncSession, actor: Actor, subject_id: int, pupil: Pupil) -> bool:
    if not actor.has(StaffRole.TEACHER):
        return False
    return bool(
        await s.scalar(
            select(
                exists().where(
                    and_(
                        Assignment.teacher_id == actor.person_id,
                        Assignment.subject_id == subject_id,
                        Assignment.class_id == pupil.class_id,
                    )
                )
            )
        )
    )
