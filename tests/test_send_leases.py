"""Two instances on one database send through one bot one at a time (issue 14): the
sender that holds the bot's lease sends, the other waits and takes over when the holder
stops (at once) or dies (when its lease has run out). Real PostgreSQL, the fake Bot API;
the lease's time is the database's, moved by shortening the lease in the table."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from aiogram import Bot
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from core.journal import Journal
from fakegram import FakeTelegram
from notifications.channels.telegram import TelegramChannel
from notifications.leases import SendLease
from notifications.outbox import DeliveryStats, OutboxItem, delivery_stats, enqueue
from notifications.sender import Sender

TTL = timedelta(seconds=30)


class Ticks:
    """A monotonic clock moved by hand: when a lease is renewed or tried again."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def instance(journal: Journal, bot: Bot, name: str, **kw: Any) -> Sender:
    """One instance's Telegram sender, leasing the bot as ``journal run``'s does."""
    options: dict[str, Any] = {"rate": 1000.0, "per_chat_interval": 0.0, "jitter": 0.0}
    options.update(kw)
    return Sender(
        journal.sessions,
        TelegramChannel(bot),
        journal.clock,
        send_lease=TTL,
        worker_id=name,
        idle_poll=0.02,
        **options,
    )


async def queue(journal: Journal, fake: FakeTelegram, count: int, tag: str) -> None:
    people = [fake.user(7000 + i, f"Родитель{i}", known=True) for i in range(count)]
    async with journal.transaction() as s:
        await enqueue(
            s,
            [
                OutboxItem(key=f"{tag}:{u.id}", chat_id=u.id, kind="digest", text=tag)
                for u in people
            ],
        )


async def holder(journal: Journal) -> str | None:
    async with journal.transaction() as s:
        return (await s.execute(text("SELECT holder FROM send_leases"))).scalar()


async def run_until_drained(journal: Journal, *senders: Sender) -> None:
    stop = asyncio.Event()

    async def until_drained() -> None:
        for _ in range(1500):
            if not (await delivery_stats(journal)).pending:
                break
            await asyncio.sleep(0.02)
        stop.set()

    await asyncio.wait_for(
        asyncio.gather(until_drained(), *(s.run(stop) for s in senders)), timeout=30
    )


async def test_two_instances_send_through_one_bot_one_at_a_time(
    journal: Journal, fake: FakeTelegram, telegram_bot: Bot
) -> None:
    """Both instances run their sender on the same outbox: every digest goes once, and
    all of them from the one holding the bot, so the bot's pace is one sender's."""
    await queue(journal, fake, 60, "digest")
    first, second = (
        instance(journal, telegram_bot, "instance-a"),
        instance(journal, telegram_bot, "instance-b"),
    )
    await run_until_drained(journal, first, second)

    assert await delivery_stats(journal) == DeliveryStats(sent=60)
    assert fake.stats.calls["sendMessage"] == 60
    assert sorted([first.stats.sent, second.stats.sent]) == [0, 60]
    assert await holder(journal) is None  # a stop gives the lease back


async def test_a_stopped_instance_hands_the_bot_over_at_once(
    journal: Journal, fake: FakeTelegram, telegram_bot: Bot
) -> None:
    first = instance(journal, telegram_bot, "instance-a")
    await queue(journal, fake, 5, "before")
    await run_until_drained(journal, first)
    assert first.stats.sent == 5

    await queue(journal, fake, 5, "after")  # instance A was stopped (a deploy)
    second = instance(journal, telegram_bot, "instance-b")
    assert await second.run_once() == 5


async def test_a_dead_instance_is_taken_over_when_its_lease_runs_out(
    journal: Journal, fake: FakeTelegram, telegram_bot: Bot
) -> None:
    """Instance A takes the bot and is killed (no stop, the lease and heartbeat stay); B
    sends nothing while A's lease runs, tries again a third of a lease later, and takes
    over once it has run out."""
    ticks = Ticks()
    dead = SendLease(journal.sessions, ["telegram"], "instance-a", TTL)
    assert await dead.held() == ["telegram"]  # then the process is killed
    await queue(journal, fake, 4, "digest")
    second = instance(journal, telegram_bot, "instance-b", monotonic=ticks)

    assert await second.claim() == []
    assert await holder(journal) == "instance-a"
    async with journal.transaction() as s:  # 30 s later, by the database's clock
        await s.execute(text("UPDATE send_leases SET until = now() - interval '1 second'"))
        # A's heartbeat, renewed with its lease, has run out with it.
        await s.execute(text("UPDATE send_instances SET until = now() - interval '1 second'"))
    assert await second.claim() == []  # not tried again yet
    ticks.now += TTL.total_seconds() / 3
    claimed = await second.claim()
    assert len(claimed) == 4 and await holder(journal) == "instance-b"


async def test_an_instance_that_cannot_renew_stops_sending_before_its_lease_runs_out(
    journal: Journal,
) -> None:
    """The database went away under instance A: after two thirds of the lease without a
    renewal it holds nothing, so it cannot send beside the instance that takes over."""
    ticks = Ticks()
    lease = SendLease(journal.sessions, ["telegram"], "instance-a", TTL, monotonic=ticks)
    assert await lease.held() == ["telegram"]
    engine = create_async_engine("postgresql+asyncpg://journal@127.0.0.1:1/journal")
    try:
        lease.sessions = async_sessionmaker(engine)  # every renewal fails from now on
        ticks.now += TTL.total_seconds() / 3
        assert await lease.held() == ["telegram"]  # renewal failed; a third still left
        ticks.now += TTL.total_seconds() / 3 + 0.1
        assert await lease.held() == []
    finally:
        await engine.dispose()


async def test_a_sender_without_a_lease_sends_as_before(
    journal: Journal, fake: FakeTelegram, telegram_bot: Bot
) -> None:
    """One-off passes (tests, ``Sender`` without ``send_lease``) neither take nor need it."""
    await queue(journal, fake, 3, "digest")
    sender = Sender(journal.sessions, TelegramChannel(telegram_bot), journal.clock, rate=1000.0)
    assert await sender.run_once() == 3
    assert await holder(journal) is None
