"""Two ``journal run`` instances on one database with four schools' own bots (issue 14):
each instance's senders (``App.senders``, as ``journal run`` builds them) share the
instance's lease book, the instances divide the five bots (the shared one and four
schools') 3 and 2, and each delivers its bots' messages: two school bots each, every
bot's messages from one instance only, within the bot's rate. Real PostgreSQL, the fake
Bot API; the books' monotonic clock is injected, the database's moved by moving the
leases and heartbeats back."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import asyncpg
import pytest
from aiogram import Bot
from pydantic import SecretStr
from sqlalchemy import text

from bot.telegram.transport import build_bot
from core.journal import Journal
from core.schools import ensure_school
from fakegram import FakeTelegram
from notifications import outbox
from notifications.outbox import OutboxItem
from notifications.sender import Sender
from school_journal.app import App
from school_journal.database import asyncpg_dsn
from school_journal.school_bots import TokenVault
from school_journal.settings import Settings
from tests.botkit import TOKEN, USERNAME
from tests.test_school_bots_e2e import query
from tests.test_sender_kill import Launcher
from tests.world import World

KEY = "a long phrase only the admin keeps"
BOTS = [
    (777_001 + n, f"777{n + 1:03}:AAschool-{n}-secret-part", f"school_{n}_bot") for n in range(4)
]
PER_BOT = 12


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def elapse(journal: Journal, ticks: Ticks, seconds: float) -> None:
    """The books' clock and the database's (the leases and heartbeats moved back) move on."""
    ticks.now += seconds
    async with journal.transaction() as s:
        for table in ("send_leases", "send_instances"):
            await s.execute(
                text(f"UPDATE {table} SET until = until - make_interval(secs => :d)"),
                {"d": seconds},
            )


async def four_schools_with_bots(
    journal: Journal, db_url: str, world: World, per_bot: int = PER_BOT
) -> None:
    vault = TokenVault(KEY)
    schools = [world.school_id]
    async with journal.transaction() as s:
        for n in range(1, len(BOTS)):
            schools.append((await ensure_school(s, f"Школа № {n + 1}")).id)
    conn = await asyncpg.connect(asyncpg_dsn(db_url))
    try:
        await conn.executemany(
            "INSERT INTO school_bots (school_id, bot_id, username, token_cipher, set_at)"
            " VALUES ($1, $2, $3, $4, now())",
            [
                (school, bot_id, name, vault.seal(token))
                for school, (bot_id, token, name) in zip(schools, BOTS, strict=True)
            ],
        )
        rows = await conn.fetch(  # parents bound through each school's bot
            "INSERT INTO bindings (messenger, user_id, person_id, role, created_at, bot_id)"
            " SELECT 'telegram', 7000 + n + 100 * (bot - 777000), $1, 'parent', now(), bot"
            " FROM generate_series(1, $2) AS n, unnest($3::bigint[]) AS bot"
            " RETURNING id, user_id, bot_id",
            world.people["mother"],
            per_bot,
            [bot_id for bot_id, _, _ in BOTS],
        )
    finally:
        await conn.close()
    async with journal.transaction() as s:
        items = [
            OutboxItem(f"t:{r['id']}", r["user_id"], "test", "Дневник", binding_id=r["id"])
            for r in rows
        ]
        assert await outbox.enqueue(s, items) == len(BOTS) * per_bot


async def run_until_drained(journal: Journal, senders: list[Sender]) -> None:
    stop = asyncio.Event()

    async def until_drained() -> None:
        for _ in range(1500):  # as tests/test_send_leases.py waits
            if not (await outbox.delivery_stats(journal)).pending:
                break
            await asyncio.sleep(0.02)
        stop.set()

    await asyncio.wait_for(
        asyncio.gather(until_drained(), *(s.run(stop) for s in senders)), timeout=30
    )


async def test_two_instances_with_four_school_bots_each_deliver_through_two(
    journal: Journal, db_url: str, world: World
) -> None:
    await four_schools_with_bots(journal, db_url, world)
    fake = FakeTelegram()  # Telegram's 30 messages a second per bot: more is a 429
    await fake.start()
    fake.add_bot(TOKEN, USERNAME)
    for bot_id, token, name in BOTS:
        fake.add_bot(token, name)
        for n in range(1, PER_BOT + 1):
            fake.user(7000 + n + 100 * (bot_id - 777000), bot=name, known=True)
    settings = Settings(
        _env_file=None,
        bot_token=SecretStr(TOKEN),
        bot_token_key=SecretStr(KEY),
        telegram_api_base=fake.base_url,
        database_url=db_url,
        send_idle_poll=0.02,
    )
    ticks = Ticks()
    instances: list[tuple[App, Bot]] = []
    try:
        for name in ("instance-a", "instance-b"):
            app = App(settings=settings, engine=None, journal=journal, database_url=db_url)  # type: ignore[arg-type]  # App without an engine: the test has its journal
            await app.open_school_bots()
            app.lease_book(name, monotonic=ticks)
            instances.append((app, build_bot(TOKEN, fake.base_url)))
        senders = [app.senders(bot) for app, bot in instances]
        channels = [sorted(c for s in each for c in s.channels) for each in senders]
        assert channels[0] == channels[1] == ["telegram", *(f"telegram:{b}" for b, _, _ in BOTS)]
        books = [app.lease_book() for app, _ in instances]

        # Both start (a first, holding all) and renew twice: a gives b its share, which
        # b takes once a's sends in flight have had their grace.
        for _ in range(3):
            for book, each in zip(books, channels, strict=True):
                await book.held(each)
            await elapse(journal, ticks, books[0].renew_every)
        held = [await book.held() for book in books]
        assert [len(h) for h in held] == [3, 2]  # five bots over two instances
        assert not set(held[0]) & set(held[1])

        await run_until_drained(journal, senders[0] + senders[1])
        assert await outbox.delivery_stats(journal) == outbox.DeliveryStats(sent=4 * PER_BOT)
        through = [sorted(c for s in each if s.stats.sent for c in s.channels) for each in senders]
        assert through == [
            ["telegram:777001", "telegram:777002"],  # a: the shared bot too (nothing for it)
            ["telegram:777003", "telegram:777004"],
        ]
        for _, token, _ in BOTS:
            stats = fake.bot(token).stats
            assert stats.sends == PER_BOT
            assert stats.too_many_requests == 0 and stats.send_rate() <= 30
        # A graceful stop gave back every lease and ended both heartbeats.
        assert await query(db_url, "SELECT channel FROM send_leases") == []
        assert await query(db_url, "SELECT holder FROM send_instances") == []
    finally:
        for app, bot in instances:
            for opened in [bot, *app.school_telegram_bots()]:
                await opened.session.close()
        await fake.stop()


def fake_with_bots(per_bot: int) -> FakeTelegram:
    """The fake Bot API (Telegram's 30 messages a second per bot: more is a 429) with the
    shared bot, the schools' bots and their parents."""
    fake = FakeTelegram()
    fake.add_bot(TOKEN, USERNAME)
    for bot_id, token, name in BOTS:
        fake.add_bot(token, name)
        for n in range(1, per_bot + 1):
            fake.user(7000 + n + 100 * (bot_id - 777000), bot=name, known=True)
    return fake


STOPPED = re.compile(
    r"outbox sender (instance-[ab])(?::(\d+))? stopped: SenderStats\(claimed=\d+, sent=(\d+)"
)


async def test_two_sender_processes_divide_the_bots_each_within_its_rate(
    journal: Journal, db_url: str, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two standalone sender processes (``python -m school_journal.sender``, as two
    instances run them): a starts alone and sends through every bot, b starts while it
    sends and gets its share, a stops sending through those bots before b starts (no 429
    at any bot, which the fake gives beyond 30 a second), every message goes once, and
    both end with their leases given back and their heartbeats gone. Real time (processes,
    sockets): about 10 s."""
    per_bot = 60
    await four_schools_with_bots(journal, db_url, world, per_bot)
    fake = fake_with_bots(per_bot)
    await fake.start()
    monkeypatch.setenv("BOT_TOKEN_KEY", KEY)
    launchers = [await Launcher.start(tmp_path / f"{n}.log") for n in "ab"]

    def args(worker: str) -> list[str]:
        return [
            *("--database-url", db_url, "--token", TOKEN, "--api-base", fake.base_url),
            *("--rate", "20", "--per-chat-interval", "0", "--batch", "5"),
            *("--bot-lease", "1.5", "--idle-poll", "0.05"),  # renewed every 0.5 s
            *("--worker-id", worker, "--exit-when-drained"),
        ]

    try:
        for launcher in launchers:
            await launcher.ready()
        await launchers[0].run(args("instance-a"))
        for _ in range(400):  # until a is sending
            if sum(fake.bot(token).stats.sends for _, token, _ in BOTS):
                break
            await asyncio.sleep(0.025)
        await launchers[1].run(args("instance-b"))
        logs = ""
        for n, launcher in zip("ab", launchers, strict=True):
            code = await launcher.exited()
            logs += (tmp_path / f"{n}.log").read_text()
            assert code == 0, logs[-3000:]
    finally:
        for launcher in launchers:
            await launcher.close()
        await fake.stop()

    assert await outbox.delivery_stats(journal) == outbox.DeliveryStats(sent=4 * per_bot)
    sent: dict[str, dict[str, int]] = {"instance-a": {}, "instance-b": {}}
    for instance, bot_id, count in STOPPED.findall(logs):
        sent[instance][bot_id or "shared"] = int(count)
    assert sum(sent["instance-b"].values()) > 0, sent  # b got its share while a sent
    for bot_id, token, _ in BOTS:
        stats = fake.bot(token).stats
        assert stats.sends == per_bot  # every message once
        assert sent["instance-a"][str(bot_id)] + sent["instance-b"][str(bot_id)] == per_bot
        assert stats.too_many_requests == 0 and stats.send_rate() <= 30, (bot_id, sent)
    assert await query(db_url, "SELECT channel FROM send_leases") == []
    assert await query(db_url, "SELECT holder FROM send_instances") == []
