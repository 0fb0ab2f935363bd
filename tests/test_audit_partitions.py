"""The audit log partitioned by school year (issue 14): each row lands in its school
year's partition (1 September to 1 September, UTC), anything else in the default one;
last year's rows stay readable for the R9 report, the corrections shown to families and
the R3 revert; the log stays append-only on every partition; the daily job adds the
next years' partitions and running it again changes nothing; the migration keeps every
row both ways; a read of this year touches only this year's partition."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import cast

import asyncpg
import pytest
from alembic import command
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Connection, select, text
from sqlalchemy.exc import DBAPIError

from core import audit, lessons, marks, revert
from core.audit_partitions import YearPartition, add_due_partitions, year_of
from core.clock import ManualClock
from core.journal import Journal
from core.marks.history import _CHANGED_SQL, corrections
from core.metrics import Metrics
from core.models import AcademicYear, Binding, BindingRole, Mark, Period
from core.reports.audit import mark_audit
from school_journal.app import App
from school_journal.cli import build_parser, dispatch
from school_journal.database import asyncpg_dsn, create_engine, with_database
from school_journal.migrate import alembic_config, upgrade
from school_journal.service import add_partitions_job
from school_journal.settings import Settings
from tests.conftest import MOSCOW
from tests.world import MONDAY, World

LAST_DAY = date(2026, 5, 29)  # a Friday, the last school day of 2025/2026
FIRST_DAY = date(2026, 9, 1)  # a Tuesday, the first of 2026/2027
LAST_YEAR, THIS_YEAR = "audit_log_2025_2026", "audit_log_2026_2027"


def at(clock: ManualClock, day: date, hour: int, minute: int = 0) -> datetime:
    clock.set(datetime(day.year, day.month, day.day, hour, minute, tzinfo=MOSCOW))
    return clock.now()


@pytest.fixture
async def last_year(journal: Journal, world: World) -> int:
    """The school's last year (2025/2026), its last quarter ending in May: its id."""
    async with journal.transaction() as s:
        year = AcademicYear(
            school_id=world.school_id,
            name="2025/2026",
            starts_on=date(2025, 9, 1),
            ends_on=date(2026, 5, 31),
        )
        s.add(year)
        await s.flush()
        s.add(
            Period(
                school_id=world.school_id,
                year_id=year.id,
                name="4 четверть",
                starts_on=date(2026, 4, 1),
                ends_on=date(2026, 5, 31),
            )
        )
        return year.id


@pytest.fixture
async def partitioned(journal: Journal, clock: ManualClock, world: World, last_year: int) -> None:
    """The partitions job, run once last May: last year's and this year's partitions
    exist whatever year the template database was built in."""
    at(clock, LAST_DAY, 8)
    await add_due_partitions(journal)


async def partitions(journal: Journal) -> set[str]:
    async with journal.transaction() as s:
        rows = await s.scalars(
            text(
                "SELECT inhrelid::regclass::text FROM pg_inherits"
                " WHERE inhparent = 'audit_log'::regclass"
            )
        )
        return set(rows)


async def where_rows_are(journal: Journal) -> dict[int, str]:
    """Each audit row's id and the partition that holds it."""
    async with journal.transaction() as s:
        rows = await s.execute(
            text("SELECT id, tableoid::regclass::text FROM audit_log ORDER BY id")
        )
        return {i: part for i, part in rows}


async def record_at(journal: Journal, school_id: int, *moments: datetime) -> None:
    """A change of the school's rules recorded at each of these moments."""
    async with journal.transaction() as s:
        for moment in moments:
            await audit.record(
                s,
                school_id=school_id,
                at=moment,
                actor_id=None,
                action=audit.Action.SCHOOL_RULES,
                entity="school",
                key={"school_id": school_id},
                old=None,
                new={"at": moment.isoformat()},
            )


async def math_lesson(journal: Journal, w: World, day: date) -> int:
    return next(x.id for x in await lessons.teacher_day(journal, w.staff("math"), day))


async def mark_of(journal: Journal, lesson_id: int, pupil_id: int) -> int | None:
    async with journal.transaction() as s:
        return await s.scalar(
            select(Mark.value).where(Mark.lesson_id == lesson_id, Mark.pupil_id == pupil_id)
        )


