"""A revert in the reader's language. Core hands over phrases, keys with values
(:class:`core.revert.Phrase`); the bot, the CLI and the notices render them here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.revert import Phrase

Tx = Callable[..., str]  # ``texts.t`` or a ``texts.Texts``: tx(key, **params) -> str


def render(phrase: Phrase, tx: Tx) -> str:
    """The phrase in words, its nested phrases first."""
    params: dict[str, Any] = {
        name: render(value, tx) if isinstance(value, Phrase) else value
        for name, value in phrase.params.items()
    }
    return tx(phrase.key, **params)
