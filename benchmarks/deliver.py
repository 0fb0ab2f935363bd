"""Outbox delivery under Telegram's flood limits.

    python -m benchmarks deliver                      # 10,000 messages at 25/s (~7 min)
    python -m benchmarks deliver --count 2000 --rates 25,29.5
    python -m benchmarks deliver --count 100000 --enqueue-only

What runs: a fresh embedded PostgreSQL in a temporary folder (migrated, one database per
run), the local fake Bot API enforcing Telegram's limits (``RateLimits.realistic()``: at
most 30 messages in any rolling second per bot, about 1 message/s per chat with a burst
of 3), and the real ``notifications.sender.Sender`` over real HTTP with a real aiogram
``Bot``, in one event loop. ``--count`` messages (default 10,000) go to ``--chats``
chats (default 2,000, i.e. five per chat, which exercises the per-chat pace too).

What is measured, per sender rate: messages/s sustained between the first and the last
message the fake accepted, as a share of the sender's rate and of the 30/s limit; the
most messages the fake saw in any rolling second; 429s answered by the fake and 429s
the sender handled (waited out and retried); messages left undelivered (must be 0);
duration. Also the time to enqueue the broadcast (one transaction) and to enqueue it
again (all duplicates, nothing inserted).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from benchmarks import embedded_database

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from notifications.outbox import OutboxItem

TOKEN = "123456:BENCH-DELIVER"
LIMIT = 30  # Telegram: about 30 messages per second per bot


@dataclass
class Result:
    rate: float
    delivered: int
    undelivered: int
    duration: float
    sustained: float
    max_in_second: int
    too_many_requests: int
    handled_429: int
    enqueue_s: float
    enqueue_again_s: float


async def fresh_database(admin_url: str, name: str) -> str:
    import asyncpg

    from school_journal.database import asyncpg_dsn, create_engine, with_database
    from school_journal.migrate import upgrade

    conn = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = with_database(admin_url, name)
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()
    return url


def broadcast(count: int, chats: list[int], run: int) -> list[OutboxItem]:
    from notifications.outbox import OutboxItem

    return [
        OutboxItem(
            key=f"bench:{run}:{n}",
            chat_id=chats[n % len(chats)],
            kind="broadcast",
            text=f"<b>Объявление</b> № {n}: родительское собрание в пятницу в 18:00.",
            meta={"run": run},
        )
        for n in range(count)
    ]


async def enqueue_timed(
    sessions: async_sessionmaker[AsyncSession], items: list[OutboxItem]
) -> tuple[float, int, float, int]:
    from notifications.outbox import enqueue

    started = time.perf_counter()
    async with sessions() as s, s.begin():
        inserted = await enqueue(s, items)
    first = time.perf_counter() - started
    started = time.perf_counter()
    async with sessions() as s, s.begin():
        again = await enqueue(s, items)
    return first, inserted, time.perf_counter() - started, again


async def run_one(admin_url: str, args: argparse.Namespace, run: int, rate: float) -> Result:
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from bot.telegram.transport import build_bot
    from core.clock import SystemClock
    from fakegram import FakeTelegram, RateLimits
    from notifications.channels.telegram import TelegramChannel
    from notifications.outbox import delivery_stats
    from notifications.sender import Sender
    from school_journal.database import create_engine

    url = await fresh_database(admin_url, f"deliver_{run}")
    engine = create_engine(url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    fake = FakeTelegram(limits=RateLimits.realistic())
    await fake.start()
    fake.add_bot(TOKEN, "school_journal_bot")
    bot = build_bot(TOKEN, fake.base_url)
    try:
        chats = [fake.user(900_000 + i, f"Родитель{i}", known=True).id for i in range(args.chats)]
        items = broadcast(args.count, chats, run)
        enq, inserted, again, reinserted = await enqueue_timed(sessions, items)
        assert inserted == args.count and reinserted == 0, (inserted, reinserted)
        if args.enqueue_only:
            return Result(rate, 0, args.count, 0.0, 0.0, 0, 0, 0, enq, again)

        from core.journal import Journal
        from core.rules import Rules

        journal = Journal(sessions, SystemClock(), Rules())
        sender = Sender(sessions, TelegramChannel(bot), SystemClock(), rate=rate)
        stop = asyncio.Event()
        task = asyncio.create_task(sender.run(stop))
        started = time.perf_counter()
        next_report = started + args.progress
        while (await delivery_stats(journal)).pending:
            await asyncio.sleep(0.5)
            if args.progress and time.perf_counter() >= next_report:
                next_report += args.progress
                print(
                    f"  … {rate:g}/s: {fake.stats.sends:,} sent, "
                    f"{fake.stats.too_many_requests} × 429, "
                    f"{time.perf_counter() - started:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
        stop.set()
        await task
        stats = await delivery_stats(journal)
        times = fake.stats.send_times
        return Result(
            rate=rate,
            delivered=stats.sent,
            undelivered=stats.total - stats.sent,
            duration=times[-1] - times[0] if times else 0.0,
            sustained=fake.stats.send_rate(),
            max_in_second=fake.stats.max_sends_in_window(1.0),
            too_many_requests=fake.stats.too_many_requests,
            handled_429=sender.stats.flood_waits,
            enqueue_s=enq,
            enqueue_again_s=again,
        )
    finally:
        await bot.session.close()
        await fake.stop()
        await engine.dispose()


def table(results: list[Result], args: argparse.Namespace) -> str:
    head = (
        "rate/s  delivered  undelivered  duration  sustained/s  % of rate  % of 30/s"
        "  max in 1 s  429 recv  429 handled"
    )
    lines = [head, "-" * len(head)]
    for r in results:
        lines.append(
            f"{r.rate:>6g}  {r.delivered:>9,}  {r.undelivered:>11,}  {r.duration:>7.1f}s"
            f"  {r.sustained:>11.2f}  {100 * r.sustained / r.rate:>8.1f}%"
            f"  {100 * r.sustained / LIMIT:>8.1f}%  {r.max_in_second:>10}"
            f"  {r.too_many_requests:>8}  {r.handled_429:>11}"
        )
    return "\n".join(lines)


async def bench(admin_url: str, args: argparse.Namespace) -> int:
    print(
        f"deliver: {args.count:,} messages to {args.chats:,} chats; fake Bot API limits: "
        f"{LIMIT} msg/s per bot (rolling 1 s), 1 msg/s per chat (burst 3)",
        flush=True,
    )
    results: list[Result] = []
    for run, rate in enumerate(args.rates):
        result = await run_one(admin_url, args, run, rate)
        print(
            f"enqueue ({rate:g}/s run): {args.count:,} rows in {result.enqueue_s:.2f} s "
            f"({args.count / result.enqueue_s:,.0f} rows/s); again, all duplicates: "
            f"{result.enqueue_again_s:.2f} s, 0 inserted",
            flush=True,
        )
        if args.enqueue_only:
            return 0
        results.append(result)
    print(table(results, args))
    bad = [r for r in results if r.undelivered or r.handled_429 < r.too_many_requests]
    return 1 if bad else 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks deliver",
        description="Deliver a broadcast from the outbox under Telegram's flood limits.",
    )
    parser.add_argument("--count", type=int, default=10_000, help="messages (10000)")
    parser.add_argument("--chats", type=int, default=2_000, help="distinct chats (2000)")
    parser.add_argument(
        "--rates",
        default="25",
        help="sender rates to run, messages/s, comma-separated (25; try 25,29.5)",
    )
    parser.add_argument("--enqueue-only", action="store_true", help="measure enqueue only")
    parser.add_argument("--progress", type=float, default=30.0, help="seconds (0: quiet)")
    parser.add_argument("--data-dir", help="keep the database here instead of a temp dir")
    args = parser.parse_args(argv)
    args.rates = [float(r) for r in args.rates.split(",") if r.strip()]
    if args.count < 1 or args.chats < 1 or not args.rates or min(args.rates) <= 0:
        parser.error("need a positive count, chats and rates")
    args.chats = min(args.chats, args.count)
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    logging.getLogger("notifications.sender").setLevel(logging.ERROR)  # 429s: in the table
    with embedded_database(args.data_dir, "deliver") as admin_url:
        return asyncio.run(bench(admin_url, args))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
