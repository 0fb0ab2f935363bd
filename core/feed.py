"""What notifications are made of, gathered set-based (one query per kind of content for
a whole school or for every due parent at once), and the small use cases behind their
buttons: a digest read (R17), a parent's suggested absence reason (R6), the class
teacher's list of parents who have not read the week's digests (R17).

Content queries take an open session: the notification job holds one transaction (and
its advisory lock) around gathering, queueing and recording. Nothing here renders text.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import Actor, actor_for_binding, is_class_teacher, is_guardian
from core.clock import at_local
from core.errors import InvalidValue, NotAllowed, NotFound
from core.journal import Journal
from core.lessons import materialise
from core.models import (
    AbsenceReason,
    AbsenceSuggestion,
    Attendance,
    Binding,
    BindingRole,
    Digest,
    Guardianship,
    Lesson,
    NotificationJobRun,
    NotificationPrefs,
    Person,
    Presence,
    Pupil,
    School,
    SchoolClass,
)

SUGGESTIBLE = (AbsenceReason.ILLNESS, AbsenceReason.PARENT_STATEMENT, AbsenceReason.OTHER_EXCUSED)
NOTE_LIMIT = 500
JOB_LOCK_NAMESPACE = 0x6E6F7469  # "noti": the first key of every job's advisory lock


# --- scheduling bookkeeping ------------------------------------------------------------------


async def try_job_lock(s: AsyncSession, job_no: int) -> bool:
    """Take the job's transaction-level advisory lock, or say that another instance holds
    it. Released when the transaction ends."""
    return bool(await s.scalar(select(func.pg_try_advisory_xact_lock(JOB_LOCK_NAMESPACE, job_no))))


async def school_zones(s: AsyncSession, default: ZoneInfo) -> list[tuple[int, ZoneInfo]]:
    rows = await s.execute(select(School.id, School.timezone).order_by(School.id))
    return [(i, ZoneInfo(tz) if tz else default) for i, tz in rows]


async def job_done(s: AsyncSession, job: str, school_id: int, slot: datetime) -> bool:
    return bool(
        await s.scalar(
            select(func.count())
            .select_from(NotificationJobRun)
            .where(
                NotificationJobRun.job == job,
                NotificationJobRun.school_id == school_id,
                NotificationJobRun.slot == slot,
            )
        )
    )


async def record_job_run(
    s: AsyncSession, job: str, school_id: int, slot: datetime, done_at: datetime, items: int
) -> None:
    await s.execute(
        pg_insert(NotificationJobRun)
        .values(job=job, school_id=school_id, slot=slot, done_at=done_at, items=items)
        .on_conflict_do_nothing()
    )


@dataclass(frozen=True)
class Recipient:
    """Where a person's notifications in one role go: a reachable, active binding."""

    binding_id: int
    person_id: int
    chat_id: int
    language: str


_RECIPIENTS_SQL = text(
    """
    SELECT b.id, b.person_id, COALESCE(a.chat_id, b.telegram_user_id),
           COALESCE(a.language, pe.language, 'ru')
    FROM bindings b
    JOIN people pe ON pe.id = b.person_id
    LEFT JOIN accounts a ON a.telegram_user_id = b.telegram_user_id
    WHERE b.person_id = ANY(:people) AND b.role = :role
      AND b.revoked_at IS NULL AND b.unreachable_at IS NULL
    ORDER BY b.person_id, b.id
    """
)


async def recipients(
    s: AsyncSession, person_ids: list[int], role: BindingRole
) -> dict[int, list[Recipient]]:
    """Per person: their active, reachable bindings in that role (a person may have bound
    two phones)."""
    found: dict[int, list[Recipient]] = defaultdict(list)
    if not person_ids:
        return found
    rows = await s.execute(_RECIPIENTS_SQL, {"people": sorted(set(person_ids)), "role": role.value})
    for binding_id, person_id, chat_id, language in rows:
        found[person_id].append(Recipient(binding_id, person_id, chat_id, language))
    return found


# --- the parents' daily digest (R16) ---------------------------------------------------------


@dataclass(slots=True)
class Child:
    pupil_id: int
    full_name: str
    class_id: int
    class_name: str
    grade: int


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


_DIGEST_PARENTS_SQL = """
    SELECT b.id, b.person_id, pe.school_id, due.day,
           COALESCE(a.chat_id, b.telegram_user_id),
           COALESCE(a.language, pe.language, 'ru'),
           COALESCE(prev.built_at, due.due_at - interval '1 day')
    FROM unnest($1::integer[], $2::date[], $3::time[], $4::timestamptz[], $5::time[])
         AS due(school_id, day, at, due_at, school_at)
    JOIN people pe ON pe.school_id = due.school_id
    JOIN bindings b ON b.person_id = pe.id
    LEFT JOIN notification_prefs np ON np.binding_id = b.id
    LEFT JOIN accounts a ON a.telegram_user_id = b.telegram_user_id
    LEFT JOIN digests prev ON prev.binding_id = b.id AND prev.day = due.day - 1
    WHERE b.role = 'parent' AND b.revoked_at IS NULL AND b.unreachable_at IS NULL
      AND COALESCE(np.digest_enabled, true)
      AND COALESCE(np.digest_time, due.school_at) = due.at
      AND NOT EXISTS (SELECT 1 FROM digests dg WHERE dg.binding_id = b.id AND dg.day = due.day)
    ORDER BY b.id, due.day
"""

