"""What a family screen reads from core, shared by the family's handlers and the class
teacher's (who reads a pupil's page too, R1): a pupil's marks and absences this period."""

from __future__ import annotations

from datetime import date, timedelta

from core import friday_round, marks, periods
from core.access import Actor
from core.clock import local_today
from core.friday_round import AbsenceEntry
from core.journal import Journal
from core.marks import SubjectMarks
from core.periods import PeriodView


async def this_period(journal: Journal, actor: Actor) -> tuple[date, date, PeriodView | None]:
    """From the current period's first day (or 30 days back in holidays) until today."""
    today = local_today(journal.clock, journal.rules.timezone)
    period = await periods.current_period(journal, actor.school_id, today)
    return (period.starts_on if period else today - timedelta(days=30)), today, period


async def pupil_marks(
    journal: Journal, actor: Actor, pupil_id: int
) -> tuple[PeriodView | None, list[SubjectMarks]]:
    start, today, period = await this_period(journal, actor)
    subjects = await marks.pupil_marks(
        journal, actor, pupil_id, start, today, period.id if period else None
    )
    return period, subjects


async def pupil_absences(journal: Journal, actor: Actor, pupil_id: int) -> list[AbsenceEntry]:
    start, today, _ = await this_period(journal, actor)
    return await friday_round.pupil_absences(journal, actor, pupil_id, start, today)
