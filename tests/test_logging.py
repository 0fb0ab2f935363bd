"""What ``journal run`` writes to its log: neither bot's token (each is part of its Bot
API's requests), and maxapi's retries told once by the adapter, not line by line."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from bot.max.client import quiet_retries
from school_journal.app import configure_logging
from school_journal.settings import Settings


@contextlib.contextmanager
def console_log(settings: Settings) -> Iterator[None]:
    """``configure_logging`` as ``journal run`` calls it, on a root logger without the
    test runner's handlers (put back after)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    root.handlers = []
    try:
        configure_logging(settings)
        yield
    finally:
        root.handlers, root.level = handlers, level


def test_neither_bots_token_reaches_the_log(capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings(
        _env_file=None,
        bot_token=SecretStr("123:telegram-secret"),
        max_bot_token=SecretStr("max-secret-token"),
    )
    with console_log(settings):
        logging.getLogger("aiohttp.client").warning(
            "GET https://api.telegram.org/bot%s/getMe and %s failed",
            "123:telegram-secret",
            "https://platform-api.max.ru/me?access_token=max-secret-token",
        )
    err = capsys.readouterr().err
    assert "telegram-secret" not in err and "max-secret-token" not in err
    assert "<BOT_TOKEN>" in err and "<MAX_BOT_TOKEN>" in err


def test_maxapis_retry_lines_are_dropped_but_the_adapters_own_are_kept(
    capsys: pytest.CaptureFixture[str],
) -> None:
    quiet_retries()
    library = logging.getLogger("bot")  # maxapi's logger, by its name
    with console_log(Settings(_env_file=None)):
        library.handle(
            library.makeRecord(
                "bot", logging.WARNING, "base.py", 1, "retry %d", (1,), None, "_on_backoff"
            )
        )
        logging.getLogger("backoff").error("Giving up _do_request(...) after 4 tries")
        logging.getLogger("bot.max.dispatch").warning("MAX did not take the answer to user 1")
    err = capsys.readouterr().err
    assert "retry 1" not in err and "Giving up" not in err
    assert "MAX did not take the answer" in err
