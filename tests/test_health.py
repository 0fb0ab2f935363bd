"""``GET /health`` and ``GET /metrics`` of ``journal run`` (issue 10): the real bot with the
fake Bot API and what ``journal run`` starts beside it (``school_journal.service.background``
with the health server), on a real database; /metrics is read with prometheus_client's
own parser."""

from __future__ import annotations

import asyncio
import contextlib
import math
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from aiogram import Bot
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.max.client import sender_bot
from bot.telegram.runner import run_bot
from bot.telegram.transport import build_bot
from core.clock import ManualClock
from core.journal import Journal
from core.models import outbox_table
from fakegram import FakeTelegram
from fakemax import FakeMax
from notifications import outbox
from notifications.outbox import OutboxItem
from school_journal.app import App
from school_journal.database import create_engine
from school_journal.health import SCHEDULER_LATE, Probe, serve_health
from school_journal.service import background
from school_journal.settings import Settings
from tests.botkit import TOKEN, USERNAME, Harness, VirtualTime
from tests.dbproxy import DatabaseProxy
from tests.maxkit import MAX_TOKEN, running_max_bot

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Running:
    """The bot, the fake Telegram, and what `journal run` serves beside them."""

    harness: Harness
    app: App
    base: str  # http://127.0.0.1:<HEALTH_PORT>
    http: aiohttp.ClientSession
    schedulers: list[AsyncIOScheduler] = field(default_factory=list)

    async def health(self) -> tuple[int, dict[str, Any]]:
        async with self.http.get(f"{self.base}/health") as response:
            return response.status, await response.json()

    async def metrics(self) -> dict[str, float]:
        """Every sample of /metrics by name and labels: ``name{a="x"}`` → value."""
        async with self.http.get(f"{self.base}/metrics") as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain")
            body = await response.text()
        samples: dict[str, float] = {}
        for family in text_string_to_metric_families(body):
            for s in family.samples:
                labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
                samples[f"{s.name}{{{labels}}}" if labels else s.name] = s.value
        return samples


