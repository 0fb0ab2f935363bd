"""Running at a school: ``tasks.py run`` stops what it started, and the deployment files
(Dockerfile, compose.yaml, the systemd unit) agree with the project. Nothing here needs
docker: the files are read and checked against pyproject.toml, .env.example and the CLI."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import os
import signal
import sys
import termios
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import pytest

from fakegram import FakeTelegram
from tests.botkit import TOKEN, USERNAME

ROOT = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------ tasks.py run


def tasks_py_installed() -> bool:
    """``tasks.py run`` starts at once (else it would install ``.venv`` first)."""
    stamp = ROOT / ".venv" / ".installed"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    return stamp.exists() and stamp.read_text() == wanted


def stop_leftovers(processes: list[psutil.Process]) -> None:
    """After a failed run: stop ``journal run`` as it should have been (it stops its
    database), then kill whatever is still there."""
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.terminate()
    _, alive = psutil.wait_procs(processes, timeout=30)
    for left in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            left.kill()


def run_env(fake: FakeTelegram, tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE=fake.base_url,
        DATABASE_URL="",  # the embedded database, in DATA_DIR
        DATA_DIR=str(tmp_path / "data"),
        WEBHOOK_URL="",
        BACKUP_DIRS="",
        NOTIFICATIONS_ENABLED="false",
        LOG_LEVEL="WARNING",
    )
    return env


async def stop_tasks_run(
    fake: FakeTelegram,
    tmp_path: Path,
    stop: Callable[[asyncio.subprocess.Process], None],
    **popen: Any,
) -> tuple[int, list[psutil.Process]]:
    """Start ``python3 tasks.py run`` (the real bot against the fake Bot API, with its
    embedded database), wait until it answers a user, ``stop`` it; return its exit code
    and what of the bot and its database is still running 30 s later."""
    fake.add_bot(TOKEN, USERNAME)
    started: list[psutil.Process] = []
    with (tmp_path / "tasks.log").open("wb") as log:
        tasks = await asyncio.create_subprocess_exec(
            *(sys.executable, str(ROOT / "tasks.py"), "run"),
            env=run_env(fake, tmp_path),
            stdout=log,
            stderr=log,
            start_new_session=True,
            **popen,
        )
    try:
        user = fake.user(7001, "Мария", "Иванова")
        await user.send("/start")
        assert (await user.wait_reply(timeout=120)).text  # the bot is up and answers
        [journal_run] = psutil.Process(tasks.pid).children()
        pid_file = tmp_path / "data" / "postgres" / "postmaster.pid"
        database = psutil.Process(int(pid_file.read_text().split()[0]))
        started = [journal_run, database]

        stop(tasks)
        code = await asyncio.wait_for(tasks.wait(), timeout=60)
        _, alive = await asyncio.to_thread(psutil.wait_procs, started, timeout=30)
    finally:
        if tasks.returncode is None:
            tasks.kill()
            await tasks.wait()
        await asyncio.to_thread(stop_leftovers, started)
    return code, alive


def assert_stopped_cleanly(code: int, alive: list[psutil.Process], tmp_path: Path) -> None:
    assert alive == [], f"left running: {[p.pid for p in alive]}"
    assert code == 0  # journal run stopped cleanly, and tasks.py says so
    assert not (tmp_path / "data" / "postgres" / "postmaster.pid").exists()  # shut down
    assert "Traceback" not in (tmp_path / "tasks.log").read_text()


needs_venv = pytest.mark.skipif(
    not tasks_py_installed(), reason="run `python3 tasks.py test`: .venv is stale"
)


@needs_venv
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
async def test_killing_tasks_py_run_stops_the_bot_and_its_embedded_database(
    signum: signal.Signals, tmp_path: Path
) -> None:
    """A service manager's way: no terminal, the signal to tasks.py alone."""
    async with FakeTelegram() as fake:
        code, alive = await stop_tasks_run(fake, tmp_path, lambda p: os.kill(p.pid, signum))
    assert_stopped_cleanly(code, alive, tmp_path)


@needs_venv
async def test_ctrl_c_in_a_terminal_stops_tasks_py_run_and_its_embedded_database(
    tmp_path: Path,
) -> None:
    """Ctrl+C in a terminal: the terminal signals tasks.py and the bot, once each."""
    leader, terminal = os.openpty()

    def take_the_terminal() -> None:  # in the child: the pty becomes its terminal
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    try:
        async with FakeTelegram() as fake:
            code, alive = await stop_tasks_run(
                fake,
                tmp_path,
                lambda _: os.write(leader, b"\x03"),  # what Ctrl+C types
                stdin=terminal,
                preexec_fn=take_the_terminal,
            )
    finally:
        os.close(leader)
        os.close(terminal)
    assert_stopped_cleanly(code, alive, tmp_path)
