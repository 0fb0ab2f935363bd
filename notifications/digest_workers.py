"""The parents' digests built, queued and recorded chunk by chunk, in the job's own
transaction or, for a region (``NotificationRules.digest_workers`` > 1), by several
processes at once: the schools are split among them (``core.digest.slice_of``) and each
process builds its part in its own connection and transaction, committed on its own.

The job's advisory lock is held by the job's transaction while the other processes run,
so the job still runs once; a part whose process fails is not recorded as built and the
next sweep builds it (a part committed is never built again: the digests are recorded
per binding and day in the same transaction as their outbox rows).
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from bot.screen import Limits
from core import digest
from core.clock import ManualClock
from core.journal import Journal
from core.rules import Rules
from notifications import outbox
from notifications.digest import build_digests
from notifications.outbox import OutboxItem
from notifications.rules import NotificationRules

Enqueue = Callable[[AsyncSession, list[OutboxItem]], Awaitable[int]]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector during a batch build. A chunk of digests
    allocates hundreds of thousands of small objects that all live until the chunk is
    queued, and the collector would rescan them again and again (about half of the build
    time at 100,000 pupils); none of them form reference cycles. Resumed afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(frozen=True)
class PartDone:
    """What one process built of the job: digests built and messages queued, with the
    CPU seconds it used and the most resident memory it held (MB, 0 where unknown)."""

    built: int
    queued: int
    cpu_seconds: float = 0.0
    peak_rss_mb: float = 0.0


async def queue_digests(
    s: AsyncSession,
    rules: NotificationRules,
    default_tz: ZoneInfo,
    now: datetime,
    limits: Mapping[str, Limits],
    enqueue: Enqueue,
    part: tuple[int, int] = (0, 1),
) -> tuple[int, int]:
    """Build, queue and record the digests due of the schools in ``part``, chunk by
    chunk, in ``s``'s transaction; (digests built, messages queued)."""
    built = queued = 0
    with collector_paused():
        chunks = 0
        async for batch in build_digests(s, rules, default_tz, now, limits, part):
            if batch.items:
                queued += await enqueue(s, batch.items)
            await digest.record_digests(s, batch.built, now)
            built += len(batch.built)
            del batch  # the chunk's objects go now, not when the next replaces it
            chunks += 1
            if chunks % COLLECT_EVERY == 0:
                gc.collect(1)  # the few cycles the chunks left (see COLLECT_EVERY)
    return built, queued


#: Every this many chunks, the job collects the reference cycles they left: a chunk's
#: queries leave about 200 kB of them (SQLAlchemy's bound parameters, with their lists of
#: ids). A collection after every chunk cost more than a tenth of the job's Python (it
#: walks the chunk's rows still held by the cursor's generator), once in ten costs a
#: hundredth, and the cycles held stay a few megabytes whatever the region's size.
COLLECT_EVERY = 10


def build_part(
    url: str,
    rules: NotificationRules,
    journal_rules: Rules,
    now: datetime,
    limits: Mapping[str, Limits],
    part: tuple[int, int],
) -> PartDone:
    """In a worker process: one part of the job's digests, built at the job's ``now``
    and committed in a transaction of its own on the database at ``url``."""
    started = time.process_time()
    built, queued = asyncio.run(_build_part(url, rules, journal_rules, now, dict(limits), part))
    return PartDone(built, queued, time.process_time() - started, peak_rss_mb())


async def _build_part(
    url: str,
    rules: NotificationRules,
    journal_rules: Rules,
    now: datetime,
    limits: dict[str, Limits],
    part: tuple[int, int],
) -> tuple[int, int]:
    engine = create_async_engine(url, poolclass=NullPool)  # the worker's one connection
    try:
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        journal = Journal(sessions, ManualClock(now), journal_rules)  # the job's moment
        async with journal.transaction() as s:
            return await queue_digests(
                s, rules, journal_rules.timezone, now, limits, outbox.enqueue, part
            )
    finally:
        await engine.dispose()


def peak_rss_mb() -> float:
    """The most resident memory this process has held (Linux's VmHWM; 0 elsewhere)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