async def until(
    probe: Callable[[], Awaitable[T]], ok: Callable[[T], bool], within: float = 10
) -> T:
    """``probe()`` again until ``ok`` holds (the bot counts an update just after its reply
    is sent); the last result when it never does, for the assertion to show."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = await probe()
        if ok(result) or loop.time() > deadline:
            return result
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def running_app(journal: Journal, db_url: str, **settings: Any) -> AsyncIterator[Running]:
    """``journal run`` in this process: run_bot with the scheduler, the sender and the
    health server beside it (as school_journal.cli does), the fake's clock moved by the bot's
    own waits."""
    clock = VirtualTime()
    fake = FakeTelegram(clock=clock)
    await fake.start()
    fake.add_bot(TOKEN, USERNAME)
    port = free_port()
    config = Settings(
        _env_file=None,
        bot_token=SecretStr(TOKEN),
        telegram_api_base=fake.base_url,
        database_url=db_url,
        health_port=port,
        send_rate=1000,
        send_per_chat_interval=0,
        send_idle_poll=0.05,
        **settings,
    )
    app = App(settings=config, engine=None, journal=journal, database_url=db_url)  # type: ignore[arg-type]  # App without an engine: the test has its journal
    waits: list[float] = []

    async def recorded_sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.now += seconds
        await asyncio.sleep(0)

    bot = build_bot(TOKEN, fake.base_url, sleep=recorded_sleep, metrics=app.metrics)
    schedulers: list[AsyncIOScheduler] = []

    @contextlib.asynccontextmanager
    async def alongside(client: Bot) -> AsyncIterator[None]:
        async with background(app, client, health=True) as scheduler:
            schedulers.append(scheduler)
            yield

    stop = asyncio.Event()
    task = asyncio.create_task(
        run_bot(app, handle_signals=False, stop=stop, bot=bot, alongside=alongside)
    )
    try:
        async with aiohttp.ClientSession() as http:
            yield Running(
                Harness(fake, journal, waits), app, f"http://127.0.0.1:{port}", http, schedulers
            )
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)
        await fake.stop()


async def started(running: Running) -> None:
    """Once a stranger's /start is answered, the bot polls and the health server listens
    (it is started before polling)."""
    stranger = running.harness.user()
    await stranger.send("/start")
    await stranger.wait_reply(timeout=10)


async def test_a_users_message_is_counted_with_its_latency(journal: Journal, db_url: str) -> None:
    on_telegram = 'kind="message",messenger="telegram"'
    async with running_app(journal, db_url) as app:
        await started(app)
        user = app.harness.user()
        await user.send("/start")
        await user.wait_reply(timeout=10)
        await user.send("/help")
        await user.wait_reply(timeout=10)
        samples = await until(
            app.metrics, lambda m: m.get(f"journal_updates_total{{{on_telegram}}}") == 3
        )
    assert samples[f"journal_updates_total{{{on_telegram}}}"] == 3  # the stranger's and these two
    assert samples[f"journal_update_duration_seconds_count{{{on_telegram}}}"] == 3
    assert 0 < samples[f"journal_update_duration_seconds_sum{{{on_telegram}}}"] < 30
    bucket = 'kind="message",le="+Inf",messenger="telegram"'
    assert samples[f"journal_update_duration_seconds_bucket{{{bucket}}}"] == 3


async def test_a_delivered_outbox_message_is_counted_as_sent(journal: Journal, db_url: str) -> None:
    async with running_app(journal, db_url) as app:
        await started(app)
        parent = app.harness.user()
        await parent.send("/start")
        await parent.wait_reply(timeout=10)
        async with journal.transaction() as s:
            await outbox.enqueue(
                s, [OutboxItem(key="test:health:1", chat_id=parent.id, kind="test", text="Сводка")]
            )
        assert (await parent.wait_reply(timeout=10)).text == "Сводка"
        samples = await until(
            app.metrics,
            lambda m: (
                m.get('journal_outbox_rows{state="sent"}') == 1
                and m.get('journal_messages_total{result="sent"}') == 1
            ),
        )
    async with journal.transaction() as s:
        assert (await s.scalar(select(outbox_table.c.status))) == "sent"
    assert samples['journal_messages_total{result="sent"}'] == 1
    assert samples['journal_messages_total{result="failed"}'] == 0
    assert samples['journal_messages_total{result="unreachable"}'] == 0
    assert samples['journal_outbox_rows{state="sent"}'] == 1
    assert samples['journal_outbox_rows{state="pending"}'] == 0
    assert samples["journal_database_up"] == 1


async def test_a_message_to_a_user_who_blocked_the_bot_is_counted_as_unreachable(
    journal: Journal, db_url: str
) -> None:
    async with running_app(journal, db_url) as app:
        await started(app)
        parent = app.harness.user()
        await parent.send("/start")
        await parent.wait_reply(timeout=10)
        parent.block_bot()
        async with journal.transaction() as s:
            await outbox.enqueue(
                s, [OutboxItem(key="test:health:2", chat_id=parent.id, kind="test", text="Сводка")]
            )
        samples = await until(
            app.metrics, lambda m: m.get('journal_outbox_rows{state="unreachable"}') == 1
        )
    assert samples['journal_messages_total{result="unreachable"}'] == 1
    assert samples['journal_messages_total{result="sent"}'] == 0


async def test_health_is_200_with_every_check_passing(journal: Journal, db_url: str) -> None:
    async with running_app(journal, db_url) as app:
        await started(app)
        status, body = await until(
            app.health, lambda r: r[1]["checks"]["last_update"]["seconds_ago"] is not None
        )
    assert status == 200, body
    assert body["status"] == "ok" and body["reason"] is None
    checks = body["checks"]
    assert checks["database"]["ok"] and checks["telegram"]["ok"] and checks["scheduler"]["ok"]
    assert checks["scheduler"]["jobs"] >= 1
    assert checks["last_update"]["seconds_ago"] >= 0  # informational


async def test_health_is_503_naming_the_database_while_it_is_down(
    journal: Journal, proxy: DatabaseProxy
) -> None:
    engine = create_engine(proxy.url, pool_timeout=2)
    through_proxy = Journal(
        async_sessionmaker(engine, expire_on_commit=False), journal.clock, journal.rules
    )
    try:
        async with running_app(through_proxy, proxy.url) as app:
            await started(app)
            assert (await app.health())[0] == 200
            await proxy.down()
            status, body = await app.health()
            assert status == 503, body
            assert body["status"] == "fail"
            assert body["checks"]["database"]["ok"] is False
            assert "база данных не отвечает" in body["reason"]
            assert body["checks"]["scheduler"]["ok"] and body["checks"]["telegram"]["ok"]
            samples = await app.metrics()  # the scrape itself still answers
            assert samples["journal_database_up"] == 0
            assert not [k for k in samples if k.startswith("journal_outbox_rows")]
            await proxy.up()
            status, body = await until(app.health, lambda r: r[0] == 200)
            assert status == 200, body
    finally:
        await engine.dispose()


async def test_health_is_503_when_the_scheduler_has_stopped(journal: Journal, db_url: str) -> None:
    async with running_app(journal, db_url) as app:
        await started(app)
        assert (await app.health())[0] == 200
        [scheduler] = app.schedulers
        scheduler.shutdown(wait=False)
        status, body = await app.health()
    assert status == 503, body
    assert body["checks"]["scheduler"] == {
        "ok": False,
        "running": False,
        "reason": "планировщик уведомлений и резервных копий остановлен",
    }
    assert body["reason"] == "планировщик уведомлений и резервных копий остановлен"
    assert body["checks"]["database"]["ok"]


async def test_a_scheduler_whose_jobs_are_overdue_is_not_alive(
    journal: Journal, db_url: str
) -> None:
    """A scheduler that is "running" but no longer wakes (a blocked loop) leaves its jobs'
    next runs in the past: seen from a moment past them by more than the margin."""
    async with running_app(journal, db_url) as app:
        await started(app)
        [scheduler] = app.schedulers
        soonest = min(j.next_run_time for j in scheduler.get_jobs() if j.next_run_time)
        later = soonest + SCHEDULER_LATE + timedelta(minutes=1)
        probe = Probe(app.app, Bot(TOKEN), scheduler, wall=lambda: later)
        check = probe.scheduler_alive()
        on_time = Probe(app.app, Bot(TOKEN), scheduler, wall=lambda: datetime.now(UTC))
        assert on_time.scheduler_alive()["ok"]
    assert check["ok"] is False and check["running"] is True
    assert "планировщик отстаёт" in check["reason"]


async def test_429_waits_and_job_runs_are_counted(journal: Journal, db_url: str) -> None:
    async with running_app(journal, db_url) as app:
        await started(app)
        user = app.harness.user()
        app.harness.fake.faults.flood_storm("sendMessage", seconds=9, retry_after=5)
        await user.send("/start")
        await user.wait_reply(timeout=10)
        samples = await until(
            app.metrics, lambda m: m.get('journal_job_runs_total{job="sweep"}', 0) >= 1
        )
    assert samples['journal_flood_waits_total{source="bot"}'] == 2  # at 0 s and at 5 s
    assert samples['journal_flood_wait_seconds_total{source="bot"}'] == 10
    assert samples['journal_job_runs_total{job="sweep"}'] >= 1  # the start-up sweep
    assert samples['journal_job_runs_total{job="digests"}'] >= 1  # …and the jobs it ran
    assert samples.get('journal_job_failures_total{job="digests"}', 0) == 0


async def test_backup_age_per_folder_from_the_manifests(
    journal: Journal, db_url: str, clock: ManualClock, tmp_path: Path
) -> None:
    first, second = tmp_path / "usb", tmp_path / "nas"
    first.mkdir()
    second.mkdir()
    made = clock.now() - timedelta(days=1)
    stem = f"journal-{made:%Y%m%dT%H%M%SZ}"
    (first / f"{stem}.dump").write_bytes(b"dump")
    (first / f"{stem}.manifest.json").write_text("{}")
    async with running_app(journal, db_url, backup_dirs=f"{first},{second}") as app:
        await started(app)
        samples = await app.metrics()
    assert samples[f'journal_backup_age_seconds{{dir="{first.resolve()}"}}'] == 86400
    assert math.isinf(samples[f'journal_backup_age_seconds{{dir="{second.resolve()}"}}'])


async def test_health_port_zero_serves_nothing(journal: Journal, db_url: str) -> None:
    settings = Settings(_env_file=None, bot_token=SecretStr(TOKEN), health_port=0)
    app = App(settings=settings, engine=None, journal=journal, database_url=db_url)  # type: ignore[arg-type]  # App without an engine: the test has its journal
    async with serve_health(app, Bot(TOKEN), None) as probe:
        assert probe is None


async def test_telegram_is_asked_with_getme_when_no_request_succeeded_lately(
    journal: Journal, db_url: str
) -> None:
    """Webhook mode on a quiet night makes no Bot API requests: the check asks getMe, and
    an answer that does not come (a 502 page) is a 503 naming Telegram."""
    fake = FakeTelegram()
    await fake.start()
    fake.add_bot(TOKEN, USERNAME)
    settings = Settings(_env_file=None, bot_token=SecretStr(TOKEN))
    app = App(settings=settings, engine=None, journal=journal, database_url=db_url)  # type: ignore[arg-type]  # App without an engine: the test has its journal
    bot = build_bot(TOKEN, fake.base_url, metrics=app.metrics)
    try:
        probe = Probe(app, bot, None)
        assert app.metrics.reached_ago("telegram") is None
        assert (await probe.telegram())["ok"] is True
        assert app.metrics.reached_ago("telegram") is not None
        app.metrics.last_reached["telegram"] -= 3600  # an hour without a request
        fake.faults.server_error_next("getMe", 1, html=True)
        check = await probe.telegram()
        assert check["ok"] is False
        assert "Telegram не отвечает" in check["reason"]
        assert TOKEN not in str(check)
        assert check["last_success_seconds_ago"] >= 3600
    finally:
        await bot.session.close()
        await fake.stop()


async def test_health_asks_max_and_names_it_when_it_does_not_answer(
    journal: Journal, db_url: str
) -> None:
    """A school on MAX only: /health asks MAX's GET /me (Telegram is not configured), and
    a MAX that has not answered for an hour and does not answer now is a 503 naming MAX,
    without the token."""
    fake = FakeMax()
    await fake.start()
    fake.add_bot(MAX_TOKEN, "school_journal_bot", "Журнал")
    settings = Settings(_env_file=None, max_bot_token=SecretStr(MAX_TOKEN))
    app = App(settings=settings, engine=None, journal=journal, database_url=db_url)  # type: ignore[arg-type]  # App without an engine: the test has its journal
    max_bot = sender_bot(MAX_TOKEN, fake.base_url)
    scheduler = AsyncIOScheduler()
    scheduler.start()
    try:
        probe = Probe(app, None, scheduler, max_bot)
        ok, body = await probe.health()
        assert ok, body
        assert body["checks"]["telegram"] == {"ok": None, "configured": False}
        assert body["checks"]["max"]["ok"] is True
        assert app.metrics.reached_ago("max") is not None
        app.metrics.last_reached["max"] -= 3600
        fake.set_unreachable()
        ok, body = await probe.health()
        assert not ok
        assert body["checks"]["max"]["ok"] is False
        assert "MAX не отвечает" in body["reason"]
        assert MAX_TOKEN not in str(body)
    finally:
        scheduler.shutdown(wait=False)
        await max_bot.close_session()
        await fake.stop()


async def test_a_max_users_message_is_counted_as_maxs(journal: Journal) -> None:
    async with running_max_bot(journal) as max_side:
        user = max_side.user()
        await user.send("привет")
        await user.wait_reply()
        metrics = max_side.metrics

        def counted(messenger: str) -> float | None:
            labels = {"kind": "message", "messenger": messenger}
            return metrics.registry.get_sample_value("journal_updates_total", labels)

        await until(lambda: asyncio.sleep(0), lambda _: counted("max") == 1)
        assert counted("max") == 1
        assert counted("telegram") is None
        assert metrics.reached_ago("max") is not None  # its polls answered


async def test_prometheus_asking_for_openmetrics_gets_it(journal: Journal, db_url: str) -> None:
    async with running_app(journal, db_url) as app:
        await started(app)
        accept = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"
        async with app.http.get(f"{app.base}/metrics", headers={"Accept": accept}) as response:
            content_type = response.headers["Content-Type"]
            body = await response.text()
    assert content_type.startswith("application/openmetrics-text")
    families = {f.name: f for f in openmetrics_families(body)}
    assert families["journal_updates"].type == "counter"
    assert [s.value for s in families["journal_updates"].samples if s.name.endswith("_total")]
