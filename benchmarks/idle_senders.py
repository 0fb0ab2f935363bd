"""What an idle district costs: a sender per school's bot with nothing to send.

    python -m benchmarks idle-senders                 # 101 senders, 10 s each way
    python -m benchmarks idle-senders --bots 30 --seconds 5

What runs: a fresh embedded PostgreSQL (migrated, an empty outbox) and ``--bots``
senders in this process, one per channel as ``journal run`` has them, first each polling
by itself every ``SEND_IDLE_POLL`` (1 s, as before the doorbell), then waiting on the
instance's doorbell (``notifications/doorbell.py``, one look a poll for all). Measured
over ``--seconds`` after a 2 s start: the claim queries and doorbell looks made, and the
CPU of this process and of the PostgreSQL server (its processes' times from /proc).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass

from benchmarks import embedded_database


@dataclass
class Idle:
    queries: int
    python_cpu: float  # seconds
    postgres_cpu: float
    seconds: float

    def line(self, how: str) -> str:
        return (
            f"{how}: {self.queries} queries in {self.seconds:.1f} s; CPU: this process"
            f" {100 * self.python_cpu / self.seconds:.1f} % of a core, PostgreSQL"
            f" {100 * self.postgres_cpu / self.seconds:.1f} %"
        )


class _Channel:
    """A bot's channel by name only: an idle sender never calls it."""

    def __init__(self, name: str) -> None:
        self.name = name


def _postgres_cpu() -> float:
    import psutil

    total = 0.0
    for process in psutil.process_iter(["name", "cpu_times"]):
        if process.info["name"] and process.info["name"].startswith("postgres"):
            times = process.info["cpu_times"]
            if times is not None:
                total += times.user + times.system
    return total


async def _measure(url: str, bots: int, seconds: float, *, doorbell: bool) -> Idle:
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from core.clock import SystemClock
    from notifications.doorbell import Doorbell
    from notifications.sender import Sender
    from school_journal.database import create_engine

    engine = create_engine(url)
    try:
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        clock = SystemClock()
        bell = Doorbell(sessions, clock, 1.0) if doorbell else None
        senders = [
            Sender(sessions, _Channel(f"telegram:{1000 + n}"), clock, doorbell=bell)  # type: ignore[arg-type]  # a name is all an idle sender reads
            for n in range(bots)
        ]
        stop = asyncio.Event()
        runs = [asyncio.create_task(sender.run(stop)) for sender in senders]
        await asyncio.sleep(2.0)  # started; the first claims made
        queries = sum(s.claims for s in senders) + (bell.looks if bell else 0)
        cpu, pg, start = time.process_time(), _postgres_cpu(), time.perf_counter()
        await asyncio.sleep(seconds)
        idle = Idle(
            sum(s.claims for s in senders) + (bell.looks if bell else 0) - queries,
            time.process_time() - cpu,
            _postgres_cpu() - pg,
            time.perf_counter() - start,
        )
        stop.set()
        await asyncio.gather(*runs)
        return idle
    finally:
        await engine.dispose()


async def bench(url: str, bots: int, seconds: float) -> tuple[Idle, Idle]:
    """Both ways, printed; (polling, the doorbell)."""
    from school_journal.database import create_engine
    from school_journal.migrate import upgrade

    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    print(f"idle-senders: {bots} senders, an empty outbox, {seconds:.0f} s each way")
    polling = await _measure(url, bots, seconds, doorbell=False)
    print("  " + polling.line("each sender polling every 1 s"))
    ringing = await _measure(url, bots, seconds, doorbell=True)
    print("  " + ringing.line("the instance's doorbell"))
    return polling, ringing


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks idle-senders")
    parser.add_argument("--bots", type=int, default=101, help="senders (101: 100 schools + 1)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured, each way")
    args = parser.parse_args(argv)
    with embedded_database(None, "idle-senders") as admin_url:
        url = admin_url.replace("postgresql://", "postgresql+asyncpg://", 1)
        asyncio.run(bench(url, args.bots, args.seconds))
    return 0
