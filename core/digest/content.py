"""The parents' daily digest (R16): what it is made of, gathered set-based for every due
parent at once. Content queries take an open session: the job holds one transaction (and
its advisory lock) around gathering, queueing and recording. Nothing here renders text."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from operator import itemgetter
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

import asyncpg
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.choices import CHOICES_JOIN, EVERYTHING, ChildChoices
from core.clock import at_local
from core.jobs import school_zones
from core.models import (
    AbsenceChoice,
    AbsenceReason,
    Messenger,
    NotificationPrefs,
    Presence,
    School,
)
from core.planned.warned import Warning
from core.recipients import DELIVERS_SQL

T = TypeVar("T")


@dataclass(slots=True)
class Child:
    pupil_id: int
    full_name: str
    class_id: int
    class_name: str
    grade: int
    choices: ChildChoices = EVERYTHING  # what this parent chose to hear of this child
    school_id: int | None = None  # the class's (a parent's child may be at another school)


@dataclass
class DigestTarget:
    """A parent binding whose digest for ``day`` is due and not built yet."""

    binding_id: int
    person_id: int
    school_id: int
    day: date
    chat_id: int
    language: str
    since: datetime  # marks recorded from here (the previous digest) until now
    children: list[Child] = field(default_factory=list)
    channel: str = Messenger.TELEGRAM.value  # the messenger the binding is on


_DUE_SLOTS = """unnest($1::integer[], $2::date[], $3::time[], $4::timestamptz[], $5::time[])
         AS due(school_id, day, at, due_at, school_at)
    JOIN people pe ON pe.school_id = due.school_id
    JOIN bindings b ON b.person_id = pe.id
    LEFT JOIN notification_prefs np ON np.binding_id = b.id"""
_DUE_PARENTS = f"""b.role = 'parent' AND b.revoked_at IS NULL AND b.unreachable_at IS NULL
      AND COALESCE(np.digest_enabled, true) AND {DELIVERS_SQL}
      AND COALESCE(np.digest_time, due.school_at) = due.at
      AND NOT EXISTS (SELECT 1 FROM digests dg WHERE dg.binding_id = b.id AND dg.day = due.day)"""

_DIGEST_PARENTS_SQL = f"""
    SELECT b.id, b.person_id, pe.school_id, due.day,
           COALESCE(a.chat_id, b.user_id),
           COALESCE(a.language, pe.language, 'ru'),
           COALESCE(prev.built_at, due.due_at - interval '1 day'), b.messenger
    FROM {_DUE_SLOTS}
    LEFT JOIN accounts a ON a.messenger = b.messenger AND a.user_id = b.user_id
    LEFT JOIN digests prev ON prev.binding_id = b.id AND prev.day = due.day - 1
    WHERE {_DUE_PARENTS}
    ORDER BY pe.school_id, b.id, due.day
"""
# The same parents counted, up to $6 (the count stops there).
_DUE_PARENTS_COUNT_SQL = f"""
    SELECT count(*) FROM (SELECT 1 FROM {_DUE_SLOTS} WHERE {_DUE_PARENTS} LIMIT $6) AS x
"""
# By school: a chunk's parents then share a few schools' classes, whose next school day,
# homework and changes each chunk reads (in binding order, every chunk read nearly all).

# Asked apart from the parents, by their ids: the planner then knows how many there are
# and joins the children by hashing instead of a hundred thousand index lookups.
_DIGEST_CHILDREN_SQL = f"""
    SELECT g.guardian_id, p.person_id, ppe.full_name, p.class_id, p.admitted_on, p.left_on,
           cc.marks, cc.absences, cc.homework
    FROM guardianships g
    JOIN pupils p ON p.person_id = g.pupil_id
    JOIN people ppe ON ppe.id = p.person_id
    {CHOICES_JOIN}
    WHERE g.guardian_id = ANY($1::integer[]) AND g.consent IS TRUE AND NOT g.diary_opt_out
"""


async def driver(s: AsyncSession) -> Any:
    """The asyncpg connection under the session, inside the session's transaction."""
    conn = await s.connection()
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    if not driver.is_in_transaction():  # type: ignore[union-attr]  # asyncpg's, typed Optional
        await conn.exec_driver_sql("SELECT 1")  # begins the session's transaction
    return driver


