"""Parents' digests for a big district: build every digest of the day at once.

    python -m benchmarks digest                    # 100,000 pupils
    python -m benchmarks digest --pupils 20000 --keep /tmp/bench-digest
    python -m benchmarks digest --pupils 1000000 --keep /tmp/bench-region --workers 2

With ``--keep DIR`` the district is generated once (database ``digest_<pupils>``) and
reused by the next runs, its outbox and digests emptied first (1,000,000 pupils take
about 7 minutes to generate on 2 cores). ``--workers K`` builds with K processes
(``NotificationRules.digest_workers``); their CPU and peak memory are reported each.

What runs: a fresh embedded PostgreSQL in a temporary folder (or ``--keep DIR``),
migrated, and a district generated with set-based SQL straight into the tables (no
importer, no ORM): schools of 1,000 pupils in classes of 25, a class teacher each, a
Monday-to-Friday timetable of six lessons, Monday's and Tuesday's lessons with topics and
homework, Monday's roll call (5 % of pupils absent all day, 2 % late once), two marks per
pupil on Monday (none in grade 1), one guardian per pupil (every fifth pupil a sibling
of the previous one), consent given, a parent binding each (1 % of them opted out).

What is measured (``time.perf_counter``) with the injected clock at Monday 20:00:

* ``NotificationJobs.digests()``: the whole job, as the scheduler runs it — advisory
  lock, the due parents and their children, marks, absences, next school day and its
  homework, rendering, ``enqueue`` into the outbox, recording the digests, commit;
  with the time of each query, of ``enqueue`` and of recording shown separately;
* the same job again (nothing due any more: what every sweep costs afterwards);
* the instant absence alert job on that day (first run, and a re-run with nothing new:
  what it costs every minute).

Goal: the digests for 100,000 pupils in at most 10 s on a 2-core machine; for a region's
1,000,000 in at most 30 s (issue 14); the process under 500 MB at any size.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from benchmarks import embedded_database

MOSCOW = ZoneInfo("Europe/Moscow")
BUILD_AT = datetime(2026, 11, 23, 20, 0, tzinfo=MOSCOW)  # Monday
GOAL_SECONDS = 10.0  # 100,000 pupils (a district)
REGION_GOAL_SECONDS = 30.0  # above that, up to a region's 1,000,000 (issue 14)
GOAL_RSS_MB = 500.0  # the process's peak resident memory, at any size (issue 14)
PUPILS_PER_SCHOOL = 1000
CLASS_SIZE = 25

SURNAMES = [
    "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
    "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров",
]  # fmt: skip
NAMES = ["Александр", "Дмитрий", "Максим", "Сергей", "Андрей", "Алексей", "Артём", "Илья",
         "Кирилл", "Михаил", "Никита", "Матвей", "Роман", "Егор", "Иван", "Тимофей"]  # fmt: skip
SUBJECTS = ["Математика", "Русский язык", "Литература", "Английский язык", "История",
            "Биология", "География", "Физика"]  # fmt: skip

GENERATE = [
    (
        "schools",
        "INSERT INTO schools (name) SELECT 'Школа № ' || n FROM generate_series(1, :schools) n",
    ),
    (
        "work types",
        """INSERT INTO work_types (school_id, code, name, weight)
           SELECT s.id, w.code, w.name, w.weight FROM schools s CROSS JOIN (VALUES
             ('answer', 'Ответ на уроке', 1.0), ('homework', 'Домашняя работа', 1.0),
             ('test', 'Контрольная работа', 2.0)) AS w(code, name, weight)""",
    ),
    (
        "years and periods",
        """WITH y AS (
             INSERT INTO academic_years (school_id, name, starts_on, ends_on)
             SELECT id, '2026/2027', DATE '2026-09-01', DATE '2027-05-31' FROM schools
             RETURNING id, school_id)
           INSERT INTO periods (school_id, year_id, name, starts_on, ends_on)
           SELECT school_id, id, '2 четверть', DATE '2026-11-05', DATE '2026-12-28' FROM y""",
    ),
    (
        "subjects",
        """INSERT INTO subjects (school_id, name)
           SELECT s.id, n FROM schools s CROSS JOIN unnest(CAST(:subjects AS text[])) AS n""",
    ),
    (
        "bells",
        """INSERT INTO bells (school_id, lesson_no, starts_at, ends_at)
           SELECT s.id, n, TIME '08:30' + (n - 1) * interval '55 minutes',
                  TIME '09:15' + (n - 1) * interval '55 minutes'
           FROM schools s CROSS JOIN generate_series(1, 6) AS n""",
    ),
    (
        "teachers",
        """INSERT INTO people (school_id, full_name, external_id)
           SELECT s.id, 'Учитель ' || s.id || '-' || c, 't-' || s.id || '-' || c
           FROM schools s CROSS JOIN generate_series(1, :classes) AS c""",
    ),
    (
        "teacher roles",
        """INSERT INTO staff_roles (person_id, role)
           SELECT id, 'teacher' FROM people WHERE external_id LIKE 't-%'""",
    ),
    (
        "classes",
        """INSERT INTO classes (school_id, name, grade, class_teacher_id)
           SELECT p.school_id,
                  ((c - 1) % 11 + 1) || chr(1040 + (c - 1) / 11),
                  (c - 1) % 11 + 1, p.id
           FROM people p,
                LATERAL (SELECT CAST(split_part(p.external_id, '-', 3) AS integer) AS c) AS x
           WHERE p.external_id LIKE 't-%'""",
    ),
    (
        "pupils (people)",
        """INSERT INTO people (school_id, full_name, external_id)
           SELECT k.school_id,
                  (CAST(:surnames AS text[]))[1 + (k.id * 7 + n) % 16] || ' '
                  || (CAST(:names AS text[]))[1 + (k.id + n * 3) % 16] || ' '
                  || (CAST(:names AS text[]))[1 + (k.id * 5 + n) % 16] || 'ович',
                  'p-' || k.id || '-' || n
           FROM classes k CROSS JOIN generate_series(1, :class_size) AS n
           WHERE k.id <= :class_count""",
    ),
    (
        "pupils",
        """INSERT INTO pupils (person_id, class_id)
           SELECT id, CAST(split_part(external_id, '-', 2) AS integer)
           FROM people WHERE external_id LIKE 'p-%'""",
    ),
    (
        "guardians (people)",
        """INSERT INTO people (school_id, full_name, external_id)
           SELECT pe.school_id, 'Родитель ' || pe.full_name, 'g-' || pe.id
           FROM pupils p JOIN people pe ON pe.id = p.person_id
           WHERE p.person_id % 5 <> 0""",
    ),
    (
        "guardianships",
        """INSERT INTO guardianships (guardian_id, pupil_id, consent, consent_at, diary_opt_out)
           SELECT g.id, p.person_id, true, now(), p.person_id % 100 = 7
           FROM pupils p
           JOIN people g ON g.external_id = 'g-' || CASE WHEN p.person_id % 5 = 0
                                                    THEN p.person_id - 1 ELSE p.person_id END""",
    ),
    (
        "bindings",
        """INSERT INTO bindings (user_id, person_id, role, created_at)
           SELECT 1000000000 + id, id, 'parent', now() FROM people WHERE external_id LIKE 'g-%'""",
    ),
    (
        "timetable",
        """INSERT INTO timetable (school_id, class_id, weekday, lesson_no, subject_id, teacher_id)
           SELECT k.school_id, k.id, wd, no, s.id, k.class_teacher_id
           FROM classes k
           CROSS JOIN generate_series(1, 5) AS wd
           CROSS JOIN generate_series(1, 6) AS no
           JOIN (SELECT id, school_id,
                        row_number() OVER (PARTITION BY school_id ORDER BY id) - 1 AS i
                 FROM subjects) AS s
             ON s.school_id = k.school_id AND s.i = (k.id + no + wd) % 8""",
    ),
    (
        "lessons (Monday, Tuesday)",
        """INSERT INTO lessons (school_id, date, lesson_no, class_id, subject_id, teacher_id,
                               planned_teacher_id, topic, homework, topic_set_at,
                               homework_set_at, attendance_taken_at)
           SELECT t.school_id, d.day, t.lesson_no, t.class_id, t.subject_id, t.teacher_id,
                  t.teacher_id, 'Тема ' || t.lesson_no,
                  CASE WHEN k.grade > 1
                       THEN '§ ' || (t.class_id % 30 + t.lesson_no) || ', упр. '
                            || t.lesson_no * 3 || '–' || t.lesson_no * 3 + 2
                            || ', выучить правило на с. ' || (40 + t.lesson_no) END,
                  :at, :at, CASE WHEN d.day = DATE '2026-11-23' THEN CAST(:at AS timestamptz) END
           FROM timetable t
           JOIN classes k ON k.id = t.class_id
           CROSS JOIN (VALUES (DATE '2026-11-23'), (DATE '2026-11-24')) AS d(day)
           WHERE t.weekday = EXTRACT(ISODOW FROM d.day)""",
    ),
    (
        "attendance (Monday)",
        """INSERT INTO attendance (lesson_id, pupil_id, status, author_id, updated_at)
           SELECT l.id, p.person_id,
                  CASE WHEN p.person_id % 20 = 0 THEN 'absent'
                       WHEN (p.person_id + l.lesson_no) % 50 = 0 THEN 'late'
                       ELSE 'present' END,
                  l.teacher_id, CAST(:at AS timestamptz) + l.lesson_no * interval '50 minutes'
           FROM lessons l JOIN pupils p ON p.class_id = l.class_id
           WHERE l.date = DATE '2026-11-23'""",
    ),
    (
        "marks (Monday)",
        """INSERT INTO marks (lesson_id, pupil_id, value, work_type_id, author_id,
                             created_at, updated_at)
           SELECT l.id, p.person_id, 2 + (p.person_id * 7 + l.lesson_no) % 4, wt.id,
                  l.teacher_id,
                  CAST(:at AS timestamptz) + l.lesson_no * interval '50 minutes',
                  CAST(:at AS timestamptz) + l.lesson_no * interval '50 minutes'
           FROM lessons l
           JOIN classes k ON k.id = l.class_id AND k.grade > 1
           JOIN pupils p ON p.class_id = l.class_id AND p.person_id % 20 <> 0
           JOIN work_types wt ON wt.school_id = l.school_id
                             AND wt.code = CASE WHEN l.lesson_no = 3 THEN 'test' ELSE 'answer' END
           WHERE l.date = DATE '2026-11-23' AND (p.person_id + l.lesson_no) % 3 = 0""",
    ),
]

COUNTED = [
    "schools",
    "classes",
    "people",
    "pupils",
    "guardianships",
    "bindings",
    "lessons",
    "attendance",
    "marks",
]


async def generate(engine: Any, pupils: int) -> dict[str, float]:
    from sqlalchemy import text

    schools = max(1, -(-pupils // PUPILS_PER_SCHOOL))
    classes = -(-PUPILS_PER_SCHOOL // CLASS_SIZE)
    params = {
        "schools": schools,
        "classes": classes,
        "class_size": CLASS_SIZE,
        "class_count": -(-pupils // CLASS_SIZE),
        "subjects": SUBJECTS,
        "surnames": SURNAMES,
        "names": NAMES,
        "at": datetime(2026, 11, 23, 8, 0, tzinfo=MOSCOW),
    }
    timings: dict[str, float] = {}
    async with engine.begin() as conn:
        for title, sql in GENERATE:
            statement = text(sql)
            used = {k: v for k, v in params.items() if f":{k}" in sql}
            started = time.perf_counter()
            await conn.execute(statement, used)
            timings[title] = time.perf_counter() - started
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        started = time.perf_counter()
        await conn.execute(text("VACUUM ANALYZE"))
        timings["vacuum analyze"] = time.perf_counter() - started
    return timings


async def reused(engine: Any) -> dict[str, float] | None:
    """A kept database's district, its digests and outbox emptied (the rest the job only
    reads); None when it holds no district yet (its generation did not commit)."""
    from sqlalchemy import text

    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        if not await conn.scalar(text("SELECT count(*) FROM schools")):
            return None
        started = time.perf_counter()
        await conn.execute(text("TRUNCATE outbox, digests, absence_alert_states"))
        await conn.execute(text("VACUUM ANALYZE"))
        return {"reused (outbox, digests emptied)": time.perf_counter() - started}


async def counts(engine: Any, tables: list[str]) -> dict[str, int]:
    from sqlalchemy import text

    async with engine.connect() as conn:
        return {t: int(await conn.scalar(text(f"SELECT count(*) FROM {t}"))) for t in tables}


def server_cpu(postmaster: int | None) -> float | None:
    """CPU seconds used so far by the PostgreSQL server (the postmaster and its backends),
    read from /proc (Linux; None elsewhere). The server is private to this benchmark."""
    if postmaster is None or not Path("/proc").is_dir():
        return None
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == postmaster:  # with its backends that ended (cutime, cstime)
            total += int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
        elif int(fields[1]) == postmaster:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def postmaster_of(backend: int) -> int | None:
    try:
        return int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


STAGES = (
    "marks_recorded",
    "mark_corrections",
    "day_absences",
    "next_school_days",
    "homework_on",
    "groups_of",
    "record_digests",
)


@contextlib.contextmanager
def stage_timers(stages: dict[str, float]) -> Iterator[None]:
    """Time each content query, ``enqueue`` and the recording, as the job calls them."""
    from core import digest as content
    from notifications import outbox

    originals = {name: getattr(content, name) for name in (*STAGES, "digest_targets")}
    enqueue = outbox.enqueue
    for name in STAGES:
        setattr(content, name, timed(stages, name, originals[name]))
    content.digest_targets = timed_chunks(stages, "digest_targets", originals["digest_targets"])
    outbox.enqueue = timed(stages, "enqueue", enqueue)  # type: ignore[assignment]  # the same call, timed
    try:
        yield
    finally:
        for name, fn in originals.items():
            setattr(content, name, fn)
        outbox.enqueue = enqueue


def timed(
    timings: dict[str, float], name: str, fn: Callable[..., Awaitable[Any]]
) -> Callable[..., Awaitable[Any]]:
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await fn(*args, **kwargs)
        finally:
            timings[name] += time.perf_counter() - started

    return wrapper


def timed_chunks(
    timings: dict[str, float], name: str, fn: Callable[..., AsyncIterator[Any]]
) -> Callable[..., AsyncIterator[Any]]:
    """``timed`` for a query read in chunks: the time spent getting each chunk."""

    async def wrapper(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        chunks = aiter(fn(*args, **kwargs))
        while True:
            started = time.perf_counter()
            try:
                chunk = await anext(chunks)
            except StopAsyncIteration:
                return
            finally:
                timings[name] += time.perf_counter() - started
            yield chunk

    return wrapper


async def bench(admin_url: str, args: argparse.Namespace) -> int:
    import asyncpg
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from core.clock import ManualClock
    from core.journal import Journal
    from core.rules import Rules
    from notifications.rules import NotificationRules
    from notifications.scheduler import NotificationJobs
    from school_journal.database import asyncpg_dsn, create_engine, with_database
    from school_journal.migrate import upgrade

    # A kept server keeps one database per size, generated once and reused (its digests
    # and outbox emptied first); otherwise a fresh one.
    name = f"digest_{args.pupils}" if args.keep else f"digest_{int(time.time())}"
    conn = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        version = await conn.fetchval("SHOW server_version")
        postmaster = postmaster_of(await conn.fetchval("SELECT pg_backend_pid()"))
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    engine = create_engine(with_database(admin_url, name))
    try:
        await upgrade(engine)
        started = time.perf_counter()
        generation = await reused(engine) if exists else None
        if generation is None:
            generation = await generate(engine, args.pupils)
        generated_in = time.perf_counter() - started
        rows = await counts(engine, COUNTED)

        clock = ManualClock(BUILD_AT)
        journal = Journal(async_sessionmaker(engine, expire_on_commit=False), clock, Rules())
        rules = NotificationRules(digest_chunk=args.chunk, digest_workers=args.workers)
        jobs = NotificationJobs(journal, rules)

        stages: dict[str, float] = defaultdict(float)
        with stage_timers(stages):
            cpu_db = server_cpu(postmaster)
            cpu_own = time.process_time()
            rss_before = reset_peak_rss()
            started = time.perf_counter()
            queued = await jobs.digests()
            build = time.perf_counter() - started
            rss_mb = peak_rss_mb()
            cpu_own = time.process_time() - cpu_own
            after = server_cpu(postmaster)
        cpu_db = after - cpu_db if after is not None and cpu_db is not None else None
        parts = list(jobs.digest_parts)
        workers = parts[1:]  # the other processes' (this one's is measured here)
        cpu_own += sum(p.cpu_seconds for p in workers)
        rss_total = rss_mb + sum(p.peak_rss_mb for p in workers)
        rss_mb = max([rss_mb, *(p.peak_rss_mb for p in workers)])
        summary = await digest_summary(engine)

        started = time.perf_counter()
        again = await jobs.digests()
        rerun = time.perf_counter() - started

        clock.set(datetime(2026, 11, 23, 10, 0, tzinfo=MOSCOW))
        started = time.perf_counter()
        alerts = await jobs.absence_alerts()
        alerts_first = time.perf_counter() - started
        clock.set(datetime(2026, 11, 23, 10, 1, tzinfo=MOSCOW))
        started = time.perf_counter()
        alerts_again = await jobs.absence_alerts()
        alerts_rerun = time.perf_counter() - started
    finally:
        await engine.dispose()

    print(f"PostgreSQL {version} (embedded), {args.pupils:,} pupils")
    print(f"\ngenerated in {generated_in:.1f} s (set-based SQL; reused if kept):")
    for title, seconds in generation.items():
        print(f"  {title:<28} {seconds:7.2f} s")
    print("\nrows:")
    for table, n in rows.items():
        print(f"  {table:<28} {n:>10,}")
    print("\ndigests at Monday 20:00 — NotificationJobs.digests():")
    goal = GOAL_SECONDS if args.pupils <= 100_000 else REGION_GOAL_SECONDS
    print(f"  build time (whole job, commit included) {build:7.2f} s   goal ≤ {goal:.0f} s")
    if cpu_db is not None:
        print(
            f"  CPU: {'these processes' if workers else 'this process'} {cpu_own:.2f} s"
            f" + PostgreSQL {cpu_db:.2f} s"
            f" = {cpu_own + cpu_db:.2f} s (what the job costs without other load)"
        )
    else:
        print(f"  CPU of this process {cpu_own:.2f} s")
    if workers:
        print(f"  built by {len(workers) + 1} processes (schools split among them):")
        for i, p in enumerate(parts):
            print(
                f"    process {i}: {p.built:>9,} digests, {p.queued:>9,} messages"
                + (f", CPU {p.cpu_seconds:.2f} s, peak {p.peak_rss_mb:.0f} MB" if i else "")
            )
        print("  stages of process 0 (the job's own part):")
    accounted = sum(stages.values())
    for stage, seconds in stages.items():
        print(f"    {stage:<26} {seconds:7.2f} s")
    print(f"    {'rendering and the rest':<26} {build - accounted:7.2f} s")
    print(f"  digests built (parents due)             {summary['built']:>10,}")
    print(f"  digests queued (parents with news)      {summary['sent']:>10,}")
    print(f"  outbox messages queued                  {queued:>10,}")
    print(f"  digests split into parts                {summary['split']:>10,}")
    print(f"  average message length                  {summary['avg_len']:>10,.0f} chars")
    print(f"  longest message                         {summary['max_len']:>10,} chars")
    print(f"  re-run (nothing due)                    {rerun:7.2f} s, queued {again}")
    print("\ninstant absence alerts (Monday 10:00):")
    print(f"  first run                               {alerts_first:7.2f} s, queued {alerts:,}")
    print(f"  next minute (nothing new)               {alerts_rerun:7.2f} s, queued {alerts_again}")
    judged = args.rss_goal_mb > 0
    print(
        f"  peak resident memory during the job     {rss_mb:7.0f} MB  "
        + (f"goal < {args.rss_goal_mb:.0f} MB" if judged else "not judged")
    )
    print(f"    of which held before the job          {rss_before:7.0f} MB")
    if workers:
        print(f"    all {len(workers) + 1} processes together            {rss_total:7.0f} MB")
    fast, small = build <= goal, not judged or rss_mb < args.rss_goal_mb
    verdict = (
        "OK" if fast and small else "SLOWER THAN THE GOAL" if small else "OVER THE MEMORY GOAL"
    )
    print(
        f"\n{verdict}: {build:.2f} s for {args.pupils:,} pupils (goal ≤ {goal:.0f} s), "
        f"{rss_mb:.0f} MB at most" + (" in one process" if workers else "")
    )
    return 0 if fast and small else 1


def reset_peak_rss() -> float:
    """Resets the process's high-water mark of resident memory to what it holds now
    (Linux's ``clear_refs`` 5), so that the peak read after the job is the job's, not the
    generation's or an earlier test's; returns the MB held now."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass  # not Linux or not allowed: the peak then covers the whole process
    return _status_mb("VmRSS")


def peak_rss_mb() -> float:
    """The most resident memory this process has held since ``reset_peak_rss``."""
    import resource

    return _status_mb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _status_mb(field: str) -> float:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return 0.0


async def digest_summary(engine: Any) -> dict[str, Any]:
    from sqlalchemy import text

    async with engine.connect() as conn:
        built, sent, split = (
            await conn.execute(
                text(
                    "SELECT count(*), count(*) FILTER (WHERE parts > 0),"
                    " count(*) FILTER (WHERE parts > 1) FROM digests"
                )
            )
        ).one()
        avg_len, max_len = (
            await conn.execute(
                text(
                    "SELECT avg(length(text)), max(length(text)) FROM outbox WHERE kind = 'digest'"
                )
            )
        ).one()
    return {
        "built": built,
        "sent": sent,
        "split": split,
        "avg_len": float(avg_len or 0),
        "max_len": int(max_len or 0),
    }


def parse_args(argv: list[str]) -> argparse.Namespace:
    from notifications.rules import NotificationRules

    parser = argparse.ArgumentParser(prog="python -m benchmarks digest", description=__doc__)
    parser.add_argument("--pupils", type=int, default=100_000)
    parser.add_argument("--keep", help="keep the embedded database in this folder")
    parser.add_argument(
        "--chunk",
        type=int,
        default=NotificationRules.digest_chunk,
        help="parents built, queued and recorded together (NotificationRules.digest_chunk)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=NotificationRules.digest_workers,
        help="processes building the digests (NotificationRules.digest_workers)",
    )
    parser.add_argument(
        "--rss-goal-mb",
        type=float,
        default=GOAL_RSS_MB,
        help="the peak resident memory allowed during the job; 0 reports it unjudged "
        "(a run inside another process, such as the test suite's)",
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    with embedded_database(args.keep, "digest") as admin_url:
        return asyncio.run(bench(admin_url, args))
