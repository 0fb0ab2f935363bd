"""The fake MAX Bot API server (an aiohttp application) and its Python control surface."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from fakemax.api import PATH_ROUTES, ROUTES, Call
from fakemax.errors import (
    MaxError,
    bad_request,
    deprecated_query_token,
    not_found,
    server_error,
    too_many_requests,
    unauthorized,
)
from fakemax.limits import Clock, Faults, RateLimits, Stats
from fakemax.state import Dialog, DialogEvent, FakeMaxBot, Upload
from fakemax.users import FakeMaxUser
from fakemax.webhooks import Webhooks, dumps

log = logging.getLogger("fakemax")

EventListener = Callable[[Dialog, DialogEvent], None]


class FakeMax:
    """A local stand-in for platform-api2.max.ru.

    >>> fake = FakeMax()
    >>> await fake.start()                       # fake.base_url -> http://127.0.0.1:PORT
    >>> bot = fake.add_bot("max-token", "school_journal_bot")
    >>> user = fake.user(1001, "Мария", "Иванова")
    >>> await user.start("ABC")                  # a bot_started update with payload "ABC"

    ``clock`` (monotonic seconds) drives the rate limit; ``wall_clock`` (unix seconds)
    gives timestamps. ``limits`` is the 30-requests-per-second rule, ``faults`` injects
    failures (``faults.server_error_next("post /messages", 2)``, ``drop_next``, ...):
    fault rules match ``"<http method> <path>"`` in lower case, or ``"*"``.
    """

    def __init__(
        self,
        *,
        clock: Clock = time.monotonic,
        wall_clock: Clock = time.time,
        limits: RateLimits | None = None,
        accept_query_token: bool = True,
        require_https_webhook: bool = False,
        strict_html: bool = True,
        max_upload_size: int = 50 * 1024 * 1024,
        reply_timeout: float = 5.0,
        webhook_retry_delay: float = 0.2,
        webhook_timeout: float = 30.0,
    ) -> None:
        self.clock = clock
        self.wall_clock = wall_clock
        self._limits = limits or RateLimits()
        self.accept_query_token = accept_query_token
        self.require_https_webhook = require_https_webhook
        self.strict_html = strict_html
        self.max_upload_size = max_upload_size
        self.reply_timeout = reply_timeout
        self.attachments_not_ready = 0  # the next N media attachments fail "not ready"
        self.bots: dict[str, FakeMaxBot] = {}
        self.users: dict[tuple[int, str], FakeMaxUser] = {}
        self.uploads: dict[str, Upload] = {}
        self._upload_tokens: dict[str, Upload] = {}
        self.faults = Faults(lambda: self.clock())
        self.stats = Stats()
        self.closing = False
        self.base_url = ""
        self.webhooks = Webhooks(retry_delay=webhook_retry_delay, timeout=webhook_timeout)
        self._delivery_listeners: list[Callable[[list[dict[str, Any]]], None]] = []
        self.app = self._make_app()
        self._runner: web.AppRunner | None = None
        self._next_bot_id = 500_000
        self._listeners: list[EventListener] = []

    @property
    def limits(self) -> RateLimits:
        return self._limits

    @limits.setter
    def limits(self, value: RateLimits) -> None:
        self._limits = value

    # ------------------------------------------------------------ lifecycle

    def _make_app(self) -> web.Application:
        app = web.Application(client_max_size=self.max_upload_size + 1024 * 1024)
        app.router.add_post("/upload/{upload_id}", self._handle_upload)
        app.router.add_get("/files/{token}", self._handle_download)
        app.router.add_route("*", "/{path:.*}", self._handle_api)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Start listening; returns the base URL (also in ``self.base_url``)."""
        if self._runner is not None:
            raise RuntimeError("FakeMax is already started")
        self.closing = False
        runner = web.AppRunner(self.app, shutdown_timeout=0.5, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        sockets = getattr(site._server, "sockets", None) or []
        actual_port = sockets[0].getsockname()[1] if sockets else port
        self.base_url = f"http://{host}:{actual_port}"
        return self.base_url

    async def stop(self) -> None:
        """Wake the long polls, stop webhook delivery and close the server."""
        self.closing = True
        for bot in self.bots.values():
            bot.wake_polls()
        await self.webhooks.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeMax:
        if self._runner is None:
            await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------- bots and users

    def add_bot(
        self, token: str = "max-test-token", username: str = "test_bot", name: str | None = None
    ) -> FakeMaxBot:
        if token in self.bots:
            raise ValueError(f"bot with token {token!r} already exists")
        self._next_bot_id += 1
        bot = FakeMaxBot(self, token, self._next_bot_id, name or username, username)
        self.bots[token] = bot
        return bot

    def bot(self, token_or_username: str | None = None) -> FakeMaxBot:
        """A bot by token or username; with no argument, the first bot."""
        if token_or_username is None:
            if not self.bots:
                raise LookupError("no bots: call fake.add_bot() first")
            return next(iter(self.bots.values()))
        if token_or_username in self.bots:
            return self.bots[token_or_username]
        for bot in self.bots.values():
            if bot.username == token_or_username.lstrip("@"):
                return bot
        raise LookupError(f"no bot {token_or_username!r}")

    def user(
        self,
        user_id: int,
        first_name: str = "User",
        last_name: str | None = None,
        *,
        username: str | None = None,
        locale: str = "ru",
        bot: FakeMaxBot | str | None = None,
    ) -> FakeMaxUser:
        """A simulated MAX user talking to ``bot`` (default: the first). Idempotent per id."""
        target = bot if isinstance(bot, FakeMaxBot) else self.bot(bot)
        key = (user_id, target.token)
        if key not in self.users:
            self.users[key] = FakeMaxUser(
                self, target, user_id, first_name, last_name, username=username, locale=locale
            )
        return self.users[key]

    def add_listener(self, listener: EventListener) -> None:
        """Call ``listener(dialog, event)`` synchronously for every dialog event (any bot)."""
        self._listeners.append(listener)

    def remove_listener(self, listener: EventListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def emit(self, dialog: Dialog, event: DialogEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(dialog, event)
            except Exception:
                log.exception("fakemax listener failed")

    def add_delivery_listener(self, listener: Callable[[list[dict[str, Any]]], None]) -> None:
        """Call ``listener(updates)`` the moment updates are handed to a bot: a
        ``GET /updates`` response carrying them is ready, or a webhook POST starts."""
        self._delivery_listeners.append(listener)
        self.webhooks.listeners.append(listener)

    def delivering(self, updates: list[dict[str, Any]]) -> None:
        for listener in list(self._delivery_listeners):
            listener(updates)

    # -------------------------------------------------------------- updates

    def new_update(self, bot: FakeMaxBot, update: dict[str, Any]) -> None:
        """Hand an update to the bot: its webhook if subscribed, else the /updates log."""
        sub = bot.subscription
        if sub is not None:
            if not sub.update_types or update.get("update_type") in sub.update_types:
                self.webhooks.push(bot, update)
            return
        bot.enqueue(update)

    def flush_to_webhook(self, bot: FakeMaxBot) -> None:
        """On subscribing, updates still waiting for /updates go to the webhook."""
        pending = [u for _, u in bot.pending_updates(bot.committed, None)]
        bot.updates.clear()
        bot.committed = bot.next_update - 1
        bot.wake_polls()
        for update in pending:
            self.new_update(bot, update)

    def unsubscribe(self, bot: FakeMaxBot) -> None:
        bot.subscription = None
        for update in self.webhooks.stop(bot):
            bot.enqueue(update)

    # -------------------------------------------------------------- uploads

    def new_upload(self, kind: str) -> Upload:
        upload = Upload(secrets.token_urlsafe(12), kind, secrets.token_urlsafe(32))
        self.uploads[upload.upload_id] = upload
        self._upload_tokens[upload.token] = upload
        return upload

    def upload_by_token(self, token: str) -> Upload | None:
        return self._upload_tokens.get(token)

    async def _handle_upload(self, request: web.Request) -> web.StreamResponse:
        if self.faults.unreachable:
            return self._drop(request)
        upload = self.uploads.get(request.match_info["upload_id"])
        if upload is None:
            return self._error(not_found("upload not found"))
        try:
            form = await request.post()
        except web.HTTPRequestEntityTooLarge:
            return self._error(MaxError(413, "file.too.big", "Request Entity Too Large"))
        field = next((v for v in form.values() if isinstance(v, web.FileField)), None)
        if field is None:
            return self._error(bad_request("multipart field with the file is missing"))
        upload.data = field.file.read()
        upload.filename = field.filename
        upload.content_type = field.content_type
        if upload.kind in ("video", "audio"):
            return web.Response(text="<retval>1</retval>", content_type="text/xml")
        if upload.kind == "image":
            return self._json({"photos": {upload.upload_id: {"token": upload.token}}})
        return self._json({"token": upload.token})

    async def _handle_download(self, request: web.Request) -> web.StreamResponse:
        upload = self._upload_tokens.get(request.match_info["token"])
        if upload is None or upload.data is None:
            return self._error(not_found("file not found"))
        return web.Response(
            body=upload.data, content_type=upload.content_type or "application/octet-stream"
        )

    # -------------------------------------------------------------- checks

    def assert_all_callbacks_answered(self) -> None:
        """Fail if a button press was never answered by POST /answers."""
        pending = [c for bot in self.bots.values() for c in bot.unanswered_callbacks]
        if pending:
            lines = [f"  user {c.user_id}, message {c.mid}, payload={c.payload!r}" for c in pending]
            raise AssertionError(
                f"{len(pending)} callbacks were never answered:\n" + "\n".join(lines)
            )

    def reset_stats(self) -> None:
        """Forget statistics and the rate limiter's history."""
        self.stats.reset()
        for bot in self.bots.values():
            bot.stats.reset()
            bot.limiter.reset()

    def set_unreachable(self, unreachable: bool = True) -> None:
        """Drop every connection without answering until switched back."""
        self.faults.unreachable = unreachable

    # ------------------------------------------------------------- serving

    @staticmethod
    def _json(body: dict[str, Any], status: int = 200) -> web.Response:
        return web.Response(text=dumps(body), status=status, content_type="application/json")

    def _error(self, error: MaxError) -> web.Response:
        return self._json(error.body(), status=error.status)

    @staticmethod
    def _drop(request: web.Request) -> web.Response:
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=500)

    def _authenticate(self, request: web.Request) -> FakeMaxBot:
        token = request.headers.get("Authorization", "").strip()
        if not token and "access_token" in request.query:
            if not self.accept_query_token:
                raise deprecated_query_token()
            token = request.query["access_token"]
        bot = self.bots.get(token)
        if bot is None:
            raise unauthorized()
        return bot

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        if self.faults.unreachable:
            return self._drop(request)
        path = "/" + request.match_info["path"].rstrip("/")
        operation = f"{request.method} {path}".lower()
        try:
            bot = self._authenticate(request)
            wait = bot.limiter.acquire()
            if wait is not None:
                bot.stats.too_many_requests += 1
                self.stats.too_many_requests += 1
                raise too_many_requests()
            bot.stats.calls[operation] += 1
            self.stats.calls[operation] += 1
            fault = self.faults.take(operation)
            if fault is not None:
                if fault.kind == "drop":
                    return self._drop(request)
                if fault.kind == "delay":
                    await asyncio.sleep(fault.delay)
                elif fault.error_code == 429:
                    raise too_many_requests()
                else:
                    raise server_error(fault.error_code)
            result = await self._route(request, bot, path)
        except MaxError as error:
            self._record_error(request, operation, error)
            return self._error(error)
        return self._json(result)

    async def _route(self, request: web.Request, bot: FakeMaxBot, path: str) -> dict[str, Any]:
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            if raw.strip():
                try:
                    body = json.loads(raw)
                except ValueError:
                    raise bad_request("Request body is not valid JSON") from None
        call = Call(self, bot, dict(request.query), body)
        handler = ROUTES.get((request.method, path))
        if handler is not None:
            return await handler(call)
        for method, pattern, path_handler in PATH_ROUTES:
            match = pattern.fullmatch(path)
            if match is not None and method == request.method:
                return await path_handler(call, match.group(1))
        if any(p == path for _, p in ROUTES):
            raise MaxError(405, "method.not.allowed", f"Method {request.method} is not allowed")
        raise not_found(f"Path {path} is not found")

    def _record_error(self, request: web.Request, operation: str, error: MaxError) -> None:
        self.stats.errors[(operation, error.status)] += 1
        bot = self.bots.get(request.headers.get("Authorization", "").strip())
        if bot is None:
            return
        record = {"operation": operation, "status": error.status, **error.body()}
        bot.stats.errors[(operation, error.status)] += 1
        bot.errors.append(record)
        user_id = request.query.get("user_id")
        if user_id and user_id.isdigit() and int(user_id) in bot.dialogs:
            bot.dialogs[int(user_id)].errors.append(record)
