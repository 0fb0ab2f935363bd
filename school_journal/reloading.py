"""The running ``journal run`` (and each of its webhook workers) picks up a school's new,
replaced or dropped bot by itself (issue 14): every ``SCHOOL_BOTS_POLL_SECONDS`` it reads
the schools' bots; when they differ from what it serves, it stops serving updates (the
updates in hand are answered and confirmed, the others stay with Telegram), stops what
runs beside the bot (the senders give back their bots' leases), opens the schools' bots
again and serves the new set. Nothing changes: nothing restarts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import TYPE_CHECKING

from bot.faults import log_failure
from school_journal.app import App
from texts import t

if TYPE_CHECKING:
    from aiogram import Bot

    from school_journal.school_bots import OpenedBot

log = logging.getLogger(__name__)

Version = frozenset[tuple[int, int, datetime]]
DELETE_TIMEOUT = 10.0  # seconds: deleteWebhook of a bot served no more


def version_of(bots: list[OpenedBot]) -> Version:
    return frozenset(b.version for b in bots)


class SchoolBotsWatch:
    """Looks at the schools' bots every ``every`` seconds while a round of serving runs,
    and ends the round when they changed (``checks``, ``reloads``: how often it looked and
    how often it reloaded)."""

    def __init__(self, app: App, every: float | None = None) -> None:
        self.app = app
        self.every = app.settings.school_bots_poll_seconds if every is None else every
        self.served: list[OpenedBot] = list(app.school_bots)  # as read, before any drop
        self.seen: Version = version_of(self.served)  # the last set read, served or not
        self.ready: list[OpenedBot] | None = None  # read and opened, to serve next
        self.checks = 0
        self.reloads = 0

    async def until_changed(self, stop: asyncio.Event) -> None:
        """Return once ``stop`` is set or the schools' bots changed (``ready``)."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.every)
            if stop.is_set():
                return
            if await self.check():
                return

    async def check(self) -> bool:
        """Whether the schools' bots changed since they were last read; if so they are
        read with their tokens opened, ready to serve. A token ``BOT_TOKEN_KEY`` cannot
        open is said once, and the bots served stay as they are."""
        from school_journal.school_bots import SchoolBotUnreadable

        self.checks += 1
        try:
            now = await self.app.read_school_bots()
        except SchoolBotUnreadable as err:
            log.error(t("run.school_bot_unreadable", school=err.school))
            self.seen = await self._versions()
            return False
        except Exception as err:  # the database away for a moment: look again next time
            log_failure(log, "could not read the schools' bots; looking again later", err)
            return False
        if version_of(now) == self.seen:
            return False
        self.seen = version_of(now)
        self.ready = now
        return True

    async def _versions(self) -> Version:
        from core.school_bots import school_bots

        return frozenset(
            (e.school_id, e.bot_id, e.set_at) for e in await school_bots(self.app.journal)
        )

    def reload(self) -> list[OpenedBot]:
        """Serve the bots read by the last ``check`` from the next round on, and say so;
        the bots served no more (a school's replaced or dropped bot)."""
        assert self.ready is not None
        before = {b.version: b for b in self.served}
        after = {b.version: b for b in self.ready}
        added = [b for v, b in after.items() if v not in before]
        removed = [b for v, b in before.items() if v not in after]
        self.app.use_school_bots(self.ready)
        self.served, self.ready = self.ready, None
        self.reloads += 1
        log.info(t("run.school_bots_reloaded", added=_named(added), removed=_named(removed)))
        still = {b.bot_id for b in self.served}  # a bot set again (a new token): still served
        return [b for b in removed if b.bot_id not in still]


def _named(bots: list[OpenedBot]) -> str:
    return ", ".join(f"«{b.school_name}» (@{b.username})" for b in bots) or t("run.none")


async def _end_round(watch: SchoolBotsWatch, stop: asyncio.Event, ends: asyncio.Event) -> None:
    await watch.until_changed(stop)
    ends.set()


async def serve_reloading(
    app: App,
    stop: asyncio.Event,
    *,
    webhook: bool = False,
    alongside: Callable[[Bot], AbstractAsyncContextManager[object]] | None = None,
    serve_only: bool = False,
    on_listening: Callable[[], None] | None = None,
    watch: SchoolBotsWatch | None = None,
) -> None:
    """``run_bot`` until ``stop`` (the caller's SIGINT/SIGTERM), again with the new set each
    time the schools' bots change (``app.open_school_bots`` first)."""
    from bot.telegram.runner import run_bot

    watch = watch or SchoolBotsWatch(app)
    while not stop.is_set():
        this_round = asyncio.Event()
        watcher = asyncio.create_task(_end_round(watch, stop, this_round))
        try:
            await run_bot(
                app,
                webhook=webhook,
                handle_signals=False,
                stop=this_round,
                alongside=alongside,
                serve_only=serve_only,
                on_listening=on_listening,
            )
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        if stop.is_set() or watch.ready is None:
            return  # stopped (or run_bot ended by itself)
        gone = watch.reload()
        if webhook and not serve_only:  # the first process: it sets the webhooks
            for bot in gone:
                await delete_webhook(app, bot)


async def delete_webhook(app: App, gone: OpenedBot) -> None:
    """Telegram stops posting a bot served no more to its path (which answers 404 now),
    if its token still works; one log line either way."""
    from bot.telegram.transport import build_bot

    bot = build_bot(gone.token, app.settings.telegram_api_base)
    try:
        await asyncio.wait_for(bot.delete_webhook(drop_pending_updates=False), DELETE_TIMEOUT)
    except Exception as err:  # a revoked token, Telegram away: the path answers 404
        error = getattr(err, "message", None) or type(err).__name__
        log.warning(
            t(
                "run.school_bot_webhook_kept",
                username=gone.username,
                school=gone.school_name,
                error=error,
            )
        )
    else:
        log.info(
            t("run.school_bot_webhook_deleted", username=gone.username, school=gone.school_name)
        )
    finally:
        await bot.session.close()
