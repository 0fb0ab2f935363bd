"""The composition root: the one place that builds the settings, the database, the
journal, the bot and its dispatcher, the outbox sender and the notification jobs, for
every entry point (``journal run`` and its webhook workers, the standalone sender, the
sandbox, the other ``journal`` commands). Nothing is built at import, and bot/, core/
and notifications/ never import ``journal`` (tests/test_layers.py): ``bot.telegram.runner`` asks
for what it runs through its ``Wiring`` protocol, which ``App`` fulfils."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from core.clock import Clock, SystemClock
from core.identity import BotLink
from core.journal import Journal
from core.metrics import Metrics
from core.models import Messenger
from school_journal.database import create_engine, open_database
from school_journal.migrate import upgrade
from school_journal.settings import Settings
from texts import t

log = logging.getLogger(__name__)

# The messenger's side (aiogram takes seconds to import) is imported where it is built,
# so that the commands that need no bot start at once.
if TYPE_CHECKING:
    from aiogram import Bot, Dispatcher
    from maxapi import Bot as MaxBot

    from bot.telegram.runner import Webhook
    from notifications.channels import Channel
    from notifications.doorbell import Doorbell
    from notifications.leases import LeaseBook
    from notifications.recorder import Recorder
    from notifications.scheduler import NotificationJobs
    from notifications.sender import Sender
    from school_journal.school_bots import OpenedBot


def load_settings(**overrides: Any) -> Settings:
    """The settings of the environment (and ``.env``); ``overrides`` are taken as given,
    beyond the settings' bounds (the standalone sender's options)."""
    settings = Settings()
    return settings.model_copy(update=overrides) if overrides else settings


def telegram_bot(settings: Settings, metrics: Metrics | None = None) -> Bot:
    """The bot of ``BOT_TOKEN`` at ``TELEGRAM_API_BASE``; a malformed token is
    :class:`TokenRejected`, as one Telegram refuses is."""
    from aiogram.utils.token import TokenValidationError

    from bot.telegram.startup import TokenRejected
    from bot.telegram.transport import build_bot

    assert settings.bot_token is not None
    try:
        return build_bot(
            settings.bot_token.get_secret_value(), settings.telegram_api_base, metrics=metrics
        )
    except TokenValidationError:
        raise TokenRejected("malformed token") from None


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    journal: Journal
    database_url: str
    # What the running app counts (GET /metrics), with a registry of its own.
    metrics: Metrics = field(default_factory=Metrics)
    # The schools' own Telegram bots (issue 14), their tokens opened (open_school_bots).
    school_bots: list[OpenedBot] = field(default_factory=list)
    _school_telegram_bots: list[Bot] | None = field(default=None, repr=False)
    _lease_book: LeaseBook | None = field(default=None, repr=False)
    _recorder: Recorder | None = field(default=None, repr=False)
    _doorbell: Doorbell | None = field(default=None, repr=False)

    def bot(self) -> Bot:
        return telegram_bot(self.settings, self.metrics)

    async def open_school_bots(self) -> None:
        """Load the schools' own bots and open their tokens with ``BOT_TOKEN_KEY``
        (:class:`SchoolBotUnreadable` names a school whose token it cannot open); the
        tokens are kept out of the logs from then on."""
        self.use_school_bots(await self.read_school_bots())

    async def read_school_bots(self) -> list[OpenedBot]:
        """The schools' own bots as the database has them now, their tokens opened
        (:class:`SchoolBotUnreadable`), without serving them yet."""
        from school_journal.school_bots import open_school_bots

        key = self.settings.bot_token_key
        return await open_school_bots(self.journal, key.get_secret_value() if key else None)

    def use_school_bots(self, bots: list[OpenedBot]) -> None:
        """Serve and deliver through these schools' bots from now on (``read_school_bots``;
        the bots built for the previous ones are the caller's to close)."""
        self.school_bots = list(bots)
        self._school_telegram_bots = None
        redact_tokens({b.token: f"<BOT_TOKEN of @{b.username}>" for b in self.school_bots})

    def school_telegram_bots(self) -> list[Bot]:
        """The schools' own bots (built once), served and delivered beside ``bot()``."""
        from bot.telegram.transport import build_bot

        if self._school_telegram_bots is None:
            api = self.settings.telegram_api_base
            self._school_telegram_bots = [
                build_bot(b.token, api, metrics=self.metrics) for b in self.school_bots
            ]
        return self._school_telegram_bots

    async def drop_school_bot(self, bot: Bot) -> None:
        """Leave out a school's bot whose token Telegram rejects (revoked in BotFather):
        the other schools are served; the console names the school and what to do."""
        bots = self.school_telegram_bots()
        number = bots.index(bot)
        dropped = self.school_bots.pop(number)
        bots.pop(number)
        await bot.session.close()
        log.error(
            t("startup.school_bot_rejected", school=dropped.school_name, username=dropped.username)
        )

    def dispatcher(self) -> Dispatcher:
        from bot.telegram.runner import build_dispatcher

        s = self.settings
        maxs = (
            [BotLink(Messenger.MAX, s.max_bot_username.lstrip("@"))] if s.max_bot_username else []
        )
        scope = {b.bot_id: b.school_id for b in self.school_bots}
        return build_dispatcher(self.journal, s.notification_rules(), self.metrics, maxs, scope)

    def telegram_bots(self) -> list[BotLink]:
        """The Telegram bot as the MAX side names it on cards (``BOT_USERNAME``)."""
        name = self.settings.bot_username
        return [BotLink(Messenger.TELEGRAM, name.lstrip("@"))] if name else []

    @property
    def webhook(self) -> Webhook:
        from bot.telegram.runner import Webhook

        s = self.settings
        return Webhook(
            url=s.webhook_url,
            path=s.webhook_path,
            host=s.webhook_host,
            port=s.webhook_port,
            secret=s.webhook_secret.get_secret_value() if s.webhook_secret else None,
            shared_port=s.webhook_workers > 1,
            max_connections=s.webhook_max_connections,
        )

    def jobs(self) -> NotificationJobs:
        from notifications.scheduler import NotificationJobs

        return NotificationJobs(
            self.journal, self.settings.notification_rules(), metrics=self.metrics
        )

    def max_bot(self, *, answering: bool = False) -> MaxBot:
        """The MAX bot of ``MAX_BOT_TOKEN`` at ``MAX_API_BASE`` (``bot/max/client.py``):
        the outbox's, without maxapi's own retries (the sender decides), or with
        ``answering`` the one that takes updates and answers people (429 and 5xx tried
        again)."""
        from bot.max.client import sender_bot, updates_bot

        assert self.settings.max_bot_token is not None
        build = updates_bot if answering else sender_bot
        return build(self.settings.max_bot_token.get_secret_value(), self.settings.max_api_base)

    def lease_book(
        self, holder: str | None = None, *, monotonic: Callable[[], float] = time.monotonic
    ) -> LeaseBook:
        """This instance's send leases (built once), shared by all its senders: which of the
        bots it sends through, renewed in one statement for all of them, its share of the
        bots at most ceil(bots / live instances) (``notifications/leases.py``). ``holder``: the
        instance's id in ``send_leases`` and ``send_instances`` (a fresh one if None);
        ``monotonic``: when it renews (a test's clock)."""
        from notifications.leases import LeaseBook
        from notifications.sender import default_worker_id

        if self._lease_book is None:
            self._lease_book = LeaseBook(
                self.journal.sessions,
                holder or default_worker_id(),
                timedelta(seconds=self.settings.send_bot_lease_seconds),
                monotonic=monotonic,
            )
        return self._lease_book

    def recorder(self) -> Recorder:
        """This instance's recorder of outcomes (built once), shared by all its senders:
        one connection writes every bot's outcomes, group-committed
        (``notifications/recorder.py``)."""
        from notifications.recorder import Recorder

        if self._recorder is None:
            self._recorder = Recorder(
                self.journal.sessions,
                asyncio.sleep,
                patience=self.settings.send_lease_seconds,
                metrics=self.metrics,
            )
        return self._recorder

    def doorbell(self) -> Doorbell:
        """This instance's doorbell (built once): one look a ``SEND_IDLE_POLL`` at which of
        its idle senders' bots have a message due, instead of each sender claiming
        (``notifications/doorbell.py``)."""
        from notifications.doorbell import Doorbell

        if self._doorbell is None:
            self._doorbell = Doorbell(
                self.journal.sessions, self.journal.clock, self.settings.send_idle_poll
            )
        return self._doorbell

    def senders(
        self,
        bot: Bot | None,
        max_bot: MaxBot | None = None,
        *,
        request_timeout: float | None = None,
        worker_id: str | None = None,
    ) -> list[Sender]:
        """The outbox senders of ``journal run`` and of the standalone
        ``school_journal.sender``: one per channel it has a bot for, each at its
        messenger's pace (``SEND_RATE`` for Telegram, ``MAX_SEND_RATE`` for MAX) and
        claiming only its channel's rows; with ``bot``, one more for each school's own
        bot (``open_school_bots``), at its own ``SEND_RATE``. All share the instance's
        lease book (``lease_book``): each sends only while the instance holds its bot."""
        from notifications.channels.max import MaxChannel
        from notifications.channels.telegram import TelegramChannel

        s = self.settings
        book = self.lease_book(worker_id)
        senders = []
        if bot is not None:
            channel = TelegramChannel(bot, paid_broadcast=s.paid_broadcast)
            senders.append(self._sender(channel, s.send_rate, request_timeout, worker_id, book))
            for school_bot in self.school_telegram_bots():  # each its own rate and lease
                channel = TelegramChannel(
                    school_bot, paid_broadcast=s.paid_broadcast, school_bot=True
                )
                worker = f"{worker_id}:{school_bot.id}" if worker_id else None
                senders.append(self._sender(channel, s.send_rate, request_timeout, worker, book))
        if max_bot is not None:
            worker = f"{worker_id}:max" if worker_id else None
            senders.append(
                self._sender(MaxChannel(max_bot), s.max_send_rate, request_timeout, worker, book)
            )
        return senders

    def _sender(
        self,
        channel: Channel,
        rate: float,
        request_timeout: float | None,
        worker_id: str | None,
        book: LeaseBook,
    ) -> Sender:
        from notifications.sender import Sender

        s = self.settings
        return Sender(
            self.journal.sessions,
            channel,
            self.journal.clock,
            rate=rate,
            per_chat_interval=s.send_per_chat_interval,
            batch=s.send_batch,
            lease=timedelta(seconds=s.send_lease_seconds),
            lease_book=book,
            recorder=self.recorder(),
            doorbell=self.doorbell(),
            max_unrecorded=s.send_max_unrecorded,
            max_attempts=s.send_max_attempts,
            idle_poll=s.send_idle_poll,
            request_timeout=request_timeout,
            worker_id=worker_id,
            metrics=self.metrics,
        )


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
    """A bot token is part of every Bot API URL (Telegram's path, MAX's query when it is
    sent that way): keep both out of the logs."""

    def __init__(self, tokens: dict[str, str]) -> None:
        super().__init__()
        self.tokens = tokens  # token -> what the log says instead

    def filter(self, record: logging.LogRecord) -> bool:
        if self.tokens:
            message = record.getMessage()
            redacted = message
            for token, placeholder in self.tokens.items():
                redacted = redacted.replace(token, placeholder)
            if redacted != message:
                record.msg, record.args = redacted, None
        return True


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # APScheduler tells about every job it adds and runs: keep that for DEBUG.
    if logging.getLogger().level > logging.DEBUG:
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
    tokens = {
        secret.get_secret_value(): placeholder
        for secret, placeholder in (
            (settings.bot_token, "<BOT_TOKEN>"),
            (settings.max_bot_token, "<MAX_BOT_TOKEN>"),
        )
        if secret is not None and secret.get_secret_value()
    }
    for handler in logging.getLogger().handlers:
        handler.addFilter(_RedactToken(tokens))


def redact_tokens(tokens: dict[str, str]) -> None:
    """Keep these tokens out of the logs too (token -> what the log says instead)."""
    for handler in logging.getLogger().handlers:
        for found in handler.filters:
            if isinstance(found, _RedactToken):
                found.tokens.update(tokens)
