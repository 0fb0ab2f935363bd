"""Who a person is on a messenger: a user of one messenger (``UserRef``). Telegram's and
MAX's user ids are separate number spaces, so an id alone names no one."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement

from core.models import Binding, Messenger


def bot_channel(messenger: str, bot_id: int | None) -> str:
    """The channel of a bot (issue 14), the outbox's and the send leases' name for it: its
    messenger's name for the shared bot, ``<messenger>:<bot_id>`` for a school's own bot.
    In SQL, from a binding's bot: ``notifications.outbox._INSERT``; read back:
    ``notifications.outbox.binding_of_channel``."""
    return messenger if bot_id is None else f"{messenger}:{bot_id}"


@dataclass(frozen=True, slots=True)
class UserRef:
    """A user of one messenger: who pressed or typed, whose a binding is. ``bot_id``: the
    school's own Telegram bot the user writes to (issue 14), None for the shared bot (and
    MAX). The bot is the scope of the user's bindings: in a school's bot only those made
    through it, in the shared bot only those made through it (``own_bindings``)."""

    messenger: Messenger
    id: int
    bot_id: int | None = None

    @classmethod
    def telegram(cls, user_id: int, bot_id: int | None = None) -> UserRef:
        return cls(Messenger.TELEGRAM, user_id, bot_id)

    @classmethod
    def max(cls, user_id: int) -> UserRef:
        return cls(Messenger.MAX, user_id)


def own_bindings(user: UserRef) -> tuple[ColumnElement[bool], ...]:
    """The condition on ``bindings`` of the user's own (revoked or not), made through the
    bot the user writes to: the one place a bot's scope is decided."""
    bot = Binding.bot_id.is_(None) if user.bot_id is None else Binding.bot_id == user.bot_id
    return Binding.messenger == user.messenger.value, Binding.user_id == user.id, bot


def owns(user: UserRef, binding: Binding) -> bool:
    """Whether the binding is the user's (of this messenger, through this bot)."""
    return owner_is(user, binding.messenger, binding.user_id, binding.bot_id)


def owner_is(user: UserRef, messenger: str, user_id: int, bot_id: int | None) -> bool:
    """Whether a binding of these columns is the user's (``own_bindings`` in Python)."""
    return (messenger, user_id, bot_id) == (user.messenger.value, user.id, user.bot_id)


@dataclass(frozen=True, slots=True)
class BotLink:
    """A bot the school's people find the journal in: its messenger and its username
    (deep links to it are built by whoever knows the messenger's format)."""

    messenger: Messenger
    username: str

    @property
    def handle(self) -> str:
        return "@" + self.username.lstrip("@")
