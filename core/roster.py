"""Roster import: staff, classes, subjects, pupils, guardians, teaching load, subgroups,
bells, timetable and reporting periods of one school, from a workbook or CSV files.

All or nothing: the whole file is checked first (cells, references between sheets and to
what the journal already holds) and every problem is reported; only a clean file is
written, in one transaction. Importing is idempotent and updates rows in place: rows are
matched by the ``id`` column (the school's other system's id) when given, else by name.

Speed: the school's existing rows are loaded in a dozen SELECTs, the differences are
computed in memory and written with a few batched statements per table.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import Table, bindparam, delete, insert, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import Actor, ensure_staff
from core.clock import local_today
from core.errors import ImportFailed
from core.journal import Journal
from core.models import (
    AcademicYear,
    Assignment,
    Bell,
    Binding,
    BindingRole,
    Group,
    GroupMember,
    Guardianship,
    Invitation,
    Period,
    Person,
    Pupil,
    School,
    SchoolClass,
    StaffRole,
    StaffRoleRow,
    Subject,
    TimetableEntry,
)
from core.roster_read import (
    SHEETS,
    GuardianRow,
    Problem,
    PupilRow,
    Roster,
    TeacherRow,
    class_key,
    clean,
    name_key,
    read_roster,
    read_roster_bytes,
)
from core.schools import ensure_school
from texts import DEFAULT_LANGUAGE, t

__all__ = [
    "AddedPupil",
    "ImportSummary",
    "NamedPupil",
    "Problem",
    "Roster",
    "SheetCounts",
    "apply_roster",
    "ensure_may_import",
    "import_for_school",
    "import_roster",
    "import_roster_bytes",
    "read_roster",
    "read_roster_bytes",
    "warning_lines",
]

# The title of each sheet in a summary: a key of the texts catalogue.
SHEET_TITLES = {sheet: f"roster.sheet.{sheet}" for sheet in SHEETS}


# Why a binding ended when its pupil left the school (stored, for the admin's lists).
LEFT_REASON = "left the school"

# Told the stage an import has reached: "read", "check", "write".
Progress = Callable[[str], Awaitable[None]]


# --- Summary ------------------------------------------------------------------------------


@dataclass
class SheetCounts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def __add__(self, other: SheetCounts) -> SheetCounts:
        return SheetCounts(
            self.added + other.added,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
            self.removed + other.removed,
        )

    def text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        parts = [
            t("roster.counts.added", lang, count=self.added),
            t("roster.counts.updated", lang, count=self.updated),
        ]
        if self.removed:
            parts.append(t("roster.counts.removed", lang, count=self.removed))
        parts.append(t("roster.counts.unchanged", lang, count=self.unchanged))
        return ", ".join(parts)


class AddedPupil(NamedTuple):
    id: int
    full_name: str
    class_name: str


class NamedPupil(NamedTuple):
    full_name: str
    class_name: str


NAMES_SHOWN = 20  # pupils named in a summary line; the rest are counted


def _names(pupils: Sequence[NamedPupil], lang: str) -> str:
    shown = ", ".join(f"{p.full_name} ({p.class_name})" for p in pupils[:NAMES_SHOWN])
    if len(pupils) > NAMES_SHOWN:
        shown += " " + t("roster.added_more", lang, count=len(pupils) - NAMES_SHOWN)
    return shown


@dataclass
class ImportSummary:
    """What an import did (or, for a dry run, would do), per sheet of the file."""

    school_id: int | None
    school_name: str
    school_created: bool
    sheets: dict[str, SheetCounts] = field(default_factory=dict)
    dry_run: bool = False
    # The pupils the import added (not a dry run's): their cards may be printed at once.
    added_pupils: list[AddedPupil] = field(default_factory=list)
    # Leavers this file records (a date in «дата выбытия»), and the pupils the journal
    # holds that the file does not list (they stay: a warning, not a deletion).
    left_pupils: list[NamedPupil] = field(default_factory=list)
    missing_pupils: list[NamedPupil] = field(default_factory=list)
    # What the import left out without stopping: an unknown sheet or column, a subgroup
    # with lessons and no pupils; each at its place in the file.
    warnings: list[Problem] = field(default_factory=list)

    @property
    def total(self) -> SheetCounts:
        total = SheetCounts()
        for counts in self.sheets.values():
            total = total + counts
        return total

    @property
    def changed(self) -> bool:
        return self.school_created or self.total.changed

    def lines(self, lang: str = DEFAULT_LANGUAGE) -> list[str]:
        """A short summary in ``lang`` (Russian by default), one line per sheet and a total."""
        lines = []
        if self.school_created:
            lines.append(t("roster.summary.new_school", lang, school=self.school_name))
        for sheet in SHEETS:
            if sheet in self.sheets:
                title = t(SHEET_TITLES[sheet], lang)
                counts = self.sheets[sheet].text(lang)
                lines.append(t("roster.summary.sheet", lang, sheet=title, counts=counts))
        if self.changed:
            lines.append(t("roster.summary.total", lang, counts=self.total.text(lang)))
        else:
            lines.append(t("roster.summary.unchanged", lang))
        if self.left_pupils:
            names = _names(self.left_pupils, lang)
            lines.append(t("roster.summary.left", lang, count=len(self.left_pupils), names=names))
        if self.missing_pupils:
            names = _names(self.missing_pupils, lang)
            count = len(self.missing_pupils)
            lines.append(t("roster.summary.missing", lang, count=count, names=names))
        lines += warning_lines(self.warnings, lang)
        return lines

    def text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return "\n".join(self.lines(lang))


def warning_lines(warnings: Sequence[Problem], lang: str = DEFAULT_LANGUAGE) -> list[str]:
    """What an import skipped, under a heading (nothing when it skipped nothing)."""
    if not warnings:
        return []
    heading = t("roster.summary.warnings", lang, count=len(warnings))
    return [heading] + [t("roster.summary.warning", lang, problem=w.render(lang)) for w in warnings]


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


# Who loads the roster into a school from the bot: its administrator (or the director).
IMPORTERS = (StaffRole.ADMIN, StaffRole.DIRECTOR)


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
            snapshot = _Snapshot() if created else await _Snapshot.load(session, school_id)
            today = local_today(journal.clock, journal.rules.timezone)
            plan = _Plan(roster, snapshot, journal.clock.now(), today)
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


# --- What the school already has ----------------------------------------------------------


class _DbPerson(NamedTuple):
    id: int
    full_name: str
    external_id: str | None
    phone: str | None


class _DbClass(NamedTuple):
    id: int
    name: str
    grade: int
    class_teacher_id: int | None
    external_id: str | None


class _DbSubject(NamedTuple):
    id: int
    name: str
    certified: bool
    external_id: str | None


class _DbPupil(NamedTuple):
    class_id: int
    birth_date: date | None
    admitted_on: date | None = None
    left_on: date | None = None


class _DbSlot(NamedTuple):
    id: int
    subject_id: int
    teacher_id: int
    room: str | None


class _DbPeriod(NamedTuple):
    id: int
    name: str
    starts_on: date
    ends_on: date
    closed: bool


@dataclass
class _Snapshot:
    people: dict[int, _DbPerson] = field(default_factory=dict)
    roles: dict[int, set[str]] = field(default_factory=dict)
    classes: dict[int, _DbClass] = field(default_factory=dict)
    subjects: dict[int, _DbSubject] = field(default_factory=dict)
    pupils: dict[int, _DbPupil] = field(default_factory=dict)
    guardianships: dict[tuple[int, int], tuple[bool | None, datetime | None]] = field(
        default_factory=dict
    )
    opt_outs: dict[tuple[int, int], tuple[bool, datetime | None]] = field(default_factory=dict)
    groups: dict[tuple[int, int, str], int] = field(default_factory=dict)
    members: dict[int, set[int]] = field(default_factory=dict)
    assignments: dict[tuple[int, int, int, int | None], int] = field(default_factory=dict)
    bells: dict[int, tuple[time, time]] = field(default_factory=dict)
    timetable: dict[tuple[int, int | None, int, int], _DbSlot] = field(default_factory=dict)
    years: dict[str, tuple[int, date, date]] = field(default_factory=dict)
    periods: dict[tuple[int, str], _DbPeriod] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.index()

    def index(self) -> None:
        self.people_by_ext = {p.external_id: p for p in self.people.values() if p.external_id}
        self.people_by_name: dict[str, list[_DbPerson]] = defaultdict(list)
        for p in self.people.values():
            self.people_by_name[name_key(p.full_name)].append(p)
        self.classes_by_ext = {c.external_id: c for c in self.classes.values() if c.external_id}
        self.classes_by_key: dict[str, list[_DbClass]] = defaultdict(list)
        for c in self.classes.values():
            self.classes_by_key[class_key(c.name)].append(c)
        self.subjects_by_ext = {s.external_id: s for s in self.subjects.values() if s.external_id}
        self.subjects_by_key: dict[str, list[_DbSubject]] = defaultdict(list)
        for s in self.subjects.values():
            self.subjects_by_key[name_key(s.name)].append(s)

    @classmethod
    async def load(cls, session: AsyncSession, school_id: int) -> _Snapshot:
        s = cls()

        async def rows(statement: Any) -> Sequence[Any]:
            return (await session.execute(statement)).all()

        in_school = SchoolClass.school_id == school_id
        for r in await rows(
            select(Person.id, Person.full_name, Person.external_id, Person.phone).where(
                Person.school_id == school_id
            )
        ):
            s.people[r[0]] = _DbPerson(*r)
        for person_id, role in await rows(
            select(StaffRoleRow.person_id, StaffRoleRow.role)
            .join(Person, Person.id == StaffRoleRow.person_id)
            .where(Person.school_id == school_id)
        ):
            s.roles.setdefault(person_id, set()).add(role)
        for r in await rows(
            select(
                SchoolClass.id,
                SchoolClass.name,
                SchoolClass.grade,
                SchoolClass.class_teacher_id,
                SchoolClass.external_id,
            ).where(in_school)
        ):
            s.classes[r[0]] = _DbClass(*r)
        for r in await rows(
            select(Subject.id, Subject.name, Subject.certified, Subject.external_id).where(
                Subject.school_id == school_id
            )
        ):
            s.subjects[r[0]] = _DbSubject(*r)
        for person_id, class_id, birth, admitted, left in await rows(
            select(
                Pupil.person_id, Pupil.class_id, Pupil.birth_date, Pupil.admitted_on, Pupil.left_on
            )
            .join(SchoolClass, SchoolClass.id == Pupil.class_id)
            .where(in_school)
        ):
            s.pupils[person_id] = _DbPupil(class_id, birth, admitted, left)
        for guardian_id, pupil_id, consent, consent_at, opt_out, opt_out_at in await rows(
            select(
                Guardianship.guardian_id,
                Guardianship.pupil_id,
                Guardianship.consent,
                Guardianship.consent_at,
                Guardianship.diary_opt_out,
                Guardianship.opt_out_at,
            )
            .join(Pupil, Pupil.person_id == Guardianship.pupil_id)
            .join(SchoolClass, SchoolClass.id == Pupil.class_id)
            .where(in_school)
        ):
            s.guardianships[(guardian_id, pupil_id)] = (consent, consent_at)
            s.opt_outs[(guardian_id, pupil_id)] = (bool(opt_out), opt_out_at)
        for group_id, class_id, subject_id, name in await rows(
            select(Group.id, Group.class_id, Group.subject_id, Group.name)
            .join(SchoolClass, SchoolClass.id == Group.class_id)
            .where(in_school)
        ):
            s.groups[(class_id, subject_id, name_key(name))] = group_id
        for group_id, pupil_id in await rows(
            select(GroupMember.group_id, GroupMember.pupil_id)
            .join(Group, Group.id == GroupMember.group_id)
            .join(SchoolClass, SchoolClass.id == Group.class_id)
            .where(in_school)
        ):
            s.members.setdefault(group_id, set()).add(pupil_id)
        for r in await rows(
            select(
                Assignment.id,
                Assignment.teacher_id,
                Assignment.subject_id,
                Assignment.class_id,
                Assignment.group_id,
            )
            .join(SchoolClass, SchoolClass.id == Assignment.class_id)
            .where(in_school)
        ):
            s.assignments[(r[1], r[2], r[3], r[4])] = r[0]
        for lesson_no, starts, ends in await rows(
            select(Bell.lesson_no, Bell.starts_at, Bell.ends_at).where(Bell.school_id == school_id)
        ):
            s.bells[lesson_no] = (starts, ends)
        t = TimetableEntry
        for r in await rows(
            select(
                t.id,
                t.class_id,
                t.group_id,
                t.weekday,
                t.lesson_no,
                t.subject_id,
                t.teacher_id,
                t.room,
            ).where(t.school_id == school_id)
        ):
            s.timetable[(r[1], r[2], r[3], r[4])] = _DbSlot(r[0], r[5], r[6], r[7])
        for year_id, name, starts, ends in await rows(
            select(
                AcademicYear.id, AcademicYear.name, AcademicYear.starts_on, AcademicYear.ends_on
            ).where(AcademicYear.school_id == school_id)
        ):
            s.years[name] = (year_id, starts, ends)
        for period_id, year_id, name, starts, ends, closed_at in await rows(
            select(
                Period.id,
                Period.year_id,
                Period.name,
                Period.starts_on,
                Period.ends_on,
                Period.closed_at,
            ).where(Period.school_id == school_id)
        ):
            s.periods[(year_id, name_key(name))] = _DbPeriod(
                period_id, name, starts, ends, closed_at is not None
            )
        s.index()
        return s


# --- The plan: the file's rows resolved to existing or new rows ---------------------------


@dataclass(eq=False)
class _Person:
    full_name: str
    ext: str | None
    sheet: str
    row: int
    db: _DbPerson | None = None
    id: int | None = None
    teacher: TeacherRow | None = None
    pupil: PupilRow | None = None
    klass: _Class | None = None  # a pupil's class after the import
    phone: str | None = None
    passive: bool = False  # an existing person referred to, not listed in the file


@dataclass(eq=False)
class _Class:
    name: str
    ext: str | None
    grade: int
    row: int | None
    db: _DbClass | None = None
    id: int | None = None
    teacher: _Person | None = None


@dataclass(eq=False)
class _Subject:
    name: str
    ext: str | None
    certified: bool | None
    row: int | None
    db: _DbSubject | None = None
    id: int | None = None


@dataclass(eq=False)
class _Group:
    klass: _Class
    subject: _Subject
    name: str
    id: int | None = None


class _Marker:
    """A lookup that found no single row: several, or one in another class."""


AMBIGUOUS = _Marker()
OTHER_CLASS = _Marker()

_Slot = tuple[_Class, _Group | None, int, int]


class _Plan:
    def __init__(self, roster: Roster, db: _Snapshot, now: datetime, today: date) -> None:
        self.roster = roster
        self.db = db
        self.now = now
        self.today = today  # the school's local date
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.counts: dict[str, SheetCounts] = {}

        self.people: list[_Person] = []
        self.person_of_db: dict[int, _Person] = {}
        self.node_of_record: dict[tuple[str, int], _Person] = {}
        self.staff_by_ext: dict[str, _Person] = {}
        self.staff_by_name: dict[str, list[_Person]] = defaultdict(list)
        self.pupil_by_ext: dict[str, _Person] = {}
        self.pupil_by_name: dict[str, list[_Person]] = defaultdict(list)

        self.classes: list[_Class] = []
        self.class_of_db: dict[int, _Class] = {}
        self.class_by_ext: dict[str, _Class] = {}
        self.class_by_key: dict[str, _Class] = {}
        self.subjects: list[_Subject] = []
        self.subject_of_db: dict[int, _Subject] = {}
        self.subject_by_ext: dict[str, _Subject] = {}
        self.subject_by_key: dict[str, _Subject] = {}
        self.groups: dict[tuple[_Class, _Subject, str], _Group] = {}

        self.links: dict[tuple[_Person, _Person], bool | None] = {}
        self.opt_outs: dict[tuple[_Person, _Person], bool | None] = {}  # R18
        self.members: dict[_Group, set[_Person]] = {}
        self.assignments: dict[tuple[_Person, _Subject, _Class, _Group | None], int] = {}
        self.assignment_scope: set[_Class] = set()
        self.slots: dict[_Slot, tuple[_Subject, _Person, str | None, int]] = {}
        self.timetable_scope: set[_Class] = set()
        self.year: tuple[str, date, date] | None = None

    def problem(
        self, sheet: str, row: int | None, column: str | None, key: str, /, **params: Any
    ) -> None:
        self.problems.append(Problem(sheet, row, column, key, params))

    def _taken(self, sheet: str, row: int | None, what: str, found: _DbClass | _DbSubject) -> None:
        """A ``what`` ("class" or "subject") of the file whose name another row of the
        journal has."""
        if found.external_id:
            key = f"roster.{what}_taken_by_id"
            self.problem(sheet, row, "name", key, name=found.name, id=found.external_id)
        else:
            self.problem(sheet, row, "name", f"roster.{what}_name_taken", name=found.name)

    # -- resolution ---------------------------------------------------------------------

    def resolve(self) -> None:
        self._people()
        self._classes()
        self._subjects()
        self._pupils()
        if self.roster.guardians is not None:
            self._guardians(self.roster.guardians)
        if self.roster.groups is not None:
            self._group_members()
        if self.roster.assignments is not None:
            self._assignments()
        if self.roster.timetable is not None:
            self._timetable()
            self._empty_groups()
        if self.roster.periods is not None:
            self._periods()
        if not self.problems:
            self._count()

    def _people(self) -> None:
        r = self.roster
        records: list[tuple[str, Any]] = [
            *(("teachers", t) for t in r.teachers),
            *(("pupils", p) for p in r.pupils),
            *(("guardians", g) for g in r.guardians or []),
        ]
        by_ext: dict[str, _Person] = {}
        by_name: dict[str, list[_Person]] = defaultdict(list)

        def new_node(sheet: str, rec: Any) -> _Person:
            node = _Person(clean(rec.full_name), rec.ext, sheet, rec.row)
            self.people.append(node)
            by_name[name_key(rec.full_name)].append(node)
            if rec.ext:
                by_ext[rec.ext] = node
            return node

        # Rows with an id first: the id is the identity.
        for sheet, rec in records:
            if not rec.ext:
                continue
            node = by_ext.get(rec.ext)
            if node is None:
                node = new_node(sheet, rec)
            elif name_key(node.full_name) != name_key(rec.full_name):
                self.problem(
                    sheet,
                    rec.row,
                    "id",
                    "roster.id_taken",
                    id=rec.ext,
                    name=node.full_name,
                    sheet=self.roster.title(node.sheet),
                    row=node.row,
                )
                continue
            self._attach(node, sheet, rec)
        # Then rows without an id: the full name is the identity.
        for sheet, rec in records:
            if rec.ext:
                continue
            candidates = by_name.get(name_key(rec.full_name), [])
            if len(candidates) > 1:
                self.problem(
                    sheet,
                    rec.row,
                    "full_name",
                    "roster.name_ambiguous_in_file",
                    name=rec.full_name,
                )
                continue
            node = candidates[0] if candidates else new_node(sheet, rec)
            self._attach(node, sheet, rec)

        # Match the journal's people: by id, else by name.
        for node in self.people:
            if not node.ext:
                continue
            found = self.db.people_by_ext.get(node.ext)
            if found is None:
                # Imported before without ids: adopt the id.
                in_journal = [
                    p
                    for p in self.db.people_by_name.get(name_key(node.full_name), [])
                    if p.external_id is None and p.id not in self.person_of_db
                ]
                found = in_journal[0] if len(in_journal) == 1 else None
            if found is not None:
                self._claim(node, found)
        for node in self.people:
            if node.ext:
                continue
            in_journal = [
                p
                for p in self.db.people_by_name.get(name_key(node.full_name), [])
                if p.id not in self.person_of_db
            ]
            if len(in_journal) == 1:
                self._claim(node, in_journal[0])
            elif len(in_journal) > 1:
                self.problem(
                    node.sheet,
                    node.row,
                    "full_name",
                    "roster.name_ambiguous_in_journal",
                    name=node.full_name,
                )

        for node in self.people:
            keys = {name_key(node.full_name)}
            if node.teacher is not None:
                keys.add(name_key(node.teacher.full_name))
                if node.ext:
                    self.staff_by_ext[node.ext] = node
                for key in keys:
                    self.staff_by_name[key].append(node)
            if node.pupil is not None:
                if node.ext:
                    self.pupil_by_ext[node.ext] = node
                self.pupil_by_name[name_key(node.full_name)].append(node)

    def _attach(self, node: _Person, sheet: str, rec: Any) -> None:
        self.node_of_record[(sheet, rec.row)] = node
        if sheet == "guardians":
            assert isinstance(rec, GuardianRow)
            node.phone = node.phone or rec.phone
            return
        previous = node.teacher if sheet == "teachers" else node.pupil
        if previous is not None:
            # Two rows with the same id, or with the same name and no ids, are reported
            # by the reader; here an id-less row repeats a row with an id.
            if (previous.ext is None) != (rec.ext is None):
                self.problem(
                    sheet,
                    rec.row,
                    "full_name",
                    "roster.name_listed_without_id",
                    name=rec.full_name,
                    first=previous.row,
                )
            return
        if sheet == "teachers":
            node.teacher = rec
        else:
            node.pupil = rec

    def _claim(self, node: _Person, found: _DbPerson) -> None:
        node.db = found
        node.id = found.id
        self.person_of_db[found.id] = node

    def _person_for_db(self, found: _DbPerson) -> _Person:
        node = self.person_of_db.get(found.id)
        if node is None:
            node = _Person(found.full_name, found.external_id, "", 0, passive=True)
            self._claim(node, found)
        return node

    def _pupil_class(self, node: _Person) -> _Class | None:
        if node.klass is None and node.db is not None and node.db.id in self.db.pupils:
            node.klass = self._class_for_db(self.db.classes[self.db.pupils[node.db.id].class_id])
        return node.klass

    def _classes(self) -> None:
        rows = self.roster.classes
        nodes = [_Class(clean(c.name), c.ext, c.grade, c.row) for c in rows]
        for node in nodes:
            self.classes.append(node)
            self.class_by_key[class_key(node.name)] = node
            if node.ext:
                self.class_by_ext[node.ext] = node
        for node in nodes:
            found = self.db.classes_by_ext.get(node.ext) if node.ext else None
            if found is not None:
                self._claim_class(node, found)
        for node in nodes:
            if node.db is not None:
                continue
            for found in self.db.classes_by_key.get(class_key(node.name), []):
                if found.id not in self.class_of_db and found.external_id in (None, node.ext):
                    self._claim_class(node, found)
                    break
        for node, row in zip(nodes, rows, strict=True):
            for found in self.db.classes_by_key.get(class_key(node.name), []):
                if found.id not in self.class_of_db:
                    self._taken("classes", node.row, "class", found)
            if row.class_teacher is not None:
                node.teacher = self._staff("classes", row.row, "class_teacher", row.class_teacher)

    def _claim_class(self, node: _Class, found: _DbClass) -> None:
        node.db = found
        node.id = found.id
        self.class_of_db[found.id] = node

    def _class_for_db(self, found: _DbClass) -> _Class:
        node = self.class_of_db.get(found.id)
        if node is None:
            node = _Class(found.name, found.external_id, found.grade, None, found, found.id)
            self.class_of_db[found.id] = node
        return node

    def _subjects(self) -> None:
        nodes = [_Subject(clean(s.name), s.ext, s.certified, s.row) for s in self.roster.subjects]
        for node in nodes:
            self.subjects.append(node)
            self.subject_by_key[name_key(node.name)] = node
            if node.ext:
                self.subject_by_ext[node.ext] = node
        for node in nodes:
            found = self.db.subjects_by_ext.get(node.ext) if node.ext else None
            if found is not None:
                self._claim_subject(node, found)
        for node in nodes:
            if node.db is not None:
                continue
            for found in self.db.subjects_by_key.get(name_key(node.name), []):
                if found.id not in self.subject_of_db and found.external_id in (None, node.ext):
                    self._claim_subject(node, found)
                    break
        for node in nodes:
            for found in self.db.subjects_by_key.get(name_key(node.name), []):
                if found.id not in self.subject_of_db:
                    self._taken("subjects", node.row, "subject", found)

    def _claim_subject(self, node: _Subject, found: _DbSubject) -> None:
        node.db = found
        node.id = found.id
        self.subject_of_db[found.id] = node

    # -- references -----------------------------------------------------------------------

    def _class(self, sheet: str, row: int, column: str, ref: str) -> _Class | None:
        node = self.class_by_ext.get(ref) or self.class_by_key.get(class_key(ref))
        if node is not None:
            return node
        found = self.db.classes_by_ext.get(ref)
        if found is None:
            candidates = self.db.classes_by_key.get(class_key(ref), [])
            exact = [c for c in candidates if c.name == ref]
            found = next(iter(exact or candidates), None)
        if found is not None:
            return self._class_for_db(found)
        self.problem(sheet, row, column, "roster.class_not_found", ref=ref)
        return None

    def _subject(self, sheet: str, row: int, column: str, ref: str) -> _Subject | None:
        node = self.subject_by_ext.get(ref) or self.subject_by_key.get(name_key(ref))
        if node is not None:
            return node
        found = self.db.subjects_by_ext.get(ref)
        if found is None:
            candidates = self.db.subjects_by_key.get(name_key(ref), [])
            found = candidates[0] if candidates else None
        if found is not None:
            node = self.subject_of_db.get(found.id)
            if node is None:
                node = _Subject(found.name, found.external_id, None, None, found, found.id)
                self.subject_of_db[found.id] = node
            return node
        self.problem(sheet, row, column, "roster.subject_not_found", ref=ref)
        return None

    def _staff(self, sheet: str, row: int, column: str, ref: str) -> _Person | None:
        found = self._find_staff(ref)
        if found is AMBIGUOUS:
            self.problem(sheet, row, column, "roster.staff_ambiguous", ref=ref)
            return None
        if found is None:
            self.problem(sheet, row, column, "roster.teacher_not_found", ref=ref)
            return None
        assert isinstance(found, _Person)
        return found

    def _find_staff(self, ref: str) -> _Person | _Marker | None:
        node = self.staff_by_ext.get(ref)
        if node is not None:
            return node
        key = name_key(ref)
        candidates = self.staff_by_name.get(key, [])
        if candidates:
            return candidates[0] if len(candidates) == 1 else AMBIGUOUS
        found = self.db.people_by_ext.get(ref)
        if found is not None and found.id in self.db.roles:
            return self._person_for_db(found)
        in_db = [p for p in self.db.people_by_name.get(key, []) if p.id in self.db.roles]
        if len(in_db) > 1:
            return AMBIGUOUS
        return self._person_for_db(in_db[0]) if in_db else None

    def _pupil(
        self, sheet: str, row: int, ref: str, klass: _Class | None, class_ref: str | None
    ) -> _Person | None:
        found = self._find_pupil(ref, klass)
        if found is AMBIGUOUS:
            self.problem(sheet, row, "pupil", "roster.pupil_ambiguous", ref=ref)
            return None
        if found is OTHER_CLASS:
            self.problem(sheet, row, "class", "roster.pupil_in_other_class", ref=ref)
            return None
        if found is None:
            if class_ref:
                self.problem(
                    sheet, row, "pupil", "roster.pupil_not_found_in_class", ref=ref, cls=class_ref
                )
            else:
                self.problem(sheet, row, "pupil", "roster.pupil_not_found", ref=ref)
            return None
        assert isinstance(found, _Person)
        return found

    def _find_pupil(self, ref: str, klass: _Class | None) -> _Person | _Marker | None:
        node = self.pupil_by_ext.get(ref)
        if node is not None:
            return node
        key = name_key(ref)
        named = self.pupil_by_name.get(key, [])
        # A pupil whose own class is unknown (reported in pupils) matches any class.
        candidates = [n for n in named if klass is None or n.klass in (klass, None)]
        if candidates:
            return candidates[0] if len(candidates) == 1 else AMBIGUOUS
        found = self.db.people_by_ext.get(ref)
        if found is not None and found.id in self.db.pupils:
            return self._person_for_db(found)
        in_db = [
            p
            for p in self.db.people_by_name.get(key, [])
            if p.id in self.db.pupils
            and (klass is None or self.db.pupils[p.id].class_id == klass.id)
        ]
        if len(in_db) > 1:
            return AMBIGUOUS
        if in_db:
            return self._person_for_db(in_db[0])
        return OTHER_CLASS if named else None

    def _group(self, klass: _Class, subject: _Subject, name: str) -> _Group:
        key = (klass, subject, name_key(name))
        group = self.groups.get(key)
        if group is None:
            group = _Group(klass, subject, clean(name))
            if klass.id is not None and subject.id is not None:
                group.id = self.db.groups.get((klass.id, subject.id, key[2]))
            self.groups[key] = group
        return group

    # -- the other sheets ---------------------------------------------------------------

    def _pupils(self) -> None:
        for row in self.roster.pupils:
            node = self.node_of_record.get(("pupils", row.row))
            klass = self._class("pupils", row.row, "class", row.class_ref)
            if node is not None and node.pupil is row:
                node.klass = klass
            if row.left_on is not None and row.left_on > self.today:
                day = f"{row.left_on:%d.%m.%Y}"
                self.problem("pupils", row.row, "left_on", "roster.left_in_future", day=day)

    def _guardians(self, rows: list[GuardianRow]) -> None:
        for row in rows:
            node = self.node_of_record.get(("guardians", row.row))
            klass = None
            if row.class_ref:
                klass = self._class("guardians", row.row, "class", row.class_ref)
                if klass is None:
                    continue
            pupil = self._pupil("guardians", row.row, row.pupil_ref, klass, row.class_ref)
            if node is None or pupil is None:
                continue
            if pupil is node:
                self.problem(
                    "guardians",
                    row.row,
                    "full_name",
                    "roster.pupil_own_guardian",
                )
                continue
            link = (node, pupil)
            if row.consent is not None or link not in self.links:
                self.links[link] = row.consent
            if row.opt_out is not None or link not in self.opt_outs:
                self.opt_outs[link] = row.opt_out

    def _group_members(self) -> None:
        for row in self.roster.groups or []:
            klass = self._class("groups", row.row, "class", row.class_ref)
            subject = self._subject("groups", row.row, "subject", row.subject_ref)
            if klass is None or subject is None:
                continue
            pupil = self._pupil("groups", row.row, row.pupil_ref, klass, row.class_ref)
            if pupil is None:
                continue
            if self._pupil_class(pupil) not in (klass, None):
                self.problem(
                    "groups",
                    row.row,
                    "pupil",
                    "roster.pupil_not_in_class",
                    ref=row.pupil_ref,
                    cls=klass.name,
                )
                continue
            group = self._group(klass, subject, row.group)
            self.members.setdefault(group, set()).add(pupil)

    def _assignments(self) -> None:
        self.assignment_scope.update(self.classes)
        for row in self.roster.assignments or []:
            teacher = self._staff("assignments", row.row, "teacher", row.teacher_ref)
            subject = self._subject("assignments", row.row, "subject", row.subject_ref)
            klass = self._class("assignments", row.row, "class", row.class_ref)
            if teacher is None or subject is None or klass is None:
                continue
            group = self._group(klass, subject, row.group) if row.group else None
            self.assignment_scope.add(klass)
            self.assignments.setdefault((teacher, subject, klass, group), row.row)

    def _timetable(self) -> None:
        self.timetable_scope.update(self.classes)
        for row in self.roster.timetable or []:
            klass = self._class("timetable", row.row, "class", row.class_ref)
            subject = self._subject("timetable", row.row, "subject", row.subject_ref)
            teacher = self._staff("timetable", row.row, "teacher", row.teacher_ref)
            if klass is None or subject is None or teacher is None:
                continue
            group = self._group(klass, subject, row.group) if row.group else None
            slot = (klass, group, row.weekday, row.lesson_no)
            if slot in self.slots:
                self.problem(
                    "timetable",
                    row.row,
                    "lesson_no",
                    "roster.slot_taken",
                    cls=klass.name,
                    lesson_no=row.lesson_no,
                    first=self.slots[slot][3],
                )
                continue
            self.timetable_scope.add(klass)
            self.slots[slot] = (subject, teacher, row.room, row.row)

    def _empty_groups(self) -> None:
        """A subgroup the timetable gives lessons to and nobody belongs to after this
        import (no groups sheet, or it lists none of the subgroup's pupils): a warning at
        its first lesson, since its roll call would be empty."""
        lessons: dict[_Group, list[int]] = {}
        for (_, group, _, _), (_, _, _, row) in self.slots.items():
            if group is not None:
                lessons.setdefault(group, []).append(row)
        for group, rows in lessons.items():
            if group in self.members:
                members = {_id(p) for p in self.members[group]}
            else:  # a subgroup the file does not list keeps the journal's members
                members = set(self.db.members.get(group.id, set())) if group.id else set()
            if members:
                continue
            self.warnings.append(
                Problem(
                    "timetable",
                    min(rows),
                    "group",
                    "roster.warning.empty_group",
                    {
                        "group": group.name,
                        "cls": group.klass.name,
                        "subject": group.subject.name,
                        "count": len(rows),
                    },
                )
            )

    def _periods(self) -> None:
        rows = self.roster.periods or []
        if not rows:
            return
        first = min(r.start for r in rows)
        start_year = first.year if first.month >= 7 else first.year - 1
        last_day = date(start_year + 1, 8, 31)
        for row in rows:
            if row.end > last_day:
                self.problem(
                    "periods",
                    row.row,
                    "end",
                    "roster.periods_one_year",
                    year=f"{start_year}/{start_year + 1}",
                )
        name = f"{start_year}/{start_year + 1}"
        starts, ends = first, max(r.end for r in rows)
        found = self.db.years.get(name)
        if found is not None:
            year_id = found[0]
            # Periods of that year left out of the file stay, and inside the year.
            in_file = {name_key(row.name) for row in rows}
            for (period_year, key), period in self.db.periods.items():
                if period_year == year_id and key not in in_file:
                    starts = min(starts, period.starts_on)
                    ends = max(ends, period.ends_on)
            for row in rows:
                known = self.db.periods.get((year_id, name_key(row.name)))
                if (
                    known is not None
                    and known.closed
                    and ((known.starts_on, known.ends_on) != (row.start, row.end))
                ):
                    self.problem(
                        "periods",
                        row.row,
                        "start",
                        "roster.period_closed",
                        name=known.name,
                    )
        self.year = (name, starts, ends)

    # -- differences ----------------------------------------------------------------------

    def _person_changed(self, node: _Person) -> bool:
        db = node.db
        if db is None or node.passive:
            return False
        return (
            node.full_name != db.full_name
            or (node.ext is not None and node.ext != db.external_id)
            or (node.phone is not None and node.phone != db.phone)
        )

    def _class_changed(self, node: _Class) -> bool:
        db = node.db
        assert db is not None
        teacher_id = _id(node.teacher) if node.teacher is not None else db.class_teacher_id
        return (
            node.name != db.name
            or node.grade != db.grade
            or (node.ext is not None and node.ext != db.external_id)
            or teacher_id != db.class_teacher_id
        )

    def _subject_changed(self, node: _Subject) -> bool:
        db = node.db
        assert db is not None
        return (
            node.name != db.name
            or (node.ext is not None and node.ext != db.external_id)
            or (node.certified is not None and node.certified != db.certified)
        )

    def _pupil_changed(self, node: _Person) -> bool:
        assert node.pupil is not None and node.klass is not None and node.id is not None
        current = self.db.pupils[node.id]
        birth = node.pupil.birth_date
        admitted, left = node.pupil.admitted_on, node.pupil.left_on
        return (
            node.klass.id != current.class_id
            or (birth is not None and birth != current.birth_date)
            or (admitted is not None and admitted != current.admitted_on)
            or (left is not None and left != current.left_on)
            or self._person_changed(node)
        )

    def _consent_after(
        self, wanted: bool | None, current: tuple[bool | None, datetime | None] | None
    ) -> tuple[bool | None, datetime | None]:
        consent, at = current or (None, None)
        if wanted is None:
            return consent, at
        if wanted is True and consent is True and at is not None:
            return consent, at
        if wanted is False and consent is False:
            return consent, at
        return wanted, self.now

    def _opt_out_after(
        self, guardian: _Person, pupil: _Person
    ) -> tuple[tuple[bool, datetime | None], tuple[bool, datetime | None]]:
        """R18: the link's opt-out (and since when) before and after this roster."""
        current: tuple[bool, datetime | None] = (False, None)
        if guardian.id is not None and pupil.id is not None:
            current = self.db.opt_outs.get((guardian.id, pupil.id), current)
        wanted = self.opt_outs.get((guardian, pupil))
        if wanted is None or wanted == current[0]:
            return current, current
        return current, (wanted, self.now if wanted else None)

    def _count(self) -> None:
        counts = self.counts
        r = self.roster

        c = counts["teachers"] = SheetCounts()
        for node in self.people:
            if node.teacher is None:
                continue
            roles = self.db.roles.get(node.id, set()) if node.id is not None else set()
            if not roles:
                c.added += 1
            elif roles != {x.value for x in node.teacher.roles} or self._person_changed(node):
                c.updated += 1
            else:
                c.unchanged += 1

        c = counts["classes"] = SheetCounts()
        for k in self.classes:
            _tally(c, k.db is None, k.db is not None and self._class_changed(k))

        c = counts["subjects"] = SheetCounts()
        for s in self.subjects:
            _tally(c, s.db is None, s.db is not None and self._subject_changed(s))

        c = counts["pupils"] = SheetCounts()
        for node in self.people:
            if node.pupil is None:
                continue
            new = node.id is None or node.id not in self.db.pupils
            _tally(c, new, not new and self._pupil_changed(node))

        if r.guardians is not None:
            c = counts["guardians"] = SheetCounts()
            for (guardian, pupil), wanted in self.links.items():
                current = self._current_link(guardian, pupil)
                if current is None:
                    c.added += 1
                else:
                    before, after = self._opt_out_after(guardian, pupil)
                    changed = self._consent_after(wanted, current) != current or before != after
                    _tally(c, False, changed or self._person_changed(guardian))

        if r.groups is not None:
            c = counts["groups"] = SheetCounts()
            for group, pupils in self.members.items():
                existing = self.db.members.get(group.id, set()) if group.id else set()
                ids = {_id(p) for p in pupils}
                c.unchanged += len(ids & existing)
                c.added += len(ids - existing)
                c.removed += len(existing - ids)

        if r.assignments is not None:
            c = counts["assignments"] = SheetCounts()
            kept = {_ids(key) for key in self.assignments}
            for key in kept:
                if key in self.db.assignments:
                    c.unchanged += 1
                else:
                    c.added += 1
            c.removed = len(self._stale_assignments(kept))

        if r.bells is not None:
            c = counts["bells"] = SheetCounts()
            bells = {b.lesson_no: (b.start, b.end) for b in r.bells}
            for lesson_no, times in bells.items():
                bell = self.db.bells.get(lesson_no)
                _tally(c, bell is None, bell is not None and bell != times)
            c.removed = len(set(self.db.bells) - set(bells))

        if r.timetable is not None:
            c = counts["timetable"] = SheetCounts()
            for slot, (subject, teacher, room, _) in self.slots.items():
                stored = self.db.timetable.get(_ids(slot))
                _tally(
                    c,
                    stored is None,
                    stored is not None
                    and (stored.subject_id, stored.teacher_id, stored.room)
                    != (subject.id, teacher.id, room),
                )
            c.removed = len(self._stale_slots())

        if r.periods is not None:
            c = counts["periods"] = SheetCounts()
            year_id = self._year_id()
            for row in r.periods:
                period = self.db.periods.get((year_id, name_key(row.name))) if year_id else None
                _tally(
                    c,
                    period is None,
                    period is not None
                    and (period.name, period.starts_on, period.ends_on)
                    != (clean(row.name), row.start, row.end),
                )

    def _current_link(
        self, guardian: _Person, pupil: _Person
    ) -> tuple[bool | None, datetime | None] | None:
        if guardian.id is None or pupil.id is None:
            return None
        return self.db.guardianships.get((guardian.id, pupil.id))

    def _stale_assignments(self, kept: set[Any]) -> list[int]:
        scope = {k.id for k in self.assignment_scope if k.id is not None}
        return [
            assignment_id
            for key, assignment_id in self.db.assignments.items()
            if key[2] in scope and key not in kept
        ]

    def _stale_slots(self) -> list[int]:
        scope = {k.id for k in self.timetable_scope if k.id is not None}
        kept = {_ids(slot) for slot in self.slots}
        return [
            entry.id
            for key, entry in self.db.timetable.items()
            if key[0] in scope and key not in kept
        ]

    def _year_id(self) -> int | None:
        if self.year is None:
            return None
        found = self.db.years.get(self.year[0])
        return found[0] if found else None

    def added_pupils(self) -> list[AddedPupil]:
        """The pupils new to the school, once written (ids known), by class and name."""
        added = [
            AddedPupil(n.id, n.full_name, n.klass.name)
            for n in self.people
            if n.pupil is not None
            and n.id is not None
            and n.klass is not None
            and n.id not in self.db.pupils
        ]
        return sorted(added, key=lambda p: (class_key(p.class_name), name_key(p.full_name)))

    def _newly_left(self) -> list[_Person]:
        """The pupils whose leaving this file records (not recorded before)."""
        return [
            n
            for n in self.people
            if n.pupil is not None
            and n.pupil.left_on is not None
            and (n.id is None or n.id not in self.db.pupils or self.db.pupils[n.id].left_on is None)
        ]

    def left_pupils(self) -> list[NamedPupil]:
        left = [
            NamedPupil(n.full_name, n.klass.name if n.klass else "") for n in self._newly_left()
        ]
        return sorted(left, key=lambda p: (class_key(p.class_name), name_key(p.full_name)))

    def missing_pupils(self) -> list[NamedPupil]:
        """The journal's pupils (not left) whom the file's pupils sheet does not list."""
        listed = {n.id for n in self.people if n.pupil is not None and n.id is not None}
        missing = [
            NamedPupil(self.db.people[pid].full_name, self.db.classes[p.class_id].name)
            for pid, p in self.db.pupils.items()
            if p.left_on is None and pid not in listed and pid in self.db.people
        ]
        return sorted(missing, key=lambda p: (class_key(p.class_name), name_key(p.full_name)))

    # -- writing --------------------------------------------------------------------------

    async def write(self, session: AsyncSession, school_id: int) -> None:
        await self._write_people(session, school_id)
        await self._write_classes(session, school_id)
        await self._write_subjects(session, school_id)
        await self._write_pupils(session)
        if self.roster.guardians is not None:
            await self._write_guardians(session)
        await self._end_leavers(session)
        await self._write_groups(session)
        if self.roster.groups is not None:
            await self._write_members(session)
        if self.roster.assignments is not None:
            await self._write_assignments(session)
        if self.roster.bells is not None:
            await self._write_bells(session, school_id)
        if self.roster.timetable is not None:
            await self._write_timetable(session, school_id)
        if self.roster.periods is not None:
            await self._write_periods(session, school_id)

    async def _write_people(self, session: AsyncSession, school_id: int) -> None:
        people = _table(Person)
        new = [n for n in self.people if n.db is None]
        ids = await _insert_returning(
            session,
            people,
            [
                {
                    "school_id": school_id,
                    "full_name": n.full_name,
                    "external_id": n.ext,
                    "phone": n.phone,
                }
                for n in new
            ],
        )
        for node, new_id in zip(new, ids, strict=True):
            node.id = new_id
        changed = [n for n in self.people if self._person_changed(n)]
        await _update_many(
            session,
            people,
            ("id",),
            [
                {
                    "id": n.id,
                    "full_name": n.full_name,
                    "external_id": n.ext or n.db.external_id,  # type: ignore[union-attr]  # a node with an id has its row
                    "phone": n.phone or n.db.phone,  # type: ignore[union-attr]  # a node with an id has its row
                }
                for n in changed
            ],
        )
        roles = _table(StaffRoleRow)
        add: list[dict[str, Any]] = []
        drop: list[tuple[int, str]] = []
        for node in self.people:
            if node.teacher is None:
                continue
            assert node.id is not None
            wanted = {role.value for role in node.teacher.roles}
            current = self.db.roles.get(node.id, set())
            add += [{"person_id": node.id, "role": role} for role in sorted(wanted - current)]
            drop += [(node.id, role) for role in current - wanted]
        if drop:
            await session.execute(
                delete(roles).where(tuple_(roles.c.person_id, roles.c.role).in_(drop))
            )
        if add:
            await session.execute(insert(roles), add)

    async def _write_classes(self, session: AsyncSession, school_id: int) -> None:
        classes = _table(SchoolClass)
        changed = [k for k in self.classes if k.db is not None and self._class_changed(k)]
        renamed = [k for k in changed if k.db is not None and k.name != k.db.name]
        if renamed:  # names are unique: two steps, so 5А→6А and 4А→5А may happen at once
            await _update_many(
                session, classes, ("id",), [{"id": k.id, "name": f"~{k.id}"} for k in renamed]
            )

        def values(k: _Class) -> dict[str, Any]:
            teacher = k.teacher.id if k.teacher is not None else None
            if k.teacher is None and k.db is not None:
                teacher = k.db.class_teacher_id
            return {
                "name": k.name,
                "grade": k.grade,
                "class_teacher_id": teacher,
                "external_id": k.ext or (k.db.external_id if k.db else None),
            }

        await _update_many(session, classes, ("id",), [{"id": k.id, **values(k)} for k in changed])
        new = [k for k in self.classes if k.db is None]
        ids = await _insert_returning(
            session, classes, [{"school_id": school_id, **values(k)} for k in new]
        )
        for node, new_id in zip(new, ids, strict=True):
            node.id = new_id

    async def _write_subjects(self, session: AsyncSession, school_id: int) -> None:
        subjects = _table(Subject)
        changed = [s for s in self.subjects if s.db is not None and self._subject_changed(s)]
        renamed = [s for s in changed if s.db is not None and s.name != s.db.name]
        if renamed:
            await _update_many(
                session, subjects, ("id",), [{"id": s.id, "name": f"~{s.id}"} for s in renamed]
            )

        def values(s: _Subject) -> dict[str, Any]:
            certified = s.certified
            if certified is None:
                certified = s.db.certified if s.db is not None else True
            return {
                "name": s.name,
                "certified": certified,
                "external_id": s.ext or (s.db.external_id if s.db else None),
            }

        await _update_many(session, subjects, ("id",), [{"id": s.id, **values(s)} for s in changed])
        new = [s for s in self.subjects if s.db is None]
        ids = await _insert_returning(
            session, subjects, [{"school_id": school_id, **values(s)} for s in new]
        )
        for node, new_id in zip(new, ids, strict=True):
            node.id = new_id

    async def _write_pupils(self, session: AsyncSession) -> None:
        pupils = _table(Pupil)
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for node in self.people:
            if node.pupil is None:
                continue
            assert node.klass is not None and node.id is not None
            current = self.db.pupils.get(node.id)
            if current is None:
                # A pupil added to a school that has pupils arrives today (R21: the
                # movement report), unless the file gives the date; a first upload
                # sets up the school and records no arrivals.
                arrived = node.pupil.admitted_on or (self.today if self.db.pupils else None)
                new.append(
                    {
                        "person_id": node.id,
                        "class_id": node.klass.id,
                        "birth_date": node.pupil.birth_date,
                        "admitted_on": arrived,
                        "left_on": node.pupil.left_on,
                    }
                )
            elif self._pupil_changed(node):
                changed.append(
                    {
                        "person_id": node.id,
                        "class_id": node.klass.id,
                        "birth_date": node.pupil.birth_date or current.birth_date,
                        "admitted_on": node.pupil.admitted_on or current.admitted_on,
                        "left_on": node.pupil.left_on or current.left_on,
                    }
                )
        await _update_many(session, pupils, ("person_id",), changed)
        if new:
            await session.execute(insert(pupils), new)
        moved = [
            {"pupil": row["person_id"], "class": row["class_id"]}
            for row in changed
            if row["class_id"] != self.db.pupils[row["person_id"]].class_id
        ]
        if moved:
            # A pupil who changed class leaves the subgroups of the old one.
            await session.execute(
                text(
                    "DELETE FROM group_members m USING groups g"
                    " WHERE m.group_id = g.id AND m.pupil_id = :pupil AND g.class_id <> :class"
                ),
                moved,
            )

    async def _end_leavers(self, session: AsyncSession) -> None:
        """A leaver's unused codes are revoked and their bindings end; so do those of
        each parent left with no child in the school (a parent with another child keeps
        theirs, and no longer sees the one who left). Their history stays."""
        left = [n.id for n in self._newly_left() if n.id is not None]
        if not left:
            return
        guardians = set(
            await session.scalars(
                select(Guardianship.guardian_id).where(Guardianship.pupil_id.in_(left))
            )
        )
        staying: set[int] = set()
        if guardians:
            staying = set(
                await session.scalars(
                    select(Guardianship.guardian_id)
                    .join(Pupil, Pupil.person_id == Guardianship.pupil_id)
                    .where(Guardianship.guardian_id.in_(guardians), Pupil.left_on.is_(None))
                )
            )
        for people, role in ((left, BindingRole.PUPIL), (guardians - staying, BindingRole.PARENT)):
            if not people:
                continue
            await session.execute(
                update(Invitation)
                .where(
                    Invitation.person_id.in_(people),
                    Invitation.role == role.value,
                    Invitation.used_at.is_(None),
                    Invitation.revoked_at.is_(None),
                )
                .values(revoked_at=self.now)
            )
            await session.execute(
                update(Binding)
                .where(
                    Binding.person_id.in_(people),
                    Binding.role == role.value,
                    Binding.revoked_at.is_(None),
                )
                .values(revoked_at=self.now, revoked_reason=LEFT_REASON)
            )

    async def _write_guardians(self, session: AsyncSession) -> None:
        table = _table(Guardianship)
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for (guardian, pupil), wanted in self.links.items():
            current = self._current_link(guardian, pupil)
            consent, at = self._consent_after(wanted, current)
            before, (opt_out, opt_out_at) = self._opt_out_after(guardian, pupil)
            row = {
                "guardian_id": guardian.id,
                "pupil_id": pupil.id,
                "consent": consent,
                "consent_at": at,
                "diary_opt_out": opt_out,
                "opt_out_at": opt_out_at,
            }
            if current is None:
                new.append(row)
            elif (consent, at) != current or before != (opt_out, opt_out_at):
                changed.append(row)
        await _update_many(session, table, ("guardian_id", "pupil_id"), changed)
        if new:
            await session.execute(insert(table), new)

    async def _write_groups(self, session: AsyncSession) -> None:
        new = [g for g in self.groups.values() if g.id is None]
        ids = await _insert_returning(
            session,
            _table(Group),
            [{"class_id": g.klass.id, "subject_id": g.subject.id, "name": g.name} for g in new],
        )
        for group, new_id in zip(new, ids, strict=True):
            group.id = new_id

    async def _write_members(self, session: AsyncSession) -> None:
        table = _table(GroupMember)
        add: list[dict[str, Any]] = []
        drop: list[tuple[int, int]] = []
        for group, pupils in self.members.items():
            assert group.id is not None
            existing = self.db.members.get(group.id, set())
            ids = {p.id for p in pupils if p.id is not None}
            add += [{"group_id": group.id, "pupil_id": i} for i in sorted(ids - existing)]
            drop += [(group.id, i) for i in existing - ids]
        if drop:
            await session.execute(
                delete(table).where(tuple_(table.c.group_id, table.c.pupil_id).in_(drop))
            )
        if add:
            await session.execute(insert(table), add)

    async def _write_assignments(self, session: AsyncSession) -> None:
        table = _table(Assignment)
        kept = {_ids(key) for key in self.assignments}
        stale = self._stale_assignments(kept)
        if stale:
            await session.execute(delete(table).where(table.c.id.in_(stale)))
        new = [
            {"teacher_id": t, "subject_id": s, "class_id": c, "group_id": g}
            for (t, s, c, g) in sorted(kept - set(self.db.assignments), key=_sort_key)
        ]
        if new:
            await session.execute(insert(table), new)

    async def _write_bells(self, session: AsyncSession, school_id: int) -> None:
        table = _table(Bell)
        wanted = {b.lesson_no: (b.start, b.end) for b in self.roster.bells or []}
        stale = set(self.db.bells) - set(wanted)
        if stale:
            await session.execute(
                delete(table).where(table.c.school_id == school_id, table.c.lesson_no.in_(stale))
            )
        rows = [
            {"school_id": school_id, "lesson_no": n, "starts_at": s, "ends_at": e}
            for n, (s, e) in sorted(wanted.items())
            if self.db.bells.get(n) != (s, e)
        ]
        if rows:
            statement = pg_insert(table).values(rows)
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=[table.c.school_id, table.c.lesson_no],
                    set_={
                        "starts_at": statement.excluded.starts_at,
                        "ends_at": statement.excluded.ends_at,
                    },
                )
            )

    async def _write_timetable(self, session: AsyncSession, school_id: int) -> None:
        table = _table(TimetableEntry)
        stale = self._stale_slots()
        if stale:
            await session.execute(delete(table).where(table.c.id.in_(stale)))
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for slot, (subject, teacher, room, _) in self.slots.items():
            klass, group, weekday, lesson_no = slot
            current = self.db.timetable.get(_ids(slot))
            if current is None:
                new.append(
                    {
                        "school_id": school_id,
                        "class_id": klass.id,
                        "group_id": group.id if group is not None else None,
                        "weekday": weekday,
                        "lesson_no": lesson_no,
                        "subject_id": subject.id,
                        "teacher_id": teacher.id,
                        "room": room,
                    }
                )
            elif (current.subject_id, current.teacher_id, current.room) != (
                subject.id,
                teacher.id,
                room,
            ):
                changed.append(
                    {
                        "id": current.id,
                        "subject_id": subject.id,
                        "teacher_id": teacher.id,
                        "room": room,
                    }
                )
        await _update_many(session, table, ("id",), changed)
        if new:
            await session.execute(insert(table), new)

    async def _write_periods(self, session: AsyncSession, school_id: int) -> None:
        if self.year is None:
            return
        name, starts, ends = self.year
        years = _table(AcademicYear)
        found = self.db.years.get(name)
        if found is None:
            year_id = await session.scalar(
                insert(years)
                .values(school_id=school_id, name=name, starts_on=starts, ends_on=ends)
                .returning(years.c.id)
            )
        else:
            year_id = found[0]
            if (found[1], found[2]) != (starts, ends):
                await session.execute(
                    update(years)
                    .where(years.c.id == year_id)
                    .values(starts_on=starts, ends_on=ends)
                )
        table = _table(Period)
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for row in self.roster.periods or []:
            values = {"name": clean(row.name), "starts_on": row.start, "ends_on": row.end}
            current = self.db.periods.get((year_id, name_key(row.name)))
            if current is None:
                new.append({"school_id": school_id, "year_id": year_id, **values})
            elif (current.name, current.starts_on, current.ends_on) != tuple(values.values()):
                changed.append({"id": current.id, **values})
        await _update_many(session, table, ("id",), changed)
        if new:
            await session.execute(insert(table), new)


