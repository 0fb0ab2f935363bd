"""What runs beside the bot in ``journal run``: the notification scheduler (APScheduler,
in-process), the outbox senders (Telegram's, and MAX's when ``MAX_BOT_TOKEN`` is set), the
scheduled backup, the archive of closed periods and the audit log's next partitions.
Started here from what the composition root (``school_journal.app``) builds; the bot
itself is started by ``bot.telegram.runner.run_bot``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from aiogram import Bot
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.faults import log_failure
from core import audit_partitions
from notifications.scheduler import build_scheduler
from school_journal.app import App
from school_journal.archive import archive_closed_periods
from school_journal.backup import MIN_DESTINATIONS, MIN_KEY_BYTES, parse_dirs, scheduled_backup
from school_journal.health import serve_health
from texts import Texts

log = logging.getLogger(__name__)

# How long a stopping sender may take to record the sends in flight.
SENDER_STOP_TIMEOUT = 30.0
MAX_STOP_TIMEOUT = 15.0  # the MAX updates in hand, finished on stop


def hourly(
    scheduler: AsyncIOScheduler, app: App, job: Callable[[], Awaitable[None]], name: str
) -> None:
    """Run ``job`` at start and then every hour."""
    scheduler.add_job(job, IntervalTrigger(hours=1, timezone=app.journal.rules.timezone), id=name)
    scheduler.add_job(job, id=f"{name}_on_start")  # no trigger: once, at start


def add_backup_job(scheduler: AsyncIOScheduler, app: App) -> bool:
    """R22: look hourly whether a backup is due (every ``BACKUP_EVERY_DAYS``); False when
    backups are not configured (a warning is logged: the regulation is then unmet)."""
    settings = app.settings
    destinations = parse_dirs(settings.backup_dirs)
    key = settings.backup_key()
    if len(destinations) < MIN_DESTINATIONS or len(key) < MIN_KEY_BYTES:
        log.warning("scheduled backups are off: set BACKUP_DIRS (two folders) and BACKUP_HMAC_KEY")
        return False

    async def job() -> None:
        try:
            result = await scheduled_backup(
                app.database_url,
                destinations,
                key,
                app.journal.clock,
                every_days=settings.backup_every_days,
                keep=settings.backup_keep,
                bin_dir=settings.pg_bin_dir,
            )
        except Exception:  # logged by scheduled_backup; try again at the next hour
            app.metrics.job_failed("backup")
            return
        if result is not None:
            log.info("scheduled backup written: %s", result.manifest.file)

    hourly(scheduler, app, job, "backup")
    return True


def add_archive_job(scheduler: AsyncIOScheduler, app: App) -> bool:
    """R10, R22: export closed periods' summary sheets into the backup folders, hourly."""
    roots = parse_dirs(app.settings.backup_dirs)
    if not roots:
        return False

    async def job() -> None:
        try:
            await archive_closed_periods(app.journal, roots)
        except Exception as err:
            log_failure(log, "archiving closed periods failed; trying again in an hour", err)
            app.metrics.job_failed("archive")

    hourly(scheduler, app, job, "archive")
    return True


def add_partitions_job(scheduler: AsyncIOScheduler, app: App) -> None:
    """Issue 14: the audit log's partitions for this school year and the next, at start
    and hourly (two catalogue look-ups when they are there)."""

    async def job() -> None:
        try:
            added = await audit_partitions.add_due_partitions(app.journal)
        except Exception as err:
            message = "adding the audit log's partitions failed; trying again in an hour"
            log_failure(log, message, err)
            app.metrics.job_failed("audit_partitions")
            return
        if added:
            log.info("audit log partitions added: %s", ", ".join(added))

    hourly(scheduler, app, job, "audit_partitions")


def count_job(app: App, event: JobExecutionEvent) -> None:
    """Every run of a scheduled job, and whether it raised (``GET /metrics``)."""
    app.metrics.job_ran(event.job_id, failed=event.exception is not None)


