"""Every setting is documented in .env.example, and the defaults need nothing but a token."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from school_journal.cli import main
from school_journal.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def test_env_example_lists_every_setting() -> None:
    documented = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert documented == {name.upper() for name in Settings.model_fields}


def test_env_example_values_parse() -> None:
    values = dict(re.findall(r"^([A-Z_]+)=(.*)$", (ROOT / ".env.example").read_text(), re.M))
    settings = Settings(_env_file=None, **{k.lower(): v for k, v in values.items() if v})
    assert settings.correction_deadline.hour == 20
    assert settings.edit_window_days is None


def test_run_without_token_fails_with_a_message_naming_bot_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    assert main(["run"]) == 2
    assert "BOT_TOKEN" in capsys.readouterr().err
