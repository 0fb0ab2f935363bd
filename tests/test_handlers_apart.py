"""Issue 11: handlers are the Telegram adapter's rooms, one feature each; what two of them
share is a screen (``bot/screens/``) or core, never another handler."""

from __future__ import annotations

import ast
from pathlib import Path

HANDLERS = Path(__file__).resolve().parent.parent / "bot" / "telegram" / "handlers"


def test_no_handler_imports_another_handler() -> None:
    offenders = []
    for path in sorted(HANDLERS.glob("*.py")):
        if path.name == "__init__.py":  # the list of routers
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module.startswith("bot.telegram.handlers"):
                    offenders.append(f"{path.name}: from {node.module}")
            elif isinstance(node, ast.Import):
                offenders += [
                    f"{path.name}: import {a.name}"
                    for a in node.names
                    if a.name.startswith("bot.telegram.handlers")
                ]
    assert offenders == []
    assert len(list(HANDLERS.glob("*.py"))) > 10  # the glob found the handlers
