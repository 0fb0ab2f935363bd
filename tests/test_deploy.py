"""Running at a school: ``tasks.py run`` stops what it started, and the deployment files
(Dockerfile, compose.yaml, the systemd unit) agree with the project. Nothing here needs
docker: the files are read and checked against pyproject.toml, .env.example and the CLI."""

from __future__ import annotations

import asyncio
import configparser
import contextlib
import fcntl
import hashlib
import json
import os
import re
import signal
import sys
import termios
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml
from packaging.specifiers import SpecifierSet
from sqlalchemy.engine import make_url

from fakegram import FakeTelegram
from school_journal.cli import build_parser
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
        HEALTH_PORT="0",  # parallel runs would compete for one port
        LOG_LEVEL="WARNING",
    )
    return env


async def stop_tasks_run(
    fake: FakeTelegram,
    tmp_path: Path,
    stop: Callable[[asyncio.subprocess.Process], object],
    **popen: Any,
) -> tuple[int, list[psutil.Process]]:
    """Start ``python3 tasks.py run`` (the real bot against the fake Bot API, with its
    embedded database), wait until it answers a user, ``stop`` it; return its exit code
    and what of the bot and its database is still running 30 s later."""
    fake.add_bot(TOKEN, USERNAME)
    pid_file = tmp_path / "data" / "postgres" / "postmaster.pid"
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
        started = psutil.Process(tasks.pid).children()  # journal run
        assert len(started) == 1
        started.append(psutil.Process(int(pid_file.read_text().split()[0])))  # PostgreSQL

        stop(tasks)
        code = await asyncio.wait_for(tasks.wait(), timeout=60)
        _, alive = await asyncio.to_thread(psutil.wait_procs, started, timeout=30)
    finally:
        if tasks.returncode is None:
            if not started:  # it failed to start: leave nothing behind
                with contextlib.suppress(psutil.Error):
                    started = psutil.Process(tasks.pid).children()
                with contextlib.suppress(psutil.Error, OSError, ValueError):
                    started.append(psutil.Process(int(pid_file.read_text().split()[0])))
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


# ------------------------------------------------------------- deployment files


def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def required_settings() -> set[str]:
    """The settings whose comment in .env.example says they are required."""
    required: set[str] = set()
    comment: list[str] = []
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.startswith("#"):
            comment.append(line)
            continue
        setting = re.match(r"([A-Z_]+)=", line)
        if setting and re.search(r"\brequired\b", " ".join(comment), re.I):
            required.add(setting.group(1))
        comment = []
    return required


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions, continuation lines joined: (INSTRUCTION, arguments)."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def exec_form(arguments: str) -> list[str]:
    value = json.loads(arguments)
    assert isinstance(value, list), arguments
    return [str(v) for v in value]


def test_compose_passes_every_required_setting_to_the_bot() -> None:
    required = required_settings()
    assert "BOT_TOKEN" in required
    bot = compose()["services"]["bot"]
    assert bot["env_file"] == ".env"  # every other setting, as .env.example explains it
    for name in required:
        # ${NAME:?…}: `docker compose up` stops at once, naming it, when it is not set.
        assert re.fullmatch(rf"\$\{{{name}:\?.+\}}", bot["environment"][name]), name


def test_every_variable_compose_requires_is_explained_in_env_example() -> None:
    required = set(re.findall(r"\$\{([A-Z_]+):\?", (ROOT / "compose.yaml").read_text()))
    assert {"BOT_TOKEN", "POSTGRES_PASSWORD"} <= required
    example = (ROOT / ".env.example").read_text()
    for name in required:  # a setting, or commented out: compose's own (not the app's)
        assert re.search(rf"^(# )?{name}=", example, re.M), name


