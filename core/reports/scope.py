"""What a report is taken for: the classes the actor may report on, the school's name and
the classes a file covers, the reporting period and the academic year by name or id."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from core.access import Actor
from core.errors import NotFound
from core.journal import Journal
from core.models import Period, School
from core.reports.common import PeriodRef, checked_classes, fetch_year, school_today


async def report_classes(journal: Journal, actor: Actor) -> list[tuple[int, str]]:
    """The classes the actor may take reports on (id, name): every class for an overseer,
    their own for a class teacher; NotAllowed for anyone else."""
    async with journal.transaction() as s:
        return [(c.id, c.name) for c in await checked_classes(s, actor, None)]


async def school_name(journal: Journal, school_id: int) -> str:
    async with journal.transaction() as s:
        school = await s.get(School, school_id)
        if school is None:
            raise NotFound()
        return school.name


@dataclass(frozen=True)
class ReportScope:
    """Whom a report covers, for its title row and its file name."""

    school: str
    classes: tuple[str, ...]  # the classes covered: the one chosen, or all the actor may see
    whole_school: bool  # no class chosen, by someone who oversees the school


async def report_scope(journal: Journal, actor: Actor, class_id: int | None) -> ReportScope:
    """The school's name and the classes a report for ``class_id`` (None: every class the
    actor may report on) covers; NotAllowed as the report itself would be."""
    async with journal.transaction() as s:
        classes = await checked_classes(s, actor, class_id)
        school = await s.get(School, actor.school_id)
        if school is None:
            raise NotFound()
        return ReportScope(
            school.name,
            tuple(c.name for c in classes),
            class_id is None and actor.oversees_school,
        )


async def find_period(
    journal: Journal, school_id: int, name_or_id: str | int | None = None
) -> PeriodRef:
    """A reporting period by name or id; without one, the period of today (or, in a
    holiday, the one that ended last)."""
    async with journal.transaction() as s:
        today, _ = await school_today(s, journal, school_id)
        query = select(Period).where(Period.school_id == school_id)
        if name_or_id is None:
            query = query.where(Period.starts_on <= today).order_by(Period.starts_on.desc())
        elif isinstance(name_or_id, int) or str(name_or_id).isdigit():
            query = query.where(Period.id == int(name_or_id))
        else:
            query = query.where(Period.name == str(name_or_id).strip()).order_by(
                Period.starts_on.desc()
            )
        period = await s.scalar(query.limit(1))
        if period is None:
            # A name typed (the console) is answered with the names there are; an id comes
            # from a button, and a forged one is simply not found.
            names = await s.scalars(
                select(Period.name).where(Period.school_id == school_id).order_by(Period.starts_on)
            )
            known = ", ".join(dict.fromkeys(names))
            if not known:
                raise NotFound("error.no_periods")
            if name_or_id is None:
                raise NotFound("error.no_current_period", periods=known)
            if isinstance(name_or_id, str) and not name_or_id.isdigit():
                raise NotFound("error.period_unknown", name=name_or_id.strip(), periods=known)
            raise NotFound()
        return PeriodRef(period.id, period.name, period.starts_on, period.ends_on)


async def find_year(journal: Journal, school_id: int, name: str | None = None) -> int:
    """An academic year's id by name («2026/2027»); without one, the current year."""
    async with journal.transaction() as s:
        today, _ = await school_today(s, journal, school_id)
        return (await fetch_year(s, school_id, today, name=name)).id
