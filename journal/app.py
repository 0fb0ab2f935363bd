"""The composition root: builds the journal from settings. Nothing is built at import."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from core.clock import Clock, SystemClock
from core.journal import Journal
from core.metrics import Metrics
from journal.database import create_engine, open_database
from journal.migrate import upgrade
from journal.settings import Settings


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    journal: Journal
    database_url: str
    # What the running app counts (GET /metrics), with a registry of its own.
    metrics: Metrics = field(default_factory=Metrics)


@asynccontextmanager
async def application(
    settings: Settings, clock: Clock | None = None, *, migrate: bool | None = None
) -> AsyncIterator[App]:
    """Start the database (embedded unless ``DATABASE_URL``), apply migrations unless
    switched off, and hand out the journal; stop everything on exit."""
    async with open_database(settings.database_url, settings.data_dir) as url:
        engine = create_engine(url)
        try:
            if settings.migrate_on_start if migrate is None else migrate:
                await upgrade(engine)
            journal = Journal(
                async_sessionmaker(engine, expire_on_commit=False),
                clock or SystemClock(),
                settings.rules(),
            )
            yield App(settings, engine, journal, url, Metrics())
        finally:
            await engine.dispose()


class _RedactToken(logging.Filter):
    """The bot token is part of every Bot API URL: keep it out of the logs."""

    def __init__(self, token: str | None) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if self.token:
            message = record.getMessage()
            if self.token in message:
                record.msg = message.replace(self.token, "<BOT_TOKEN>")
                record.args = None
        return True


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # APScheduler tells about every job it adds and runs: keep that for DEBUG.
    if logging.getLogger().level > logging.DEBUG:
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
    token = settings.bot_token.get_secret_value() if settings.bot_token else None
    for handler in logging.getLogger().handlers:
        handler.addFilter(_RedactToken(token))
