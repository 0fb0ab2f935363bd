"""The standalone outbox sender: ``python -m school_journal.sender --database-url URL --token
TOKEN`` (or ``journal-sender``), a process that only delivers the outbox, wired by the
composition root as ``journal run`` is: a sender for Telegram (``--token``) and one for MAX
(``--max-token`` or ``MAX_BOT_TOKEN``), each at its own pace. Options override the settings."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

# At import, not in ``_main``: tests/sender_launcher.py imports this module once (aiogram
# takes seconds, maxapi a little less) and forks senders that start at once.
import notifications.channels.max  # noqa: F401  # MAX's channel too, for the same reason
from bot.telegram.startup import TokenRejected
from notifications.sender import pending_count
from school_journal.app import application, configure_logging, load_settings
from school_journal.database import DatabaseUnavailable
from school_journal.school_bots import SchoolBotUnreadable
from school_journal.settings import Settings
from texts import t

log = logging.getLogger(__name__)


def _parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Options override the settings (``SEND_RATE``…, read as ``journal run`` reads them)."""
    parser = argparse.ArgumentParser(
        prog="python -m school_journal.sender",
        description="Deliver the outbox (standalone sender process).",
    )
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--token", default=os.environ.get("BOT_TOKEN"))
    parser.add_argument("--api-base", default=None, help="TELEGRAM_API_BASE")
    parser.add_argument("--rate", type=float, default=None, help="messages per second")
    parser.add_argument("--per-chat-interval", type=float, default=None, help="seconds")
    parser.add_argument("--batch", type=int, default=None)
    parser.add_argument("--lease", type=float, default=None, help="seconds")
    parser.add_argument("--bot-lease", type=float, default=None, help="SEND_BOT_LEASE_SECONDS")
    parser.add_argument("--request-timeout", type=float, default=None, help="seconds")
    parser.add_argument("--idle-poll", type=float, default=None, help="seconds")
    parser.add_argument("--max-token", default=os.environ.get("MAX_BOT_TOKEN"))
    parser.add_argument("--max-api-base", default=None, help="MAX_API_BASE")
    parser.add_argument("--max-rate", type=float, default=None, help="MAX messages per second")
    parser.add_argument("--worker-id", default=None)
    parser.add_argument(
        "--exit-when-drained", action="store_true", help="exit once no row is pending"
    )
    args = parser.parse_args(argv)
    if not args.database_url or not (args.token or args.max_token):
        parser.error(
            "--database-url and --token or --max-token are required"
            " (or DATABASE_URL, BOT_TOKEN, MAX_BOT_TOKEN)"
        )
    return args


_SETTINGS_OF_ARGS = {
    "database_url": "database_url",
    "token": "bot_token",
    "api_base": "telegram_api_base",
    "max_token": "max_bot_token",
    "max_api_base": "max_api_base",
    "rate": "send_rate",
    "max_rate": "max_send_rate",
    "per_chat_interval": "send_per_chat_interval",
    "batch": "send_batch",
    "lease": "send_lease_seconds",
    "bot_lease": "send_bot_lease_seconds",
    "idle_poll": "send_idle_poll",
}


async def _main(args: argparse.Namespace) -> int:
    given: dict[str, object] = {
        field: getattr(args, arg)
        for arg, field in _SETTINGS_OF_ARGS.items()
        if getattr(args, arg) is not None
    }
    for field in ("bot_token", "max_bot_token"):
        if given.get(field):
            given[field] = SecretStr(str(given[field]))
    # Options are taken as given, beyond the settings' bounds (the kill test sends 5000/s).
    settings = load_settings(**given)
    configure_logging(settings)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # it never migrates
    async with application(settings, migrate=False) as app:
        bot = app.bot() if settings.bot_token else None
        if bot is not None:
            await app.open_school_bots()  # the schools' own bots deliver their rows too
        max_bot = app.max_bot() if settings.max_bot_token else None
        senders = app.senders(
            bot, max_bot, request_timeout=args.request_timeout, worker_id=args.worker_id
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signum, stop.set)
        watcher = (
            asyncio.create_task(_stop_when_drained(app.journal.sessions, settings, stop))
            if args.exit_when_drained
            else None
        )
        for sender in senders:
            log.info("outbox sender %s: %.1f msg/s", sender.worker_id, 1 / sender.pace.interval)
        try:
            await asyncio.gather(*(sender.run(stop) for sender in senders))
        finally:
            if watcher is not None:
                watcher.cancel()
            for each in [bot, *app.school_telegram_bots()] if bot is not None else []:
                await each.session.close()
            if max_bot is not None:
                await max_bot.close_session()
    for sender in senders:
        log.info("outbox sender %s stopped: %s", sender.worker_id, sender.stats)
    return 0


async def _stop_when_drained(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, stop: asyncio.Event
) -> None:
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(0.1, settings.send_idle_poll))
        if await pending_count(sessions) == 0:
            stop.set()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return asyncio.run(_main(args))
    except DatabaseUnavailable as err:  # one line, as every ``journal`` command says it
        print(t(err.key, **err.params), file=sys.stderr)
        return 1
    except TokenRejected:
        print(t("cli.bad_token"), file=sys.stderr)
        return 1
    except SchoolBotUnreadable as err:
        print(t("cli.school_bot_unreadable", school=err.school), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
