#!/usr/bin/env python3
"""The two commands a newcomer needs, on a machine with only Python 3.11+ and pip:

    python3 tasks.py run     # install into ./.venv if needed, then start the bot
    python3 tasks.py test    # install into ./.venv if needed, then lint and run all tests

Also: ``python3 tasks.py bench`` (benchmarks), ``python3 tasks.py sandbox`` (play the bot
in a terminal without a token), ``python3 tasks.py journal ARGS…`` (any CLI command).
"""

from __future__ import annotations

import hashlib
import os
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


def run(*command: str) -> int:
    return subprocess.run(command, cwd=ROOT).returncode


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
    tests = run(str(BIN / "pytest"), *argv[1:])
    return tests or lint


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
