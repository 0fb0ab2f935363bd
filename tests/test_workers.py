"""``journal run --webhook --workers N``: several processes serve one webhook port, a
worker that dies is started again, and a stop stops them all."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest
from pydantic import SecretStr

from fakegram import FakeTelegram
from school_journal.cli import build_parser, dispatch
from school_journal.settings import Settings
from school_journal.workers import SERVE_ONLY_FLAG
from tests.botkit import TOKEN, USERNAME


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_until(check: Callable[[], bool]) -> None:
    """Poll ``check`` (what a user or an operator would look at) until it holds (30 s)."""
    async with asyncio.timeout(30):
        while not check():  # noqa: ASYNC110 (other processes: nothing to await)
            await asyncio.sleep(0.1)


def extra_workers_of(parent: psutil.Process) -> list[psutil.Process]:
    """The live extra workers (a killed one not reaped yet is a zombie: not counted)."""
    found = []
    for child in parent.children():
        try:
            if SERVE_ONLY_FLAG in child.cmdline():
                found.append(child)
        except (psutil.ZombieProcess, psutil.NoSuchProcess):
            continue
    return found


def serves_port(process: psutil.Process, port: int) -> bool:
    """The process holds a connection Telegram opened to the webhook port."""
    return any(
        c.laddr and c.laddr.port == port and c.status == psutil.CONN_ESTABLISHED
        for c in process.net_connections(kind="tcp")
    )


def run_env(fake: FakeTelegram, db_url: str, tmp_path: Path, port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE=fake.base_url,
        DATABASE_URL=db_url,
        DATA_DIR=str(tmp_path / "data"),
        WEBHOOK_URL=f"http://127.0.0.1:{port}",
        WEBHOOK_HOST="127.0.0.1",
        WEBHOOK_PORT=str(port),
        NOTIFICATIONS_ENABLED="false",
        HEALTH_PORT="0",  # parallel runs would compete for one port
        LOG_LEVEL="WARNING",
    )
    return env


async def journal_run_two_workers(
    fake: FakeTelegram, db_url: str, tmp_path: Path, port: int, stderr: int
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "school_journal", "run", "--workers", "2"),
        cwd=tmp_path,
        env=run_env(fake, db_url, tmp_path, port),
        stderr=stderr,
        start_new_session=True,  # a process group of its own, as in a terminal
    )


async def test_two_webhook_workers_share_the_port_restart_and_stop(
    db_url: str, tmp_path: Path
) -> None:
    fake = FakeTelegram()
    await fake.start()
    fake.add_bot(TOKEN, USERNAME)
    port = free_port()
    main = await journal_run_two_workers(fake, db_url, tmp_path, port, asyncio.subprocess.PIPE)
    parent = psutil.Process(main.pid)
    try:
        await wait_until(lambda: fake.bot(TOKEN).webhook is not None)
        await wait_until(lambda: len(extra_workers_of(parent)) == 1)
        [worker] = extra_workers_of(parent)

        async def everyone_is_answered(first_id: int) -> None:
            users = [fake.user(first_id + i, f"Учитель{i}", "Тестов") for i in range(24)]
            for user in users:
                await user.send("/start")
            replies = await asyncio.gather(*(u.wait_reply(timeout=30) for u in users))
            assert all(r.text for r in replies)

        # 24 users at once: the fake opens several connections, the kernel spreads them.
        await everyone_is_answered(7000)
        assert serves_port(parent, port) and serves_port(worker, port)

        worker.send_signal(signal.SIGKILL)
        replaced = lambda: [p.pid for p in extra_workers_of(parent)] not in ([], [worker.pid])  # noqa: E731
        await wait_until(replaced)
        await everyone_is_answered(8000)
        [restarted] = extra_workers_of(parent)
    finally:
        if main.returncode is None:
            os.killpg(main.pid, signal.SIGINT)  # Ctrl+C: the whole group gets it
        assert main.stderr is not None
        _, log = await asyncio.wait_for(main.communicate(), timeout=60)
        await fake.stop()
    assert main.returncode == 0
    assert not psutil.pid_exists(restarted.pid) or restarted.status() == psutil.STATUS_ZOMBIE
    # Restarted once, after the SIGKILL; Ctrl+C stopped the workers without a restart.
    assert (log or b"").decode().count("starting it again") == 1


async def test_a_worker_does_not_outlive_a_killed_first_process(
    db_url: str, tmp_path: Path
) -> None:
    fake = FakeTelegram()
    await fake.start()
    fake.add_bot(TOKEN, USERNAME)
    # No pipe: an orphaned worker would hold it open, and waiting for the first process
    # would wait for that too.
    main = await journal_run_two_workers(
        fake, db_url, tmp_path, free_port(), asyncio.subprocess.DEVNULL
    )
    parent = psutil.Process(main.pid)
    workers: list[psutil.Process] = []
    try:
        await wait_until(lambda: len(extra_workers_of(parent)) == 1)
        workers = extra_workers_of(parent)
        await wait_until(lambda: fake.bot(TOKEN).webhook is not None)  # the worker listens
        parent.kill()  # no chance to stop its workers
        await main.wait()
        gone, _ = await asyncio.to_thread(psutil.wait_procs, workers, timeout=20)
        assert gone == workers  # it noticed and stopped: the port is free again
    finally:
        for worker in workers:
            with contextlib.suppress(psutil.NoSuchProcess):
                worker.kill()
        await fake.stop()


async def test_workers_need_webhook_mode(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(
        _env_file=None,
        bot_token=SecretStr(TOKEN),
        database_url=db_url,
        data_dir=tmp_path,
    )
    code = await dispatch(build_parser().parse_args(["run", "--workers", "2"]), settings)
    assert code == 2
    assert "вебхука" in capsys.readouterr().err


async def test_workers_need_maxs_webhook_too(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Telegram by webhook and MAX by long polling: only one process may poll MAX."""
    settings = Settings(
        _env_file=None,
        bot_token=SecretStr(TOKEN),
        max_bot_token=SecretStr("max-token"),
        database_url=db_url,
        data_dir=tmp_path,
    )
    args = build_parser().parse_args(["run", "--webhook", "--workers", "2"])
    assert await dispatch(args, settings) == 2
    assert "MAX_WEBHOOK_URL" in capsys.readouterr().err
