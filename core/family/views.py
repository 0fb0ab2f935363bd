"""What the family's screens show, each read in one transaction: a pupil's marks this
period (``pupil_marks_page``; without the children, ``pupil_marks_of_period``, for the
marks chart), absences this period (``pupil_absences_page``) and the lessons of the next
school day with their homework (``homework_page``, R16), each with a parent's children for
the switch under the screen (none for a pupil). Authorised as the screens always were: a
pupil the actor may view (R1); the consent gate (R19) stays with the caller, before
anything is read.

``marks_in`` and ``absences_in`` are the same reads inside a caller's transaction: the
class teacher's page of a pupil (``core/class_views.py``) shows them too. The marks come
with the period's corrections and removals from the audit log, per subject (R9)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.access import Actor
from core.accounts.caller import PupilRef, children_in
from core.clock import at_local, local_today
from core.friday_round.reasons import AbsenceEntry, pupil_absences_in
from core.journal import Journal
from core.lessons.days import next_school_day_lessons_in
from core.lessons.queries import LessonSummary
from core.marks.history import Correction, corrections
from core.marks.pupil import pupil_marks_in
from core.marks.queries import SubjectMarks
from core.periods import PeriodView, current_period_in

HOLIDAY_LOOKBACK = timedelta(days=30)  # what "this period" is when the school has none yet


@dataclass(frozen=True)
class MarksPage:
    """A pupil's marks per subject since the current period began (``period`` ``None``:
    the school has none, the last 30 days), with the period's final marks."""

    period: PeriodView | None
    subjects: list[SubjectMarks]
    start: date  # the days read: [start, end], end is today
    end: date
    children: list[PupilRef] = field(default_factory=list)  # a parent's, for the switch


@dataclass(frozen=True)
class AbsencesPage:
    """A pupil's absences and lateness since the current period began."""

    absences: list[AbsenceEntry]
    children: list[PupilRef] = field(default_factory=list)


@dataclass(frozen=True)
class HomeworkPage:
    """The pupil's lessons on the next school day, each with the homework due on it."""

    lessons: list[LessonSummary]
    children: list[PupilRef] = field(default_factory=list)


async def pupil_marks_page(journal: Journal, actor: Actor, pupil_id: int) -> MarksPage:
    async with journal.transaction() as s:
        page = await marks_in(s, journal, actor, pupil_id)
        return replace(page, children=await children_in(s, actor))


async def pupil_marks_of_period(journal: Journal, actor: Actor, pupil_id: int) -> MarksPage:
    """The marks page without the children's switch (what the marks chart draws)."""
    async with journal.transaction() as s:
        return await marks_in(s, journal, actor, pupil_id)


async def pupil_absences_page(journal: Journal, actor: Actor, pupil_id: int) -> AbsencesPage:
    async with journal.transaction() as s:
        page = await absences_in(s, journal, actor, pupil_id)
        return AbsencesPage(page.absences, await children_in(s, actor))


async def homework_page(journal: Journal, actor: Actor, pupil_id: int) -> HomeworkPage:
    today = local_today(journal.clock, journal.rules.timezone)
    async with journal.transaction() as s:
        day = await next_school_day_lessons_in(s, actor, pupil_id, today)
        return HomeworkPage(day, await children_in(s, actor))


async def marks_in(s: AsyncSession, journal: Journal, actor: Actor, pupil_id: int) -> MarksPage:
    """A pupil's marks this period, no children: inside the caller's transaction."""
    start, today, period = await _this_period(s, journal, actor)
    subjects = await pupil_marks_in(s, actor, pupil_id, start, today, period.id if period else None)
    tz = (await journal.school_rules(s, actor.school_id)).timezone
    changed = await corrections(
        s,
        [pupil_id],
        at_local(start, time(0), tz),
        None,
        journal.rules.timezone,
        (start, today),
    )
    return MarksPage(period, _with_corrections(subjects, changed.get(pupil_id, [])), start, today)


def _with_corrections(
    subjects: list[SubjectMarks], changed: list[Correction]
) -> list[SubjectMarks]:
    """Each subject with its corrections; a subject whose every mark was removed still
    shows, with the removals."""
    by_id = {subj.subject_id: subj for subj in subjects}
    for c in changed:
        subject = by_id.get(c.subject_id)
        if subject is None:
            subject = by_id[c.subject_id] = SubjectMarks(c.subject_id, c.subject)
        subject.corrections.append(c)
    return sorted(by_id.values(), key=lambda e: e.subject)


async def absences_in(
    s: AsyncSession, journal: Journal, actor: Actor, pupil_id: int
) -> AbsencesPage:
    """A pupil's absences this period, no children: inside the caller's transaction."""
    start, today, _ = await _this_period(s, journal, actor)
    return AbsencesPage(await pupil_absences_in(s, actor, pupil_id, start, today))


async def _this_period(
    s: AsyncSession, journal: Journal, actor: Actor
) -> tuple[date, date, PeriodView | None]:
    """From the current period's first day (or 30 days back in holidays) until today."""
    today = local_today(journal.clock, journal.rules.timezone)
    period = await current_period_in(s, actor.school_id, today)
    return (period.starts_on if period else today - HOLIDAY_LOOKBACK), today, period