#: From this many rows, a bulk write goes in by ``COPY`` (:func:`copy_new`): a digest chunk.
COPY_FROM = 1000


async def copy_new(conn: Any, table: str, columns: Sequence[str], records: list[Any]) -> bool:
    """``records`` by one ``COPY`` into ``table`` on ``conn`` (asyncpg's, in a transaction),
    under a savepoint: ``False``, and nothing copied, when one of them breaks a unique
    key (it exists, or is twice among them): the caller then inserts them skipping
    those. A plain ``COPY`` is a fraction of the database's cost of ``INSERT … ON
    CONFLICT``, which inserts each row speculatively."""
    await conn.execute("SAVEPOINT copy_new")
    try:
        await conn.copy_records_to_table(table, columns=columns, records=records)
    except asyncpg.UniqueViolationError:
        await conn.execute("ROLLBACK TO SAVEPOINT copy_new")
        return False
    await conn.execute("RELEASE SAVEPOINT copy_new")
    return True


async def fetch(s: AsyncSession, sql: str, *args: Any) -> list[Any]:
    """A read of many rows on the session's own connection and transaction, through the
    driver directly (``$1`` parameters): asyncpg records cost a fraction of ORM rows,
    which counts when a district's digests read hundreds of thousands of them."""
    return list(await (await driver(s)).fetch(sql, *args))


class Named(Generic[T]):
    """What many rows of a job name by id (a subject, a work type, a class), read from the
    database once per job as its chunks first need them, rather than joined into every
    row: a region's evening reads 1.7 million marks of 8,000 subjects, and each chunk's
    join hashed every subject, work type and class of the region again."""

    def __init__(self, sql: str, value: Callable[[Any], T]) -> None:
        self._sql = sql  # ``$1``: the ids; each row the id first
        self._value = value
        self._found: dict[int, T] = {}

    async def of(self, s: AsyncSession, ids: Iterable[int]) -> dict[int, T]:
        """Every id read so far, ``ids`` among them."""
        found = self._found
        missing = sorted({i for i in ids if i not in found})
        if missing:
            for row in await fetch(s, self._sql, missing):
                found[row[0]] = self._value(row)
        return found


@dataclass(frozen=True, slots=True)
class ClassNamed:
    name: str
    grade: int
    school_id: int


@dataclass
class JobNames:
    """The names one digest job reads (:class:`Named`), kept for all its chunks."""

    subjects: Named[str] = field(
        default_factory=lambda: Named(
            "SELECT id, name FROM subjects WHERE id = ANY($1::integer[])", itemgetter(1)
        )
    )
    work_types: Named[str] = field(
        default_factory=lambda: Named(
            "SELECT id, name FROM work_types WHERE id = ANY($1::integer[])", itemgetter(1)
        )
    )
    classes: Named[ClassNamed] = field(
        default_factory=lambda: Named(
            "SELECT id, name, grade, school_id FROM classes WHERE id = ANY($1::integer[])",
            lambda row: ClassNamed(row[1], row[2], row[3]),
        )
    )


async def fetch_chunks(
    s: AsyncSession, sql: str, chunk: int, *args: Any, by_index: bool = False
) -> AsyncIterator[list[Any]]:
    """The rows of one query, ``chunk`` at a time, through a server-side cursor in the
    session's transaction (the query runs once; other statements may run between chunks,
    and the cursor keeps the snapshot it was opened with). ``by_index``: planned as
    :func:`planned_by_index` plans."""
    conn = await driver(s)
    async with planned_by_index(conn) if by_index else nullcontext():
        cursor = await conn.cursor(sql, *args)  # planned here, run as it is read
    while rows := await cursor.fetch(chunk):
        yield rows


