"""The channels the outbox delivers through: one adapter per messenger, the only place
that knows its API, its formats and its errors. The sender hands a channel a screen's
text and buttons and gets back what happened, in the messenger's own words turned into
one of a few outcomes it knows how to handle (retry, give up, stop)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.max.limits import MAX_LIMITS
from bot.screen import Limits, Row
from bot.telegram.limits import TELEGRAM_LIMITS
from core.models import Messenger


class Result(StrEnum):
    SENT = "sent"
    NOT_MODIFIED = "not_modified"  # an edit to what the message already says
    RETRY_AFTER = "retry_after"  # rate-limited: wait ``retry_after`` seconds
    UNREACHABLE = "unreachable"  # the user blocked the bot or is gone
    REFUSED = "refused"  # a bad request (an edit that cannot be made: send anew)
    HALT = "halt"  # the bot's token is refused: stop sending
    SERVER = "server"  # the messenger failed: try again later
    NETWORK = "network"  # no answer: try again later
    PERMANENT = "permanent"  # another error that a retry will not cure
    INVALID = "invalid"  # the message cannot be built for this messenger


@dataclass(frozen=True)
class Delivery:
    result: Result
    message_id: str | None = None  # the messenger's id of the message (Telegram's int as text)
    error: str = ""
    code: int | None = None  # the messenger's error code, when it has one
    retry_after: float = 0.0


class Channel(Protocol):
    """A messenger, as the sender uses it."""

    name: str
    limits: Limits  # what one message of the messenger holds: notifications compose under it

    async def send(
        self, chat_id: int, text: str, buttons: list[Row], request_timeout: float
    ) -> Delivery: ...

    async def edit(
        self, chat_id: int, message_id: str, text: str, buttons: list[Row], request_timeout: float
    ) -> Delivery: ...


def adapters_limits() -> dict[str, Limits]:
    """Every channel's limits by its name, as its adapter states them (read without
    importing a messenger library)."""
    return {Messenger.TELEGRAM.value: TELEGRAM_LIMITS, Messenger.MAX.value: MAX_LIMITS}
