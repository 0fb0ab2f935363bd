"""``journal run`` (the bot, with what runs beside it, and its webhook workers) and
``journal sandbox``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from school_journal.app import application
from school_journal.cli.parsing import Commands
from school_journal.settings import Settings
from school_journal.workers import SERVE_ONLY_FLAG, announce_ready, extra_workers, stop_with_parent
from texts import t


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
    if settings.bot_token is None or not settings.bot_token.get_secret_value():
        print(t("cli.no_token"), file=sys.stderr)
        return 2
    from bot.telegram.runner import run_bot  # the bot is wired only when it is asked for
    from bot.telegram.startup import TokenRejected
    from school_journal.service import background

    if args.workers is not None:
        if args.workers < 1:
            print(t("cli.workers_invalid"), file=sys.stderr)
            return 2
        settings = settings.model_copy(update={"webhook_workers": args.workers})
    webhook = args.webhook or bool(settings.webhook_url)
    if settings.webhook_workers > 1 and not webhook:
        print(t("cli.workers_need_webhook"), file=sys.stderr)
        return 2
    if args.serve_only:  # an extra worker, started by the first process below
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        async with application(settings, migrate=False) as app, stop_with_parent(stop):
            await run_bot(
                app,
                webhook=True,
                serve_only=True,
                handle_signals=False,
                stop=stop,
                on_listening=announce_ready,
            )
        return 0
    try:
        async with (
            application(settings) as app,
            extra_workers(app.database_url, settings.webhook_workers),
        ):
            await run_bot(
                app, webhook=webhook, alongside=lambda bot: background(app, bot, health=True)
            )
    except TokenRejected:
        print(t("cli.bad_token"), file=sys.stderr)
        return 1
    return 0


async def sandbox_command(args: argparse.Namespace, settings: Settings) -> int:
    from core.models import Messenger
    from school_journal.sandbox import run_sandbox

    logging.getLogger().setLevel(logging.WARNING)  # the console is the sandbox's output
    messenger = Messenger.MAX if args.max else Messenger.TELEGRAM
    return await run_sandbox(args.data_dir, messenger=messenger)
