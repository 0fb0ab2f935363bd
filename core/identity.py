"""Who a person is on a messenger: a user of one messenger (``UserRef``). Telegram's and
MAX's user ids are separate number spaces, so an id alone names no one."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement

from core.models import Binding, Messenger


@dataclass(frozen=True, slots=True)
class UserRef:
    """A user of one messenger: who pressed or typed, whose a binding is."""

    messenger: Messenger
    id: int

    @classmethod
    def telegram(cls, user_id: int) -> UserRef:
        return cls(Messenger.TELEGRAM, user_id)

    @classmethod
    def max(cls, user_id: int) -> UserRef:
        return cls(Messenger.MAX, user_id)


def own_bindings(user: UserRef) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """The condition on ``bindings`` of the user's own (revoked or not)."""
    return Binding.messenger == user.messenger.value, Binding.user_id == user.id


def owns(user: UserRef, binding: Binding) -> bool:
    """Whether the binding is the user's (of this messenger)."""
    return binding.messenger == user.messenger.value and binding.user_id == user.id


@dataclass(frozen=True, slots=True)
class BotLink:
    """A bot the school's people find the journal in: its messenger and its username
    (deep links to it are built by whoever knows the messenger's format)."""

    messenger: Messenger
    username: str

    @property
    def handle(self) -> str:
        return "@" + self.username.lstrip("@")
