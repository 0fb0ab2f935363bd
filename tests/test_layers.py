"""The house's layers, read from the imports: ``school_journal/`` is the composition root, and
nothing below it imports it (issue 11). Read from the source, so a lazy import inside a
function counts too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BELOW_THE_ROOT = ("bot", "core", "notifications", "texts", "fakegram", "fakemax", "reports")
PRODUCTION = ("bot", "core", "notifications", "texts", "reports", "school_journal")


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("package", BELOW_THE_ROOT)
def test_nothing_below_the_composition_root_imports_it(package: str) -> None:
    offenders = sorted(
        f"{path.relative_to(ROOT)}: {module}"
        for path in (ROOT / package).rglob("*.py")
        for module in imported_modules(path)
        if module == "school_journal" or module.startswith("school_journal.")
    )
    assert offenders == []


def test_core_knows_no_messenger() -> None:
    offenders = sorted(
        f"{path.relative_to(ROOT)}: {module}"
        for path in (ROOT / "core").rglob("*.py")
        for module in imported_modules(path)
        if module.split(".")[0] in ("aiogram", "bot", "fakegram", "fakemax")
    )
    assert offenders == []


def test_fakemax_is_the_messengers_side() -> None:
    """The fake MAX imports nothing of the bot, and no production code imports it but the
    sandbox (``journal sandbox --max`` plays the MAX side against it, as the Telegram
    sandbox does with fakegram)."""
    own = ("bot", "core", "notifications", "school_journal", "texts")
    offenders = sorted(
        f"{path.relative_to(ROOT)}: {module}"
        for path in (ROOT / "fakemax").rglob("*.py")
        for module in imported_modules(path)
        if module.split(".")[0] in own
    )
    offenders += sorted(
        f"{path.relative_to(ROOT)}: {module}"
        for package in PRODUCTION
        for path in (ROOT / package).rglob("*.py")
        if path != ROOT / "school_journal" / "sandbox.py"
        for module in imported_modules(path)
        if module.split(".")[0] == "fakemax"
    )
    assert offenders == []


MESSENGER_LIBRARIES = {"aiogram": "bot/telegram", "maxapi": "bot/max"}


@pytest.mark.parametrize("library", sorted(MESSENGER_LIBRARIES))
def test_each_messenger_library_is_imported_by_its_adapter_only(library: str) -> None:
    """aiogram only in the Telegram adapter, maxapi only in the MAX one (and in the
    outbox's channel for each, ``notifications/channels/``): the flows, the screens and
    the other adapter never see them."""
    home = MESSENGER_LIBRARIES[library]
    offenders = sorted(
        f"{path.relative_to(ROOT)}: {module}"
        for package in ("bot", "notifications", "core", "texts")
        for path in (ROOT / package).rglob("*.py")
        if not str(path.relative_to(ROOT)).startswith((home, "notifications/channels/"))
        for module in imported_modules(path)
        if module.split(".")[0] == library
    )
    assert offenders == []


def test_the_flows_know_no_adapter() -> None:
    offenders = sorted(
        f"{path.relative_to(ROOT)}: {module}"
        for path in (ROOT / "bot" / "flows").rglob("*.py")
        for module in imported_modules(path)
        if module.startswith(("bot.telegram", "bot.max", "aiogram", "maxapi"))
    )
    assert offenders == []
