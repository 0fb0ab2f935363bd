"""The evening's digests of a district, delivered through the schools' own bots (issue 14).

    python -m benchmarks district-deliver                  # 100 bots, 72,000 parents
    python -m benchmarks district-deliver --instances 2 --kill-at 0.5
    python -m benchmarks district-deliver --instances 2 --kill-at 0   # both to the end
    python -m benchmarks district-deliver --bots 10 --parents 5000 --no-compare

What runs: a fresh embedded PostgreSQL (migrated, one database per run); ``--bots``
schools, each with a bot of its own (a ``school_bots`` row, its token sealed with a
``BOT_TOKEN_KEY`` as ``journal school-bot`` stores it), and the deployment's shared
``BOT_TOKEN`` bot; the local fake Bot API in this process, every bot with its own
limiter at ``RateLimits.realistic()`` (at most 30 messages in any rolling second per
bot, about 1 message/s per chat with a burst of 3), the parents as users who started
their school's bot long ago.

The district itself is not built (``benchmarks/district.py`` and ``digest.py`` measure
that): at the hour, one digest per parent (``--parents``, spread evenly over the
schools, every parent a chat of their own) is queued through ``notifications.outbox.
enqueue`` in one transaction, as the digest job does: kind ``digest``, a digest-like
Russian HTML text of 600-900 characters built from the digest's own catalogue lines,
its «Прочитано ✓» and «Указать причину пропуска» buttons, and the channel of the
school's bot (``telegram:<bot_id>``; set on the item, as there are no bindings to take
it from). Then the real senders deliver them: ``--instances`` processes of
``python -m school_journal.sender --exit-when-drained`` (the outbox part of ``journal
run``: a sender and a send lease per bot, ``SEND_RATE`` and the send leases at their
defaults unless given), against the fake's base URL. Each is forked by a
``tests/sender_launcher.py`` that imported it before the hour, as a running instance
has. The fake runs at niceness -10 and without full garbage collections while it takes
the messages (Telegram is not on this machine: see ``fake_first``,
``few_full_collections``).

What is measured: the time from the hour (the enqueue's start) to the last message the
fake accepted, so the enqueue and the processes' start are inside it; messages per
second over the bots; lost (queued digests the fake never got; rows not ``sent``); 429s
the fake answered and the senders handled (their log's "429 from"); sends that ignored
a ``retry_after`` (the fake counts a send that comes while a 429 holds its bot or
chat); the most messages any bot sent in a rolling second; digests sent twice (the same
text in one chat more than once); CPU of the fake (this process), the senders and
PostgreSQL. With ``--instances 2``: which bots each instance held (``send_leases``) when
``--kill-at`` of the digests were delivered, when the one holding more was SIGKILLed,
the rows it had claimed and not recorded (the only ones it may have sent twice, as the
sender is at-least-once), how long until the survivor held the dead one's bots and sent
through them again, and that it finished. Then, unless ``--no-compare``, the same with
the shared bot alone for ``--compare-count`` digests (one bot at 25/s would take about
48 minutes for 72,000), and the time it would take for all parents, projected.

Goal (issue 14): every digest delivered within 5 minutes of the hour, 0 lost, 0 sent
twice, 0 retry_after ignored, no bot above 30 in a rolling second; exit status 1 if one
is missed. With an instance SIGKILLed, "0 sent twice" becomes: only digests the killed
instance had in flight, and no more than ``SEND_MAX_UNRECORDED`` a bot it held. No Bot
API says whether a send cut off by a kill arrived, so the survivor sends it again rather
than risk a digest lost (the outbox is at least once); the window is what is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from bisect import bisect_right
from collections import Counter
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks import embedded_database

if TYPE_CHECKING:
    from fakegram import FakeTelegram
    from notifications.outbox import OutboxItem

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:BENCH-DISTRICT-SHARED"  # the deployment's BOT_TOKEN
KEY = "the district-deliver benchmark's BOT_TOKEN_KEY"
FIRST_BOT_ID = 7_100_000  # school n's bot: FIRST_BOT_ID + n
FIRST_CHAT = 20_000_000  # parent n's chat: FIRST_CHAT + n
LIMIT = 30  # Telegram: about 30 messages per second per bot
FAKE_NICENESS = -10  # the fake Bot API's process: ahead of the senders (see fake_first)
LAUNCH_TIMEOUT = 120.0  # seconds for a launcher to import, or to fork
GOAL_SECONDS = 300.0  # every digest within 5 minutes of the hour
DAY = date(2026, 12, 7)  # a Monday: the digest of the day, homework for Tuesday


def school_token(n: int) -> str:
    return f"{FIRST_BOT_ID + n}:BENCH-SCHOOL-{n:03d}-SECRET"


# ------------------------------------------------------------------ the digests

_NAMES = ("Анна", "Михаил", "София", "Артём", "Мария", "Иван", "Алиса", "Матвей", "Ева", "Лев")
_SURNAMES = ("Иванова", "Смирнов", "Кузнецова", "Попов", "Васильева", "Соколов", "Морозова")
_MARKS = (
    ("Математика", "контрольная работа"),
    ("Русский язык", "диктант"),
    ("Литература", "ответ у доски"),
    ("Физика", "лабораторная работа"),
    ("История", "проверочная работа"),
    ("Английский язык", "словарный диктант"),
)
_HOMEWORK = (
    ("Математика", "№ 245, 247, 251 (стр. 58), повторить формулы сокращённого умножения"),
    ("Русский язык", "упр. 112 и 114, выучить правило о причастных оборотах на стр. 40"),
    ("Литература", "дочитать рассказ «Муму», ответить письменно на вопросы 1–4"),
    ("История", "§ 12, вопросы после параграфа, заполнить таблицу в тетради"),
    ("Английский язык", "Workbook p. 34, ex. 2, 3; выучить слова к диктанту"),
    ("Биология", "§ 8, зарисовать строение растительной клетки"),
    ("География", "§ 15, контурная карта: реки и озёра России"),
)
_ABSENT_REASONS = ("причина не указана", "по болезни (справка)", "по заявлению родителей")


def digest_text(n: int) -> str:
    """Parent ``n``'s digest: the digest's catalogue lines (``texts``: ``digest.*``) with
    a child, two marks, now and then an absence, and the next day's homework."""
    from texts import t

    child = f"{_NAMES[n % len(_NAMES)]} {_SURNAMES[n // 7 % len(_SURNAMES)]}"
    cls = f"{5 + n % 7}{'АБВГ'[n // 3 % 4]}"
    lines = [
        t("digest.title", day="понедельник, 7 декабря"),
        "",
        t("digest.child", name=child, cls=cls),
    ]
    for k in range(2):
        subject, work = _MARKS[(n + 3 * k) % len(_MARKS)]
        lines.append(t("digest.mark", subject=subject, value=str(3 + (n + k) % 3), work=work))
    if n % 5 == 0:
        reason = _ABSENT_REASONS[n // 5 % len(_ABSENT_REASONS)]
        lines.append(t("digest.absent", lessons="3, 4 (физкультура, музыка)", reason=reason))
    lines += ["", t("digest.homework", day="вторник, 8 декабря")]
    for k in range(4 + n % 3):
        subject, task = _HOMEWORK[(n + k) % len(_HOMEWORK)]
        lines.append(t("digest.homework_line", subject=subject, text=task))
    return "\n".join(lines)


def digests(schools: int, parents: int, channel_of: list[str]) -> list[OutboxItem]:
    """One digest per parent, school after school (the job's order), each to its chat
    through its school's bot."""
    from bot.actions import digest_read_data, suggest_data
    from bot.screen import Button
    from notifications.outbox import OutboxItem
    from texts import t

    day = DAY.toordinal()
    items = []
    for n in range(parents):
        school = n * schools // parents
        buttons = [[Button(t("digest.read"), digest_read_data(n + 1, day))]]
        if n % 5 == 0:
            buttons.append([Button(t("digest.suggest"), suggest_data(n + 1, n + 1, day))])
        items.append(
            OutboxItem(
                key=f"digest:{n + 1}:{DAY.isoformat()}",
                chat_id=FIRST_CHAT + n,
                kind="digest",
                text=digest_text(n),
                buttons=buttons,
                channel=channel_of[school],
            )
        )
    return items


# ------------------------------------------------------------------ the run


class Launcher:
    """A ``tests/sender_launcher.py``: it imports ``school_journal.sender`` before the hour
    (as a running ``journal run`` has: aiogram's import takes seconds and is no part of
    the evening's delivery), then forks a sender process on demand; its stderr is the
    senders' log. One serves an instance in each run."""

    def __init__(self, process: asyncio.subprocess.Process, log: Path) -> None:
        self.process, self.log = process, log

    @classmethod
    async def start(cls, folder: Path, name: str) -> Launcher:
        log = folder / f"{name}.log"
        with log.open("wb") as sink:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                str(ROOT / "tests" / "sender_launcher.py"),
                cwd=folder,  # no .env of the checkout
                env=sender_env(),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=sink,
            )
        launcher = cls(process, log)
        assert await launcher.line(LAUNCH_TIMEOUT) == ["ready"], launcher.tail(0)
        return launcher

    async def line(self, wait: float | None = None) -> list[str]:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), wait)
        if not line:
            raise RuntimeError(f"a sender launcher died:\n{self.tail(0)}")
        return line.decode().split()

    async def fork(self, argv: list[str]) -> int:
        """Start ``school_journal.sender.main(argv)`` in a process of its own: its pid."""
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(argv) + "\n").encode())
        await self.process.stdin.drain()
        word, pid = await self.line(LAUNCH_TIMEOUT)
        assert word == "started", word
        return int(pid)

    def children_cpu(self) -> float:
        """CPU seconds of the senders it has forked and seen end."""
        return waited_children_cpu(self.process.pid)

    def tail(self, since: int, lines: int = 20) -> str:
        text = self.log.read_bytes()[since:].decode(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    async def close(self) -> None:
        if self.process.returncode is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


@dataclass
class Instance:
    """One sender process of a run: ``school_journal.sender.main``, the ``python -m
    school_journal.sender`` entry, forked by its launcher."""

    name: str
    launcher: Launcher
    pid: int = 0
    log_from: int = 0  # where its part of the launcher's log begins
    cpu_before: float = 0.0
    code: int | None = None
    ended_at: float | None = None  # the fake's clock
    cpu: float = 0.0  # CPU seconds of the process, once it has ended

    async def start(self, argv: list[str]) -> None:
        self.log_from = self.launcher.log.stat().st_size
        self.cpu_before = self.launcher.children_cpu()
        self.pid = await self.launcher.fork(argv)

    async def exited(self) -> int:
        """The exit status (the signal, negated, if killed); its CPU time."""
        word, _, code = await self.launcher.line()
        assert word == "exited", word
        self.cpu = self.launcher.children_cpu() - self.cpu_before
        return int(code)

    def signal(self, signum: int) -> None:
        if self.pid and self.code is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def handled_429(self) -> int:
        return self.log().count("429 from ")

    def log(self) -> str:
        return self.launcher.log.read_bytes()[self.log_from :].decode(errors="replace")

    def tail(self) -> str:
        return self.launcher.tail(self.log_from)


@dataclass
class Run:
    """What one run measured."""

    label: str
    bots: int  # the bots that carried digests
    queued: int
    hour: float  # the fake's clock when the enqueue began
    enqueue_s: float = 0.0
    first_send: float | None = None
    last_send: float | None = None
    sustained: float = 0.0
    outbox: dict[str, int] = field(default_factory=dict)  # status -> rows
    counted: dict[str, int] = field(default_factory=dict)  # closed rows, as /metrics reads them
    received: int = 0  # queued digests the fake got (at least once)
    twice: int = 0  # extra copies of a digest in its chat
    twice_chats: set[int] = field(default_factory=set)  # the chats that got them
    too_many_requests: int = 0
    handled_429: int = 0
    retry_after_ignored: int = 0
    max_in_second: int = 0
    busiest_bot: str = ""
    cpu: dict[str, float] = field(default_factory=dict)
    db_sessions: int = 0  # connections the senders opened to the database
    instances: list[Instance] = field(default_factory=list)
    leases_at_kill: dict[str, list[str]] = field(default_factory=dict)  # instance -> channels
    killed: str | None = None
    killed_at: float | None = None
    delivered_at_kill: int = 0
    in_flight_at_kill: set[int] = field(default_factory=set)  # chats of its unrecorded rows
    taken_over_at: float | None = None
    resumed_at: float | None = None
    timed_out: bool = False

    @property
    def seconds(self) -> float:
        return (self.last_send - self.hour) if self.last_send is not None else 0.0

    @property
    def unrecorded_per_bot(self) -> int:
        """``SEND_MAX_UNRECORDED``: the sends a bot may have in flight (the senders' default
        here)."""
        from school_journal.settings import Settings

        bound: int = Settings.model_fields["send_max_unrecorded"].default
        return bound

    @property
    def killed_bots(self) -> int:
        return len(self.leases_at_kill.get(self.killed or "") or [])

    @property
    def twice_bound(self) -> int:
        """What a killed instance may have sent and not recorded: each of its bots' sends
        in flight."""
        return self.unrecorded_per_bot * self.killed_bots

    @property
    def lost(self) -> int:
        return self.queued - self.received

    @property
    def closed(self) -> dict[str, int]:
        return {status: n for status, n in self.outbox.items() if status != "pending"}

    @property
    def not_sent(self) -> int:
        return sum(n for status, n in self.outbox.items() if status != "sent")

    def problems(self, *, timed: bool = True) -> list[str]:
        found = []
        if timed and self.seconds > GOAL_SECONDS:
            found.append(f"{self.seconds:.0f} s > {GOAL_SECONDS:.0f} s")
        if self.lost or self.not_sent:
            found.append(f"lost {self.lost} (rows not sent {self.not_sent})")
        if self.counted != self.closed:
            found.append(f"the closed rows counted for /metrics {self.counted} != {self.closed}")
        if self.killed is None and self.twice:
            found.append(f"sent twice {self.twice}")
        if self.killed is not None:  # at least once: only what was in flight, within the bound
            if unexplained := self.twice_chats - self.in_flight_at_kill:
                found.append(f"sent twice to {len(unexplained)} chats not in flight at the kill")
            if self.twice > self.twice_bound:
                found.append(f"sent twice {self.twice} > {self.twice_bound}")
        if self.retry_after_ignored:
            found.append(f"retry_after ignored {self.retry_after_ignored}")
        if self.max_in_second > LIMIT:
            found.append(f"a bot sent {self.max_in_second} in a second (> {LIMIT})")
        if self.timed_out:
            found.append("timed out")
        finished = [i for i in self.instances if i.name != self.killed]
        if any(i.code != 0 for i in finished):
            found.append(
                "a sender did not finish: " + ", ".join(f"{i.name} {i.code}" for i in finished)
            )
        return found


def sender_env() -> dict[str, str]:
    """The senders' environment: ``BOT_TOKEN_KEY`` and little else (none of the caller's
    ``DATABASE_URL``, ``MAX_BOT_TOKEN``…: the options say what to use)."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SEND_RATE", "LOG_LEVEL")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update({"BOT_TOKEN_KEY": KEY, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"})
    return env


def sender_argv(name: str, db_url: str, fake: FakeTelegram, args: argparse.Namespace) -> list[str]:
    """``python -m school_journal.sender``'s arguments for instance ``name``."""
    argv = ["--database-url", db_url, "--token", TOKEN, "--api-base", fake.base_url]
    argv += ["--worker-id", name, "--exit-when-drained"]
    for option, value in (("--bot-lease", args.bot_lease), ("--lease", args.lease)):
        if value is not None:
            argv += [option, str(value)]
    if args.rate is not None:
        argv += ["--rate", str(args.rate)]
    return argv


def instance_of(holder: str) -> str:
    """A sender's worker id is its instance's, with ``:<bot_id>`` for a school's bot."""
    return holder.split(":", 1)[0]


async def leases(conn: Any) -> dict[str, str]:
    """channel -> the instance holding its lease now."""
    rows = await conn.fetch("SELECT channel, holder FROM send_leases WHERE until > now()")
    return {row["channel"]: instance_of(row["holder"]) for row in rows}


def waited_children_cpu(pid: int) -> float:
    """CPU seconds of the ended children that process ``pid`` waited for (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")  # cutime, cstime
    except (OSError, IndexError, ValueError):
        return 0.0


def postgres_cpu(postmaster: int | None) -> float:
    """CPU seconds of the PostgreSQL server so far: its live processes and the backends
    that have ended (the postmaster's children's times)."""
    from benchmarks.digest import server_cpu

    live = server_cpu(postmaster)
    if live is None or postmaster is None:
        return 0.0
    return live + waited_children_cpu(postmaster)


async def deliver(
    db_url: str,
    fake: FakeTelegram,
    items: list[OutboxItem],
    run: Run,
    args: argparse.Namespace,
    launchers: list[Launcher],
    kill_at: float | None,
) -> None:
    """Queue ``items`` at the hour, let a sender process of each launcher deliver them
    (one SIGKILLed when ``kill_at`` of them were delivered) and measure."""
    import asyncpg
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from notifications.outbox import enqueue
    from school_journal.database import asyncpg_dsn, create_engine

    conn = await asyncpg.connect(asyncpg_dsn(db_url))
    engine = create_engine(db_url)
    run.instances = [Instance(f"i{k + 1}", launcher) for k, launcher in enumerate(launchers)]
    try:
        with few_full_collections():  # collected before the hour, held off till the end
            postmaster = await postmaster_pid(conn)
            sessions_before = await db_sessions(conn)
            cpu = (time.process_time(), postgres_cpu(postmaster))
            run.hour = fake.clock()
            started = time.perf_counter()
            sessions = async_sessionmaker(engine, expire_on_commit=False)
            async with sessions() as s, s.begin():
                inserted = await enqueue(s, items)
            run.enqueue_s = time.perf_counter() - started
            assert inserted == len(items), (inserted, len(items))
            for instance in run.instances:
                await instance.start(sender_argv(instance.name, db_url, fake, args))
            await watch(conn, fake, run, args, kill_at)
        run.cpu = {
            "fake": time.process_time() - cpu[0],
            "senders": sum(i.cpu for i in run.instances),
            "postgres": postgres_cpu(postmaster) - cpu[1],
        }
        await asyncio.sleep(0.6)  # PostgreSQL's statistics: flushed at most every 0.5 s
        run.db_sessions = await db_sessions(conn) - sessions_before
        await measure(conn, fake, items, run)
    finally:
        for instance in run.instances:
            if instance.pid and instance.code is None:  # a timeout, an error
                instance.signal(signal.SIGKILL)
                with contextlib.suppress(Exception):
                    instance.code = await asyncio.wait_for(instance.exited(), 10)
        await conn.close()
        await engine.dispose()


@contextlib.contextmanager
def few_full_collections() -> Iterator[None]:
    """While the fake takes the messages: no full garbage collection over the parents, the
    digests and the messages kept. Such a collection of the fake's ~10^6 objects holds its
    event loop for a good part of a second; the sends that queue meanwhile then reach it
    at once and count as more than 30 in one second, which Telegram, no such pause, would
    not see. The young generations are still collected. The full collection made here,
    before the hour, also frees what an earlier run left (its fake: cyclic garbage of
    some 10^6 objects, which freed at the hour held the next run's fake for seconds)."""
    gc.collect()
    gc.freeze()
    young, middle, full = gc.get_threshold()
    gc.set_threshold(young, middle, 1000)
    try:
        yield
    finally:
        gc.set_threshold(young, middle, full)
        gc.unfreeze()


async def db_sessions(conn: Any) -> int:
    """Sessions ever opened to this database (``pg_stat_database``)."""
    return int(
        await conn.fetchval(
            "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
        )
        or 0
    )


async def postmaster_pid(conn: Any) -> int | None:
    from benchmarks.digest import postmaster_of

    return postmaster_of(int(await conn.fetchval("SELECT pg_backend_pid()")))


async def watch(
    conn: Any, fake: FakeTelegram, run: Run, args: argparse.Namespace, kill_at: float | None
) -> None:
    """Until every sender has exited: progress, the kill, the survivor's takeover."""
    deadline = time.monotonic() + args.timeout
    next_progress = time.monotonic() + args.progress if args.progress else float("inf")
    next_leases = 0.0
    held: dict[str, str] = {}
    victim_channels: set[str] = set()
    waits = {asyncio.ensure_future(i.exited()): i for i in run.instances}
    while waits:
        done, _ = await asyncio.wait(set(waits), timeout=0.05)
        for task in done:
            instance = waits.pop(task)
            instance.code = task.result()
            instance.ended_at = fake.clock()
        now = time.monotonic()
        if now >= deadline:
            run.timed_out = True
            for instance in waits.values():
                instance.signal(signal.SIGKILL)
            for task, instance in waits.items():
                instance.code = await task
            return
        sent = fake.stats.sends
        if kill_at is not None and run.killed is None and sent >= kill_at * run.queued:
            await kill(conn, fake, run)
            victim_channels = set(run.leases_at_kill.get(run.killed or "", []))
        if victim_channels and now >= next_leases:
            next_leases = now + 0.05
            held = await leases(conn)
        if victim_channels and all(held.get(c) not in (None, run.killed) for c in victim_channels):
            run.taken_over_at = fake.clock()
            victim_channels = set()
        if now >= next_progress:
            next_progress = now + args.progress
            print(
                f"  … {run.label}: {sent:,} of {run.queued:,} sent, "
                f"{fake.stats.too_many_requests} × 429, {fake.clock() - run.hour:.0f} s",
                file=sys.stderr,
                flush=True,
            )


async def kill(conn: Any, fake: FakeTelegram, run: Run) -> None:
    """SIGKILL the running instance holding the most bots (``send_leases`` now)."""
    running = [i for i in run.instances if i.code is None]
    if not running:
        return
    held = await leases(conn)
    by_instance: dict[str, list[str]] = {i.name: [] for i in run.instances}
    for channel, holder in sorted(held.items()):
        by_instance.setdefault(holder, []).append(channel)
    victim = max(running, key=lambda i: len(by_instance.get(i.name, [])))
    victim.signal(signal.SIGKILL)
    run.killed, run.killed_at = victim.name, fake.clock()
    run.delivered_at_kill = fake.stats.sends
    run.leases_at_kill = by_instance
    # What it had claimed and not recorded: sent again by the survivor once the rows'
    # lease runs out (those the fake had already accepted arrive twice).
    rows = await conn.fetch(
        "SELECT chat_id FROM outbox WHERE status = 'pending'"
        " AND claimed_until > now() AND split_part(claimed_by, ':', 1) = $1",
        victim.name,
    )
    run.in_flight_at_kill = {row["chat_id"] for row in rows}


async def measure(conn: Any, fake: FakeTelegram, items: list[OutboxItem], run: Run) -> None:
    from fakegram.parse_mode import parse_html

    rows = await conn.fetch("SELECT status, count(*) AS n FROM outbox GROUP BY status")
    run.outbox = {row["status"]: int(row["n"]) for row in rows}
    counted = await conn.fetch("SELECT status, rows FROM outbox_closed WHERE rows > 0")
    run.counted = {row["status"]: int(row["rows"]) for row in counted}
    copies: Counter[tuple[int, str]] = Counter()  # (chat, text as the fake keeps it)
    for bot in fake.bots.values():
        for chat_id, chat in bot.chats.items():
            for message in chat.bot_messages():
                copies[(chat_id, message.text or "")] += 1
    run.received = sum(1 for i in items if copies[(i.chat_id, parse_html(i.text)[0])] > 0)
    run.twice = sum(n - 1 for n in copies.values() if n > 1)
    run.twice_chats = {chat for (chat, _), n in copies.items() if n > 1}
    times = fake.stats.send_times
    if times:
        run.first_send, run.last_send = times[0], times[-1]
        run.sustained = fake.stats.send_rate()
    run.too_many_requests = fake.stats.too_many_requests
    run.handled_429 = sum(i.handled_429() for i in run.instances)
    run.retry_after_ignored = fake.retry_after_ignored
    busiest = max(fake.bots.values(), key=lambda b: b.stats.max_sends_in_window(1.0))
    run.max_in_second = busiest.stats.max_sends_in_window(1.0)
    run.busiest_bot = f"@{busiest.username}"
    if run.killed_at is not None and run.leases_at_kill.get(run.killed or ""):
        # When the survivor sent again through each of the dead one's bots: the latest.
        firsts = []
        dead = set(run.leases_at_kill[run.killed or ""])
        for bot in fake.bots.values():
            channel = "telegram" if bot.token == TOKEN else f"telegram:{bot.id}"
            sends = bot.stats.send_times
            after = bisect_right(sends, run.killed_at)
            if channel in dead and after < len(sends):
                firsts.append(sends[after])
        run.resumed_at = max(firsts) if firsts else None


# ------------------------------------------------------------------ the deployment


async def add_schools(db_url: str, schools: int) -> list[str]:
    """``schools`` schools, each with its own bot (the token sealed with ``KEY``, as
    ``journal school-bot`` stores it); their channels, school by school."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from core.identity import bot_channel
    from core.schools import ensure_school
    from notifications.outbox import TELEGRAM
    from school_journal.database import create_engine
    from school_journal.school_bots import TokenVault

    vault = TokenVault(KEY)
    engine = create_engine(db_url)
    try:
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        async with sessions() as s, s.begin():
            for n in range(schools):
                school = await ensure_school(s, f"Школа № {n + 1}")
                await s.execute(
                    text(
                        "INSERT INTO school_bots (school_id, bot_id, username, token_cipher,"
                        " set_at) VALUES (:school, :bot, :username, :cipher, now())"
                    ),
                    {
                        "school": school.id,
                        "bot": FIRST_BOT_ID + n,
                        "username": f"school_{n + 1:03d}_bot",
                        "cipher": vault.seal(school_token(n)),
                    },
                )
    finally:
        await engine.dispose()
    return [bot_channel(TELEGRAM, FIRST_BOT_ID + n) for n in range(schools)]


def fake_telegram(schools: int, parents: int) -> FakeTelegram:
    """The fake Bot API with the shared bot and the schools' bots, each limited as
    Telegram is, and the parents, each known to their school's bot (or, without
    schools, to the shared one)."""
    from fakegram import FakeTelegram, RateLimits

    fake = FakeTelegram(limits=RateLimits.realistic())
    fake.add_bot(TOKEN, "district_journal_bot")
    tokens = [school_token(n) for n in range(schools)]
    for n, token in enumerate(tokens):
        fake.add_bot(token, f"school_{n + 1:03d}_bot")
    for n in range(parents):
        bot = tokens[n * schools // parents] if schools else TOKEN
        fake.user(FIRST_CHAT + n, _NAMES[n % len(_NAMES)], "Родитель", known=True, bot=bot)
    return fake


async def one_run(
    admin_url: str,
    args: argparse.Namespace,
    *,
    label: str,
    schools: int,
    parents: int,
    launchers: Awaitable[list[Launcher]],
    kill_at: float | None,
) -> Run:
    """A fresh database and fake; ``parents`` digests through ``schools`` schools' bots
    (through the shared bot when ``schools`` is 0), delivered by a sender of each of
    ``launchers`` (they import meanwhile) and measured."""
    from benchmarks.deliver import fresh_database
    from notifications.outbox import TELEGRAM

    started = time.perf_counter()
    db_url = await fresh_database(admin_url, f"district_deliver_{label}")
    channels = await add_schools(db_url, schools) if schools else [TELEGRAM]
    items = digests(max(1, schools), parents, channels)
    fake = fake_telegram(schools, parents)
    await fake.start()
    try:
        print(
            f"  ({label}: database, {schools} schools' bots, {parents:,} parents and their "
            f"digests prepared in {time.perf_counter() - started:.1f} s)",
            file=sys.stderr,
            flush=True,
        )
        run = Run(label, max(1, schools), len(items), fake.clock())
        await deliver(db_url, fake, items, run, args, await launchers, kill_at)
        return run
    finally:
        await fake.stop()


# ------------------------------------------------------------------ the report


def delivered_line(run: Run) -> str:
    got, seconds = run.received, run.seconds
    rate = got / seconds if seconds > 0 else 0.0
    return (
        f"delivered {got:,} of {run.queued:,} in {seconds:.1f} s "
        f"({rate:,.1f} per second over {run.bots} bots)"
    )


def print_run(run: Run, *, timed: bool = True) -> None:
    since = (lambda at: f"{at - run.hour:.1f} s") if run.hour is not None else str
    print(delivered_line(run), flush=True)
    if run.first_send is not None:
        print(
            f"  enqueue at the hour: {run.queued:,} rows in {run.enqueue_s:.1f} s; first digest"
            f" delivered {since(run.first_send)} after the hour (the processes starting);"
            f" {run.sustained:,.1f} per second from the first to the last"
        )
    status = ", ".join(f"{k} {v:,}" for k, v in sorted(run.outbox.items()))
    print(f"  lost: {run.lost} (the outbox: {status})")
    counted = ", ".join(f"{k} {v:,}" for k, v in sorted(run.counted.items()))
    print(f"  counted for /metrics as the rows closed (outbox_closed): {counted or 'none'}")
    print(
        f"  429: {run.too_many_requests} answered by the fake, {run.handled_429} handled by"
        f" the senders; retry_after ignored: {run.retry_after_ignored}"
    )
    print(
        f"  max messages in any rolling second: {run.max_in_second} ({run.busiest_bot};"
        f" limit {LIMIT})"
    )
    unexplained = run.twice_chats - run.in_flight_at_kill
    why = (
        ""
        if not run.twice
        else f" ({len(unexplained)} of them not in flight at the kill)"
        if unexplained
        else " (all rows the killed instance had claimed and not recorded: at least once)"
    )
    print(f"  sent twice: {run.twice}{why}")
    for instance in run.instances:
        held = run.leases_at_kill.get(instance.name)
        where = f"held {len(held)} bots at the kill; " if held is not None else ""
        ended = since(instance.ended_at) if instance.ended_at is not None else "?"
        killed = " (SIGKILLed)" if instance.name == run.killed else ""
        print(f"  instance {instance.name}: {where}exit {instance.code}{killed} at {ended}")
    if run.killed is not None and run.killed_at is not None:
        print(
            f"  killed {run.killed} (SIGKILL) at {since(run.killed_at)}, "
            f"{run.delivered_at_kill:,} of {run.queued:,} delivered; it had claimed and not "
            f"recorded {len(run.in_flight_at_kill)} rows (the only ones it may send twice)"
        )
        print(
            f"  of them sent and not recorded: at most SEND_MAX_UNRECORDED x its bots ="
            f" {run.unrecorded_per_bot} x {run.killed_bots} = {run.twice_bound:,}"
        )
        if run.taken_over_at is not None:
            print(
                f"  the survivor held every bot of {run.killed} "
                f"{run.taken_over_at - run.killed_at:.1f} s after the kill (send_leases)"
            )
        elif run.leases_at_kill.get(run.killed):
            print(f"  the survivor never held every bot of {run.killed}")
        if run.resumed_at is not None:
            print(
                f"  and sent through each of them again by {run.resumed_at - run.killed_at:.1f} s"
                " after the kill"
            )
    total = sum(run.cpu.values())
    if run.cpu and run.seconds > 0:
        parts = ", ".join(f"{k} {v:.1f} s" for k, v in run.cpu.items())
        print(
            f"  CPU: {parts} ({total / run.seconds:.2f} cores over the {run.seconds:.0f} s;"
            f" the fake includes this process's checks); {run.db_sessions:,} database"
            " connections opened by the senders"
        )
    problems = run.problems(timed=timed)
    print("  goals: " + ("met" if not problems else "MISSED: " + "; ".join(problems)))
    for instance in run.instances:
        if instance.code not in (0, None) and instance.name != run.killed:
            print(f"  {instance.name}'s log ends:\n{instance.tail()}")


def launching_first(launching: asyncio.Future[list[Launcher]]) -> asyncio.Future[list[Launcher]]:
    """The first of the (started) launchers, for a run with one instance."""
    first: asyncio.Future[list[Launcher]] = asyncio.get_running_loop().create_future()
    first.set_result(launching.result()[:1])
    return first


async def bench(admin_url: str, args: argparse.Namespace) -> int:
    sender = (
        f"SEND_RATE {args.rate or 'default'}, send lease {args.bot_lease or 'default'} s"
        if args.rate or args.bot_lease
        else "the settings' defaults"
    )
    print(
        f"district-deliver: {args.parents:,} parents' digests (one a chat) through "
        f"{args.bots} schools' own bots (+ the shared bot), {args.instances} sender "
        f"instance{'s' if args.instances > 1 else ''} (python -m school_journal.sender, "
        f"{sender}); fake Bot API: {LIMIT} msg/s per bot (rolling 1 s), 1 msg/s per chat "
        f"(burst 3); {os.cpu_count()} CPUs, shared",
        flush=True,
    )
    folder = Path(tempfile.mkdtemp(prefix="bench-district-deliver-"))
    launching = asyncio.ensure_future(
        asyncio.gather(*(Launcher.start(folder, f"instance{k + 1}") for k in range(args.instances)))
    )
    try:
        main = await one_run(
            admin_url,
            args,
            label="district",
            schools=args.bots,
            parents=args.parents,
            launchers=launching,
            kill_at=args.kill_at if args.instances > 1 and args.kill_at > 0 else None,
        )
        print_run(main)
        failed = bool(main.problems())
        if args.compare:
            print(f"\nthe same through the shared bot alone ({args.compare_count:,} digests):")
            one = await one_run(
                admin_url,
                args,
                label="one_bot",
                schools=0,
                parents=args.compare_count,
                launchers=launching_first(launching),
                kill_at=None,
            )
            print_run(one, timed=False)
            if one.sustained > 0:
                projected = args.parents / one.sustained
                print(
                    f"  projected, not run: {args.parents:,} digests through one bot would "
                    f"take {projected:,.0f} s ({projected / 60:.0f} min) at its "
                    f"{one.sustained:.1f} per second, against {main.seconds:.0f} s over "
                    f"{main.bots} bots"
                )
            failed = failed or bool(one.problems(timed=False))
    finally:
        with contextlib.suppress(Exception):
            for launcher in await launching:
                await launcher.close()
        if args.keep_logs:
            print(f"  the senders' logs: {folder}", file=sys.stderr)
        else:
            await asyncio.to_thread(shutil.rmtree, folder, True)
    return 1 if failed else 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks district-deliver",
        description="Deliver a district's evening digests through the schools' own bots.",
    )
    parser.add_argument("--bots", type=int, default=100, help="schools, a bot each (100)")
    parser.add_argument("--parents", type=int, default=72_000, help="digests (72000)")
    parser.add_argument("--instances", type=int, choices=(1, 2), default=1)
    parser.add_argument(
        "--kill-at",
        type=float,
        default=0.5,
        help="with 2 instances: SIGKILL one when this share is delivered (0.5; 0: none)",
    )
    parser.add_argument(
        "--compare",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="then the shared bot alone (on)",
    )
    parser.add_argument("--compare-count", type=int, default=3_000, help="its digests (3000)")
    parser.add_argument("--rate", type=float, help="SEND_RATE per bot (the default: 25)")
    parser.add_argument("--bot-lease", type=float, help="SEND_BOT_LEASE_SECONDS (30)")
    parser.add_argument("--lease", type=float, help="SEND_LEASE_SECONDS, a row's claim (60)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds a run may take")
    parser.add_argument("--progress", type=float, default=15.0, help="seconds (0: quiet)")
    parser.add_argument("--keep-logs", action="store_true", help="keep the senders' logs")
    parser.add_argument("--data-dir", help="keep the database here instead of a temp dir")
    args = parser.parse_args(argv)
    if args.bots < 1 or args.parents < args.bots or args.compare_count < 1:
        parser.error("need at least one bot, a parent per bot and a digest to compare")
    if not 0 <= args.kill_at < 1:
        parser.error("--kill-at is a share of the digests, between 0 and 1 (0: no kill)")
    return args


def fake_first() -> str:
    """Run this process (the fake Bot API) ahead of the others on the CPU, when allowed:
    Telegram is not on this machine. Starved for a few hundred milliseconds among busy
    processes, the fake would take the sends queued meanwhile at once and count more than
    30 in a second that the senders spread over more than one."""
    try:
        os.setpriority(os.PRIO_PROCESS, 0, FAKE_NICENESS)
    except (OSError, AttributeError):
        return "the fake at the same priority as the senders"
    return f"the fake at niceness {FAKE_NICENESS}"


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    print(f"  ({fake_first()})", file=sys.stderr)
    with embedded_database(args.data_dir, "district-deliver") as admin_url:
        return asyncio.run(bench(admin_url, args))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
