"""Final (period) marks (R11): given by the subject's teacher, corrected only by the
director (R7), never in a closed period (R10)."""

from __future__ import annotations

from sqlalchemy import and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.access import Actor, lesson_for_edit
from core.errors import InvalidValue, NotAllowed, NotFound, PeriodLocked
from core.journal import Journal
from core.lessons import pupils_of_lesson
from core.models import (
    FINAL_SPECIAL_VALUES,
    Assignment,
    FinalMark,
    Period,
    Pupil,
    SchoolClass,
    StaffRole,
    Subject,
)
from core.rules import grade_has_marks

FINAL_VALUES = ("5", "4", "3", "2", "1", *FINAL_SPECIAL_VALUES)


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
        pupil = await _final_mark_target(s, actor, period_id, subject_id, pupil_id)
        existing = await final_mark_to_change(s, period_id, subject_id, pupil_id)
        await _ensure_may_give(s, actor, existing, subject_id, pupil)
        if existing is not None and existing.value == value:
            return
        now = journal.clock.now()
        old = None if existing is None else {"value": existing.value}
        if existing is None:
            s.add(
                FinalMark(
                    period_id=period_id,
                    subject_id=subject_id,
                    pupil_id=pupil_id,
                    value=value,
                    author_id=actor.person_id,
                    set_at=now,
                )
            )
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


async def _final_mark_target(
    s: AsyncSession, actor: Actor, period_id: int, subject_id: int, pupil_id: int
) -> Pupil:
    """The pupil a final mark is for, once the period, the subject and the pupil are
    found in the actor's school, the period is open (R10), the subject is certified and
    the pupil's grade has marks (R12)."""
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
    return pupil


async def final_mark_to_change(
    s: AsyncSession, period_id: int, subject_id: int, pupil_id: int
) -> FinalMark | None:
    """The pupil's final mark in the subject for the period, locked, if one was given."""
    return await s.scalar(
        select(FinalMark)
        .where(
            FinalMark.period_id == period_id,
            FinalMark.subject_id == subject_id,
            FinalMark.pupil_id == pupil_id,
        )
        .with_for_update()
    )


async def _ensure_may_give(
    s: AsyncSession, actor: Actor, existing: FinalMark | None, subject_id: int, pupil: Pupil
) -> None:
    """R11: the subject's teacher of the pupil's class (or the director) gives the final
    mark; once given, only the director changes it (R7)."""
    is_director = actor.has(StaffRole.DIRECTOR)
    if existing is not None:
        if not is_director:
            raise NotAllowed("error.final_mark_locked")
    elif not (is_director or await _teaches(s, actor, subject_id, pupil)):
        raise NotAllowed("error.not_your_subject")


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
