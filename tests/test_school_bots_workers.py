"""``journal run --webhook --workers 2`` as a district runs it, in processes of its own
(issue 14): the admin gives a school its own bot with ``journal school --bot-token``, then
replaces it, then drops it, while both webhook processes serve; and a SIGTERM that comes in
the middle of such a reload. What is asserted is what Telegram (the fake) and the people
see, what the processes' stderr says and what the database holds."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import psutil

from fakegram import FakeTelegram
from tests.botkit import TOKEN, USERNAME
from tests.test_school_bots_e2e import A_ID, A_NAME, A_TOKEN, C_ID, C_NAME, C_TOKEN, KEY, query
from tests.test_workers import extra_workers_of, free_port, run_env, wait_until
from tests.world import World

RELOADED = "Боты школ обновлены без перезапуска"
STOP_TIMEOUT = 30.0  # seconds: the workers' (school_journal.workers.Workers.stop_timeout)


@dataclass
class Running:
    """A ``journal run --webhook --workers 2`` and what its processes print on stderr."""

    fake: FakeTelegram
    process: asyncio.subprocess.Process
    port: int
    env: dict[str, str]
    lines: list[str] = field(default_factory=list)

    @property
    def log(self) -> str:
        return "".join(self.lines)

    def said(self, words: str) -> int:
        return sum(words in line for line in self.lines)

    def processes(self) -> list[psutil.Process]:
        parent = psutil.Process(self.process.pid)
        return [parent, *extra_workers_of(parent)]

    async def journal(self, *args: str) -> tuple[int, str, str]:
        """A ``journal`` command an admin runs beside it, against the same database."""
        cli = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "school_journal", *args),
            cwd=self.env["DATA_DIR"],
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(cli.communicate(), timeout=60)
        assert cli.returncode is not None
        return cli.returncode, out.decode(), err.decode()

    def callers(self, token: str, method: str = "sendMessage") -> set[int]:
        """The pids of our processes that called ``method`` through the bot ``token`` (by
        the port of the connection each call came from)."""
        ports = {port for (name, port), _ in self.fake.bot(token).callers.items() if name == method}
        fake_port = int(self.fake.base_url.rsplit(":", 1)[1])
        found = set()
        for process in self.processes():
            for c in process.net_connections(kind="tcp"):
                if c.raddr and c.raddr.port == fake_port and c.laddr.port in ports:
                    found.add(process.pid)
        return found


@contextlib.asynccontextmanager
async def journal_run(db_url: str, tmp_path: Path) -> AsyncIterator[Running]:
    """The shared bot and two schools' bots-to-be known to the fake; ``journal run`` with
    its schools' bots looked at every second, until the block ends (SIGTERM unless the
    block stopped it already: as systemd stops it, the first process only)."""
    fake = FakeTelegram(webhook_retry_delay=0.2)
    await fake.start()
    for token, name in ((TOKEN, USERNAME), (A_TOKEN, A_NAME), (C_TOKEN, C_NAME)):
        fake.add_bot(token, name)
    port = free_port()
    env = run_env(fake, db_url, tmp_path, port)
    (tmp_path / "data").mkdir(exist_ok=True)
    env.update(BOT_TOKEN_KEY=KEY, SCHOOL_BOTS_POLL_SECONDS="1", LOG_LEVEL="INFO")
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "school_journal", "run", "--webhook", "--workers", "2"),
        cwd=tmp_path,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    running = Running(fake, process, port, env)

    async def read_stderr() -> None:
        assert process.stderr is not None
        async for line in process.stderr:
            running.lines.append(line.decode(errors="replace"))

    reader = asyncio.create_task(read_stderr())
    try:
        await wait_until(lambda: fake.bot(TOKEN).webhook is not None)
        await wait_until(lambda: len(running.processes()) == 2)
        yield running
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), timeout=60)
        finally:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await asyncio.wait_for(reader, timeout=10)
            await fake.stop()
            print(running.log)  # shown when the test fails


def listens(process: psutil.Process, port: int) -> bool:
    return any(
        c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN
        for c in process.net_connections(kind="tcp")
    )


async def all_answered(fake: FakeTelegram, bot: str, first_id: int, count: int = 24) -> None:
    """``count`` people write to ``bot`` at once (the fake opens several connections, the
    kernel spreads them over the processes) and each is answered."""
    users = [fake.user(first_id + i, f"Родитель{i}", "Тестов", bot=bot) for i in range(count)]
    for user in users:
        await user.send("/start")
    replies = await asyncio.gather(*(u.wait_reply(timeout=30) for u in users))
    assert all(r.text for r in replies)


async def old_path_answers(port: int, bot_id: int, times: int = 10) -> set[int]:
    """What a bot's webhook path answers Telegram (a connection each time: the kernel
    gives them to either process)."""
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 1, "type": "private"},
            "text": "/start",
        },
    }
    url = f"http://127.0.0.1:{port}/telegram/webhook/{bot_id}"
    answers = set()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http:
        for _ in range(times):
            async with http.post(url, json=update) as resp:
                answers.add(resp.status)
    return answers


async def test_two_workers_serve_a_schools_new_bot_its_replacement_and_not_a_dropped_one(
    world: World, db_url: str, tmp_path: Path
) -> None:
    async with journal_run(db_url, tmp_path) as run:
        fake = run.fake
        [parent, worker] = run.processes()

        code, out, err = await run.journal("school", "--bot-token", A_TOKEN)
        assert code == 0, err
        assert f"@{A_NAME} проверен" in out
        # Each process reads the schools' bots itself: both say they reloaded, and the
        # first one has told Telegram the new bot's path.
        await wait_until(lambda: run.said(RELOADED) == 2)
        await wait_until(lambda: fake.bot(A_TOKEN).webhook is not None)
        await wait_until(lambda: all(listens(p, run.port) for p in (parent, worker)))
        hook = fake.bot(A_TOKEN).webhook
        assert hook is not None and hook.url.endswith(f"/telegram/webhook/{A_ID}")

        await all_answered(fake, A_NAME, 7000)
        assert hook.failures == 0  # no delivery turned away: both processes know the path
        assert hook.delivered == 24
        # Both processes answered some of the new bot's people.
        assert run.callers(A_TOKEN) == {parent.pid, worker.pid}
        await all_answered(fake, USERNAME, 7100, count=6)  # the shared path still served

        # A's token leaked: the admin gives the school a new bot.
        code, _, err = await run.journal("school", "--bot-token", C_TOKEN)
        assert code == 0, err
        await wait_until(lambda: run.said(RELOADED) == 4)
        await wait_until(lambda: fake.bot(C_TOKEN).webhook is not None)
        await wait_until(lambda: all(listens(p, run.port) for p in (parent, worker)))
        await all_answered(fake, C_NAME, 7200)
        new_hook = fake.bot(C_TOKEN).webhook
        assert new_hook is not None and new_hook.failures == 0
        assert run.callers(C_TOKEN) == {parent.pid, worker.pid}

        # The old bot is served no more, and Telegram is told to stop posting it (its
        # token still works): what its people write waits at Telegram, unanswered.
        await wait_until(lambda: fake.bot(A_TOKEN).webhook is None)
        assert fake.bot(A_TOKEN).stats.calls["deleteWebhook"] == 1  # by the first process
        assert run.said(f"Вебхук бота @{A_NAME} («Школа № 1») снят") == 1
        late = fake.user(7300, "Опоздавший", bot=A_NAME)
        await late.send("/start")
        assert fake.bot(A_TOKEN).pending_update_count == 1
        # Whatever still posts to the old path gets a 404, from either process, and
        # nothing breaks: the same two processes serve on.
        assert await old_path_answers(run.port, A_ID) == {404}
        assert [p.pid for p in run.processes()] == [parent.pid, worker.pid]
        await all_answered(fake, USERNAME, 7400, count=6)
        assert late.bot_messages == []

        # The school drops its own bot: back in the shared one.
        code, _, err = await run.journal("school", "--no-bot-token")
        assert code == 0, err
        await wait_until(lambda: run.said(RELOADED) == 6)
        await wait_until(lambda: fake.bot(C_TOKEN).webhook is None)
        # Said between two rounds: each process listens again once its new round starts.
        await wait_until(lambda: all(listens(p, run.port) for p in (parent, worker)))
        assert await old_path_answers(run.port, C_ID) == {404}
        await all_answered(fake, USERNAME, 7600, count=6)
        assert [p.pid for p in run.processes()] == [parent.pid, worker.pid]
        assert fake.bot(TOKEN).webhook is not None  # the shared bot's was never deleted
        assert new_hook.failures == 0

        run.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(run.process.wait(), timeout=STOP_TIMEOUT)
    assert run.process.returncode == 0
    assert "Traceback" not in run.log, run.log
    assert "starting it again" not in run.log  # no worker died on the way
    assert await query(db_url, "SELECT bot_id FROM school_bots") == []


async def test_a_sigterm_in_the_middle_of_a_reload_stops_every_process_cleanly(
    world: World, db_url: str, tmp_path: Path
) -> None:
    """The admin gives the school its bot; the first process, reloading, waits for
    Telegram's getMe (held by the fake) while six people's messages, taken by the worker
    (HTTP 200 to Telegram), wait for their answers to be sent; systemd stops the service
    then. Every process exits in time with 0, the six are answered, and the database holds
    nothing half-done. Before, the first process waited out the getMe (aiogram's 60 s)
    before it stopped anything."""
    async with journal_run(db_url, tmp_path) as run:
        fake = run.fake
        [parent, worker] = run.processes()
        get_me = fake.faults.hold_next("getMe", token=TOKEN)  # the first process's next one
        replies = fake.faults.hold_next("sendMessage", times=6, token=TOKEN)
        try:
            code, _, err = await run.journal("school", "--bot-token", A_TOKEN)
            assert code == 0, err
            await wait_until(lambda: get_me.held == 1)  # the first process is mid-reload
            assert not listens(parent, run.port)  # between its two rounds of serving

            hook = fake.bot(TOKEN).webhook
            assert hook is not None
            delivered = hook.delivered
            users = [fake.user(8000 + i, f"Учитель{i}", "Тестов") for i in range(6)]
            for user in users:
                await user.send("/start")
            await wait_until(lambda: replies.held == 6)  # taken, their answers on the way
            assert hook.delivered == delivered + 6  # Telegram was told 200 for each

            run.process.send_signal(signal.SIGTERM)  # systemd: the first process only
            started = asyncio.get_running_loop().time()
            await wait_until(lambda: not listens(worker, run.port))  # the worker stops too
            replies.release()  # Telegram answers the sends in hand
            await asyncio.wait_for(run.process.wait(), timeout=STOP_TIMEOUT)
            took = asyncio.get_running_loop().time() - started
        finally:
            get_me.release()
            replies.release()
        answered = await asyncio.gather(*(u.wait_reply(timeout=10) for u in users))
    assert all(r.text for r in answered)
    assert run.process.returncode == 0
    assert took < STOP_TIMEOUT
    gone, _ = await asyncio.to_thread(psutil.wait_procs, [worker], timeout=5)
    assert gone == [worker]
    # Each answer was sent once: the stopping worker's server did not close the bot's
    # connections under the sends in hand (they were cut and sent again, and Telegram
    # may have taken the first one already: a message twice).
    assert fake.bot(TOKEN).stats.calls["sendMessage"] == 6
    assert "TelegramNetworkError" not in run.log
    assert "Traceback" not in run.log, run.log
    assert "did not stop; killing it" not in run.log
    [row] = await query(db_url, "SELECT bot_id, username FROM school_bots")
    assert (row["bot_id"], row["username"]) == (A_ID, A_NAME)  # as the admin set it
    assert await query(db_url, "SELECT channel FROM send_leases") == []  # given back
    claimed = "SELECT id FROM outbox WHERE status = 'pending' AND claimed_until IS NOT NULL"
    assert await query(db_url, claimed) == []
