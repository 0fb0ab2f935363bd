"""The outbox sender and the evening jobs while the database goes away (issue 14: a
district's instances run all evening; a database restart or a dropped network must not
lose a digest, send one twice, or fill the console with tracebacks)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

import pytest
from aiogram import Bot
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from core.journal import Journal
from core.metrics import Metrics
from fakegram import FakeTelegram, FakeUser
from notifications.channels.telegram import TelegramChannel
from notifications.outbox import DeliveryStats, OutboxItem, delivery_stats, enqueue
from notifications.recorder import Claimed, Outcome, Recorder
from notifications.rules import NotificationRules
from notifications.scheduler import NotificationJobs
from notifications.sender import Sender
from school_journal.app import App
from school_journal.database import create_engine
from school_journal.health import Probe, health_app
from school_journal.settings import Settings
from tests.dbproxy import DatabaseProxy


async def until(check: Callable[[], bool]) -> None:
    async with asyncio.timeout(30):
        while not check():  # noqa: ASYNC110 (a sender in this loop: nothing to await)
            await asyncio.sleep(0.02)


def received(users: list[FakeUser]) -> int:
    return sum(len(u.bot_messages) for u in users)


async def test_a_database_outage_mid_broadcast_is_a_line_in_the_log_and_costs_no_message(
    journal: Journal,
    proxy: DatabaseProxy,
    fake: FakeTelegram,
    telegram_bot: Bot,
    caplog: pytest.LogCaptureFixture,
) -> None:
    parents = [fake.user(7001 + i, f"Родитель{i}", known=True) for i in range(60)]
    async with journal.transaction() as s:
        await enqueue(
            s, [OutboxItem(f"b:{i}", p.id, "broadcast", f"b:{i}") for i, p in enumerate(parents)]
        )
    engine = create_engine(proxy.url, pool_timeout=2)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    sender = Sender(
        sessions,
        TelegramChannel(telegram_bot),
        journal.clock,
        rate=40.0,
        per_chat_interval=0.0,
        idle_poll=0.05,
        batch=10,
        # A claim the outage cut off after its commit leaves its rows leased to this
        # sender, unknown to it: they go when the lease ends (as after a crash), so the
        # wait for every message below must outlast one lease.
        lease=timedelta(seconds=10),
    )
    stop = asyncio.Event()
    running = asyncio.create_task(sender.run(stop))

    def said(words: str) -> int:
        return sum(words in r.getMessage() for r in caplog.records)

    try:
        await until(lambda: received(parents) >= 10)
        caplog.clear()
        with caplog.at_level(logging.INFO):
            await proxy.down()
            outage = received(parents)
            await until(lambda: said("the database is unreachable") > 0)
            # the sends it cannot record, and no more: a kill now re-sends at most these
            assert received(parents) - outage <= 10
            await proxy.up()
            await until(lambda: said("the database is back") > 0)
            async with asyncio.timeout(30):
                while await delivery_stats(journal) != DeliveryStats(sent=60):  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
        stop.set()
        await running
    finally:
        stop.set()
        await engine.dispose()
    assert said("the database is unreachable") == 1  # a line for the outage, not per try
    bad = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not bad, [r.getMessage() for r in bad]
    assert [len(p.bot_messages) for p in parents] == [1] * 60  # none lost, none twice


class VirtualBackoff:
    """A recorder's backoff in virtual time: each sleep is counted and none waits; the
    recorder's clock is their sum."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(0)

    def now(self) -> float:
        return sum(self.sleeps)

    def recorder(self, engine: AsyncEngine, metrics: Metrics | None = None) -> Recorder:
        """A recorder on ``engine`` that keeps trying for a lease of 60 virtual seconds."""
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        return Recorder(sessions, self.sleep, patience=60.0, monotonic=self.now, metrics=metrics)


async def test_an_outage_longer_than_the_lease_gives_up_the_outcomes_in_a_line(
    journal: Journal, proxy: DatabaseProxy, caplog: pytest.LogCaptureFixture
) -> None:
    """After the rows' lease another sender may take them anyway: the recorder stops
    holding its sender back and says, in one line, that those rows go again."""
    engine = create_engine(proxy.url, pool_timeout=2)
    backoff = VirtualBackoff()
    recorder = backoff.recorder(engine)
    row = Claimed(1, "b:1", "telegram", 7001, None, "b:1", None, 1, False)
    try:
        await proxy.down()
        with caplog.at_level(logging.INFO):
            written = recorder.add(Outcome(row, "sent", journal.clock.now(), message_id="5"))
            assert await asyncio.wait_for(written, 30) is False
    finally:
        await engine.dispose()
    assert 60 <= backoff.now() < 70  # it kept trying for the lease's length
    bad = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not bad, [r.getMessage() for r in bad]
    assert any("1 outcomes not recorded after" in r.getMessage() for r in caplog.records)


async def test_failed_outcome_writes_are_counted_on_metrics(
    journal: Journal, proxy: DatabaseProxy, settings: Settings
) -> None:
    """Each failed write of outcomes is a count on ``GET /metrics`` of the instance whose
    recorder tried it: zero while the database answers, one a try while it is down."""
    app = App(settings=settings, engine=None, journal=journal, database_url=settings.database_url)  # type: ignore[arg-type]  # App without an engine: the test has its journal
    assert app.recorder().metrics is app.metrics  # journal run's recorder counts there
    engine = create_engine(proxy.url, pool_timeout=2)
    backoff = VirtualBackoff()
    recorder = backoff.recorder(engine, app.metrics)
    row = Claimed(1, "b:1", "telegram", 7001, None, "b:1", None, 1, False)
    async with TestServer(health_app(Probe(app, None, None))) as server, ClientSession() as http:

        async def scraped() -> float:
            async with http.get(server.make_url("/metrics")) as response:
                body = await response.text()
            return next(
                sample.value
                for family in text_string_to_metric_families(body)
                for sample in family.samples
                if sample.name == "journal_outcome_write_failures_total"
            )

        try:
            assert await scraped() == 0
            await proxy.down()
            written = recorder.add(Outcome(row, "sent", journal.clock.now(), message_id="5"))
            assert await asyncio.wait_for(written, 30) is False
        finally:
            await engine.dispose()
        assert len(backoff.sleeps) > 1
        assert await scraped() == len(backoff.sleeps) + 1  # every try failed, the last given up


async def test_the_evening_jobs_during_an_outage_are_a_line_each_and_run_when_it_is_back(
    journal: Journal, proxy: DatabaseProxy, caplog: pytest.LogCaptureFixture
) -> None:
    engine = create_engine(proxy.url, pool_timeout=2)
    through_proxy = Journal(
        async_sessionmaker(engine, expire_on_commit=False), journal.clock, journal.rules
    )
    jobs = NotificationJobs(through_proxy, NotificationRules())
    try:
        await proxy.down()
        with caplog.at_level(logging.INFO):
            assert set((await jobs.run_due()).values()) == {0}
        failed = [r.getMessage() for r in caplog.records]
        bad = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
        assert not bad, [r.getMessage() for r in bad]
        assert len(failed) == 6 and all("the database is unreachable" in m for m in failed)
        assert "notification job digests failed" in failed[0]
        await proxy.up()
        caplog.clear()
        await jobs.run_due()  # nothing due in an empty journal, and nothing fails
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    finally:
        await engine.dispose()