async def test_rows_of_last_school_year_and_this_one_land_in_their_partitions(
    journal: Journal, world: World, clock: ManualClock, partitioned: None
) -> None:
    w, p = world, world.people
    at(clock, LAST_DAY, 12)
    last_lesson = await math_lesson(journal, w, LAST_DAY)
    await marks.add_mark(journal, w.staff("math"), last_lesson, p["masha"], 4, "answer")
    at(clock, MONDAY, 10)
    this_lesson = await math_lesson(journal, w, MONDAY)
    await marks.add_mark(journal, w.staff("math"), this_lesson, p["masha"], 5, "answer")
    # Either side of the bound, and a moment no year's partition holds yet.
    await record_at(
        journal,
        w.school_id,
        datetime(2026, 9, 1, tzinfo=UTC) - timedelta(microseconds=1),
        datetime(2026, 9, 1, tzinfo=UTC),
        datetime(2031, 1, 10, tzinfo=UTC),
    )

    assert {LAST_YEAR, THIS_YEAR, "audit_log_default"} <= await partitions(journal)
    assert list((await where_rows_are(journal)).values()) == [
        LAST_YEAR,
        THIS_YEAR,
        LAST_YEAR,
        THIS_YEAR,
        "audit_log_default",
    ]


async def test_the_partition_job_adds_next_years_and_run_twice_changes_nothing(
    journal: Journal, clock: ManualClock, partitioned: None
) -> None:
    assert await add_due_partitions(journal) == []  # the fixture's run was the first today
    before = await partitions(journal)
    clock.set(datetime(2029, 8, 31, 12, tzinfo=UTC))  # the day before a school year
    # Run as journal run runs it (at start, then hourly).
    scheduler = AsyncIOScheduler()
    add_partitions_job(scheduler, cast(App, SimpleNamespace(journal=journal, metrics=Metrics())))
    assert {j.id for j in scheduler.get_jobs()} == {"audit_partitions", "audit_partitions_on_start"}
    await scheduler.get_job("audit_partitions_on_start").func()
    added = sorted((await partitions(journal)) - before)
    assert "audit_log_2029_2030" in added  # the school year that starts in a day
    assert await add_due_partitions(journal) == []
    assert (await partitions(journal)) - before == set(added)


async def test_a_row_that_came_before_its_years_partition_moves_in_with_its_id(
    journal: Journal, world: World, clock: ManualClock, partitioned: None
) -> None:
    await record_at(
        journal,
        world.school_id,
        *(datetime(y, m, 1, tzinfo=UTC) for y, m in ((2032, 10), (2033, 3), (2034, 10))),
    )
    before = await where_rows_are(journal)
    assert set(before.values()) == {"audit_log_default"}

    clock.set(datetime(2032, 9, 2, tzinfo=UTC))
    assert await add_due_partitions(journal) == ["audit_log_2032_2033", "audit_log_2033_2034"]

    after = await where_rows_are(journal)
    assert set(after) == set(before)  # the same ids
    assert sorted(after.values()) == [
        "audit_log_2032_2033",
        "audit_log_2032_2033",
        "audit_log_default",
    ]
    # The default partition is append-only again.
    with pytest.raises(DBAPIError, match="append-only"):
        async with journal.transaction() as s:
            await s.execute(text("DELETE FROM audit_log_default"))