@asynccontextmanager
async def planned_by_index(conn: Any) -> AsyncIterator[None]:
    """Statements planned inside read a table by a sequential scan only where no index
    serves. For a plan made once and run while the job writes the table it reads: the
    due parents' cursor joins digests, which the job's processes fill meanwhile, and
    planned when digests was empty (a new deployment's first evening, the benchmark's
    emptied table) it scanned the whole, growing table once per parent, where the
    primary key finds each parent's in one look (1,000,000 pupils: 554 s instead of 88 s
    with 2 processes, and with 4 the job never ended). Left as it was on an error (the
    transaction is lost then, and the setting with it)."""
    await conn.execute("SET LOCAL enable_seqscan = off")
    yield
    await conn.execute("SET LOCAL enable_seqscan = on")


async def due_digest_slots(
    s: AsyncSession, now: datetime, tz: ZoneInfo, default_time: time, window: timedelta
) -> list[tuple[int, date, time, datetime, time]]:
    """(school, day, local time, instant, the school's own time) of every digest time in
    use — the school's (its own, or ``default_time``) and the hours parents chose — that
    passed in (now - window, now], in each school's timezone. Computed here rather than
    per row in SQL: there are only a few."""
    chosen = {
        at
        for at in await s.scalars(
            select(NotificationPrefs.digest_time)
            .where(NotificationPrefs.digest_time.is_not(None))
            .distinct()
        )
        if at is not None  # as the query says
    }
    own = {i: at for i, at in await s.execute(select(School.id, School.digest_time))}
    slots = []
    for school_id, zone in await school_zones(s, tz):
        school_at = own.get(school_id) or default_time
        today = now.astimezone(zone).date()
        for day in (today, today - timedelta(days=1)):
            for at in {school_at, *chosen}:
                due = at_local(day, at, zone)
                if now - window < due <= now:
                    slots.append((school_id, day, at, due, school_at))
    return slots


def slice_of(
    slots: list[tuple[int, date, time, datetime, time]], part: tuple[int, int]
) -> list[tuple[int, date, time, datetime, time]]:
    """The slots of the schools in ``part`` (index, of how many): by the school's id,
    modulo (a school's parents are all in one part)."""
    index, parts = part
    return slots if parts <= 1 else [x for x in slots if x[0] % parts == index]


async def due_parents_over(
    s: AsyncSession, slots: list[tuple[int, date, time, datetime, time]], threshold: int
) -> bool:
    """Whether more than ``threshold`` parent digests of these slots
    (:func:`due_digest_slots`) are due and not built (counted up to there only): whether
    building them is worth more than one process."""
    if not slots:
        return False
    columns = [[x[i] for x in slots] for i in range(5)]
    found = await (await driver(s)).fetchval(_DUE_PARENTS_COUNT_SQL, *columns, threshold + 1)
    return int(found) > threshold


async def digest_targets(
    s: AsyncSession,
    now: datetime,
    tz: ZoneInfo,
    default_time: time,
    window: timedelta,
    chunk: int,
    part: tuple[int, int] = (0, 1),
    names: JobNames | None = None,
) -> AsyncIterator[list[DigestTarget]]:
    """Parent bindings whose digest time (theirs, or the school's) passed less than
    ``window`` ago and whose digest for that day is not built, with the children they may
    see: consent given (R19), not opted out of the e-diary (R18), enrolled that day.
    Revoked and unreachable bindings, and switched-off digests, are left out. Given
    ``chunk`` parent bindings at a time (a chunk may come out smaller: a parent whose
    children are all out of reach is left out); only the schools of ``part``
    (:func:`slice_of`); the classes' names read once through ``names``."""
    names = names or JobNames()
    slots = slice_of(await due_digest_slots(s, now, tz, default_time, window), part)
    if not slots:
        return
    await s.execute(text("SET LOCAL work_mem = '64MB'"))  # big joins: no spill to disk
    # Each chunk's queries look up its own rows (its parents' children, their marks and
    # absences) by index: at the default cost of a random read (4, a spinning disk's) the
    # planner scans whole tables instead, once a chunk (a region: 1,000,000 pupils' rows
    # each time, 0.2–0.5 s a query); 1.1 is an SSD's or a cached database's.
    await s.execute(text("SET LOCAL random_page_cost = 1.1"))
    # The cursor is read to the end: plan it for every row (hash joins), not the first few.
    await s.execute(text("SET LOCAL cursor_tuple_fraction = 1.0"))
    columns = [[x[i] for x in slots] for i in range(5)]
    async for parents in fetch_chunks(s, _DIGEST_PARENTS_SQL, chunk, *columns, by_index=True):
        children = await guardians_children(s, sorted({r[1] for r in parents}), names)
        targets = []
        for binding_id, person_id, school_id, day, chat_id, language, since, channel in parents:
            mine = enrolled_on(children.get(person_id, ()), day)
            if mine:
                targets.append(
                    DigestTarget(
                        binding_id,
                        person_id,
                        school_id,
                        day,
                        chat_id,
                        language,
                        since,
                        mine,
                        channel,
                    )
                )
        if targets:
            yield targets