@contextlib.asynccontextmanager
async def background(
    app: App, bot: Bot | None, *, health: bool = False
) -> AsyncIterator[AsyncIOScheduler]:
    """Run the scheduler (notification jobs, backups) and the outbox senders (one per
    messenger with a token: Telegram's ``bot``, MAX's when ``MAX_BOT_TOKEN`` is set) while
    the block runs (it gets the scheduler); stop them cleanly (each records its sends in
    flight) on exit. ``health``: also serve ``GET /health`` and ``GET /metrics`` (as
    ``journal run`` does)."""
    settings = app.settings
    if settings.notifications_enabled:
        scheduler = build_scheduler(app.jobs())
    else:
        scheduler = AsyncIOScheduler(timezone=app.journal.rules.timezone)
    add_backup_job(scheduler, app)
    add_archive_job(scheduler, app)
    add_partitions_job(scheduler, app)
    scheduler.add_listener(lambda e: count_job(app, e), EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    scheduler.start()
    stop = asyncio.Event()
    max_bot = app.max_bot() if settings.max_bot_token else None  # its sender; /health's check
    senders = app.senders(bot, max_bot) if settings.notifications_enabled else []
    sender_tasks = [asyncio.create_task(sender.run(stop)) for sender in senders]
    try:
        serving = serve_health(app, bot, scheduler, max_bot) if health else None
        async with serving or contextlib.nullcontext():
            yield scheduler
    finally:
        if scheduler.running:  # not shut down by something else meanwhile
            scheduler.shutdown(wait=False)
        stop.set()
        for sender, task in zip(senders, sender_tasks, strict=True):
            await _stopped(", ".join(sender.channels), task)
        if max_bot is not None:
            await max_bot.close_session()


async def _stopped(channels: str, task: asyncio.Task[None]) -> None:
    """Wait for a stopping sender (of these channels) to record its sends in flight."""
    try:
        await asyncio.wait_for(task, SENDER_STOP_TIMEOUT)
    except TimeoutError:
        log.warning("the outbox sender %s did not stop in time; its leases will expire", channels)
    except Exception:
        log.exception("the outbox sender %s failed", channels)


@contextlib.asynccontextmanager
async def max_updates(app: App, *, serve_only: bool = False) -> AsyncIterator[None]:
    """Serve the MAX bot's updates through the same flows as Telegram's while the block
    runs: by its webhook with ``MAX_WEBHOOK_URL`` (``bot/max/webhook.py``), else by long
    polling (``bot/max/runner.py``); on exit the updates in hand are finished.
    ``serve_only``: an extra webhook worker's share, the webhook's port opened beside the
    first process's (SO_REUSEPORT) without subscribing or setting the menu, which the first
    process does."""
    from bot.flows.features import all_routes
    from bot.max import commands, webhook
    from bot.max.dispatch import MaxDispatcher
    from bot.max.runner import Poller

    s = app.settings
    if serve_only and not s.max_webhook_url:  # polling is the first process's alone
        yield
        return
    bot = app.max_bot(answering=True)
    rules = s.notification_rules()
    dispatcher = MaxDispatcher(
        app.journal, bot, all_routes(), rules, app.telegram_bots(), app.metrics
    )
    poller = Poller(bot, dispatcher)
    stop = asyncio.Event()
    if s.max_webhook_url:
        secret = s.max_webhook_secret.get_secret_value() if s.max_webhook_secret else None
        serving = webhook.serve(
            bot,
            poller,
            url=s.max_webhook_url,
            path=s.max_webhook_path,
            host=s.webhook_host,
            port=s.max_webhook_port,
            secret=secret,
            stop=stop,
            subscribe=not serve_only,
            shared_port=s.webhook_workers > 1,
        )
        task = asyncio.create_task(serving)
    else:  # only the first process polls (the workers need the webhook)
        task = asyncio.create_task(poller.run(stop))
    menu = None if serve_only else asyncio.create_task(commands.publish(bot, Texts(), stop))
    try:
        yield
    finally:
        stop.set()
        if menu is not None:
            menu.cancel()  # done, or waiting to try again
            with contextlib.suppress(asyncio.CancelledError):
                await menu
        try:
            await asyncio.wait_for(task, MAX_STOP_TIMEOUT)
        except TimeoutError:
            log.warning("the MAX updates did not stop in time")
        except Exception:
            log.exception("the MAX updates failed")
        await bot.close_session()
