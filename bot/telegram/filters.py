"""Router filters: by the action a button carries, and by the hat the account wears.
They route; core still authorises."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from aiogram.filters import Filter
from aiogram.types import CallbackQuery, TelegramObject
from magic_filter import MagicFilter
from pydantic import ValidationError

from bot.screen import Action
from core.accounts import Caller
from core.models import BindingRole, StaffRole


class ActionFilter(Filter):
    """A callback whose data is a packed ``action`` (and, with ``rule``, one that matches
    it); the handler gets it as ``callback_data``. Forged or stale data (a field out of
    its bounds) matches nothing and falls through to «Кнопка устарела»."""

    def __init__(
        self, action: type[Action], rule: MagicFilter | Callable[[Any], bool] | None = None
    ) -> None:
        self.action = action
        self.rule = rule

    async def __call__(self, query: CallbackQuery) -> Literal[False] | dict[str, Any]:
        if not isinstance(query, CallbackQuery) or not query.data:
            return False
        try:
            data = self.action.unpack(query.data)
        except (TypeError, ValueError, ValidationError):
            return False
        rule = self.rule
        if rule is None or (rule.resolve(data) if isinstance(rule, MagicFilter) else rule(data)):
            return {"callback_data": data}
        return False


def on(action: type[Action], rule: MagicFilter | None = None) -> ActionFilter:
    """``router.callback_query.register(handler, on(LessonCb))``."""
    return ActionFilter(action, rule)


class StaffOnly(Filter):
    def __init__(self, *roles: StaffRole) -> None:
        self.roles = roles

    async def __call__(self, event: TelegramObject, caller: Caller) -> bool:
        actor = caller.actor
        return actor is not None and (
            actor.has(*self.roles) if self.roles else actor.role is BindingRole.STAFF
        )


class FamilyOnly(Filter):
    """Parents (after consent, R19) and pupils."""

    async def __call__(self, event: TelegramObject, caller: Caller) -> bool:
        actor = caller.actor
        return actor is not None and actor.role in (BindingRole.PARENT, BindingRole.PUPIL)


class WhoFilter(Filter):
    """A flow's route is for whom (``bot.flows.routes.Who``)."""

    def __init__(self, who: Callable[[Caller], bool]) -> None:
        self.who = who

    async def __call__(self, event: TelegramObject, caller: Caller) -> bool:
        return self.who(caller)
