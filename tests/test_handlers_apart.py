"""Issue 12: every feature is a flow (``bot/flows/``), served the same way by both
messengers' adapters; the Telegram adapter keeps only Telegram's own updates (a user
blocking the bot) and the fallback. A feature listed for one adapter is listed for both."""

from __future__ import annotations

from pathlib import Path

from bot.flows import features

ROOT = Path(__file__).resolve().parent.parent
HANDLERS = ROOT / "bot" / "telegram" / "handlers"
FLOWS = ROOT / "bot" / "flows"


def test_the_telegram_adapter_keeps_only_telegrams_own_updates() -> None:
    assert sorted(p.name for p in HANDLERS.glob("*.py")) == [
        "__init__.py",
        "fallback.py",
        "start.py",
    ]


def test_every_feature_with_routes_is_served_by_both_adapters() -> None:
    with_routes = sorted(
        p.stem for p in FLOWS.glob("*.py") if "\ndef routes() -> Routes:" in p.read_text()
    )
    assert len(with_routes) > 10  # the glob found the features
    assert sorted(f.__name__.rsplit(".", 1)[-1] for f in features.FEATURES) == with_routes