# --- Helpers ------------------------------------------------------------------------------


def _tally(counts: SheetCounts, added: bool, updated: bool) -> None:
    if added:
        counts.added += 1
    elif updated:
        counts.updated += 1
    else:
        counts.unchanged += 1


def _ids(key: tuple[Any, ...]) -> tuple[Any, ...]:
    """A key of nodes as a key of ids. A node not written yet stands for itself, so a key
    with a new node never matches an existing row (and two new nodes stay distinct)."""
    return tuple(_id(k) for k in key)


def _id(node: Any) -> Any:
    if node is None or isinstance(node, int):
        return node
    return node.id if node.id is not None else node


def _sort_key(key: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(-1 if k is None else k for k in key)


def _table(model: type[Any]) -> Table:
    return model.__table__


async def _insert_returning(
    session: AsyncSession, table: Table, rows: list[dict[str, Any]]
) -> list[int]:
    """Insert many rows; their new ids in the order of ``rows``."""
    if not rows:
        return []
    result = await session.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
    )
    return list(result.scalars())


async def _update_many(
    session: AsyncSession, table: Table, keys: tuple[str, ...], rows: list[dict[str, Any]]
) -> None:
    """One executemany UPDATE; every row has the same columns."""
    if not rows:
        return
    columns = [c for c in rows[0] if c not in keys]
    statement = (
        update(table)
        .where(*(table.c[k] == bindparam(f"k_{k}") for k in keys))
        .values({c: bindparam(f"v_{c}") for c in columns})
    )
    await session.execute(
        statement,
        [{**{f"k_{k}": r[k] for k in keys}, **{f"v_{c}": r[c] for c in columns}} for r in rows],
    )