async def guardians_children(
    s: AsyncSession, guardian_ids: list[int], names: JobNames | None = None
) -> dict[int, list[tuple[Any, ...]]]:
    """Each guardian's children a digest may show (consent given, R19; not opted out of
    the e-diary, R18), as rows for :func:`enrolled_on`."""
    children: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    rows = await fetch(s, _DIGEST_CHILDREN_SQL, guardian_ids)
    classes = await (names or JobNames()).classes.of(s, {row[3] for row in rows})
    for guardian, pupil, name, class_id, admitted, left, *chosen in rows:
        k = classes[class_id]
        children[guardian].append(
            (guardian, pupil, name, class_id, k.name, k.grade, admitted, left, *chosen, k.school_id)
        )
    return children


def enrolled_on(rows: Iterable[tuple[Any, ...]], day: date) -> list[Child]:
    """The children of :func:`guardians_children`'s rows enrolled on ``day``, by name,
    each with what the parent chose to hear of them (no choice: everything)."""
    mine = [
        Child(pupil_id, name, class_id, class_name, grade, _chosen(*chosen), school_id)
        for _, pupil_id, name, class_id, class_name, grade, admitted, left, *chosen, school_id in (
            rows
        )
        if (admitted is None or admitted <= day) and (left is None or left > day)
    ]
    mine.sort(key=lambda c: (c.full_name, c.pupil_id))
    return mine


def _chosen(marks: bool | None, absences: str | None, homework: bool | None) -> ChildChoices:
    if absences is None:  # no row: everything
        return EVERYTHING
    return ChildChoices(bool(marks), AbsenceChoice(absences), bool(homework))


def absences_told(
    choices: ChildChoices, lines: list[AbsenceLine], warnings: list[Warning], person_id: int
) -> list[AbsenceLine]:
    """The day's absences and lateness a parent hears of (R16): as they chose for the
    child (all, only those without a reason — a warning in advance is one — or none),
    and never the lessons they warned of themselves: they gave the reason."""
    if choices.absences is AbsenceChoice.OFF:
        return []
    if choices.absences is AbsenceChoice.ALL and not warnings:
        return lines
    told = []
    for a in lines:
        if a.status is Presence.ABSENT:
            by = [w.person_id for w in warnings if w.covers(a.lesson_no)]
            if person_id in by or not choices.hears_of(a.reason, warned=bool(by)):
                continue
        told.append(a)
    return told


def waits_for_reason(absences: Iterable[AbsenceLine]) -> bool:
    """Whether a child's day has an absence without a reason (the digest then offers
    the parent to give one, R6)."""
    return any(
        a.status is Presence.ABSENT and a.reason is AbsenceReason.UNCONFIRMED for a in absences
    )


@dataclass(slots=True)
class MarkLine:
    pupil_id: int
    recorded_at: datetime
    lesson_date: date
    subject: str
    value: int
    work_type: str


_MARKS_SQL = """
    SELECT m.pupil_id, m.created_at, l.date, l.subject_id, m.value, m.work_type_id
    FROM marks m
    JOIN lessons l ON l.id = m.lesson_id
    WHERE m.created_at >= $1 AND m.created_at < $2 AND m.pupil_id = ANY($3::integer[])
    ORDER BY m.pupil_id, l.date, l.lesson_no, m.id
"""


