"""The kill test: a broadcast of 10,000 messages to 2,000 chats, delivered by a sender in a
separate process (``school_journal.sender.main``, the ``python -m school_journal.sender``
entry) that is killed with SIGKILL at random moments and started again until the outbox
is drained. Nothing may be lost, and the only duplicates allowed are messages that were
in flight (claimed, not yet recorded) when a process died, at most SEND_MAX_UNRECORDED
per kill. The same for MAX's sender (a smaller broadcast through the fake MAX), whose
message ids are strings.

The processes are forked by ``tests/sender_launcher.py``, which pays aiogram's slow
import once. This is inherently real time (processes, sockets, kills), so the fake Bot
API's flood limits are relaxed and the sender runs fast: about 15-20 s in all.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.journal import Journal
from core.models import outbox_table
from fakegram import FakeTelegram, RateLimits
from fakemax import FakeMax
from fakemax import RateLimits as MaxRateLimits
from notifications.outbox import DeliveryStats, OutboxItem, delivery_stats, enqueue
from school_journal.settings import Settings

TOKEN = "123456:KILL-TEST"
MAX_TOKEN = "max-kill-test"
CHATS = 2_000
PER_CHAT = 5
MAX_CHATS = 600  # MAX's run: a smaller broadcast, the same kills
KILLS = 5
ROOT = Path(__file__).resolve().parent.parent
WAIT = 60.0  # seconds for any answer of the launcher (a sender drains in about 15 s)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    limits = RateLimits(global_limit=20_000, per_chat_rate=1_000.0, per_chat_burst=1_000)
    async with FakeTelegram(limits=limits) as server:
        server.add_bot(TOKEN, "school_journal_bot")
        yield server


@pytest.fixture
async def fake_max() -> AsyncIterator[FakeMax]:
    async with FakeMax(limits=MaxRateLimits(requests=100_000)) as server:
        server.add_bot(MAX_TOKEN, "school_journal_bot")
        yield server


@dataclass
class Messenger:
    """One messenger's side of the test: its sender's options, its chats, what it got."""

    options: list[str]  # the sender's token, API base and rate
    chats: list[int]
    channel: str
    worker_suffix: str  # the app names a MAX sender "<worker id>:max"
    sends: Callable[[], int]  # messages the fake has been asked to send so far
    texts: Callable[[int], list[str]]  # the bot's messages in a chat, oldest first

    def delivered(self) -> Counter[str]:
        """How many times each key reached its chat (the message text is the key)."""
        return Counter(text for chat in self.chats for text in self.texts(chat))


def on_telegram(fake: FakeTelegram) -> Messenger:
    chats = [fake.user(700_000 + i, f"Родитель{i}", known=True).id for i in range(CHATS)]
    return Messenger(
        ["--api-base", fake.base_url, "--token", TOKEN, "--rate", "5000"],
        chats,
        "telegram",
        "",
        lambda: fake.stats.sends,
        lambda chat: [m.text or "" for m in fake.bot(TOKEN).chats[chat].bot_messages()],
    )


async def on_max(fake: FakeMax) -> Messenger:
    users = [fake.user(700_000 + i, f"Родитель{i}") for i in range(MAX_CHATS)]
    for user in users:
        await user.start()
    bot = fake.bot(MAX_TOKEN)
    dialogs = {user.dialog.chat_id: user.dialog for user in users}
    return Messenger(
        ["--max-api-base", fake.base_url, "--max-token", MAX_TOKEN, "--max-rate", "5000"],
        list(dialogs),
        "max",
        ":max",
        lambda: bot.stats.calls["post /messages"],
        lambda chat: [m.text or "" for m in dialogs[chat].messages() if m.outgoing],
    )


def sender_args(db_url: str, messenger: Messenger, worker: str) -> list[str]:
    """``python -m school_journal.sender`` arguments: fast pace, short lease."""
    return [
        *("--database-url", db_url, *messenger.options),
        *("--per-chat-interval", "0", "--batch", "100"),
        *("--lease", "6", "--request-timeout", "3", "--idle-poll", "0.05"),
        # A killed sender keeps the bot's lease: the next one takes over when it runs out.
        *("--bot-lease", "1.5"),
        *("--worker-id", worker, "--exit-when-drained"),
    ]


class Launcher:
    """tests/sender_launcher.py: forks sender processes on demand (see there why)."""

    def __init__(self, process: asyncio.subprocess.Process, log: Path) -> None:
        self.process = process
        self.log = log

    @classmethod
    async def start(cls, log: Path) -> Launcher:
        with log.open("wb") as sink:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                str(ROOT / "tests" / "sender_launcher.py"),
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=sink,
            )
        return cls(process, log)

    async def _line(self) -> list[str]:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), WAIT)
        assert line, f"the launcher died: {self.log.read_text()[-3000:]}"
        return line.decode().split()

    async def ready(self) -> None:
        assert await self._line() == ["ready"]

    async def run(self, args: list[str]) -> int:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(args) + "\n").encode())
        await self.process.stdin.drain()
        word, pid = await self._line()
        assert word == "started"
        return int(pid)

    async def exited(self) -> int:
        word, _, code = await self._line()
        assert word == "exited"
        return int(code)

    async def close(self) -> None:
        if self.process.returncode is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                await asyncio.wait_for(self.process.wait(), 5)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


async def in_flight(journal: Journal, worker: str) -> set[str]:
    """Rows the worker claimed and did not record: the only ones it may have duplicated."""
    async with journal.transaction() as s:
        keys = await s.scalars(
            select(outbox_table.c.key).where(
                outbox_table.c.claimed_by == worker, outbox_table.c.status == "pending"
            )
        )
        return set(keys)


@pytest.mark.parametrize("on", ["telegram", "max"])
async def test_killed_senders_lose_nothing_and_duplicate_only_what_was_in_flight(
    journal: Journal, db_url: str, fake: FakeTelegram, fake_max: FakeMax, tmp_path: Path, on: str
) -> None:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    launcher = await Launcher.start(tmp_path / "senders.log")  # imports while we enqueue
    try:
        messenger = on_telegram(fake) if on == "telegram" else await on_max(fake_max)
        items = [
            OutboxItem(
                key=f"kill:{c}:{n}",
                chat_id=c,
                kind="broadcast",
                text=f"kill:{c}:{n}",
                channel=messenger.channel,
            )
            for n in range(PER_CHAT)
            for c in messenger.chats
        ]
        async with journal.transaction() as s:
            assert await enqueue(s, items) == len(messenger.chats) * PER_CHAT
        await launcher.ready()

        exposed: set[str] = set()  # keys in flight at some kill
        exposed_total = 0
        kills = 0
        for trial in range(KILLS):
            worker = f"killed-{trial}"
            before = messenger.sends()
            pid = await launcher.run(sender_args(db_url, messenger, worker))
            for _ in range(400):  # until it is really sending, then a random moment
                if messenger.sends() > before:
                    break
                await asyncio.sleep(0.025)
            await asyncio.sleep(rng.uniform(0.05, 0.5))
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            if await launcher.exited() != -signal.SIGKILL:
                break  # it drained the outbox before the kill
            kills += 1
            flying = await in_flight(journal, worker + messenger.worker_suffix)
            exposed |= flying
            exposed_total += len(flying)

        await launcher.run(sender_args(db_url, messenger, "survivor"))
        assert await launcher.exited() == 0, (tmp_path / "senders.log").read_text()[-3000:]
    finally:
        await launcher.close()

    counts = messenger.delivered()
    keys = {i.key for i in items}
    lost = keys - set(counts)
    duplicated = {key: n - 1 for key, n in counts.items() if n > 1}
    report = (
        f"{on}, seed {seed}: lost {len(lost)}, duplicated {sum(duplicated.values())}, "
        f"in flight at kills {exposed_total}"
    )
    print(report)
    assert exposed_total > 0, report  # the kills did hit sends in flight
    assert not lost, report
    assert set(counts) == keys, report
    assert sum(duplicated.values()) <= exposed_total, report
    # a send keeps its slot until it is recorded: at most SEND_MAX_UNRECORDED per kill
    bound = Settings.model_fields["send_max_unrecorded"].default
    assert sum(duplicated.values()) <= kills * bound, report
    assert set(duplicated) <= exposed, report
    assert await delivery_stats(journal) == DeliveryStats(sent=len(items)), report
    async with journal.transaction() as s:
        unrecorded = await s.scalar(select(func.count()).where(outbox_table.c.message_id.is_(None)))
    assert unrecorded == 0, report
    for chat_id in messenger.chats[:100]:  # per chat, the order of the queue held
        firsts = list(dict.fromkeys(messenger.texts(chat_id)))
        assert firsts == [f"kill:{chat_id}:{n}" for n in range(PER_CHAT)], report
