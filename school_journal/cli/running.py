"""``journal run`` (the bot, with what runs beside it, and its webhook workers) and
``journal sandbox``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from school_journal.app import App, application
from school_journal.cli.parsing import Commands
from school_journal.settings import Settings
from school_journal.workers import SERVE_ONLY_FLAG, announce_ready, extra_workers, stop_with_parent
from texts import t

if TYPE_CHECKING:
    from aiogram import Bot


def add_run(commands: Commands) -> None:
    h = commands.h
    run = commands.add("run", "cli.help.run")
    run.add_argument("--webhook", action="store_true", help=h("cli.help.run.webhook"))
    run.add_argument(
        "--workers",
        type=commands.number,
        metavar=h("cli.metavar.number"),
        help=h("cli.help.run.workers"),
    )
    run.add_argument(SERVE_ONLY_FLAG, action="store_true", help=argparse.SUPPRESS)


def add_sandbox(commands: Commands) -> None:
    h = commands.h
    sandbox = commands.add("sandbox", "cli.help.sandbox")
    sandbox.add_argument(
        "--data-dir",
        type=Path,
        default=Path("data/sandbox"),
        metavar=h("cli.metavar.folder"),
        help=h("cli.help.sandbox.data_dir"),
    )
    sandbox.add_argument("--max", action="store_true", help=h("cli.help.sandbox.max"))


async def run_command(args: argparse.Namespace, settings: Settings) -> int:
    """Serve Telegram with ``BOT_TOKEN``, MAX with ``MAX_BOT_TOKEN``, both with both, from
    one process (the scheduled jobs and each messenger's outbox sender beside them), and
    from ``--workers`` processes when every messenger served takes its updates by webhook."""
    telegram = settings.bot_token is not None and bool(settings.bot_token.get_secret_value())
    max_token = settings.max_bot_token is not None and bool(
        settings.max_bot_token.get_secret_value()
    )
    if not telegram and not max_token:
        print(t("cli.no_token"), file=sys.stderr)
        return 2
    if args.workers is not None:
        if args.workers < 1:
            print(t("cli.workers_invalid"), file=sys.stderr)
            return 2
        settings = settings.model_copy(update={"webhook_workers": args.workers})
    webhook = args.webhook or bool(settings.webhook_url)
    by_webhook = (not telegram or webhook) and (not max_token or bool(settings.max_webhook_url))
    if settings.webhook_workers > 1 and not by_webhook:
        print(t("cli.workers_need_webhook"), file=sys.stderr)
        return 2
    if args.serve_only:  # an extra worker, started by the first process below
        return await serve_only(settings, telegram=telegram, max_token=max_token)
    if not telegram:
        return await run_max_only(settings)
    from bot.telegram.startup import TokenRejected  # the bot is wired only when asked for
    from school_journal.reloading import serve_reloading
    from school_journal.school_bots import SchoolBotUnreadable

    try:
        async with application(settings) as app:
            await app.open_school_bots()  # before any worker starts: refused here, in words
            async with extra_workers(app.database_url, settings.webhook_workers):
                with stop_on_signals() as stop:
                    await serve_reloading(  # a school's new bot is served without a restart
                        app,
                        stop,
                        webhook=webhook,
                        alongside=lambda bot: alongside_telegram(app, bot, max_token),
                    )
    except TokenRejected:
        print(t("cli.bad_token"), file=sys.stderr)
        return 1
    except SchoolBotUnreadable as err:
        print(t("cli.school_bot_unreadable", school=err.school), file=sys.stderr)
        return 1
    return 0


async def serve_only(settings: Settings, *, telegram: bool, max_token: bool) -> int:
    """An extra webhook worker: it takes the updates of each messenger's webhook on the
    shared port (the first process subscribed them and runs everything else) and says it
    listens once every port is open."""
    from school_journal.service import max_updates

    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with (
        application(settings, migrate=False) as app,
        stop_with_parent(stop),
        max_updates(app, serve_only=True) if max_token else contextlib.nullcontext(),
    ):
        if not telegram:
            announce_ready()
            await stop.wait()
            return 0
        from school_journal.reloading import serve_reloading

        await app.open_school_bots()  # the first process has opened them already
        # Each worker watches the schools' bots itself and serves their paths anew.
        await serve_reloading(app, stop, webhook=True, serve_only=True, on_listening=announce_ready)
    return 0


@contextlib.contextmanager
def stop_on_signals() -> Iterator[asyncio.Event]:
    """An event SIGINT/SIGTERM set while the block runs (a reload of the schools' bots
    included: the stop is not missed between two rounds of serving)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        yield stop
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


@contextlib.asynccontextmanager
async def alongside_telegram(app: App, bot: Bot, max_token: bool) -> AsyncIterator[object]:
    """What runs beside the Telegram bot: the jobs and senders, and MAX's updates too."""
    from school_journal.service import background, max_updates

    async with (
        background(app, bot, health=True) as scheduler,
        max_updates(app) if max_token else contextlib.nullcontext(),
    ):
        yield scheduler


async def run_max_only(settings: Settings) -> int:
    """A school on MAX only: its updates, the jobs and the MAX sender, until SIGINT/SIGTERM
    (and the extra webhook workers of ``--workers``)."""
    from school_journal.service import background, max_updates

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with (
        application(settings) as app,
        extra_workers(app.database_url, settings.webhook_workers),
        background(app, None, health=True),
        max_updates(app),
    ):
        await stop.wait()
    return 0


async def sandbox_command(args: argparse.Namespace, settings: Settings) -> int:
    from core.models import Messenger
    from school_journal.sandbox import run_sandbox

    logging.getLogger().setLevel(logging.WARNING)  # the console is the sandbox's output
    messenger = Messenger.MAX if args.max else Messenger.TELEGRAM
    return await run_sandbox(args.data_dir, messenger=messenger)
