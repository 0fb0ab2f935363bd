"""``GET /health`` and ``GET /metrics`` of ``journal run`` (aiohttp, on ``HEALTH_HOST``:
``HEALTH_PORT``; port 0 switches them off). Served by the first process only: it runs the
scheduler and the sender (``school_journal.service.background``).

``/health`` answers 200 when every check passes and 503 otherwise, with a JSON body
``{"status": "ok"|"fail", "checks": {...}, "reason": ...}``:

* ``database``: ``SELECT 1`` within ``DB_TIMEOUT`` seconds;
* ``telegram``: a Bot API request succeeded less than ``FRESH`` seconds ago (long
  polling asks every few seconds), or else a ``getMe`` now succeeds; ``max``: the same for
  MAX (``GET /me``); either is ``{"ok": null, "configured": false}`` without its token;
* ``scheduler``: APScheduler is running and no job's next run is more than
  ``SCHEDULER_LATE`` in the past (a stuck event loop or a dead scheduler);
* ``last_update``: how long ago the last update (of either messenger) was handled (informational: a
  quiet evening is not a fault).

``/metrics`` is ``prometheus_client``'s text format of the app's own registry
(``core.metrics``); outbox rows by state and the backups' ages are read just before.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.methods import GetMe
from aiogram.types import User
from aiohttp import web
from apscheduler.schedulers.base import STATE_RUNNING, BaseScheduler
from maxapi import Bot as MaxBot
from prometheus_client.exposition import choose_encoder
from sqlalchemy import text

from notifications.outbox import delivery_stats
from school_journal.app import App
from school_journal.backup import destinations_of, newest_backup, parse_dirs
from texts import Texts

log = logging.getLogger(__name__)

DB_TIMEOUT = 3.0  # seconds for SELECT 1 (and for the outbox counts of a scrape)
FRESH = 300.0  # a Bot API success younger than this: the messenger is reachable
ASK_TIMEOUT = 5.0  # seconds for the getMe (GET /me) asked otherwise
SCHEDULER_LATE = timedelta(minutes=5)  # a job's next run this far in the past: stuck


def _error(err: BaseException) -> str:
    described = str(err).strip()
    return f"{type(err).__name__}: {described}"[:200] if described else type(err).__name__


@dataclass
class Probe:
    """The checks behind ``/health`` and the scrape behind ``/metrics``. ``wall`` is
    APScheduler's own time (it schedules by the system clock, not the journal's)."""

    app: App
    bot: Bot | None  # None: no Telegram bot (a school on MAX only)
    scheduler: BaseScheduler | None
    max_bot: MaxBot | None = None  # None: no MAX bot
    wall: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    tx: Texts = field(default_factory=Texts)

    async def health(self) -> tuple[bool, dict[str, Any]]:
        database, telegram, max_ = await asyncio.gather(
            self.database(), self.telegram(), self.max()
        )
        checks = {
            "database": database,
            "telegram": telegram,
            "max": max_,
            "scheduler": self.scheduler_alive(),
            "last_update": self.last_update(),
        }
        reasons = [c["reason"] for c in checks.values() if c.get("ok") is False]
        ok = not reasons
        body = {"status": "ok" if ok else "fail", "checks": checks, "reason": None}
        if not ok:
            body["reason"] = "; ".join(reasons)
        return ok, body

    async def database(self) -> dict[str, Any]:
        started = time.monotonic()
        try:
            async with asyncio.timeout(DB_TIMEOUT), self.app.journal.sessions() as s:
                await s.execute(text("SELECT 1"))
        except Exception as err:  # unreachable, refused, timed out: all the same here
            error = _error(err)
            return {"ok": False, "error": error, "reason": self.tx("health.database", error=error)}
        return {"ok": True, "seconds": round(time.monotonic() - started, 4)}

    async def telegram(self) -> dict[str, Any]:
        bot = self.bot
        if bot is None:
            return {"ok": None, "configured": False}

        async def get_me() -> User:  # the session itself: no retries, a short timeout
            return await bot.session.make_request(
                bot,
                GetMe(),
                timeout=ASK_TIMEOUT,  # type: ignore[arg-type]  # aiogram says int; aiohttp takes float
            )

        return await self.reachable("telegram", get_me, bot.token)

    async def max(self) -> dict[str, Any]:
        bot = self.max_bot
        if bot is None:
            return {"ok": None, "configured": False}
        token = self.app.settings.max_bot_token
        return await self.reachable("max", bot.get_me, token.get_secret_value() if token else "")

    async def reachable(
        self, messenger: str, get_me: Callable[[], Awaitable[object]], token: str
    ) -> dict[str, Any]:
        """``messenger``'s Bot API answered less than ``FRESH`` seconds ago (polling asks
        every few seconds, the sender on every message), or else answers ``get_me`` now."""
        metrics = self.app.metrics
        age = metrics.reached_ago(messenger)
        if age is not None and age < FRESH:
            return {"ok": True, "last_success_seconds_ago": round(age, 1)}
        try:
            async with asyncio.timeout(ASK_TIMEOUT + 1):
                await get_me()
        except Exception as err:
            error = _error(err).replace(token, "<token>") if token else _error(err)
            return {
                "ok": False,
                "error": error,
                "last_success_seconds_ago": None if age is None else round(age, 1),
                "reason": self.tx(f"health.{messenger}", error=error),
            }
        metrics.reached(messenger)
        return {"ok": True, "last_success_seconds_ago": 0.0}

    def scheduler_alive(self) -> dict[str, Any]:
        scheduler = self.scheduler
        if scheduler is None or scheduler.state != STATE_RUNNING:
            return {"ok": False, "running": False, "reason": self.tx("health.scheduler_stopped")}
        now = self.wall()
        jobs = scheduler.get_jobs()
        late = [
            (job.id, job.next_run_time)
            for job in jobs
            if job.next_run_time is not None and now - job.next_run_time > SCHEDULER_LATE
        ]
        if late:
            job, due = min(late, key=lambda pair: pair[1])
            minutes = int((now - due).total_seconds() // 60)
            return {
                "ok": False,
                "running": True,
                "late_jobs": [job_id for job_id, _ in late],
                "reason": self.tx("health.scheduler_late", job=job, minutes=minutes),
            }
        return {"ok": True, "running": True, "jobs": len(jobs)}

    def last_update(self) -> dict[str, Any]:
        age = self.app.metrics.age(self.app.metrics.last_update_at)
        return {"seconds_ago": None if age is None else round(age, 1)}

    async def scrape(self, accept: str = "") -> tuple[bytes, str]:
        """Read what lives in the database and on disk, then render the registry in the
        format the scraper accepts (Prometheus text, or OpenMetrics): body, content type."""
        scraped = self.app.metrics.scraped
        try:
            async with asyncio.timeout(DB_TIMEOUT):
                stats = await delivery_stats(self.app.journal)
        except Exception as err:
            log.warning("metrics: outbox not counted: %s", _error(err))
            scraped.outbox, scraped.database_up = None, False
        else:
            scraped.outbox = {
                "pending": stats.pending,
                "sent": stats.sent,
                "failed": stats.failed,
                "unreachable": stats.unreachable,
            }
            scraped.database_up = True
        scraped.backup_ages = await asyncio.to_thread(self.backup_ages)
        encode, content_type = choose_encoder(accept)
        return encode(self.app.metrics.registry), content_type

    def backup_ages(self) -> dict[str, float]:
        now = self.app.journal.clock.now()
        ages: dict[str, float] = {}
        for folder in destinations_of(parse_dirs(self.app.settings.backup_dirs)):
            newest = newest_backup(folder)
            ages[str(folder)] = math.inf if newest is None else (now - newest).total_seconds()
        return ages


def health_app(probe: Probe) -> web.Application:
    async def health(_: web.Request) -> web.Response:
        ok, body = await probe.health()
        return web.Response(
            text=json.dumps(body, ensure_ascii=False),
            status=200 if ok else 503,
            content_type="application/json",
        )

    async def metrics(request: web.Request) -> web.Response:
        body, content_type = await probe.scrape(request.headers.get("Accept", ""))
        return web.Response(body=body, headers={"Content-Type": content_type})

    application = web.Application()
    application.router.add_get("/health", health)
    application.router.add_get("/metrics", metrics)
    return application


@contextlib.asynccontextmanager
async def serve_health(
    app: App, bot: Bot | None, scheduler: BaseScheduler | None, max_bot: MaxBot | None = None
) -> AsyncIterator[Probe | None]:
    """Serve ``/health`` and ``/metrics`` while the block runs (nothing when
    ``HEALTH_PORT`` is 0). A port that cannot be opened is one error line in the log; the
    bot runs on without them."""
    settings = app.settings
    if not settings.health_port:
        yield None
        return
    probe = Probe(app, bot, scheduler, max_bot)
    runner = web.AppRunner(health_app(probe), access_log=None)  # a scrape every few seconds
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.health_host, settings.health_port)
        try:
            await site.start()
        except OSError as err:
            log.error(
                "health and metrics are off: cannot listen on %s:%s (%s); set HEALTH_PORT",
                settings.health_host,
                settings.health_port,
                err.strerror or err,
            )
        else:
            log.info(
                "health and metrics on http://%s:%s/health and /metrics",
                settings.health_host,
                settings.health_port,
            )
        yield probe
    finally:
        await runner.cleanup()
