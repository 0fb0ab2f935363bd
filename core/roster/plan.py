"""Roster import: staff, classes, subjects, pupils, guardians, teaching load, subgroups,
bells, timetable and reporting periods of one school, from a workbook or CSV files.

All or nothing: the whole file is checked first (cells, references between sheets and to
what the journal already holds) and every problem is reported; only a clean file is
written, in one transaction. Importing is idempotent and updates rows in place: rows are
matched by the ``id`` column (the school's other system's id) when given, else by name.

Speed: the school's existing rows are loaded in a dozen SELECTs (:mod:`.snapshot`), the
differences are computed in memory and written with a few batched statements per table
(one class per sheet, :mod:`.sheets`; this module runs their phases in order).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import Actor, ensure_staff
from core.clock import local_today
from core.errors import ImportFailed
from core.journal import Journal
from core.models import School, StaffRole
from core.roster.match import Context
from core.roster.read import read_roster, read_roster_bytes
from core.roster.rows import SHEETS, Problem, Roster
from core.roster.sheets import SheetPlan
from core.roster.sheets.assignments import Assignments
from core.roster.sheets.bells import Bells
from core.roster.sheets.classes import Classes
from core.roster.sheets.groups import Groups
from core.roster.sheets.guardians import Guardians
from core.roster.sheets.people import People
from core.roster.sheets.periods import Periods
from core.roster.sheets.pupils import Leavers, Pupils
from core.roster.sheets.staff import Staff
from core.roster.sheets.subjects import Subjects
from core.roster.sheets.timetable import Timetable
from core.roster.snapshot import Snapshot
from core.roster.summary import AddedPupil, ImportSummary, NamedPupil, SheetCounts
from core.schools import ensure_school

# Told the stage an import has reached: "read", "check", "write".
Progress = Callable[[str], Awaitable[None]]

# Who loads the roster into a school from the bot: its administrator (or the director).
IMPORTERS = (StaffRole.ADMIN, StaffRole.DIRECTOR)


# --- Entry points -------------------------------------------------------------------------


async def import_roster(
    journal: Journal, path: Path | str, *, school_name: str, dry_run: bool = False
) -> ImportSummary:
    """Import a roster file or CSV folder into the school (created if new).

    Raises ImportFailed listing every problem; the database is then untouched. With
    ``dry_run`` everything is checked and counted but nothing is written."""
    return await apply_roster(journal, read_roster(path), school_name=school_name, dry_run=dry_run)


async def import_roster_bytes(
    journal: Journal,
    data: bytes,
    filename: str,
    *,
    school_name: str,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportSummary:
    if progress is not None:
        await progress("read")
    roster = await asyncio.to_thread(read_roster_bytes, data, filename)
    return await apply_roster(
        journal, roster, school_name=school_name, dry_run=dry_run, progress=progress
    )


def ensure_may_import(actor: Actor) -> None:
    """Raise NotAllowed unless the actor may load the school's roster (before a download)."""
    ensure_staff(actor, *IMPORTERS)


async def import_for_school(
    journal: Journal,
    actor: Actor,
    data: bytes,
    filename: str,
    *,
    progress: Progress | None = None,
) -> ImportSummary:
    """The roster sent to the bot as a document, imported into the actor's own school
    (all or nothing, like ``journal import``). Only the school's administrator or
    director; ``progress`` hears the stages (read, check, write)."""
    ensure_may_import(actor)
    async with journal.transaction() as s:
        school = await s.get(School, actor.school_id)
        if school is None:
            raise ImportFailed([Problem(None, None, None, "roster.school_not_found")])
        name = school.name
    return await import_roster_bytes(journal, data, filename, school_name=name, progress=progress)


class _DryRun(Exception):
    def __init__(self, summary: ImportSummary) -> None:
        super().__init__()
        self.summary = summary


