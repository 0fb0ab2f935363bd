"""Running at a school: ``tasks.py run`` stops what it started, and the deployment files
(Dockerfile, compose.yaml, the systemd unit) agree with the project. Nothing here needs
docker: the files are read and checked against pyproject.toml, .env.example and the CLI."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import signal
import sys
from pathlib import Path

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


@pytest.mark.skipif(not tasks_py_installed(), reason="run `python3 tasks.py test`: .venv is stale")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
async def test_killing_tasks_py_run_stops_the_bot_and_its_embedded_database(
    signum: signal.Signals, tmp_path: Path
) -> None:
    fake = FakeTelegram()
    await fake.start()
    fake.add_bot(TOKEN, USERNAME)
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
    log_path = tmp_path / "tasks.log"
    started: list[psutil.Process] = []
    with log_path.open("wb") as log:
        # A service manager's way: no terminal, the signal to tasks.py alone.
        tasks = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "tasks.py"),
            "run",
            env=env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    try:
        user = fake.user(7001, "Мария", "Иванова")
        await user.send("/start")
        assert (await user.wait_reply(timeout=120)).text  # the bot is up and answers
        [journal_run] = psutil.Process(tasks.pid).children()
        pid_file = tmp_path / "data" / "postgres" / "postmaster.pid"
        database = psutil.Process(int(pid_file.read_text().split()[0]))
        started = [journal_run, database]

        os.kill(tasks.pid, signum)
        code = await asyncio.wait_for(tasks.wait(), timeout=60)
        _, alive = await asyncio.to_thread(psutil.wait_procs, started, timeout=30)
    finally:
        if tasks.returncode is None:
            tasks.kill()
            await tasks.wait()
        await asyncio.to_thread(stop_leftovers, started)
        await fake.stop()
    assert alive == [], f"left running: {[p.pid for p in alive]}"
    assert code == 0  # journal run stopped cleanly, and tasks.py says so
    assert not pid_file.exists()  # PostgreSQL shut down, not killed
    assert "Traceback" not in log_path.read_text()
