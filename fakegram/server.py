"""The fake Bot API server (an aiohttp application) and its Python control surface."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from aiohttp import web

from fakegram.calls import Call, UploadedFile, WithDescription
from fakegram.errors import ApiError
from fakegram.limits import Clock, Faults, RateLimits, Stats
from fakegram.methods import METHODS
from fakegram.state import ApiErrorRecord, ChatEvent, FakeBot, StoredFile
from fakegram.users import FakeUser
from fakegram.webhooks import Webhooks, dumps

log = logging.getLogger("fakegram")

_API_FIELDS_PATH = Path(__file__).with_name("api_fields.json")
_SIMPLE_TYPES = frozenset({"String", "Integer", "Float", "Boolean", "InputFile"})

# Descriptions Telegram gives when a required parameter is missing.
_MISSING = {
    "chat_id": "chat_id is empty",
    "text": "message text is empty",
    "message_id": "message identifier is not specified",
    "callback_query_id": "query is too old and response timeout expired or query ID is invalid",
    "document": "there is no document in the request",
    "file_id": "invalid file_id",
}

EventListener = Callable[[ChatEvent], None]


@cache
def load_api_spec() -> dict[str, Any]:
    """The subset of the Bot API reference shipped with the package (see api_fields.json)."""
    with _API_FIELDS_PATH.open(encoding="utf-8") as fh:
        return json.load(fh)


def _coerce(name: str, value: Any, types: list[str]) -> Any:
    """Turn a form/query string into the JSON type the Bot API expects for this field."""
    if isinstance(value, UploadedFile) or not isinstance(value, str):
        return value
    if value == "" and "String" not in types:
        return None
    if "Integer" in types:
        stripped = value.strip()
        try:
            return int(stripped)
        except ValueError:
            if "String" in types:
                return value
            try:
                return int(float(stripped))
            except ValueError:
                return 0
    if types == ["Float"]:
        try:
            return float(value)
        except ValueError:
            return 0.0
    if types == ["Boolean"]:
        return value.strip().lower() in ("true", "1", "yes", "on")
    if "String" in types or "InputFile" in types:
        return value
    if all(t in _SIMPLE_TYPES for t in types):
        return value
    try:
        return json.loads(value)
    except ValueError:
        if name == "reply_markup":
            raise ApiError(
                400, "Bad Request: can't parse reply keyboard markup JSON object"
            ) from None
        raise ApiError(400, f"Bad Request: can't parse {name} JSON object") from None


class FakeTelegram:
    """A local stand-in for api.telegram.org.

    >>> fake = FakeTelegram()
    >>> await fake.start()                      # fake.base_url -> http://127.0.0.1:PORT
    >>> bot = fake.add_bot("123456:TEST", "school_journal_bot")
    >>> user = fake.user(1001, "Мария", "Иванова")

    ``clock`` (monotonic seconds) drives rate limits, callback-query expiry and statistics;
    ``wall_clock`` (unix seconds) gives message dates.
    """

    def __init__(
        self,
        *,
        clock: Clock = time.monotonic,
        wall_clock: Clock = time.time,
        limits: RateLimits | None = None,
        callback_query_timeout: float = 15.0,
        webhook_retry_delay: float = 0.5,
        webhook_timeout: float = 60.0,
        require_https_webhook: bool = False,
        strict_buttons: bool = True,
        max_upload_size: int = 50 * 1024 * 1024,
        reply_timeout: float = 5.0,
    ) -> None:
        self.clock = clock
        self.wall_clock = wall_clock
        self.limits = limits or RateLimits()
        self.callback_query_timeout = callback_query_timeout
        self.require_https_webhook = require_https_webhook
        self.strict_buttons = strict_buttons
        self.max_upload_size = max_upload_size
        self.reply_timeout = reply_timeout
        self.api_spec = load_api_spec()
        self._fields: dict[str, dict[str, tuple[list[str], bool]]] = {}
        self._method_names: dict[str, str] = {}
        for name, spec in self.api_spec["methods"].items():
            self._method_names[name.lower()] = name
            self._fields[name] = {f[0]: (f[1], f[2]) for f in spec["fields"]}
        self.bots: dict[str, FakeBot] = {}
        self.users: dict[tuple[int, str], FakeUser] = {}
        self.files: dict[str, StoredFile] = {}
        self.faults = Faults(lambda: self.clock())
        self.stats = Stats()
        self.closing = False
        self.base_url = ""
        self.app = self._make_app()
        self._runner: web.AppRunner | None = None
        self._webhooks = Webhooks(
            self,
            self.dispatch,
            self._method_name,
            timeout=webhook_timeout,
            retry_delay=webhook_retry_delay,
        )
        self._listeners: list[EventListener] = []
        self._file_counter = 0

    # ------------------------------------------------------------ lifecycle

    def _make_app(self) -> web.Application:
        app = web.Application(client_max_size=self.max_upload_size + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Start listening; returns the base URL (also in ``self.base_url``)."""
        if self._runner is not None:
            raise RuntimeError("FakeTelegram is already started")
        self.closing = False
        runner = web.AppRunner(self.app, shutdown_timeout=0.5, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        actual_port = sockets[0].getsockname()[1] if sockets else port
        self.base_url = f"http://{host}:{actual_port}"
        return self.base_url

    async def stop(self) -> None:
        """Wake every waiter (long polls), stop webhook delivery and close the server."""
        self.closing = True
        for bot in self.bots.values():
            self.stop_webhook(bot)
            bot.update_notifier.notify()
            for chat in bot.chats.values():
                chat.notifier.notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self._webhooks.close()

    async def __aenter__(self) -> FakeTelegram:
        if self._runner is None:
            await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------- bots and users

    def add_bot(
        self, token: str = "123456:TEST", username: str = "test_bot", first_name: str | None = None
    ) -> FakeBot:
        if token in self.bots:
            raise ValueError(f"bot with token {token!r} already exists")
        bot = FakeBot(self, token, username, first_name or username)
        self.bots[token] = bot
        return bot

    def bot(self, token_or_username: str | None = None) -> FakeBot:
        """A bot by token or username; with no argument, the only (or first) bot."""
        if token_or_username is None:
            if not self.bots:
                raise LookupError("no bots: call fake.add_bot() first")
            return next(iter(self.bots.values()))
        if token_or_username in self.bots:
            return self.bots[token_or_username]
        name = token_or_username.lstrip("@")
        for bot in self.bots.values():
            if bot.username == name:
                return bot
        raise LookupError(f"no bot {token_or_username!r}")

    def user(
        self,
        user_id: int,
        first_name: str = "User",
        last_name: str | None = None,
        *,
        username: str | None = None,
        language_code: str | None = "ru",
        phone_number: str | None = None,
        bot: FakeBot | str | None = None,
        known: bool = False,
    ) -> FakeUser:
        """A simulated user talking to ``bot`` (default: the first bot). Idempotent per id.

        The bot can write to the user only after the user wrote first (else "chat not
        found"), unless ``known=True`` (e.g. a user who started the bot long ago).
        """
        target = bot if isinstance(bot, FakeBot) else self.bot(bot)
        key = (user_id, target.token)
        existing = self.users.get(key)
        if existing is not None:
            return existing
        user = FakeUser(
            self,
            target,
            user_id,
            first_name,
            last_name,
            username=username,
            language_code=language_code,
            phone_number=phone_number,
            known=known,
        )
        self.users[key] = user
        return user

    # -------------------------------------------------------------- events

    def add_listener(self, listener: EventListener) -> None:
        """Call ``listener(event)`` synchronously for every chat event (any bot)."""
        self._listeners.append(listener)

    def remove_listener(self, listener: EventListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def emit(self, event: ChatEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("fakegram listener failed")

    def add_webhook_listener(self, listener: Callable[[dict[str, Any]], None]) -> None:
        """Call ``listener(update)`` the moment an update's POST to a webhook starts."""
        self._webhooks.listeners.append(listener)

    def start_webhook(self, bot: FakeBot) -> None:
        self._webhooks.start(bot)

    def stop_webhook(self, bot: FakeBot) -> None:
        self._webhooks.stop(bot)

    def _method_name(self, requested: str) -> str:
        """The method's name as the Bot API spells it (names are case-insensitive)."""
        return self._method_names.get(requested.lower(), requested)

    # --------------------------------------------------------------- files

    def store_file(
        self,
        data: bytes,
        file_name: str | None,
        mime_type: str | None,
        *,
        origin: str,
        url: str | None = None,
    ) -> StoredFile:
        self._file_counter += 1
        suffix = Path(file_name).suffix if file_name else ""
        stored = StoredFile(
            file_id="BQACAgIAAxkBAAI" + secrets.token_urlsafe(30),
            file_unique_id="AgAD" + secrets.token_urlsafe(9),
            data=data,
            file_name=file_name,
            mime_type=mime_type,
            file_path=f"documents/file_{self._file_counter}{suffix}",
            origin=origin,
            url=url,
        )
        self.files[stored.file_id] = stored
        return stored

    # -------------------------------------------------------------- checks

    @property
    def unanswered_callback_queries(self) -> list[Any]:
        return [q for bot in self.bots.values() for q in bot.unanswered_callback_queries]

    def assert_all_callbacks_answered(self) -> None:
        """Fail if any callback query was never answered (the user's spinner would hang)."""
        pending = self.unanswered_callback_queries
        if pending:
            lines = [
                f"  chat {q.chat_id}, message {q.message_id}, data={q.data!r}" for q in pending
            ]
            raise AssertionError(
                f"{len(pending)} callback queries were never answered:\n" + "\n".join(lines)
            )

    @property
    def retry_after_ignored(self) -> int:
        """Sends (to any bot) that came while a 429 they had been answered still held:
        the bot's, after a 429 of its global limit, or the chat's (``RateLimiter``)."""
        return sum(bot.limiter.retry_after_ignored for bot in self.bots.values())

    def reset_stats(self) -> None:
        """Forget statistics and flood-control history (e.g. between benchmark phases)."""
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

    def _error_response(self, error: ApiError) -> web.Response:
        return self._json(error.body(), status=error.error_code)

    @staticmethod
    def _drop(request: web.Request) -> web.Response:
        transport = request.transport
        if transport is not None:
            transport.abort()
        return web.Response(status=500)

    async def _read_request(
        self, request: web.Request
    ) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
        raw: dict[str, Any] = dict(request.query)
        files: dict[str, UploadedFile] = {}
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise ApiError(
                        400, "Bad Request: can't parse JSON encoded request body"
                    ) from None
                if isinstance(body, dict):
                    raw.update(body)
            else:
                try:
                    form = await request.post()
                except web.HTTPRequestEntityTooLarge:
                    raise ApiError(413, "Request Entity Too Large") from None
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        files[key] = UploadedFile(
                            value.filename, value.file.read(), value.content_type
                        )
                    else:
                        raw[key] = value
        return raw, files

    def _prepare_params(
        self, method: str, raw: dict[str, Any], files: dict[str, UploadedFile]
    ) -> dict[str, Any]:
        fields = self._fields.get(method, {})
        params: dict[str, Any] = {}
        for key, value in raw.items():
            spec = fields.get(key)
            params[key] = _coerce(key, value, spec[0]) if spec else value
        for key, upload in files.items():
            if key in fields:
                params[key] = upload
        for key, (_, required) in fields.items():
            if required and params.get(key) in (None, ""):
                description = _MISSING.get(key, f'parameter "{key}" is required')
                raise ApiError(400, f"Bad Request: {description}")
        return params

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        if self.faults.unreachable:
            return self._drop(request)
        bot = self.bots.get(request.match_info["token"])
        if bot is None:
            return self._error_response(ApiError(401, "Unauthorized"))
        requested = request.match_info["method"]
        name = self._method_names.get(requested.lower())
        if name is None and requested.lower() in METHODS:
            name = requested
        if name is None:
            return self._error_response(ApiError(404, "Not Found"))
        try:
            raw, files = await self._read_request(request)
        except ApiError as exc:
            return self._error_response(exc)
        peer = request.transport.get_extra_info("peername") if request.transport else None
        if peer:
            bot.callers[(name, int(peer[1]))] += 1
        status, body = await self.dispatch(bot, name, raw, files)
        if status == -1:
            return self._drop(request)
        if isinstance(body, str):
            return web.Response(text=body, status=status, content_type="text/html")
        return self._json(body, status=status)

    async def dispatch(
        self,
        bot: FakeBot,
        method: str,
        raw: dict[str, Any],
        files: dict[str, UploadedFile] | None = None,
    ) -> tuple[int, Any]:
        """Run one API call in-process, exactly as if it came over HTTP.

        ``raw`` holds the parameters (strings are coerced like form fields). Returns
        (HTTP status, JSON body or HTML text); status -1 means "drop the connection".
        """
        files = files or {}
        bot.stats.calls[method] += 1
        self.stats.calls[method] += 1
        fault = self.faults.take(method, bot.token)
        if fault is not None:
            if fault.kind == "drop":
                return -1, {}
            if fault.kind == "delay":
                await asyncio.sleep(fault.delay)
            elif fault.kind == "hold":
                await fault.hold()
            elif fault.kind == "error":
                error = ApiError(fault.error_code, fault.description, retry_after=fault.retry_after)
                self._record_error(bot, method, error, raw, None)
                if fault.html_body:
                    return error.error_code, _html_error_page(fault.error_code, fault.description)
                return error.error_code, error.body()
        handler = METHODS.get(method.lower())
        call = Call(self, bot, method, {}, files)
        try:
            if handler is None:
                bot.unimplemented_calls.append(method)
                log.warning("fakegram: method %s is not implemented", method)
                raise ApiError(404, "Not Found")
            call.params = self._prepare_params(method, raw, files)
            result = await handler(call)
        except ApiError as error:
            self._record_error(bot, method, error, call.params or raw, call)
            return error.error_code, error.body()
        if isinstance(result, WithDescription):
            return 200, {"ok": True, "result": result.result, "description": result.description}
        return 200, {"ok": True, "result": result}

    def _record_error(
        self,
        bot: FakeBot,
        method: str,
        error: ApiError,
        params: dict[str, Any],
        call: Call | None,
    ) -> None:
        bot.stats.errors[(method, error.error_code)] += 1
        self.stats.errors[(method, error.error_code)] += 1
        if error.error_code == 429:
            bot.stats.too_many_requests += 1
            self.stats.too_many_requests += 1
        safe = {k: v for k, v in params.items() if not isinstance(v, UploadedFile)}
        record = ApiErrorRecord(method, error.error_code, error.description, self.clock(), safe)
        bot.errors.append(record)
        chat = call.chat if call is not None else None
        if chat is None:
            chat_id = params.get("chat_id")
            try:
                chat = bot.chat(int(chat_id)) if chat_id not in (None, "") else None
            except (TypeError, ValueError):
                chat = None
        if chat is not None:
            chat.errors.append(record)
            chat.notifier.notify()

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if self.faults.unreachable:
            return self._drop(request)
        if request.match_info["token"] not in self.bots:
            return self._error_response(ApiError(401, "Unauthorized"))
        path = request.match_info["path"]
        for stored in self.files.values():
            if stored.file_path == path:
                return web.Response(
                    body=stored.data,
                    content_type=stored.mime_type or "application/octet-stream",
                )
        return self._error_response(ApiError(404, "Not Found"))


def _html_error_page(code: int, reason: str) -> str:
    return (
        f"<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n"
        f"<center><h1>{code} {reason}</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
        "</body>\r\n</html>\r\n"
    )
