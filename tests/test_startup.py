"""Start-up that never gives up (issue 10): ``journal run`` waits for Telegram while the
network is down or Telegram answers 5xx, saying so in one line a minute, and stops with
one Russian line only on a token Telegram rejects; a database it cannot have at start is
one line too, never a traceback."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.telegram.runner import run_bot
from bot.telegram.startup import Patience
from bot.telegram.transport import build_bot
from core.clock import ManualClock
from core.journal import Journal
from fakegram import FakeTelegram
from school_journal.app import App
from school_journal.settings import Settings
from tests.botkit import TOKEN, USERNAME
from tests.test_workers import free_port, wait_until

DOWN = "Telegram недоступен, повторяю…"
BAD_TOKEN = "Telegram не принял BOT_TOKEN: проверьте токен у @BotFather"


def run_env(api_base: str, db_url: str | None, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("WEBHOOK_URL", "DATABASE_URL")}
    env.update(
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE=api_base,
        DATA_DIR=str(tmp_path / "data"),
        NOTIFICATIONS_ENABLED="false",
        LOG_LEVEL="WARNING",
        **extra,
    )
    if db_url is not None:
        env["DATABASE_URL"] = db_url
    return env


class JournalRun:
    """``journal run`` as an operator starts it, its stderr read line by line."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, env: dict[str, str], cwd: Path, *args: str) -> JournalRun:
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "school_journal", "run", *args),
            cwd=cwd,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        return cls(process)

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for line in self.process.stderr:
            self.lines.append(line.decode(errors="replace").rstrip("\n"))

    @property
    def stderr(self) -> str:
        return "\n".join(self.lines)

    async def exited(self, timeout: float = 60) -> int:  # noqa: ASYNC109
        """Wait for it to stop by itself; its exit code."""
        code = await asyncio.wait_for(self.process.wait(), timeout)
        await asyncio.wait_for(self._reader, timeout)
        return code

    async def finish(self, timeout: float = 60) -> int:  # noqa: ASYNC109
        """Ctrl+C if it still runs; its exit code."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGINT)
        code = await asyncio.wait_for(self.process.wait(), timeout)
        await asyncio.wait_for(self._reader, timeout)
        return code


async def test_polling_start_waits_for_telegram_that_is_down_then_answers_a_user(
    db_url: str, tmp_path: Path
) -> None:
    port = free_port()  # nothing listens there yet: the network is "down"
    run = await JournalRun.start(run_env(f"http://127.0.0.1:{port}", db_url, tmp_path), tmp_path)
    fake = FakeTelegram()
    try:
        await wait_until(lambda: DOWN in run.stderr)
        await fake.start(port=port)  # the network is up
        fake.add_bot(TOKEN, USERNAME)
        user = fake.user(5001, "Мария", "Иванова", language_code="ru")
        await wait_until(lambda: fake.bot(TOKEN).stats.calls["getUpdates"] > 0)
        await user.send("/start")
        reply = await user.wait_reply(timeout=30)
        assert reply.text
    finally:
        code = await run.finish()
        await fake.stop()
    assert code == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert run.stderr.count(DOWN) == 1, run.stderr
    [line] = [x for x in run.lines if DOWN in x]
    assert "нет связи" in line


async def test_webhook_start_waits_out_502_on_set_webhook(db_url: str, tmp_path: Path) -> None:
    fake = FakeTelegram()
    await fake.start()
    fake.add_bot(TOKEN, USERNAME)
    fake.faults.server_error_next("setWebhook", times=2, html=True)  # nginx's 502 page
    port = free_port()
    env = run_env(
        fake.base_url,
        db_url,
        tmp_path,
        WEBHOOK_URL=f"http://127.0.0.1:{port}",
        WEBHOOK_HOST="127.0.0.1",
        WEBHOOK_PORT=str(port),
    )
    run = await JournalRun.start(env, tmp_path)
    try:
        await wait_until(lambda: fake.bot(TOKEN).webhook is not None)
        user = fake.user(5002, "Мария", "Иванова", language_code="ru")
        await user.send("/start")
        reply = await user.wait_reply(timeout=30)
        assert reply.text
    finally:
        code = await run.finish()
        await fake.stop()
    assert code == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert run.stderr.count(DOWN) == 1, run.stderr
    assert fake.bot(TOKEN).stats.calls["setWebhook"] >= 3
    [line] = [x for x in run.lines if DOWN in x]
    assert "ответ не от Telegram" in line


async def test_sigterm_while_waiting_for_telegram_stops_cleanly(
    db_url: str, tmp_path: Path
) -> None:
    """systemd stops a service whose network never came: no traceback, exit code 0."""
    run = await JournalRun.start(
        run_env(f"http://127.0.0.1:{free_port()}", db_url, tmp_path), tmp_path
    )
    await wait_until(lambda: DOWN in run.stderr)
    os.killpg(run.process.pid, signal.SIGTERM)
    code = await run.exited()
    assert code == 0, run.stderr
    assert "Traceback" not in run.stderr


async def test_sigterm_while_telegram_holds_get_me_stops_at_once(
    db_url: str, tmp_path: Path
) -> None:
    """Telegram takes the connection and answers nothing (getMe held by the fake): a
    SIGTERM stops ``journal run`` then, not after aiogram's 60 s request timeout, which is
    as long as compose waits before it kills."""
    fake = FakeTelegram()
    await fake.start()
    fake.add_bot(TOKEN, USERNAME)
    held = fake.faults.hold_next("getMe")
    try:
        run = await JournalRun.start(run_env(fake.base_url, db_url, tmp_path), tmp_path)
        await wait_until(lambda: held.held == 1)
        os.killpg(run.process.pid, signal.SIGTERM)
        code = await run.exited(timeout=15)
    finally:
        held.release()
        await fake.stop()
    assert code == 0, run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("webhook", [False, True], ids=["polling", "webhook"])
async def test_a_token_telegram_rejects_stops_with_one_russian_line(
    db_url: str, tmp_path: Path, webhook: bool
) -> None:
    fake = FakeTelegram()
    await fake.start()
    fake.add_bot("999999:ANOTHER-BOT", "another_bot")  # our token is unknown to it: 401
    port = free_port()
    extra = (
        {"WEBHOOK_URL": f"http://127.0.0.1:{port}", "WEBHOOK_PORT": str(port)} if webhook else {}
    )
    run = await JournalRun.start(run_env(fake.base_url, db_url, tmp_path, **extra), tmp_path)
    try:
        code = await run.exited()
    finally:
        await run.finish()
        await fake.stop()
    assert code != 0
    assert run.lines == [BAD_TOKEN]


async def test_a_malformed_token_stops_with_the_same_line(db_url: str, tmp_path: Path) -> None:
    env = run_env("http://127.0.0.1:9", db_url, tmp_path)
    env["BOT_TOKEN"] = "not-a-token"
    run = await JournalRun.start(env, tmp_path)
    code = await run.exited()
    assert code != 0
    assert run.lines == [BAD_TOKEN]


async def test_an_unreachable_database_url_is_one_russian_line(tmp_path: Path) -> None:
    url = f"postgresql://journal:secret@127.0.0.1:{free_port()}/journal"
    run = await JournalRun.start(run_env("http://127.0.0.1:9", url, tmp_path), tmp_path)
    code = await run.exited()
    assert code != 0
    [line] = run.lines
    assert line.startswith("Нет связи с базой данных postgresql+asyncpg://journal:***@127.0.0.1:")
    assert "сервер не принимает соединения" in line and "secret" not in line


PROJECT = str(Path(__file__).resolve().parent.parent)


async def test_the_standalone_sender_says_an_unreachable_database_in_one_russian_line(
    tmp_path: Path,
) -> None:
    url = f"postgresql://journal:secret@127.0.0.1:{free_port()}/journal"
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "school_journal.sender", "--database-url", url, "--token", TOKEN),
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": PROJECT},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 1
    lines = (out + err).decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("Нет связи с базой данных postgresql+asyncpg://journal:***@")
    assert "secret" not in lines[0]


async def test_an_embedded_database_that_does_not_start_is_one_russian_line(
    tmp_path: Path,
) -> None:
    pgdata = tmp_path / "data" / "postgres"
    pgdata.mkdir(parents=True)
    (pgdata / "PG_VERSION").write_text("9\n")  # a folder copied from somewhere else
    run = await JournalRun.start(run_env("http://127.0.0.1:9", None, tmp_path), tmp_path)
    code = await run.exited()
    assert code != 0
    [line] = run.lines
    assert line.startswith(f"Встроенная база данных в {pgdata} не запустилась")


async def test_the_unavailable_line_comes_once_a_minute_with_capped_backoff(
    journal: Journal, db_url: str, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Ten minutes of a network outage, on the injected clock: the waits double from 1 s
    up to 60 s, and the operator reads one line a minute, not one a retry."""
    fake = FakeTelegram()
    await fake.start()
    fake.add_bot(TOKEN, USERNAME)
    fake.faults.unreachable = True
    started = clock.now()
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(timedelta(seconds=seconds))
        if clock.now() - started >= timedelta(minutes=10):
            fake.faults.unreachable = False
        await asyncio.sleep(0)

    settings = Settings(
        _env_file=None,
        bot_token=SecretStr(TOKEN),
        telegram_api_base=fake.base_url,
        database_url=db_url,
    )
    app = App(settings=settings, engine=None, journal=journal, database_url=db_url)  # type: ignore[arg-type]  # App without an engine: the test has its journal
    stop = asyncio.Event()
    patience = Patience(clock=clock, sleep=sleep)
    caplog.set_level(logging.INFO, logger="bot.telegram.startup")
    task = asyncio.create_task(
        run_bot(
            app,
            handle_signals=False,
            stop=stop,
            bot=build_bot(TOKEN, fake.base_url),
            patience=patience,
        )
    )
    try:
        user = fake.user(5003, "Мария", "Иванова", language_code="ru")
        await wait_until(lambda: fake.bot(TOKEN).stats.calls["getUpdates"] > 0)
        await user.send("/start")
        assert (await user.wait_reply(timeout=30)).text
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)
        await fake.stop()
    assert waits[:8] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert max(waits) == 60
    down = [r for r in caplog.records if DOWN in r.getMessage()]
    assert 10 <= len(down) <= 11  # one a minute over ten minutes
    assert "уже 0 с" in down[0].getMessage() and "уже 1 мин" in down[1].getMessage()
    assert any("Telegram снова отвечает" in r.getMessage() for r in caplog.records)