async def apply_roster(
    journal: Journal,
    roster: Roster,
    *,
    school_name: str,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import a roster already read (see :func:`read_roster`). ``progress``, if given, is
    awaited with the stage reached: "check", then "write" (a large file takes a while)."""
    if roster.broken:
        raise ImportFailed(_sorted(roster.problems), roster.warnings)
    try:
        async with journal.transaction() as session:
            school_id = await session.scalar(
                select(School.id).where(School.name == school_name).with_for_update()
            )
            created = school_id is None
            if school_id is None:
                school_id = (await ensure_school(session, school_name)).id
            if progress is not None:
                await progress("check")
            snapshot = Snapshot() if created else await Snapshot.load(session, school_id)
            today = local_today(journal.clock, journal.rules.timezone)
            plan = Plan(roster, snapshot, journal.clock.now(), today)
            plan.resolve()
            problems = roster.problems + roster.placed(plan.problems)
            warnings = roster.warnings + roster.placed(plan.warnings)
            if problems:
                raise ImportFailed(_sorted(problems), warnings)
            summary = ImportSummary(school_id, school_name, created, plan.counts, dry_run)
            summary.warnings = warnings
            summary.left_pupils = plan.left_pupils()
            summary.missing_pupils = plan.missing_pupils()
            if dry_run:
                summary.school_id = None if created else school_id
                raise _DryRun(summary)
            if progress is not None:
                await progress("write")
            await plan.write(session, school_id)
            summary.added_pupils = plan.added_pupils()
            return summary
    except _DryRun as rollback:
        return rollback.summary


def _sorted(problems: Iterable[Problem]) -> list[Problem]:
    order = {sheet: n for n, sheet in enumerate(SHEETS)}
    return sorted(problems, key=lambda p: (order.get(p.sheet or "", -1), p.row or 0))


# --- The plan: the file's rows resolved to existing or new rows ---------------------------


class Plan:
    """One import's plan: each sheet's part, run phase by phase. Resolution goes in the
    order the sheets refer to each other (people, then classes, which name a class
    teacher, ...); writing in the order the rows refer to each other."""

    def __init__(self, roster: Roster, db: Snapshot, now: datetime, today: date) -> None:
        ctx = self.ctx = Context(roster, db, now, today)
        self.people = People(ctx)
        self.pupils = Pupils(ctx)
        staff, classes, subjects = Staff(ctx), Classes(ctx), Subjects(ctx)
        guardians, groups = Guardians(ctx), Groups(ctx)
        rest: list[SheetPlan] = [Assignments(ctx), Bells(ctx), Timetable(ctx), Periods(ctx)]
        # Resolved and counted in the order of SHEETS, after the people.
        self.sheets: list[SheetPlan] = [staff, classes, subjects, self.pupils, guardians, groups]
        self.sheets += rest
        # Written rows first, rows that refer to them after; the leavers after the
        # parents' links, so a parent this file links to a leaver is found.
        leavers = Leavers(ctx, self.pupils)
        self.writers: list[SheetPlan] = [self.people, staff, classes, subjects, self.pupils]
        self.writers += [guardians, leavers, groups, *rest]
        self.counts: dict[str, SheetCounts] = {}

    @property
    def problems(self) -> list[Problem]:
        return self.ctx.problems

    @property
    def warnings(self) -> list[Problem]:
        return self.ctx.warnings

    def resolve(self) -> None:
        """Match every row and check every reference; count the changes of a clean file."""
        self.people.resolve()
        for sheet in self.sheets:
            sheet.resolve()
        if self.problems:
            return
        for sheet in self.sheets:
            counts = sheet.count()
            if counts is not None:
                self.counts[sheet.key] = counts

    async def write(self, session: AsyncSession, school_id: int) -> None:
        for writer in self.writers:
            await writer.write(session, school_id)

    def added_pupils(self) -> list[AddedPupil]:
        return self.pupils.added_pupils()

    def left_pupils(self) -> list[NamedPupil]:
        return self.pupils.left_pupils()

    def missing_pupils(self) -> list[NamedPupil]:
        return self.pupils.missing_pupils()