def test_compose_database_url_points_at_its_postgres_17_service() -> None:
    services = compose()["services"]
    db, bot = services["db"], services["bot"]
    assert db["image"] == "postgres:17"
    url = make_url(bot["environment"]["DATABASE_URL"].replace("${POSTGRES_PASSWORD}", "secret"))
    assert url.drivername == "postgresql+asyncpg"
    assert (url.host, url.port) == ("db", 5432)
    assert url.username == db["environment"]["POSTGRES_USER"]
    assert url.database == db["environment"]["POSTGRES_DB"]
    assert db["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    assert "pg_isready" in db["healthcheck"]["test"]
    assert bot["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert db["restart"] == bot["restart"] == "unless-stopped"


def test_compose_keeps_the_database_data_and_backups_in_named_volumes() -> None:
    spec = compose()
    named = set(spec["volumes"])

    def mounts(service: str) -> dict[str, str]:
        """Where each named volume of ``service`` is mounted; a host path fails."""
        found: dict[str, str] = {}
        for entry in spec["services"][service]["volumes"]:
            source, target = entry.split(":")[:2]
            assert source in named, f"{service}: {entry} is not a named volume"
            found[target] = source
        return found

    assert "/var/lib/postgresql/data" in mounts("db")
    bot = mounts("bot")
    environment = spec["services"]["bot"]["environment"]
    backup_dirs = environment["BACKUP_DIRS"].split(",")
    assert len(backup_dirs) >= 2  # R22: two folders
    for folder in [environment["DATA_DIR"], *backup_dirs]:
        assert folder in bot, folder
    assert len({bot[f] for f in backup_dirs}) == len(backup_dirs)  # not one volume twice
    assert mounts("db")["/var/lib/postgresql/data"] not in bot.values()


def test_dockerfile_installs_this_project_and_runs_journal_run() -> None:
    steps = dockerfile()
    project = pyproject()["project"]
    image = next(arguments for instruction, arguments in steps if instruction == "FROM")
    version = re.fullmatch(r"python:(3\.\d+)-slim", image)
    assert version, image
    assert SpecifierSet(project["requires-python"]).contains(f"{version.group(1)}.0")
    installs = [a for i, a in steps if i == "RUN" and "pip install" in a]
    assert len(installs) == 1
    # The project itself from the build context (pyproject.toml), not editable, no dev tools.
    command = installs[0].split("&&")[0].split()
    assert command == ["pip", "install", "."], installs[0]
    copies = [a.split() for i, a in steps if i == "COPY"]
    assert [".", "."] in copies
    users = [a for i, a in steps if i == "USER"]
    assert users and users[-1] not in ("root", "0")
    entry = exec_form(next(a for i, a in steps if i == "ENTRYPOINT"))
    cmd = exec_form(next(a for i, a in steps if i == "CMD"))
    assert [*entry, *cmd] == ["journal", "run"]
    assert "journal" in project["scripts"]
    assert build_parser().parse_args(["run"]).command == "run"
    data_dir = re.search(r"DATA_DIR=(\S+)", " ".join(a for i, a in steps if i == "ENV"))
    assert data_dir
    assert data_dir.group(1) in exec_form(next(a for i, a in steps if i == "VOLUME"))


def test_dockerignore_keeps_secrets_out_and_what_pip_needs_in() -> None:
    ignored = {
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".env", ".venv", ".git", "data"} <= ignored
    config = pyproject()
    needed = ["pyproject.toml", *config["project"]["license-files"]]
    needed += [p.rstrip("*") for p in config["tool"]["setuptools"]["packages"]["find"]["include"]]
    assert not ignored & set(needed)


def test_systemd_unit_runs_journal_run_with_an_environment_file() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]  # configparser's documented hook
    unit.read_string((ROOT / "deploy" / "school-journal.service").read_text())
    service = unit["Service"]
    executable, *arguments = service["ExecStart"].split()
    assert Path(executable).name == "journal" and arguments == ["run"]
    assert service["EnvironmentFile"].endswith(".env")
    assert Path(service["WorkingDirectory"]) == Path(service["EnvironmentFile"]).parent
    assert service["User"] not in ("root", "0")
    assert service["Restart"] == "on-failure"
    # SIGTERM to journal run alone, time to stop its embedded PostgreSQL.
    assert service["KillSignal"] == "SIGTERM"
    assert service["KillMode"] == "mixed"
    assert int(service["TimeoutStopSec"]) >= 60
    assert unit["Install"]["WantedBy"] == "multi-user.target"
