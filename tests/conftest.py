"""Tests run on a real embedded PostgreSQL: one server per test session, the schema built
by migrating once into a template database, and a fresh copy of it for every test.

The shared fixtures: ``journal`` (the core on that copy, with a ``clock`` set to a Monday
morning), ``world`` (the small school of ``tests/world.py``; a test file that needs more
overrides it by asking for ``world`` itself), ``settings`` (what a ``journal`` command reads)
and ``bot`` (the real bot against the fake
Bot API, ``tests/botkit.py``; ``@pytest.mark.virtual_time`` drives the fake's clock by the
bot's own waits).

For the outbox's tests without the whole bot: ``fake`` (the fake Bot API with one bot and
no flood limits) and ``telegram_bot`` (an aiogram Bot on it, as the sender builds one); and
``proxy`` (``tests/dbproxy.py`` in front of the test's database, up, to take down)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from aiogram import Bot
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.telegram.transport import build_bot
from core.clock import ManualClock
from core.journal import Journal
from core.rules import Rules
from fakegram import FakeTelegram, RateLimits
from school_journal.database import asyncpg_dsn, create_engine, embedded_server, with_database
from school_journal.migrate import upgrade
from school_journal.settings import Settings
from tests.botkit import TOKEN, USERNAME, Harness, running_bot
from tests.dbproxy import DatabaseProxy
from tests.world import World, build_world

MOSCOW = ZoneInfo("Europe/Moscow")
TEMPLATE = "journal_template"
BACKUP_KEY = "cli-test-backup-key-0123456789"
_numbers = itertools.count(1)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "virtual_time: the bot fixture moves the fake Bot API's clock by its waits"
    )


@pytest.fixture(scope="session")
def pg_admin_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with embedded_server(Path(tmp_path_factory.mktemp("pg")) / "data") as url:
        yield url


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def template_db(pg_admin_url: str) -> str:
    """The schema, built by the migrations (so every run tests them)."""
    await _admin(pg_admin_url, f'CREATE DATABASE "{TEMPLATE}"')
    engine = create_engine(with_database(pg_admin_url, TEMPLATE))
    await upgrade(engine)
    await engine.dispose()
    return TEMPLATE


async def clone_database(admin_url: str, template: str) -> str:
    name = f"test_{next(_numbers)}"
    await _admin(admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return name


@pytest.fixture
async def db_url(pg_admin_url: str, template_db: str) -> AsyncIterator[str]:
    name = await clone_database(pg_admin_url, template_db)
    yield with_database(pg_admin_url, name)
    await _admin(pg_admin_url, f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def clock() -> ManualClock:
    # A Monday in the second quarter, 10:00 in Moscow.
    return ManualClock(datetime(2026, 11, 23, 10, 0, tzinfo=MOSCOW))


@pytest.fixture
async def journal(db_url: str, clock: ManualClock) -> AsyncIterator[Journal]:
    engine = create_engine(db_url)
    yield Journal(async_sessionmaker(engine, expire_on_commit=False), clock, Rules())
    await engine.dispose()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """What a ``journal`` command reads in a test: the test's database, a data folder of its
    own, the bot's name (for invitation links) and a backup key."""
    return Settings(
        _env_file=None,
        database_url=db_url,
        data_dir=tmp_path / "data",
        bot_username="school_journal_bot",
        backup_hmac_key=SecretStr(BACKUP_KEY),
    )


@pytest.fixture
async def world(journal: Journal) -> World:
    return await build_world(journal)


@pytest.fixture
async def bot(
    request: pytest.FixtureRequest, journal: Journal, db_url: str, world: World
) -> AsyncIterator[Harness]:
    virtual_time = request.node.get_closest_marker("virtual_time") is not None
    async with running_bot(journal, db_url, virtual_time=virtual_time) as harness:
        yield harness


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    """The fake Bot API with one bot (``tests.botkit.TOKEN``). Real flood limits are the
    benchmark's business; here 429s come only when a test asks for them."""
    async with FakeTelegram(limits=RateLimits.unlimited()) as server:
        server.add_bot(TOKEN, USERNAME)
        yield server


@pytest.fixture
async def telegram_bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    """An aiogram Bot on ``fake``'s bot, built as the sender builds its own."""
    bot = build_bot(TOKEN, fake.base_url)
    yield bot
    await bot.session.close()


@pytest.fixture
async def proxy(db_url: str) -> AsyncIterator[DatabaseProxy]:
    """A TCP proxy in front of the test's database, up; ``down()`` is an outage."""
    proxy = DatabaseProxy(db_url)
    await proxy.up()
    yield proxy
    await proxy.down()
