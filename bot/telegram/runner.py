"""Building and running the bot: long polling by default, or a webhook server (aiohttp,
``secret_token`` checked) so that several instances can run behind a load balancer."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import logging
import signal
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager
from functools import partial
from typing import Protocol

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from bot.telegram.commands import set_default_commands
from bot.telegram.handlers import routers
from bot.telegram.middlewares import (
    AnswerMiddleware,
    CallerMiddleware,
    InFlightMiddleware,
    MetricsMiddleware,
    TypedTextMiddleware,
)
from bot.telegram.startup import Patience, StartupStopped, TokenRejected
from bot.telegram.storage import PostgresStorage
from core.identity import BotLink
from core.journal import Journal
from core.metrics import Metrics
from notifications.rules import NotificationRules
from texts import Texts

log = logging.getLogger(__name__)

# How long a stopping runner waits for the updates in hand to be answered.
IN_FLIGHT_TIMEOUT = 15.0
CONFIRM_TIMEOUT = 5.0  # telling Telegram which updates were handled, on stop


@dataclasses.dataclass(frozen=True)
class Webhook:
    """Where the webhook server listens and what Telegram is told: the ``WEBHOOK_*``
    settings, as the composition root reads them (no defaults of its own)."""

    url: str | None  # None: long polling, unless ``journal run --webhook``
    path: str
    host: str
    port: int
    secret: str | None
    shared_port: bool  # SO_REUSEPORT: several workers serve the one port
    max_connections: int


class Wiring(Protocol):
    """What the composition root (``school_journal.app.App``) hands the runner."""

    @property
    def webhook(self) -> Webhook: ...

    def bot(self) -> Bot: ...

    def school_telegram_bots(self) -> list[Bot]: ...

    async def drop_school_bot(self, bot: Bot) -> None: ...

    def dispatcher(self) -> Dispatcher: ...


def build_dispatcher(
    journal: Journal,
    notification_rules: NotificationRules | None = None,
    metrics: Metrics | None = None,
    other_bots: list[BotLink] | None = None,
    school_bots: Mapping[int, int] | None = None,
) -> Dispatcher:
    """One dispatcher per process; handlers get ``journal`` (and ``notification_rules``)
    by name. Every update is counted in ``metrics``. ``school_bots``: ``{bot_id:
    school_id}`` of the schools' own bots the dispatcher serves beside the shared one
    (an update through one of them sees only the bindings made through it)."""
    storage = PostgresStorage(journal.sessions)
    dp = Dispatcher(
        storage=storage,
        disable_fsm=True,  # CallerMiddleware reads the state with the session
        journal=journal,
        notification_rules=notification_rules or NotificationRules(),
        other_bots=other_bots or [],  # the school's bots on other messengers (cards)
        school_bots=dict(school_bots or {}),
    )
    in_flight = InFlightMiddleware()
    dp["in_flight"] = in_flight  # what a stopping runner waits for (in_flight_of)
    dp.update.outer_middleware(in_flight)
    dp.update.outer_middleware(MetricsMiddleware(metrics or Metrics()))
    dp.message.outer_middleware(TypedTextMiddleware())  # every typed text, cleaned once
    for observer in (dp.message, dp.callback_query):
        observer.outer_middleware(CallerMiddleware(dp.fsm, storage))
        observer.middleware(AnswerMiddleware())
    dp.include_routers(*routers())
    return dp


async def prepare(bot: Bot, patience: Patience | None = None) -> None:
    """getMe (the token is checked here: :class:`TokenRejected`) and the menu, waiting
    for Telegram as long as it takes."""
    patience = patience or Patience()
    await patience.call(bot.me)
    await patience.call(lambda: set_default_commands(bot, Texts()))
    freeze_startup_heap()


@contextlib.contextmanager
def stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """SIGINT/SIGTERM set ``stop`` while the block runs (start-up's wait for Telegram)."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        yield
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def freeze_startup_heap() -> None:
    """What is loaded by now (modules, aiogram's and pydantic's types, the ORM mappers)
    lives as long as the process: keep it out of the garbage collector's full passes, which
    otherwise walk all of it and stop the bot for up to ~200 ms every few seconds under
    load (half of the roll call's p95 at a human pace). Once per process."""
    if not gc.get_freeze_count():
        gc.collect()
        gc.freeze()


async def run_bot(
    app: Wiring,
    *,
    webhook: bool = False,
    handle_signals: bool = True,
    stop: asyncio.Event | None = None,
    bot: Bot | None = None,
    alongside: Callable[[Bot], AbstractAsyncContextManager[object]] | None = None,
    serve_only: bool = False,
    on_listening: Callable[[], None] | None = None,
    patience: Patience | None = None,
) -> None:
    """Run until SIGINT/SIGTERM (or until ``stop`` is set, for an embedding program).
    ``app`` builds the bot (unless ``bot`` is given) and the dispatcher.
    ``alongside(bot)`` (the notification scheduler and sender) runs while the bot does and
    is stopped before the bot's HTTP session closes. ``serve_only``: an extra webhook
    worker (``journal run --workers N``), which only handles updates (the first process
    sets the menu and the webhook and runs ``alongside``) and calls ``on_listening`` once
    its port is open.

    Start-up waits for Telegram as long as it takes (``patience``, see ``bot.telegram.startup``);
    a token Telegram rejects raises :class:`TokenRejected`; a stop asked for meanwhile
    returns."""
    if bot is None:
        bot = app.bot()
    dp = app.dispatcher()
    hook = app.webhook
    stopping = stop or asyncio.Event()
    patience = dataclasses.replace(patience or Patience(), stop=stopping)
    try:
        if serve_only:
            freeze_startup_heap()
            bots = [bot, *app.school_telegram_bots()]
            await serve_webhook(
                bots, dp, hook, stopping, handle_signals, False, on_listening, patience
            )
            return
        with stop_on_signals(stopping) if handle_signals else contextlib.nullcontext():
            await prepare(bot, patience)  # the shared bot: its token must work
            for each in app.school_telegram_bots():
                try:
                    await prepare(each, patience)
                except TokenRejected:  # one school's revoked token stops no other school
                    await app.drop_school_bot(each)
        bots = [bot, *app.school_telegram_bots()]  # the shared bot first, then the schools'
        async with alongside(bot) if alongside else contextlib.nullcontext():
            await _serve(bots, dp, hook, webhook, handle_signals, stop, patience)
    except StartupStopped:
        log.info("stopped before Telegram answered")
    finally:
        for each in [bot, *app.school_telegram_bots()]:
            await each.session.close()


async def _serve(
    bots: list[Bot],
    dp: Dispatcher,
    hook: Webhook,
    webhook: bool,
    handle_signals: bool,
    stop: asyncio.Event | None,
    patience: Patience,
) -> None:
    if webhook or hook.url:
        assert patience.stop is not None
        await serve_webhook(bots, dp, hook, patience.stop, handle_signals, patience=patience)
        return
    waiting = patience.stop if handle_signals else None
    with stop_on_signals(waiting) if waiting else contextlib.nullcontext():
        for bot in bots:
            await patience.call(partial(bot.delete_webhook, drop_pending_updates=False))
    watcher = asyncio.create_task(_stop_when(stop, dp)) if stop else None
    try:  # one dispatcher polls every bot (aiogram polls each in a task of its own)
        await dp.start_polling(*bots, handle_signals=handle_signals, close_bot_session=False)
    finally:
        if watcher:
            watcher.cancel()
    await confirm_handled(bots, dp)


def in_flight_of(dp: Dispatcher) -> InFlightMiddleware | None:
    found = dp.workflow_data.get("in_flight")
    return found if isinstance(found, InFlightMiddleware) else None


async def confirm_handled(bots: list[Bot], dp: Dispatcher) -> None:
    """Long polling stopped (a stop, or a reload of the schools' bots): wait for the
    updates in hand to be answered, then confirm them to Telegram, which would otherwise
    hand the last ones taken to the next polling again (aiogram confirms an update only
    with its next getUpdates). An update taken but not handled stays unconfirmed, so
    none is lost."""
    in_flight = in_flight_of(dp)
    if in_flight is None:
        return
    await in_flight.settle(IN_FLIGHT_TIMEOUT)
    for bot in bots:
        last = in_flight.last_update.get(bot.id)
        if last is None:
            continue
        try:  # limit 1, no wait: whatever comes back stays unconfirmed for the next poll
            await asyncio.wait_for(
                bot.get_updates(offset=last + 1, limit=1, timeout=0), CONFIRM_TIMEOUT
            )
        except Exception as err:  # Telegram away: the next poll gets them once more
            log.warning("could not confirm the handled updates of bot %d: %s", bot.id, err)


async def _stop_when(stop: asyncio.Event, dp: Dispatcher) -> None:
    await stop.wait()
    await dp.stop_polling()


def webhook_path(hook: Webhook, bot: Bot, shared: bool) -> str:
    """Where Telegram posts a bot's updates: ``WEBHOOK_PATH`` for the shared bot,
    ``WEBHOOK_PATH/<bot_id>`` for a school's own bot."""
    return hook.path if shared else f"{hook.path.rstrip('/')}/{bot.id}"


async def serve_webhook(
    bots: list[Bot],
    dp: Dispatcher,
    hook: Webhook,
    stop: asyncio.Event,
    handle_signals: bool,
    set_webhook: bool = True,
    on_listening: Callable[[], None] | None = None,
    patience: Patience | None = None,
) -> None:
    """Serve the webhook of every bot (the shared one first) until ``stop``, one path
    each (``webhook_path``). With ``WEBHOOK_WORKERS`` > 1 the port is opened with
    SO_REUSEPORT, so that the workers share it and the kernel spreads Telegram's
    connections over them."""
    web_app = web.Application()
    for number, bot in enumerate(bots):
        handler = SimpleRequestHandler(dispatcher=dp, bot=bot, secret_token=hook.secret)
        # The route only: aiogram's ``register`` also closes the bot's HTTP session when the
        # server shuts down, under the updates still being answered (their sends were cut
        # and sent again). The caller closes the sessions once those are settled.
        web_app.router.add_route("POST", webhook_path(hook, bot, number == 0), handler.handle)
    setup_application(web_app, dp, bot=bots[0])
    runner = web.AppRunner(web_app)
    await runner.setup()
    site = web.TCPSite(runner, hook.host, hook.port, reuse_port=True if hook.shared_port else None)
    await site.start()
    if on_listening is not None:
        on_listening()
    if handle_signals:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    try:
        if set_webhook and hook.url:
            for number, bot in enumerate(bots):
                url = hook.url.rstrip("/") + webhook_path(hook, bot, number == 0)
                await (patience or Patience(stop=stop)).call(
                    partial(
                        bot.set_webhook,
                        url,
                        secret_token=hook.secret,
                        allowed_updates=dp.resolve_used_update_types(),
                        max_connections=hook.max_connections,
                    )
                )
        log.info("webhook server on %s:%s", hook.host, hook.port)
        await stop.wait()
    finally:
        await runner.cleanup()
        in_flight = in_flight_of(dp)
        if in_flight is not None:  # aiogram answers a webhook at once, handles it after
            await in_flight.settle(IN_FLIGHT_TIMEOUT)
