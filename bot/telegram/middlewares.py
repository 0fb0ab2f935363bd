"""Per-update plumbing: who is acting (core caller), in which language, and the
guarantee that every callback query is answered and every user error gets a reply."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, Update

from bot.faults import database_unavailable, out_of_range
from bot.telegram.identity import scope_of
from bot.telegram.storage import PostgresStorage
from bot.telegram.transport import answer_first
from core import accounts
from core.errors import JournalError
from core.identity import UserRef
from core.journal import Journal
from core.metrics import Metrics
from core.text import clean_typed, has_controls
from texts import Texts, language_of

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


@dataclass
class CallbackAnswer:
    """What a handler wants to say in the callback's answer (a toast or an alert). The
    middleware sends it once the handler is done, unless the handler called ``send``
    earlier: once the change is made, so that the spinner stops before the slower
    redrawing of the screen. Handlers never answer the query themselves.

    Why not aiogram's ``CallbackAnswerMiddleware`` (``aiogram.utils.callback_answer``):
    it answers either before the handler (``pre``: then a refusal from core, «Период
    закрыт», can no longer be the alert it must be) or after it (then the spinner turns
    through the redraw, ~30 ms on a roll call); it has no answer in between, once the
    change is committed, and it cannot be answered from the transport when Telegram makes
    the update's requests wait (``bot.telegram.transport.answer_first``). It also leaves the
    errors to another middleware, so the answer and the error reply would be two places
    to keep in step; here they are one (``AnswerMiddleware``)."""

    text: str | None = None
    show_alert: bool = False
    answered: bool = False
    query: CallbackQuery | None = None

    async def send(self) -> None:
        """Answer the callback query now (once; later calls do nothing)."""
        if self.query is not None and not self.answered:
            self.answered = True
            await self.query.answer(text=self.text, show_alert=self.show_alert)


class MetricsMiddleware(BaseMiddleware):
    """Outer, on every update: count it by kind (message, callback_query, …) and how long
    it took to handle, however it ended (``GET /metrics``; the last one's age is in
    ``GET /health``)."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        started = self.metrics.monotonic()
        try:
            return await handler(event, data)
        finally:
            kind = _update_kind(event)
            self.metrics.update_handled(kind, self.metrics.monotonic() - started, "telegram")


class InFlightMiddleware(BaseMiddleware):
    """Outer, on every update, first: the updates being handled and, per bot, the last
    one taken, so that a stopping runner (a reload of the schools' bots, a stop) waits for
    the answers in hand and then confirms to Telegram only what was handled."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[Any]] = set()
        self.last_update: dict[int, int] = {}  # bot id -> the last update id taken

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        bot = data.get("bot")
        if bot is not None and isinstance(event, Update):
            self.last_update[bot.id] = max(self.last_update.get(bot.id, 0), event.update_id)
        task = asyncio.current_task()
        if task is not None:
            self.tasks.add(task)
        try:
            return await handler(event, data)
        finally:
            if task is not None:
                self.tasks.discard(task)

    async def settle(self, patience: float) -> None:
        """Wait (at most ``patience`` seconds) for the updates being handled."""
        await asyncio.sleep(0)  # an update just taken starts its task
        current = asyncio.current_task()
        pending = {t for t in self.tasks if t is not current}
        if pending:
            await asyncio.wait(pending, timeout=patience)


def _update_kind(event: TelegramObject) -> str:
    try:
        return event.event_type if isinstance(event, Update) else type(event).__name__
    except Exception:  # a kind this aiogram does not know
        return "unknown"


class TypedTextMiddleware(BaseMiddleware):
    """Outer, on messages: the one door for typed text. Control characters (a NUL, which
    PostgreSQL refuses, and the other invisible ones) are taken out of the text and the
    caption before any handler sees them; line breaks and tabs stay. A message without
    any is passed on as it is (one search)."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, Message):
            update = {
                field: clean_typed(value)
                for field, value in (("text", event.text), ("caption", event.caption))
                if value is not None and has_controls(value)
            }
            if update:
                event = event.model_copy(update=update)
        return await handler(event, data)


