"""A region's digests built by several processes (NotificationRules.digest_workers): the
schools are split among them, and the outbox and the recorded digests come out exactly as
one process builds them, once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

from benchmarks.digest import BUILD_AT, MOSCOW, generate
from core import digest
from core.clock import ManualClock
from core.digest import content
from core.journal import Journal
from core.models import Binding, Person, School
from core.rules import Rules
from notifications.rules import NotificationRules
from notifications.scheduler import NotificationJobs
from school_journal.database import create_engine


@pytest.fixture
async def district(db_url: str) -> AsyncIterator[Journal]:
    """Two schools of 1,000 pupils (the digest benchmark's generator) and the journal on
    them at the benchmark's hour."""
    engine = create_engine(db_url)
    try:
        await generate(engine, 2000)
        yield Journal(
            async_sessionmaker(engine, expire_on_commit=False), ManualClock(BUILD_AT), Rules()
        )
    finally:
        await engine.dispose()


async def held(journal: Journal) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """What the database holds of the digests: the outbox rows and the digests recorded."""
    async with journal.transaction() as s:
        rows = await s.execute(
            text(
                "SELECT key, chat_id, binding_id, channel, text, buttons, meta, not_before"
                " FROM outbox ORDER BY key"
            )
        )
        outbox = [tuple(r) for r in rows]
        built = [
            tuple(r)
            for r in await s.execute(
                text("SELECT binding_id, day, built_at, parts FROM digests ORDER BY binding_id")
            )
        ]
    return outbox, built


async def test_r16_two_processes_build_the_same_digests_as_one_each_once(district: Journal) -> None:
    journal = district
    two = NotificationJobs(journal, NotificationRules(digest_chunk=300, digest_workers=2))
    queued = await two.digests()
    assert [p.built > 0 for p in two.digest_parts] == [True, True]  # each built a school
    assert sum(p.queued for p in two.digest_parts) == queued > 1000
    by_two = await held(journal)
    assert await two.digests() == 0  # built once: nothing is due any more

    async with journal.transaction() as s:
        await s.execute(text("TRUNCATE outbox, digests"))
    # One process, in chunks of 5,000: by COPY (the outbox's and the digests'), where
    # the chunks of 300 went in by INSERT; the same rows come out.
    one = NotificationJobs(journal, NotificationRules(digest_chunk=5000, digest_workers=1))
    assert await one.digests() == queued
    assert len(one.digest_parts) == 1
    assert await held(journal) == by_two


async def test_r16_a_childs_absences_at_another_school_than_the_parents_are_told(
    district: Journal,
) -> None:
    """The district's last pupil of a family may be at the next school (the generator's
    siblings cross a school's end): the digest built with the parent's school alone (its
    own process, or a chunk of that school's parents) still tells the child's absences."""
    journal = district
    async with journal.transaction() as s:
        elsewhere = (
            await s.execute(
                text(
                    """SELECT b.id, split_part(c.full_name, ' ', 1)
                       FROM guardianships g
                       JOIN people gp ON gp.id = g.guardian_id
                       JOIN bindings b ON b.person_id = gp.id
                       JOIN pupils p ON p.person_id = g.pupil_id
                       JOIN classes k ON k.id = p.class_id
                       JOIN people c ON c.id = p.person_id
                       WHERE k.school_id <> gp.school_id AND p.person_id % 20 = 0"""
                )
            )
        ).all()
    assert elsewhere  # absent all day (the generator's every 20th pupil)
    jobs = NotificationJobs(journal, NotificationRules(digest_chunk=300, digest_workers=2))
    await jobs.digests()
    async with journal.transaction() as s:
        for binding_id, surname in elsewhere:
            told = await s.scalar(
                text("SELECT text FROM outbox WHERE binding_id = :b"), {"b": binding_id}
            )
            child = next(b for b in told.split("\n\n") if surname in b)
            assert "Пропущены уроки: 1 (" in child


async def test_r16_few_parents_due_are_built_in_the_jobs_own_process(district: Journal) -> None:
    """Fewer parents due than a chunk: no process is started for them."""
    journal = district
    jobs = NotificationJobs(journal, NotificationRules(digest_workers=2))  # chunk 10,000
    assert await jobs.digests() > 1000
    assert len(jobs.digest_parts) == 1


async def test_r16_digests_recorded_again_keep_the_first_record(journal: Journal) -> None:
    """Recording digests is idempotent at any size: a chunk that goes in by COPY and one
    with a digest recorded already (by another run) both leave one row per digest."""
    async with journal.transaction() as s:
        school = School(name="Школа")
        s.add(school)
        await s.flush()
        people = [Person(school_id=school.id, full_name=f"Родитель {n}") for n in range(1200)]
        s.add_all(people)
        await s.flush()
        bindings = [
            Binding(user_id=9000 + n, person_id=p.id, role="parent", created_at=BUILD_AT)
            for n, p in enumerate(people)
        ]
        s.add_all(bindings)
        await s.flush()
        ids = [b.id for b in bindings]
    day = BUILD_AT.date()
    first, later = BUILD_AT, BUILD_AT + timedelta(minutes=5)
    async with journal.transaction() as s:
        await digest.record_digests(s, [(b, day, 1) for b in ids[:1100]], first)  # by COPY
    async with journal.transaction() as s:
        await digest.record_digests(s, [(b, day, 2) for b in ids], later)  # 1100 there already
    async with journal.transaction() as s:
        rows = (
            await s.execute(
                text("SELECT built_at, parts, count(*) FROM digests GROUP BY 1, 2 ORDER BY 1")
            )
        ).all()
    assert [tuple(r) for r in rows] == [(first, 1, 1100), (later, 2, 100)]


async def test_r16_the_due_parents_are_planned_by_index_even_on_an_empty_digests_table(
    district: Journal,
) -> None:
    """The due parents are read through one cursor, planned once, while the job's
    processes write digests. Planned on an empty digests table (a new deployment's first
    evening, or a process started after another had begun writing), its join on digests
    ran as a scan of the whole, growing table per parent: a region's job took 554 s
    instead of 88 s, and with 4 processes it never ended. Planned as the cursor is, it
    looks each parent's digests up by the primary key, whatever the table's statistics."""
    journal = district
    async with journal.transaction() as s:
        await s.execute(text("TRUNCATE digests"))
        await s.execute(text("ANALYZE digests"))  # known to be empty: the risky plan
        slots = await digest.due_digest_slots(
            s, BUILD_AT, MOSCOW, NotificationRules().digest_time, timedelta(hours=1)
        )
        columns = [[x[i] for x in slots] for i in range(5)]
        conn = await content.driver(s)
        explain = "EXPLAIN " + content._DIGEST_PARENTS_SQL
        plain = "\\n".join(r[0] for r in await conn.fetch(explain, *columns))
        async with content.planned_by_index(conn):
            planned = "\\n".join(r[0] for r in await conn.fetch(explain, *columns))
    assert "Seq Scan on digests" in plain  # what the planner makes of it unguided
    assert "Seq Scan on digests" not in planned and "pk_digests on digests" in planned
    jobs = NotificationJobs(journal, NotificationRules(digest_chunk=300, digest_workers=2))
    assert await jobs.digests() > 1000
    assert await jobs.digests() == 0
