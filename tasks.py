#!/usr/bin/env python3
"""The two commands a newcomer needs, on a machine with only Python 3.11+ and pip:

    python3 tasks.py run     # install into ./.venv if needed, then start the bot
    python3 tasks.py test    # install into ./.venv if needed, then lint, type-check, run all tests

Also: ``python3 tasks.py bench`` (benchmarks), ``python3 tasks.py sandbox`` (play the bot
in a terminal without a token), ``python3 tasks.py journal ARGS…`` (any CLI command).
Ctrl+C or SIGTERM is passed on to the command a task started, and waited for.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed"


def ensure_installed() -> None:
    """Create the virtualenv and install the project with its dev tools, again whenever
    pyproject.toml changes."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print("creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("installing dependencies …", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(wanted)


FORWARDED = (signal.SIGINT, signal.SIGTERM)


def terminal_sent_it() -> bool:
    """Whether a SIGINT just received came from the terminal (Ctrl+C), as far as can be
    told: we are its foreground process group. The terminal sends it to the whole group,
    so the child, in our group, has it already (a second one could cut its cleanup short)."""
    if not hasattr(os, "tcgetpgrp"):
        return True  # Windows: Ctrl+C reaches every process of the console
    try:
        fd = os.open("/dev/tty", os.O_RDONLY)  # fails without a controlling terminal
    except OSError:
        return False
    try:
        return os.tcgetpgrp(fd) == os.getpgrp()
    except OSError:
        return False
    finally:
        os.close(fd)


def run(*command: str) -> int:
    """Run ``command``, passing SIGINT and SIGTERM on to it, and wait for it, however often
    we are signalled: killing ``tasks.py run`` stops ``journal run``, which stops its
    embedded PostgreSQL, instead of leaving both running as orphans. Returns the child's
    exit code (128 + the signal's number when a signal ended it, as a shell says)."""
    child: subprocess.Popen[bytes] | None = None
    pending: list[int] = []  # arrived before the child was started

    def forward(signum: int, _frame: object) -> None:
        if signum == signal.SIGINT and terminal_sent_it():
            return
        if child is None:
            pending.append(signum)
        elif child.poll() is None:
            child.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in FORWARDED}
    try:
        child = subprocess.Popen(command, cwd=ROOT)
        for signum in pending:
            child.send_signal(signum)
        code = child.wait()  # a signal runs forward() and the wait goes on (PEP 475)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 128 - code if code < 0 else code


def main(argv: list[str]) -> int:
    task = argv[0] if argv else "help"
    if task not in {"run", "test", "bench", "sandbox", "journal"}:
        print(__doc__)
        return 0 if task == "help" else 2
    ensure_installed()
    if task == "run":
        return run(str(BIN / "journal"), "run", *argv[1:])
    if task == "sandbox":
        return run(str(BIN / "journal"), "sandbox", *argv[1:])
    if task == "journal":
        return run(str(BIN / "journal"), *argv[1:])
    if task == "bench":
        return run(str(BIN / "python"), "-m", "benchmarks", *argv[1:])
    lint = run(str(BIN / "ruff"), "check", ".")
    if lint > 128:  # stopped by a signal (Ctrl+C): no tests either
        return lint
    types = run(str(BIN / "mypy"))  # what to check: [tool.mypy] in pyproject.toml
    if types > 128:
        return types
    tests = run(str(BIN / "pytest"), *argv[1:])
    return tests or lint or types


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