async def marks_recorded(
    s: AsyncSession,
    pupil_ids: list[int],
    since: datetime,
    until: datetime,
    names: JobNames | None = None,
) -> dict[int, list[MarkLine]]:
    """Marks given in [since, until), per pupil (a retake of an earlier lesson counts on
    the day it is recorded). A mark changed or removed is told as a correction
    (``core.marks.history``, R9), not as a new mark."""
    found: dict[int, list[MarkLine]] = defaultdict(list)
    if not pupil_ids:
        return found
    rows = await fetch(s, _MARKS_SQL, since, until, pupil_ids)
    names = names or JobNames()
    subjects = await names.subjects.of(s, {row[3] for row in rows})
    works = await names.work_types.of(s, {row[5] for row in rows})
    for pupil_id, at, day, subject, value, work in rows:
        found[pupil_id].append(MarkLine(pupil_id, at, day, subjects[subject], value, works[work]))
    return found


@dataclass(slots=True)
class AbsenceLine:
    pupil_id: int
    day: date
    lesson_no: int
    subject: str
    status: Presence
    reason: AbsenceReason


_DAY_ABSENCES_SQL = """
    SELECT a.pupil_id, l.date, l.lesson_no, l.subject_id, a.status, a.reason
    FROM lessons l
    JOIN attendance a ON a.lesson_id = l.id
    WHERE l.school_id = ANY($1::integer[]) AND l.date = ANY($2::date[])
      AND a.status IN ('absent', 'late') AND a.pupil_id = ANY($3::integer[])
    ORDER BY a.pupil_id, l.date, l.lesson_no
"""


async def day_absences(
    s: AsyncSession,
    school_ids: list[int],
    pupil_ids: list[int],
    days: list[date],
    names: JobNames | None = None,
) -> dict[tuple[int, date], list[AbsenceLine]]:
    """Absences and lateness on those days, per (pupil, day), with the reason's state."""
    found: dict[tuple[int, date], list[AbsenceLine]] = defaultdict(list)
    if not pupil_ids:
        return found
    rows = await fetch(s, _DAY_ABSENCES_SQL, sorted(set(school_ids)), sorted(set(days)), pupil_ids)
    subjects = await (names or JobNames()).subjects.of(s, {row[3] for row in rows})
    for pupil_id, day, no, subject, status, reason in rows:
        found[(pupil_id, day)].append(
            AbsenceLine(pupil_id, day, no, subjects[subject], _PRESENCE[status], _REASONS[reason])
        )
    return found


_PRESENCE = {p.value: p for p in Presence}
_REASONS = {r.value: r for r in AbsenceReason}


@dataclass(frozen=True)
class HomeworkLine:
    group_id: int | None
    lesson_no: int
    subject: str
    homework: str
    not_given: bool = False  # R25: the subject's lesson that day is cancelled or moved away


_NEXT_DAYS_SQL = text(
    """
    SELECT x.class_id, x.day, (
        SELECT CAST(min(d.day) AS date)
        FROM generate_series(x.day + 1, x.day + CAST(:horizon AS integer), interval '1 day')
             AS d(day)
        WHERE EXISTS (
                SELECT 1 FROM periods p
                WHERE p.school_id = k.school_id
                  AND CAST(d.day AS date) BETWEEN p.starts_on AND p.ends_on
              )
          AND (EXISTS (
                SELECT 1 FROM timetable t
                WHERE t.class_id = x.class_id AND t.weekday = EXTRACT(ISODOW FROM d.day)
              ) OR EXISTS (
                SELECT 1 FROM lessons l
                WHERE l.class_id = x.class_id AND l.date = CAST(d.day AS date)
              ))
    ) AS next_day
    FROM unnest(CAST(:classes AS integer[]), CAST(:days AS date[])) AS x(class_id, day)
    JOIN classes k ON k.id = x.class_id
    """
)

