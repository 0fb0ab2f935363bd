"""Users read Russian by default; English is complete as the second locale."""

from __future__ import annotations

import re
from pathlib import Path

from texts import t
from texts.en import EN
from texts.ru import RU

ROOT = Path(__file__).resolve().parent.parent


def test_every_key_exists_in_both_languages_with_the_same_placeholders() -> None:
    assert set(RU) == set(EN)
    for key in RU:
        assert set(re.findall(r"{(\w+)}", RU[key])) == set(re.findall(r"{(\w+)}", EN[key])), key


def test_every_error_key_raised_in_code_is_in_the_catalogue() -> None:
    used: set[str] = set()
    for path in [
        *ROOT.glob("core/**/*.py"),
        *ROOT.glob("bot/**/*.py"),
        *ROOT.glob("notifications/**/*.py"),
    ]:
        used |= set(re.findall(r"""["']((?:error|code)\.[a-z0-9_]+)["']""", path.read_text()))
    assert used, "no keys found: the scan is broken"
    assert sorted(used - set(RU)) == []


def test_every_text_the_bot_shows_is_in_the_catalogue() -> None:
    used: set[str] = set()
    for path in [*ROOT.glob("bot/**/*.py"), *ROOT.glob("notifications/**/*.py")]:
        used |= set(re.findall(r'\btx\(\s*"([a-z0-9_.]+)"', path.read_text()))
    assert len(used) > 50, "the scan found too few keys: it is broken"
    assert sorted(used - set(RU)) == []


def test_russian_is_the_default_and_unknown_language_falls_back() -> None:
    assert t("code.expired").startswith("Срок действия кода истёк")
    assert t("code.expired", "de") == t("code.expired")
    assert t("code.expired", "en").startswith("This code has expired")