class CallerMiddleware(BaseMiddleware):
    """Outer: load the acting caller (account, active binding → core Actor) and texts,
    and the chat's conversation state in the same statement. It stands in for aiogram's
    FSM middleware (the dispatcher is built with ``disable_fsm``), which would read the
    state with a query of its own on every update: ``state`` and ``raw_state`` are set
    here as it sets them."""

    def __init__(self, fsm: FSMContextMiddleware, storage: PostgresStorage) -> None:
        self.fsm = fsm
        self.storage = storage

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user = data.get("event_from_user")
        if user is None or user.is_bot:
            return None
        chat = data.get("event_chat")
        journal: Journal = data["journal"]
        context = self.fsm.resolve_event_context(data["bot"], data)
        try:
            caller = await accounts.identify(
                journal,
                UserRef.telegram(user.id, scope_of(data)),
                chat.id if chat else user.id,
                user.language_code,
                self.storage.key_of(context.key) if context else None,
            )
        except Exception as err:
            if not database_unavailable(err):
                raise
            # No database, so no account and no saved language: Telegram's language.
            log.warning("database unavailable: %s: %s", type(err).__name__, err)
            tx = Texts(language_of(user.language_code))
            query = event if isinstance(event, CallbackQuery) else None
            answer = CallbackAnswer(query=query)
            await tell(event, answer, tx("error.journal_unavailable"))
            return None
        data["fsm_storage"] = self.storage
        raw_state = caller.conversation_state
        if context is not None and raw_state is not None and _abandons_prompt(event):
            await context.clear()  # a pending prompt never catches a later message
            raw_state = None
        if context is not None:
            data["state"] = context
            data["raw_state"] = raw_state
        data["caller"] = caller
        data["actor"] = caller.actor
        data["tx"] = Texts(caller.language or language_of(user.language_code))
        return await handler(event, data)


def _abandons_prompt(event: TelegramObject) -> bool:
    """Any button press or command means the person has moved on: the typed-text prompt
    they left (a topic, a search, a reason) is abandoned for every prompt in the bot.
    Buttons that belong to a prompt carry what they need in their own data."""
    if isinstance(event, CallbackQuery):
        return True
    return isinstance(event, Message) and (event.text or "").startswith("/")


class AnswerMiddleware(BaseMiddleware):
    """Inner: answer every callback query exactly once (the spinner never hangs); turn a
    core error into a short reply in the user's language; never a stack trace, never
    silence. "Message is not modified" is not an error."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        tx: Texts = data["tx"]
        answer = CallbackAnswer(query=event if isinstance(event, CallbackQuery) else None)
        data["callback_answer"] = answer
        # Should Telegram make the handler's requests wait, the query is answered first.
        token = answer_first.set(answer.send if answer.query is not None else None)
        try:
            return await handler(event, data)
        except JournalError as err:
            await tell(event, answer, tx(err.key, **err.params))
        except TelegramBadRequest as err:
            if "message is not modified" not in str(err):
                log.warning("Bot API refused a request: %s", err)
                await tell(event, answer, tx("error.generic"))
        except TELEGRAM_DOWN as err:  # retried as long as it could help: not a bug
            log.warning("Telegram did not take the reply: %s: %s", type(err).__name__, err)
            await tell(event, answer, tx("error.generic"))
        except Exception as err:
            if database_unavailable(err):
                log.warning("database unavailable: %s: %s", type(err).__name__, err)
                await tell(event, answer, tx("error.journal_unavailable"))
            elif isinstance(event, CallbackQuery) and out_of_range(err):
                log.warning("forged button %r: %s", event.data, err)
                answer.text, answer.show_alert = tx("fallback.stale_button"), True
            else:
                log.exception("handler failed")
                await tell(event, answer, tx("error.generic"))
        finally:
            answer_first.reset(token)
            try:
                await answer.send()
            except TELEGRAM_FAILED as err:
                log.warning("could not answer a callback query: %s", err)
        return None


#: Telegram's failures that the transport has already retried as long as it could help.
TELEGRAM_DOWN: tuple[type[Exception], ...] = (
    TelegramRetryAfter,
    TelegramServerError,
    TelegramNetworkError,
    ClientDecodeError,
)
#: ... and Telegram refusing the request.
TELEGRAM_FAILED: tuple[type[Exception], ...] = (TelegramAPIError, *TELEGRAM_DOWN)


async def tell(event: TelegramObject, answer: CallbackAnswer, text: str) -> None:
    """Say ``text`` in the callback's answer (an alert) if it is not answered yet, else in
    the chat. Telegram refusing even this is logged in one line (nothing else to do)."""
    try:
        if isinstance(event, CallbackQuery):
            if not answer.answered:
                answer.answered = True
                await event.answer(text=text, show_alert=True)
            elif isinstance(event.message, Message):  # answered already: say it in the chat
                await event.message.answer(text)
        elif isinstance(event, Message):
            await event.answer(text)
    except TELEGRAM_FAILED as err:
        log.warning("could not tell the user %r: %s", text[:40], err)
