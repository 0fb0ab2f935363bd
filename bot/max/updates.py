"""A MAX update as the adapter needs it: who, in which chat, what they typed or pressed
(maxapi's models reduced to the few fields the flows read)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from maxapi.types.attachments.file import File
from maxapi.types.message import Message
from maxapi.types.updates import UpdateUnion
from maxapi.types.updates.bot_started import BotStarted
from maxapi.types.updates.bot_stopped import BotStopped
from maxapi.types.updates.message_callback import MessageCallback
from maxapi.types.updates.message_created import MessageCreated
from maxapi.types.users import User

from core.text import clean_typed


class Kind(StrEnum):
    START = "start"  # the person opened the bot (from a deep link: with its payload)
    MESSAGE = "message"  # typed text (a command too)
    PRESS = "press"  # a button
    STOPPED = "stopped"  # the person blocked the bot


@dataclass(frozen=True)
class Incoming:
    kind: Kind
    user_id: int
    chat_id: int
    name: str | None = None
    username: str | None = None
    locale: str | None = None
    text: str = ""  # what was typed (cleaned), or the start's payload
    callback_id: str | None = None
    payload: str | None = None  # the pressed button's packed action
    message_id: str | None = None  # the pressed message
    file: tuple[str, int, str] | None = None  # a sent file: its name, size and download URL


def incoming(update: UpdateUnion) -> Incoming | None:
    """The update as :class:`Incoming`, or ``None`` for one the bot does not act on (a
    group chat's events, a message without a sender, another bot)."""
    if isinstance(update, BotStarted):
        return _from(
            Kind.START, update.user, update.chat_id, update.user_locale, update.payload or ""
        )
    if isinstance(update, BotStopped):
        return _from(Kind.STOPPED, update.user, update.chat_id, update.user_locale)
    if isinstance(update, MessageCreated):
        message = update.message
        chat_id = message.recipient.chat_id
        if message.sender is None or chat_id is None:
            return None
        text = clean_typed(message.body.text or "") if message.body else ""
        found = _from(Kind.MESSAGE, message.sender, chat_id, update.user_locale, text)
        sent = _file_of(message)
        return replace(found, file=sent) if found is not None and sent is not None else found
    if isinstance(update, MessageCallback):
        pressed = update.message
        user = update.callback.user
        chat_id = pressed.recipient.chat_id if pressed else None
        found = _from(Kind.PRESS, user, chat_id or user.user_id, update.user_locale)
        if found is None:
            return None
        return replace(
            found,
            callback_id=update.callback.callback_id,
            payload=update.callback.payload or "",
            message_id=pressed.body.mid if pressed and pressed.body else None,
        )
    return None


def _file_of(message: Message) -> tuple[str, int, str] | None:
    """The first file attached to a message (its name, size and URL), if any."""
    for attachment in (message.body.attachments or []) if message.body else []:
        if isinstance(attachment, File) and attachment.payload is not None:
            url = getattr(attachment.payload, "url", None)
            if url:
                return attachment.filename or "", attachment.size or 0, str(url)
    return None


def _from(
    kind: Kind, user: User, chat_id: int, locale: str | None, text: str = ""
) -> Incoming | None:
    if user.is_bot:
        return None
    name = " ".join(p for p in (user.first_name, user.last_name) if p) or None
    return Incoming(kind, user.user_id, chat_id, name, user.username, locale, text)
