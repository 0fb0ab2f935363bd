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
    """The fake MAX imports nothing of the bot, and no production code imports it."""
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
        for module in imported_modules(path)
        if module.split(".")[0] == "fakemax"
    )
    assert offenders == []


def test_flows_know_no_messenger() -> None:
    """The flows (``bot/flows/``) serve every messenger: no aiogram, no maxapi, no adapter."""
    offenders = sorted(
        f"{path.relative_to(ROOT)}: {module}"
        for path in (ROOT / "bot" / "flows").rglob("*.py")
        for module in imported_modules(path)
        if module.split(".")[0] in ("aiogram", "maxapi")
        or module == "bot.telegram"
        or module.startswith(("bot.telegram.", "bot.max"))
    )
    assert offenders == []
