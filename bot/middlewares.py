"""Per-update plumbing: who is acting (core session), in which language, and the
guarantee that every callback query is answered and every user error gets a reply."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.storage import PostgresStorage
from core import accounts
from core.errors import JournalError
from core.journal import Journal
from texts import Texts, language_of

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


@dataclass
class CallbackAnswer:
    """What a handler wants to say in the callback's answer (a toast or an alert). The
    middleware sends it once the handler is done, unless the handler called ``send``
    earlier: once the change is made, so that the spinner stops before the slower
    redrawing of the screen. Handlers never answer the query themselves."""

    text: str | None = None
    show_alert: bool = False
    answered: bool = False
    query: CallbackQuery | None = None

    async def send(self) -> None:
        """Answer the callback query now (once; later calls do nothing)."""
        if self.query is not None and not self.answered:
            self.answered = True
            await self.query.answer(text=self.text, show_alert=self.show_alert)


class SessionMiddleware(BaseMiddleware):
    """Outer: load the acting session (account, active binding → core Actor) and texts,
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
        session = await accounts.open_session(
            journal,
            user.id,
            chat.id if chat else user.id,
            user.language_code,
            self.storage.key_of(context.key) if context else None,
        )
        data["fsm_storage"] = self.storage
        raw_state = session.conversation_state
        if context is not None and raw_state is not None and _abandons_prompt(event):
            await context.clear()  # a pending prompt never catches a later message
            raw_state = None
        if context is not None:
            data["state"] = context
            data["raw_state"] = raw_state
        data["session"] = session
        data["actor"] = session.actor
        data["tx"] = Texts(session.language or language_of(user.language_code))
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
        try:
            return await handler(event, data)
        except JournalError as err:
            await self._tell(event, answer, tx(err.key, **err.params))
        except TelegramBadRequest as err:
            if "message is not modified" not in str(err):
                log.exception("Bot API refused a request")
                await self._tell(event, answer, tx("error.generic"))
        except Exception:
            log.exception("handler failed")
            await self._tell(event, answer, tx("error.generic"))
        finally:
            await answer.send()
        return None

    @staticmethod
    async def _tell(event: TelegramObject, answer: CallbackAnswer, text: str) -> None:
        if isinstance(event, CallbackQuery):
            if not answer.answered:
                answer.answered = True
                await event.answer(text=text, show_alert=True)
            elif isinstance(event.message, Message):  # answered already: say it in the chat
                await event.message.answer(text)
        elif isinstance(event, Message):
            await event.answer(text)