@pytest.mark.parametrize("table", ["audit_log", THIS_YEAR, "audit_log_default"])
async def test_r9_the_audit_log_is_append_only_on_every_partition(
    journal: Journal, world: World, clock: ManualClock, partitioned: None, table: str
) -> None:
    moments = (datetime(2026, 11, 23, tzinfo=UTC), datetime(2040, 1, 1, tzinfo=UTC))
    await record_at(journal, world.school_id, *moments)
    for statement in (f"UPDATE {table} SET action = 'y'", f"DELETE FROM {table}"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with journal.transaction() as s:
                await s.execute(text(statement))
    assert len(await where_rows_are(journal)) == 2


async def test_r9_the_audit_report_of_last_year_reads_last_years_partition(
    journal: Journal, world: World, clock: ManualClock, partitioned: None, last_year: int
) -> None:
    w, p = world, world.people
    lesson = await math_lesson(journal, w, LAST_DAY)
    at(clock, LAST_DAY, 9)
    await marks.add_mark(journal, w.staff("math"), lesson, p["masha"], 3, "answer")
    at(clock, LAST_DAY, 12)
    async with journal.transaction() as s:
        mark_id = await s.scalar(select(Mark.id).where(Mark.lesson_id == lesson))
    assert mark_id is not None
    await marks.change_mark(journal, w.staff("math"), mark_id, 4)
    at(clock, MONDAY, 10)

    report = await mark_audit(journal, w.staff("admin"), year_id=last_year)
    assert [(r.action, r.old, r.new, r.lesson_date) for r in report.rows] == [
        ("mark.add", None, "3", LAST_DAY),
        ("mark.set", "3", "4", LAST_DAY),
    ]
    assert set((await where_rows_are(journal)).values()) == {LAST_YEAR}
    assert (await mark_audit(journal, w.staff("admin"))).rows == []  # this year: none

    # The family's corrections (R9) read the same rows.
    async with journal.transaction() as s:
        shown = await corrections(s, [p["masha"]], datetime(2026, 5, 1, tzinfo=UTC), None, MOSCOW)
    assert [(c.old, c.new, c.day) for c in shown[p["masha"]]] == [(3, 4, LAST_DAY)]


async def test_r3_revert_voids_changes_on_both_sides_of_the_school_years_boundary(
    journal: Journal, world: World, clock: ManualClock, partitioned: None
) -> None:
    w, p, math = world, world.people, world.staff("math")
    async with journal.transaction() as s:
        b = Binding(
            user_id=101,
            person_id=p["math"],
            role=BindingRole.STAFF.value,
            created_at=datetime(2025, 9, 1, tzinfo=MOSCOW),
        )
        s.add(b)
        await s.flush()
        binding = b.id
    last_lesson = await math_lesson(journal, w, LAST_DAY)
    first_lesson = await math_lesson(journal, w, FIRST_DAY)
    at(clock, LAST_DAY, 9)
    await marks.add_mark(journal, math, last_lesson, p["petya"], 5, "answer")  # before
    reported = at(clock, LAST_DAY, 17)  # the phone is stolen
    at(clock, LAST_DAY, 18)  # the thief, last school year …
    async with journal.transaction() as s:
        petya_mark = await s.scalar(select(Mark.id).where(Mark.lesson_id == last_lesson))
    assert petya_mark is not None
    await marks.change_mark(journal, math, petya_mark, 2)
    await marks.add_mark(journal, math, last_lesson, p["masha"], 2, "answer")
    at(clock, FIRST_DAY, 10)  # … and this one
    await marks.add_mark(journal, math, first_lesson, p["kolya"], 2, "answer")
    assert sorted((await where_rows_are(journal)).values()) == [LAST_YEAR] * 3 + [THIS_YEAR]

    at(clock, FIRST_DAY, 12)
    summary = await revert.revert(journal, w.staff("admin"), binding, reported, "украден телефон")

    assert summary.reverted == {"mark": 3}
    assert await mark_of(journal, last_lesson, p["petya"]) == 5  # back from last year's row
    assert await mark_of(journal, last_lesson, p["masha"]) is None
    assert await mark_of(journal, first_lesson, p["kolya"]) is None


async def test_a_digest_read_of_this_year_touches_only_this_years_partition(
    journal: Journal, world: World, clock: ManualClock, partitioned: None
) -> None:
    now = at(clock, MONDAY, 20)
    async with journal.transaction() as s:
        rows = await s.scalars(
            text("EXPLAIN " + str(_CHANGED_SQL)),
            {"pupils": [world.people["masha"]], "since": now - timedelta(days=1), "until": now},
        )
        plan = "\n".join(rows)
    assert THIS_YEAR in plan, plan
    assert LAST_YEAR not in plan and "audit_log_default" not in plan, plan


# --- the migration ---------------------------------------------------------------------


@pytest.fixture
async def bare_url(pg_admin_url: str) -> AsyncIterator[str]:
    """An empty database of its own (the template is already at the head)."""
    conn = await asyncpg.connect(asyncpg_dsn(pg_admin_url))
    try:
        await conn.execute('CREATE DATABASE "audit_partitions_migration"')
    finally:
        await conn.close()
    yield with_database(pg_admin_url, "audit_partitions_migration")
    conn = await asyncpg.connect(asyncpg_dsn(pg_admin_url))
    try:
        await conn.execute('DROP DATABASE "audit_partitions_migration" WITH (FORCE)')
    finally:
        await conn.close()


async def downgrade(url: str, revision: str) -> None:
    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(run)
    await engine.dispose()


async def migrate(url: str, revision: str) -> None:
    engine = create_engine(url)
    await upgrade(engine, revision)
    await engine.dispose()


async def audit_rows(conn: asyncpg.Connection) -> list[tuple[int, str, str]]:
    rows = await conn.fetch(
        "SELECT id, action, tableoid::regclass::text AS part FROM audit_log ORDER BY id"
    )
    return [(r["id"], r["action"], r["part"]) for r in rows]


async def test_the_migration_keeps_every_row_and_id_both_ways(bare_url: str) -> None:
    await migrate(bare_url, "0024")
    conn = await asyncpg.connect(asyncpg_dsn(bare_url))
    try:
        school = await conn.fetchval("INSERT INTO schools (name) VALUES ('A') RETURNING id")
        moments = ["2019-10-01", "2025-08-31 23:59+00", "2025-09-01 00:00+00", "2026-11-23"]
        for n, moment in enumerate(moments * 3):
            await conn.execute(
                "INSERT INTO audit_log (school_id, at, action, entity, entity_key, binding_id)"
                f" VALUES ($1, '{moment}'::timestamptz, $2, 'mark', '{{}}', 7)",
                school,
                f"a{n}",
            )
        await conn.execute("SELECT setval('audit_log_id_seq', 100)")  # ids with gaps
        await conn.execute(
            "INSERT INTO audit_log (school_id, at, action, entity, entity_key)"
            " VALUES ($1, '2026-11-24', 'last', 'mark', '{}')",
            school,
        )
        before = [(i, a) for i, a, _ in await audit_rows(conn)]
        await conn.close()

        await migrate(bare_url, "head")
        conn = await asyncpg.connect(asyncpg_dsn(bare_url))
        after = await audit_rows(conn)
        assert [(i, a) for i, a, _ in after] == before
        assert [part for _, _, part in after[:4]] == [
            "audit_log_2019_2020",
            "audit_log_2024_2025",
            "audit_log_2025_2026",
            "audit_log_2026_2027",
        ]
        assert (
            await conn.fetchval("SELECT relkind::text FROM pg_class WHERE relname = 'audit_log'")
            == "p"
        )
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("DELETE FROM audit_log WHERE id = 1")
        indexes = await conn.fetch("SELECT indexname FROM pg_indexes WHERE tablename = 'audit_log'")
        assert len(indexes) == 6  # the primary key and the five others, partial ones too
        # The sequence goes on where it was; the new table owns it.
        new_id = await conn.fetchval(
            "INSERT INTO audit_log (school_id, at, action, entity, entity_key)"
            " VALUES ($1, now(), 'new', 'mark', '{}') RETURNING id",
            school,
        )
        assert new_id == 102
        before = [(i, a) for i, a, _ in await audit_rows(conn)]
        await conn.close()

        await downgrade(bare_url, "0024")
        conn = await asyncpg.connect(asyncpg_dsn(bare_url))
        assert [(i, a) for i, a, _ in await audit_rows(conn)] == before
        assert (
            await conn.fetchval("SELECT relkind::text FROM pg_class WHERE relname = 'audit_log'")
            == "r"
        )
        assert (
            await conn.fetchval("SELECT count(*) FROM pg_class WHERE relname LIKE 'audit_log_2%'")
            == 0
        )
        indexes = await conn.fetch("SELECT indexname FROM pg_indexes WHERE tablename = 'audit_log'")
        assert len(indexes) == 6  # the primary key and the five others
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("DELETE FROM audit_log")
        assert await conn.fetchval(
            "INSERT INTO audit_log (school_id, at, action, entity, entity_key)"
            " VALUES ($1, now(), 'newer', 'mark', '{}') RETURNING id",
            school,
        ) == 103  # fmt: skip
    finally:
        await conn.close()


async def test_journal_migrate_adds_a_missing_partition_once(
    journal: Journal, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    # The command runs on the wall clock: next school year's partition, dropped (empty).
    upcoming = YearPartition(year_of(datetime.now(UTC)).start + 1).name
    async with journal.transaction() as s:
        await s.execute(text(f"DROP TABLE {upcoming}"))
    assert upcoming not in await partitions(journal)

    assert await dispatch(build_parser().parse_args(["migrate"]), settings) == 0
    out = capsys.readouterr().out
    assert f"Журнал изменений: добавлены разделы учебных лет {upcoming}." in out
    assert upcoming in await partitions(journal)

    assert await dispatch(build_parser().parse_args(["migrate"]), settings) == 0
    assert "добавлены" not in capsys.readouterr().out
