"""A Bot API call as the method handlers see it, the registry of handlers
(``@method("sendMessage")``) and the helpers every handler uses."""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fakegram.errors import (
    BLOCKED,
    DEACTIVATED,
    ApiError,
    bad_request,
)
from fakegram.state import FakeBot, FakeChat, Hub


@dataclass
class UploadedFile:
    """A file part of a multipart request."""

    filename: str | None
    data: bytes
    content_type: str | None = None


@dataclass
class Call:
    fake: Hub
    bot: FakeBot
    method: str
    params: dict[str, Any]
    files: dict[str, UploadedFile] = field(default_factory=dict)
    chat: FakeChat | None = None  # set once resolved, to attribute errors to the chat


@dataclass
class WithDescription:
    """A successful result that also carries a "description" (like setWebhook's)."""

    result: Any
    description: str


Handler = Callable[[Call], Awaitable[Any]]
METHODS: dict[str, Handler] = {}


def method(*names: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        for name in names:
            METHODS[name.lower()] = func
        return func

    return register


def int_param(value: Any, default: int = 0) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def resolve_chat(call: Call, key: str = "chat_id") -> FakeChat:
    raw = call.params.get(key)
    if raw is None or raw == "":
        raise bad_request("chat_id is empty")
    if isinstance(raw, str):
        raw = raw.strip()
        if not re.fullmatch(r"-?\d+", raw):
            # "@username" addresses channels/supergroups only; private chats can't be found so.
            raise bad_request("chat not found")
        raw = int(raw)
    chat = call.bot.chat(int(raw))
    if chat is None or not chat.started:
        raise bad_request("chat not found")
    call.chat = chat
    return chat


def check_reachable(chat: FakeChat) -> None:
    if chat.deactivated:
        raise ApiError(403, DEACTIVATED)
    if chat.blocked:
        raise ApiError(403, BLOCKED)


def guess_mime(filename: str | None, content_type: str | None) -> str:
    if filename:
        guessed, _ = mimetypes.guess_type(filename)
        if guessed:
            return guessed
    if content_type and content_type != "application/octet-stream":
        return content_type
    return "application/octet-stream"