_HOMEWORK_SQL = text(
    """
    SELECT l.class_id, x.day, l.group_id, l.lesson_no, s.name, l.homework,
           EXISTS (SELECT 1 FROM lessons d WHERE d.class_id = l.class_id AND d.date = x.day
                     AND d.subject_id = l.subject_id AND d.cancelled
                     AND d.group_id IS NOT DISTINCT FROM l.group_id)
           AND NOT EXISTS (SELECT 1 FROM lessons d WHERE d.class_id = l.class_id
                     AND d.date = x.day AND d.subject_id = l.subject_id AND NOT d.cancelled
                     AND (d.group_id IS NULL OR d.group_id IS NOT DISTINCT FROM l.group_id))
    FROM unnest(CAST(:classes AS integer[]), CAST(:days AS date[])) AS x(class_id, day)
    JOIN lessons l ON l.class_id = x.class_id AND COALESCE(l.homework_due, l.date) = x.day
    JOIN subjects s ON s.id = l.subject_id
    WHERE l.homework IS NOT NULL AND l.homework <> ''
      AND NOT l.cancelled  -- R25: a lesson not given sets no homework (a moved one's copy does)
    ORDER BY l.class_id, COALESCE(l.homework_due, l.date), s.name, l.date, l.lesson_no,
             l.group_id NULLS FIRST
    """
)


async def next_school_days(
    s: AsyncSession, class_days: set[tuple[int, date]], horizon_days: int
) -> dict[tuple[int, date], date]:
    """For each (class, day): the class's first school day after ``day`` (a day inside a
    reporting period with lessons in the timetable, or lessons added by hand)."""
    if not class_days:
        return {}
    pairs = sorted(class_days)
    rows = await s.execute(
        _NEXT_DAYS_SQL,
        {
            "classes": [c for c, _ in pairs],
            "days": [d for _, d in pairs],
            "horizon": horizon_days,
        },
    )
    # Lessons not materialised yet have no homework: nothing to materialise here.
    return {(class_id, day): next_day for class_id, day, next_day in rows if next_day}


async def homework_on(
    s: AsyncSession, class_dates: set[tuple[int, date]]
) -> dict[tuple[int, date], list[HomeworkLine]]:
    """The homework due on each (class, date), every subgroup's lessons included: given at
    an earlier lesson of the subject and due at its next lesson (``lessons.homework_due``).
    R25: homework of a lesson not given (cancelled, moved away) is left out; homework due
    at a lesson that is then not given is marked ``not_given``."""
    found: dict[tuple[int, date], list[HomeworkLine]] = defaultdict(list)
    if not class_dates:
        return found
    pairs = sorted(class_dates)
    rows = await s.execute(
        _HOMEWORK_SQL, {"classes": [c for c, _ in pairs], "days": [d for _, d in pairs]}
    )
    for class_id, day, group_id, no, subject, homework, not_given in rows:
        found[(class_id, day)].append(HomeworkLine(group_id, no, subject, homework, not_given))
    return found


async def groups_of(s: AsyncSession, pupil_ids: list[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = defaultdict(set)
    if not pupil_ids:
        return found
    rows = await s.execute(
        text("SELECT pupil_id, group_id FROM group_members WHERE pupil_id = ANY(:pupils)"),
        {"pupils": pupil_ids},
    )
    for pupil_id, group_id in rows:
        found[pupil_id].add(group_id)
    return found


_DIGEST_COLUMNS = ("binding_id", "day", "built_at", "parts")


async def record_digests(
    s: AsyncSession, built: list[tuple[int, date, int]], built_at: datetime
) -> None:
    """Remember each (binding, day, parts) as built, so it is never built again."""
    if not built:
        return
    if len(built) >= COPY_FROM:
        records = [(b, d, built_at, p) for b, d, p in built]
        if await copy_new(await driver(s), "digests", _DIGEST_COLUMNS, records):
            return
    await s.execute(
        text(
            """
            INSERT INTO digests (binding_id, day, built_at, parts)
            SELECT b, d, :at, p
            FROM unnest(CAST(:bindings AS bigint[]), CAST(:days AS date[]),
                        CAST(:parts AS smallint[])) AS x(b, d, p)
            ON CONFLICT DO NOTHING
            """
        ),
        {
            "at": built_at,
            "bindings": [b for b, _, _ in built],
            "days": [d for _, d, _ in built],
            "parts": [p for _, _, p in built],
        },
    )