# Asked apart from the parents, by their ids: the planner then knows how many there are
# and joins the children by hashing instead of a hundred thousand index lookups.
_DIGEST_CHILDREN_SQL = """
    SELECT g.guardian_id, p.person_id, ppe.full_name, k.id, k.name, k.grade,
           p.admitted_on, p.left_on
    FROM guardianships g
    JOIN pupils p ON p.person_id = g.pupil_id
    JOIN people ppe ON ppe.id = p.person_id
    JOIN classes k ON k.id = p.class_id
    WHERE g.guardian_id = ANY($1::integer[]) AND g.consent IS TRUE AND NOT g.diary_opt_out
"""


async def fetch(s: AsyncSession, sql: str, *args: Any) -> list[Any]:
    """A read of many rows on the session's own connection and transaction, through the
    driver directly (``$1`` parameters): asyncpg records cost a fraction of ORM rows,
    which counts when a district's digests read hundreds of thousands of them."""
    conn = await s.connection()
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    if not driver.is_in_transaction():  # type: ignore[union-attr]  # asyncpg's, typed Optional
        await conn.exec_driver_sql("SELECT 1")  # begins the session's transaction
    return list(await driver.fetch(sql, *args))  # type: ignore[union-attr]  # asyncpg's, typed Optional


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


async def digest_targets(
    s: AsyncSession, now: datetime, tz: ZoneInfo, default_time: time, window: timedelta
) -> list[DigestTarget]:
    """Parent bindings whose digest time (theirs, or the school's) passed less than
    ``window`` ago and whose digest for that day is not built, with the children they may
    see: consent given (R19), not opted out of the e-diary (R18), enrolled that day.
    Revoked and unreachable bindings, and switched-off digests, are left out."""
    slots = await due_digest_slots(s, now, tz, default_time, window)
    if not slots:
        return []
    await s.execute(text("SET LOCAL work_mem = '64MB'"))  # big joins: no spill to disk
    parents = await fetch(
        s,
        _DIGEST_PARENTS_SQL,
        [x[0] for x in slots],
        [x[1] for x in slots],
        [x[2] for x in slots],
        [x[3] for x in slots],
        [x[4] for x in slots],
    )
    if not parents:
        return []
    children: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in await fetch(s, _DIGEST_CHILDREN_SQL, sorted({r[1] for r in parents})):
        children[row[0]].append(tuple(row))
    targets = []
    for binding_id, person_id, school_id, day, chat_id, language, since in parents:
        mine = [
            Child(pupil_id, name, class_id, class_name, grade)
            for _, pupil_id, name, class_id, class_name, grade, admitted, left in children.get(
                person_id, ()
            )
            if (admitted is None or admitted <= day) and (left is None or left > day)
        ]
        if mine:
            mine.sort(key=lambda c: (c.full_name, c.pupil_id))
            targets.append(
                DigestTarget(binding_id, person_id, school_id, day, chat_id, language, since, mine)
            )
    return targets


@dataclass(slots=True)
class MarkLine:
    pupil_id: int
    recorded_at: datetime
    lesson_date: date
    subject: str
    value: int
    work_type: str


_MARKS_SQL = """
    SELECT m.pupil_id, m.updated_at, l.date, s.name, m.value, wt.name
    FROM marks m
    JOIN lessons l ON l.id = m.lesson_id
    JOIN subjects s ON s.id = l.subject_id
    JOIN work_types wt ON wt.id = m.work_type_id
    WHERE m.updated_at >= $1 AND m.updated_at < $2 AND m.pupil_id = ANY($3::integer[])
    ORDER BY m.pupil_id, l.date, l.lesson_no, m.id
"""


async def marks_recorded(
    s: AsyncSession, pupil_ids: list[int], since: datetime, until: datetime
) -> dict[int, list[MarkLine]]:
    """Marks given or changed in [since, until), per pupil (a retake of an earlier lesson
    counts on the day it is recorded)."""
    found: dict[int, list[MarkLine]] = defaultdict(list)
    if not pupil_ids:
        return found
    for row in await fetch(s, _MARKS_SQL, since, until, pupil_ids):
        found[row[0]].append(MarkLine(*row))
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
    SELECT a.pupil_id, l.date, l.lesson_no, s.name, a.status, a.reason
    FROM lessons l
    JOIN attendance a ON a.lesson_id = l.id
    JOIN subjects s ON s.id = l.subject_id
    WHERE l.school_id = ANY($1::integer[]) AND l.date = ANY($2::date[])
      AND a.status IN ('absent', 'late') AND a.pupil_id = ANY($3::integer[])
    ORDER BY a.pupil_id, l.date, l.lesson_no
"""


async def day_absences(
    s: AsyncSession, school_ids: list[int], pupil_ids: list[int], days: list[date]
) -> dict[tuple[int, date], list[AbsenceLine]]:
    """Absences and lateness on those days, per (pupil, day), with the reason's state."""
    found: dict[tuple[int, date], list[AbsenceLine]] = defaultdict(list)
    if not pupil_ids:
        return found
    rows = await fetch(s, _DAY_ABSENCES_SQL, sorted(set(school_ids)), sorted(set(days)), pupil_ids)
    for pupil_id, day, no, subject, status, reason in rows:
        found[(pupil_id, day)].append(
            AbsenceLine(pupil_id, day, no, subject, Presence(status), AbsenceReason(reason))
        )
    return found


@dataclass(frozen=True)
class HomeworkLine:
    group_id: int | None
    lesson_no: int
    subject: str
    homework: str


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
    SELECT l.class_id, x.day, l.group_id, l.lesson_no, s.name, l.homework
    FROM unnest(CAST(:classes AS integer[]), CAST(:days AS date[])) AS x(class_id, day)
    JOIN lessons l ON l.class_id = x.class_id AND COALESCE(l.homework_due, l.date) = x.day
    JOIN subjects s ON s.id = l.subject_id
    WHERE l.homework IS NOT NULL AND l.homework <> ''
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
    an earlier lesson of the subject and due at its next lesson (``lessons.homework_due``)."""
    found: dict[tuple[int, date], list[HomeworkLine]] = defaultdict(list)
    if not class_dates:
        return found
    pairs = sorted(class_dates)
    rows = await s.execute(
        _HOMEWORK_SQL, {"classes": [c for c, _ in pairs], "days": [d for _, d in pairs]}
    )
    for class_id, day, group_id, no, subject, homework in rows:
        found[(class_id, day)].append(HomeworkLine(group_id, no, subject, homework))
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


async def record_digests(
    s: AsyncSession, built: list[tuple[int, date, int]], built_at: datetime
) -> None:
    """Remember each (binding, day, parts) as built, so it is never built again."""
    if not built:
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


# --- buttons under the digest: read receipt (R17) and a suggested reason (R6) ------------


async def own_binding_actor(s: AsyncSession, telegram_user_id: int, binding_id: int) -> Actor:
    """The actor of a binding named in a button, if it belongs to the account pressing it
    and is still active (callback data can be forged; R3)."""
    owner = await s.scalar(
        select(Binding.telegram_user_id).where(
            Binding.id == binding_id, Binding.revoked_at.is_(None)
        )
    )
    if owner is None or owner != telegram_user_id:
        raise NotAllowed("error.binding_revoked")
    return await actor_for_binding(s, binding_id)


async def binding_actor(journal: Journal, telegram_user_id: int, binding_id: int) -> Actor:
    async with journal.transaction() as s:
        return await own_binding_actor(s, telegram_user_id, binding_id)


async def mark_digest_read(
    journal: Journal, telegram_user_id: int, binding_id: int, day: date
) -> bool:
    """R17: the parent has read the day's digest. True the first time; pressing again
    keeps the first moment."""
    async with journal.transaction() as s:
        await own_binding_actor(s, telegram_user_id, binding_id)
        result = await s.execute(
            update(Digest)
            .where(Digest.binding_id == binding_id, Digest.day == day, Digest.read_at.is_(None))
            .values(read_at=journal.clock.now())
        )
        if result.rowcount:  # type: ignore[attr-defined]  # a DML result is a CursorResult
            return True
        exists = await s.get(Digest, (binding_id, day))
        if exists is None:
            raise NotFound()
        return False


@dataclass(frozen=True)
class SuggestionView:
    pupil_id: int
    pupil_name: str
    day: date
    reason: AbsenceReason
    note: str | None
    parent_name: str = ""
    class_teachers: tuple[Recipient, ...] = ()  # told of the suggestion at once (issue 9.5)
    at: datetime | None = None  # when it was given (or commented): the notice's identity


async def _class_teachers_of(s: AsyncSession, pupil_id: int) -> tuple[Recipient, ...]:
    teacher = await s.scalar(
        select(SchoolClass.class_teacher_id)
        .join(Pupil, Pupil.class_id == SchoolClass.id)
        .where(Pupil.person_id == pupil_id)
    )
    if teacher is None:
        return ()
    return tuple((await recipients(s, [teacher], BindingRole.STAFF)).get(teacher, []))


async def _suggesting_parent(
    s: AsyncSession, telegram_user_id: int, binding_id: int, pupil_id: int
) -> Actor:
    actor = await own_binding_actor(s, telegram_user_id, binding_id)
    if actor.role is not BindingRole.PARENT or not await is_guardian(s, actor, pupil_id):
        raise NotAllowed()
    consent = await s.scalar(
        select(Guardianship.consent).where(
            Guardianship.guardian_id == actor.person_id, Guardianship.pupil_id == pupil_id
        )
    )
    if consent is not True:
        raise NotAllowed()
    return actor


async def _absent_that_day(s: AsyncSession, pupil_id: int, day: date) -> None:
    absent = await s.scalar(
        select(func.count())
        .select_from(Attendance)
        .join(Lesson, Lesson.id == Attendance.lesson_id)
        .where(
            Attendance.pupil_id == pupil_id,
            Lesson.date == day,
            Attendance.status == Presence.ABSENT,
        )
    )
    if not absent:
        raise NotFound()


async def absence_to_explain(
    journal: Journal, telegram_user_id: int, binding_id: int, pupil_id: int, day: date
) -> str:
    """The full name of a parent's child who was absent on ``day``, for the parent to
    suggest the reason (refused for anyone else's child, R1)."""
    async with journal.transaction() as s:
        await _suggesting_parent(s, telegram_user_id, binding_id, pupil_id)
        await _absent_that_day(s, pupil_id, day)
        return await s.scalar(select(Person.full_name).where(Person.id == pupil_id)) or ""


async def suggest_reason(
    journal: Journal,
    telegram_user_id: int,
    binding_id: int,
    pupil_id: int,
    day: date,
    reason: AbsenceReason,
) -> SuggestionView:
    """A parent tells the class teacher why their child was absent on a day. It is a
    suggestion in the class teacher's queue, not a confirmation (R6): the reason on the
    attendance stays as it is until the class teacher confirms it from documents. A new
    suggestion by the same parent for the same day replaces the earlier one."""
    if reason not in SUGGESTIBLE:
        raise InvalidValue()
    async with journal.transaction() as s:
        actor = await _suggesting_parent(s, telegram_user_id, binding_id, pupil_id)
        await _absent_that_day(s, pupil_id, day)
        values: dict[str, Any] = {
            "reason": reason.value,
            "note": None,
            "binding_id": binding_id,
            "suggested_at": journal.clock.now(),
        }
        await s.execute(
            pg_insert(AbsenceSuggestion)
            .values(pupil_id=pupil_id, day=day, suggested_by=actor.person_id, **values)
            .on_conflict_do_update(index_elements=["pupil_id", "day", "suggested_by"], set_=values)
        )
        name = await s.scalar(select(Person.full_name).where(Person.id == pupil_id))
        parent = await s.scalar(select(Person.full_name).where(Person.id == actor.person_id))
        return SuggestionView(
            pupil_id,
            name or "",
            day,
            reason,
            None,
            parent or "",
            await _class_teachers_of(s, pupil_id),
            values["suggested_at"],
        )


async def add_suggestion_note(
    journal: Journal, telegram_user_id: int, binding_id: int, pupil_id: int, day: date, note: str
) -> SuggestionView:
    """The parent's free-text comment to their suggestion (returned with the class
    teachers to pass it on to)."""
    note = note.strip()
    if not note or len(note) > NOTE_LIMIT:
        raise InvalidValue("error.text_length", limit=NOTE_LIMIT)
    async with journal.transaction() as s:
        actor = await _suggesting_parent(s, telegram_user_id, binding_id, pupil_id)
        now = journal.clock.now()
        result = await s.execute(
            update(AbsenceSuggestion)
            .where(
                AbsenceSuggestion.pupil_id == pupil_id,
                AbsenceSuggestion.day == day,
                AbsenceSuggestion.suggested_by == actor.person_id,
            )
            .values(note=note, suggested_at=now)
        )
        if not result.rowcount:  # type: ignore[attr-defined]  # a DML result is a CursorResult
            raise NotFound()
        name = await s.scalar(select(Person.full_name).where(Person.id == pupil_id))
        parent = await s.scalar(select(Person.full_name).where(Person.id == actor.person_id))
        return SuggestionView(
            pupil_id,
            name or "",
            day,
            AbsenceReason.UNCONFIRMED,
            note,
            parent or "",
            await _class_teachers_of(s, pupil_id),
            now,
        )


@dataclass(frozen=True)
class Suggestion:
    pupil_id: int
    day: date
    reason: AbsenceReason
    note: str | None
    parent_name: str
    suggested_at: datetime


async def suggestions_for(
    s: AsyncSession, pupil_days: set[tuple[int, date]]
) -> dict[tuple[int, date], list[Suggestion]]:
    """Parents' suggestions for these pupil-days, oldest first."""
    found: dict[tuple[int, date], list[Suggestion]] = defaultdict(list)
    if not pupil_days:
        return found
    pairs = sorted(pupil_days)
    rows = await s.execute(
        text(
            """
            SELECT sg.pupil_id, sg.day, sg.reason, sg.note, pe.full_name, sg.suggested_at
            FROM unnest(CAST(:pupils AS integer[]), CAST(:days AS date[])) AS x(pupil_id, day)
            JOIN absence_suggestions sg ON sg.pupil_id = x.pupil_id AND sg.day = x.day
            JOIN people pe ON pe.id = sg.suggested_by
            ORDER BY sg.pupil_id, sg.day, sg.suggested_at
            """
        ),
        {"pupils": [p for p, _ in pairs], "days": [d for _, d in pairs]},
    )
    for pupil_id, day, reason, note, parent, at in rows:
        found[(pupil_id, day)].append(
            Suggestion(pupil_id, day, AbsenceReason(reason), note, parent, at)
        )
    return found


async def class_suggestions(
    journal: Journal, actor: Actor, class_id: int, start: date, end: date
) -> dict[tuple[int, date], list[Suggestion]]:
    """The class teacher's queue of parents' suggestions for a class's pupil-days."""
    async with journal.transaction() as s:
        await _ensure_class_teacher(s, actor, class_id)
        keys = await s.execute(
            select(AbsenceSuggestion.pupil_id, AbsenceSuggestion.day)
            .join(Pupil, Pupil.person_id == AbsenceSuggestion.pupil_id)
            .where(Pupil.class_id == class_id, AbsenceSuggestion.day.between(start, end))
        )
        return await suggestions_for(s, {(p, d) for p, d in keys})


@dataclass(frozen=True)
class ReasonAnswer:
    """Whom to tell the class teacher's answer to parents' suggested reasons."""

    pupil_name: str
    parents: tuple[Recipient, ...]
    suggested_at: datetime | None = None  # the latest suggestion answered (its identity)


async def _suggesting_parents(s: AsyncSession, pupil_id: int, day: date) -> ReasonAnswer:
    name = await s.scalar(select(Person.full_name).where(Person.id == pupil_id)) or ""
    rows = (
        await s.execute(
            select(AbsenceSuggestion.suggested_by, AbsenceSuggestion.suggested_at).where(
                AbsenceSuggestion.pupil_id == pupil_id, AbsenceSuggestion.day == day
            )
        )
    ).all()
    parents = [p for p, _ in rows]
    found = await recipients(s, parents, BindingRole.PARENT)
    return ReasonAnswer(
        name,
        tuple(r for p in parents for r in found.get(p, [])),
        max((at for _, at in rows), default=None),
    )


async def parents_to_tell(journal: Journal, actor: Actor, pupil_id: int, day: date) -> ReasonAnswer:
    """The parents who suggested a reason for this pupil-day (told once it is confirmed)."""
    async with journal.transaction() as s:
        cls = await s.scalar(select(Pupil.class_id).where(Pupil.person_id == pupil_id))
        if cls is None:
            raise NotFound()
        await _ensure_class_teacher(s, actor, cls)
        return await _suggesting_parents(s, pupil_id, day)


async def unconfirmed_left(journal: Journal, actor: Actor, pupil_id: int, day: date) -> int:
    """How many pupil-days of this pupil's class, in the week of ``day``, still have an
    absence without a confirmed reason (the round's header after a tap)."""
    monday = day - timedelta(days=day.weekday())
    async with journal.transaction() as s:
        cls = await s.scalar(select(Pupil.class_id).where(Pupil.person_id == pupil_id))
        if cls is None:
            raise NotFound()
        await _ensure_class_teacher(s, actor, cls)
        days = (
            select(Attendance.pupil_id, Lesson.date)
            .join(Lesson, Lesson.id == Attendance.lesson_id)
            .join(Pupil, Pupil.person_id == Attendance.pupil_id)
            .where(
                Pupil.class_id == cls,
                Lesson.date.between(monday, monday + timedelta(days=6)),
                Attendance.status == Presence.ABSENT,
                Attendance.reason == AbsenceReason.UNCONFIRMED,
            )
            .distinct()
            .subquery()
        )
        found = await s.scalar(select(func.count()).select_from(days))
        return int(found or 0)


async def reject_suggestions(
    journal: Journal, actor: Actor, pupil_id: int, day: date, explanation: str
) -> ReasonAnswer:
    """R6: the class teacher does not accept the parents' suggested reason for a pupil-day;
    the suggestions are withdrawn (the parent may give another) and the parents who gave
    them are returned, to be told the short explanation."""
    explanation = explanation.strip()
    if not explanation or len(explanation) > NOTE_LIMIT:
        raise InvalidValue("error.text_length", limit=NOTE_LIMIT)
    async with journal.transaction() as s:
        cls = await s.scalar(select(Pupil.class_id).where(Pupil.person_id == pupil_id))
        if cls is None:
            raise NotFound()
        await _ensure_class_teacher(s, actor, cls)
        answer = await _suggesting_parents(s, pupil_id, day)
        await s.execute(
            delete(AbsenceSuggestion).where(
                AbsenceSuggestion.pupil_id == pupil_id, AbsenceSuggestion.day == day
            )
        )
        return answer


async def pending_suggestions_by(
    s: AsyncSession, parents: list[int], pupils: list[int], days: list[date]
) -> set[tuple[int, int, date]]:
    """(parent, pupil, day) for which the parent has given a reason that still waits for
    the class teacher (the digest then says so instead of asking again, R6)."""
    if not parents or not pupils or not days:
        return set()
    rows = await s.execute(
        select(AbsenceSuggestion.suggested_by, AbsenceSuggestion.pupil_id, AbsenceSuggestion.day)
        .where(
            AbsenceSuggestion.suggested_by.in_(set(parents)),
            AbsenceSuggestion.pupil_id.in_(set(pupils)),
            AbsenceSuggestion.day.in_(set(days)),
        )
    )
    return {(g, p, d) for g, p, d in rows}


async def _ensure_class_teacher(s: AsyncSession, actor: Actor, class_id: int) -> SchoolClass:
    cls = await s.get(SchoolClass, class_id)
    if cls is None or cls.school_id != actor.school_id:
        raise NotAllowed()
    if not (actor.oversees_school or await is_class_teacher(s, actor, class_id)):
        raise NotAllowed("error.class_teacher_only")
    return cls


@dataclass(frozen=True)
class UnreadParent:
    """A parent who got digests in the period and did not mark all of them read."""

    binding_id: int
    parent_name: str
    children: str
    sent: int
    read: int


@dataclass(frozen=True)
class UnreadReport:
    class_name: str
    start: date
    end: date
    parents: list[UnreadParent]
    # Parents Telegram refuses to deliver to (they blocked the bot): name, children, since.
    unreachable: list[tuple[str, str, datetime]] = field(default_factory=list)


async def unread_digests(
    journal: Journal, actor: Actor, class_id: int, start: date, end: date
) -> UnreadReport:
    """R17: the class teacher (or an overseer) checks which parents of the class have not
    read the digests sent to them in [start, end]: how many were sent, how many read."""
    async with journal.transaction() as s:
        cls = await _ensure_class_teacher(s, actor, class_id)
        rows = await s.execute(
            text(
                """
                SELECT b.id, gp.full_name,
                       string_agg(DISTINCT split_part(cp.full_name, ' ', 2), ', '),
                       count(DISTINCT dg.day),
                       count(DISTINCT dg.day) FILTER (WHERE dg.read_at IS NOT NULL)
                FROM pupils p
                JOIN people cp ON cp.id = p.person_id
                JOIN guardianships g ON g.pupil_id = p.person_id
                JOIN people gp ON gp.id = g.guardian_id
                JOIN bindings b ON b.person_id = g.guardian_id AND b.role = 'parent'
                JOIN digests dg ON dg.binding_id = b.id AND dg.day BETWEEN :start AND :end
                                AND dg.parts > 0
                WHERE p.class_id = :cls
                GROUP BY b.id, gp.full_name
                HAVING count(DISTINCT dg.day) FILTER (WHERE dg.read_at IS NOT NULL)
                       < count(DISTINCT dg.day)
                ORDER BY gp.full_name, b.id
                """
            ),
            {"cls": class_id, "start": start, "end": end},
        )
        parents = [UnreadParent(*r) for r in rows]
        unreachable = await s.execute(
            text(
                """
                SELECT gp.full_name,
                       string_agg(DISTINCT split_part(cp.full_name, ' ', 2), ', '),
                       max(b.unreachable_at)
                FROM pupils p
                JOIN people cp ON cp.id = p.person_id
                JOIN guardianships g ON g.pupil_id = p.person_id
                JOIN people gp ON gp.id = g.guardian_id
                JOIN bindings b ON b.person_id = g.guardian_id AND b.role = 'parent'
                               AND b.revoked_at IS NULL AND b.unreachable_at IS NOT NULL
                WHERE p.class_id = :cls
                GROUP BY gp.id, gp.full_name
                ORDER BY gp.full_name
                """
            ),
            {"cls": class_id},
        )
        return UnreadReport(cls.name, start, end, parents, [(n, c, at) for n, c, at in unreachable])


# --- instant absence alerts -----------------------------------------------------------------


@dataclass(frozen=True)
class TodayMark:
    """One roll-call entry of a pupil today."""

    lesson_id: int
    lesson_no: int
    subject: str
    status: Presence


@dataclass
class AlertSubject:
    """A pupil absent today, or about whom an alert was sent today: today's roll call
    entries and the parents to tell."""

    pupil_id: int
    full_name: str
    class_name: str
    day: date
    marks: list[TodayMark] = field(default_factory=list)
    parents: list[AlertParent] = field(default_factory=list)

    @property
    def absent(self) -> list[TodayMark]:
        return [m for m in self.marks if m.status is Presence.ABSENT]


@dataclass
class AlertParent:
    recipient: Recipient
    version: int  # of the last message sent (0: none)
    announced: list[int]  # lesson ids the last message said were missed


_ALERT_PUPILS_SQL = text(
    """
    WITH sch AS (
        SELECT id, CAST((CAST(:now AS timestamptz) AT TIME ZONE COALESCE(timezone, :tz)) AS date)
               AS today
        FROM schools
    ), concerned AS (
        SELECT DISTINCT a.pupil_id, l.date AS day
        FROM sch
        JOIN lessons l ON l.school_id = sch.id AND l.date = sch.today
        JOIN attendance a ON a.lesson_id = l.id AND a.status = 'absent'
        UNION
        SELECT st.pupil_id, st.day
        FROM absence_alert_states st
        JOIN pupils p ON p.person_id = st.pupil_id
        JOIN classes k ON k.id = p.class_id
        JOIN sch ON sch.id = k.school_id AND st.day = sch.today
        WHERE st.lessons <> '[]'::jsonb
    )
    SELECT c.pupil_id, c.day, pe.full_name, k.name, l.id, l.lesson_no, s.name, a.status
    FROM concerned c
    JOIN people pe ON pe.id = c.pupil_id
    JOIN pupils p ON p.person_id = c.pupil_id
    JOIN classes k ON k.id = p.class_id
    LEFT JOIN (
        lessons l
        JOIN attendance a ON a.lesson_id = l.id
        JOIN subjects s ON s.id = l.subject_id
    ) ON l.class_id = p.class_id AND l.date = c.day AND a.pupil_id = c.pupil_id
    ORDER BY c.pupil_id, l.lesson_no
    """
)

_ALERT_PARENTS_SQL = text(
    """
    SELECT x.pupil_id, b.id, b.person_id, COALESCE(a.chat_id, b.telegram_user_id),
           COALESCE(a.language, pe.language, 'ru'),
           COALESCE(st.version, 0), COALESCE(st.lessons, '[]'::jsonb)
    FROM unnest(CAST(:pupils AS integer[]), CAST(:days AS date[])) AS x(pupil_id, day)
    JOIN guardianships g ON g.pupil_id = x.pupil_id
                        AND g.consent IS TRUE AND NOT g.diary_opt_out
    JOIN bindings b ON b.person_id = g.guardian_id AND b.role = 'parent'
                   AND b.revoked_at IS NULL AND b.unreachable_at IS NULL
    JOIN people pe ON pe.id = b.person_id
    LEFT JOIN notification_prefs np ON np.binding_id = b.id
    LEFT JOIN accounts a ON a.telegram_user_id = b.telegram_user_id
    LEFT JOIN absence_alert_states st
           ON st.binding_id = b.id AND st.pupil_id = x.pupil_id AND st.day = x.day
    WHERE COALESCE(np.absence_alerts, true)
    ORDER BY x.pupil_id, b.id
    """
)


async def alert_subjects(s: AsyncSession, now: datetime, tz: ZoneInfo) -> list[AlertSubject]:
    """Pupils absent today (each school's local today), and pupils whose parents were
    alerted today (a correction may be due), with today's roll call and the parents who
    want instant alerts (consent given, not opted out, reachable)."""
    subjects: dict[int, AlertSubject] = {}
    rows = await s.execute(_ALERT_PUPILS_SQL, {"now": now, "tz": tz.key})
    for pupil_id, day, name, class_name, lesson_id, no, subject, status in rows:
        entry = subjects.get(pupil_id)
        if entry is None:
            entry = subjects[pupil_id] = AlertSubject(pupil_id, name, class_name, day)
        if lesson_id is not None:
            entry.marks.append(TodayMark(lesson_id, no, subject, Presence(status)))
    if not subjects:
        return []
    ordered = list(subjects.values())
    parents = await s.execute(
        _ALERT_PARENTS_SQL,
        {"pupils": [x.pupil_id for x in ordered], "days": [x.day for x in ordered]},
    )
    for pupil_id, binding_id, person_id, chat_id, language, version, lessons in parents:
        subjects[pupil_id].parents.append(
            AlertParent(Recipient(binding_id, person_id, chat_id, language), version, list(lessons))
        )
    return ordered


async def save_alert_states(
    s: AsyncSession, states: list[tuple[int, int, date, int, list[int]]], at: datetime
) -> None:
    """(binding, pupil, day, version, announced lesson ids) after the messages queued."""
    if not states:
        return
    await s.execute(
        text(
            """
            INSERT INTO absence_alert_states
                (binding_id, pupil_id, day, version, lessons, updated_at)
            SELECT b, p, d, v, CAST(l AS jsonb), :at
            FROM unnest(CAST(:bindings AS bigint[]), CAST(:pupils AS integer[]),
                        CAST(:days AS date[]), CAST(:versions AS smallint[]),
                        CAST(:lessons AS text[])) AS x(b, p, d, v, l)
            ON CONFLICT (binding_id, pupil_id, day) DO UPDATE
            SET version = EXCLUDED.version, lessons = EXCLUDED.lessons,
                updated_at = EXCLUDED.updated_at
            """
        ),
        {
            "at": at,
            "bindings": [x[0] for x in states],
            "pupils": [x[1] for x in states],
            "days": [x[2] for x in states],
            "versions": [x[3] for x in states],
            "lessons": [json.dumps(x[4]) for x in states],
        },
    )


# --- the class teachers' absence-reason round (R6) ----------------------------------------


@dataclass
class RoundEntry:
    """A pupil's unconfirmed absences on one day: one entry however many lessons."""

    pupil_id: int
    full_name: str
    day: date
    lessons: list[int]
    suggestions: list[Suggestion] = field(default_factory=list)


@dataclass
class ClassRound:
    class_id: int
    class_name: str
    class_teacher_id: int
    entries: list[RoundEntry] = field(default_factory=list)


_UNCONFIRMED_SQL = text(
    """
    SELECT k.id, k.name, k.class_teacher_id, a.pupil_id, pe.full_name, l.date,
           array_agg(l.lesson_no ORDER BY l.lesson_no)
    FROM lessons l
    JOIN attendance a ON a.lesson_id = l.id
    JOIN pupils p ON p.person_id = a.pupil_id
    JOIN classes k ON k.id = p.class_id
    JOIN people pe ON pe.id = a.pupil_id
    WHERE l.school_id = :school AND l.date BETWEEN :start AND :end
      AND a.status = 'absent' AND a.reason = 'unconfirmed'
      AND k.class_teacher_id IS NOT NULL
    GROUP BY k.id, k.name, k.class_teacher_id, a.pupil_id, pe.full_name, l.date
    ORDER BY k.name, pe.full_name, a.pupil_id, l.date
    """
)


async def unconfirmed_absences(
    s: AsyncSession, school_id: int, start: date, end: date
) -> list[ClassRound]:
    """Per class (with a class teacher): absences in [start, end] whose reason is not
    confirmed yet, grouped per pupil and day, with the parents' suggestions."""
    classes: dict[int, ClassRound] = {}
    rows = await s.execute(_UNCONFIRMED_SQL, {"school": school_id, "start": start, "end": end})
    for class_id, class_name, teacher_id, pupil_id, name, day, lessons in rows:
        entry = classes.setdefault(class_id, ClassRound(class_id, class_name, teacher_id))
        entry.entries.append(RoundEntry(pupil_id, name, day, list(lessons)))
    suggestions = await suggestions_for(
        s, {(e.pupil_id, e.day) for c in classes.values() for e in c.entries}
    )
    for c in classes.values():
        for e in c.entries:
            e.suggestions = suggestions.get((e.pupil_id, e.day), [])
    return list(classes.values())


# --- the teachers' evening reminder (R4, R13) ---------------------------------------------


@dataclass(frozen=True)
class IncompleteLesson:
    lesson_id: int
    teacher_id: int
    lesson_no: int
    class_name: str
    subject: str
    no_roll_call: bool
    no_topic: bool
    no_homework: bool


_INCOMPLETE_SQL = text(
    """
    SELECT l.id, l.teacher_id, l.lesson_no, k.name, s.name,
           l.attendance_taken_at IS NULL,
           l.topic IS NULL OR l.topic = '',
           (l.homework IS NULL OR l.homework = '') AND k.grade <> 1
    FROM lessons l
    JOIN classes k ON k.id = l.class_id
    JOIN subjects s ON s.id = l.subject_id
    WHERE l.school_id = :school AND l.date = :day
      AND (l.attendance_taken_at IS NULL OR l.topic IS NULL OR l.topic = ''
           OR ((l.homework IS NULL OR l.homework = '') AND k.grade <> 1))
    ORDER BY l.teacher_id, l.lesson_no, k.name
    """
)


async def incomplete_lessons(s: AsyncSession, school_id: int, day: date) -> list[IncompleteLesson]:
    """Lessons of the day lacking roll call, topic or homework (no homework in grade 1,
    R12), with the teacher who actually gives them (R5)."""
    await materialise(s, school_id, day, day)
    rows = await s.execute(_INCOMPLETE_SQL, {"school": school_id, "day": day})
    return [IncompleteLesson(*r) for r in rows]


# --- absence thresholds for the class teacher ------------------------------------------------


@dataclass(frozen=True)
class ThresholdPupil:
    pupil_id: int
    full_name: str
    class_name: str
    class_teacher_id: int
    days: list[date]  # week: the days with an absence not excused
    absent: int  # month: lessons missed …
    total: int  # … of the lessons with a roll call


_WEEK_DAYS_SQL = text(
    """
    SELECT a.pupil_id, pe.full_name, k.name, k.class_teacher_id,
           array_agg(DISTINCT l.date ORDER BY l.date)
    FROM lessons l
    JOIN attendance a ON a.lesson_id = l.id
    JOIN pupils p ON p.person_id = a.pupil_id
    JOIN classes k ON k.id = p.class_id
    JOIN people pe ON pe.id = a.pupil_id
    WHERE l.school_id = :school AND l.date BETWEEN :start AND :end
      AND a.status = 'absent' AND a.reason IN ('unconfirmed', 'unexcused')
      AND k.class_teacher_id IS NOT NULL
    GROUP BY a.pupil_id, pe.full_name, k.name, k.class_teacher_id
    HAVING count(DISTINCT l.date) >= :days
    ORDER BY k.name, pe.full_name
    """
)

_MONTH_SHARE_SQL = text(
    """
    SELECT t.pupil_id, pe.full_name, k.name, k.class_teacher_id, t.absent, t.total
    FROM (
        SELECT a.pupil_id, count(*) FILTER (WHERE a.status = 'absent') AS absent,
               count(*) AS total
        FROM lessons l
        JOIN attendance a ON a.lesson_id = l.id
        WHERE l.school_id = :school AND l.date BETWEEN :start AND :end
        GROUP BY a.pupil_id
    ) AS t
    JOIN pupils p ON p.person_id = t.pupil_id
    JOIN classes k ON k.id = p.class_id
    JOIN people pe ON pe.id = t.pupil_id
    WHERE t.total >= :min_lessons AND t.absent >= :share * t.total
      AND k.class_teacher_id IS NOT NULL
    ORDER BY k.name, pe.full_name
    """
)


async def week_absence_days(
    s: AsyncSession, school_id: int, start: date, end: date, min_days: int
) -> list[ThresholdPupil]:
    """Pupils with at least ``min_days`` days in [start, end] with an absence that is not
    excused (unconfirmed or unexcused)."""
    rows = await s.execute(
        _WEEK_DAYS_SQL, {"school": school_id, "start": start, "end": end, "days": min_days}
    )
    return [ThresholdPupil(p, n, c, t, list(days), 0, 0) for p, n, c, t, days in rows]


async def month_absence_share(
    s: AsyncSession, school_id: int, start: date, end: date, share: float, min_lessons: int
) -> list[ThresholdPupil]:
    """Pupils who missed at least ``share`` of their lessons with a roll call in
    [start, end], once there are at least ``min_lessons`` of them."""
    rows = await s.execute(
        _MONTH_SHARE_SQL,
        {
            "school": school_id,
            "start": start,
            "end": end,
            "share": share,
            "min_lessons": min_lessons,
        },
    )
    return [ThresholdPupil(p, n, c, t, [], a, total) for p, n, c, t, a, total in rows]
