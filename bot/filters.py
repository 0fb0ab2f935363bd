"""Router filters by the hat the account wears. They route; core still authorises."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import TelegramObject

from core.accounts import Session
from core.models import BindingRole, StaffRole


class StaffOnly(Filter):
    def __init__(self, *roles: StaffRole) -> None:
        self.roles = roles

    async def __call__(self, event: TelegramObject, session: Session) -> bool:
        actor = session.actor
        return actor is not None and (
            actor.has(*self.roles) if self.roles else actor.role is BindingRole.STAFF
        )


class FamilyOnly(Filter):
    """Parents (after consent, R19) and pupils."""

    async def __call__(self, event: TelegramObject, session: Session) -> bool:
        actor = session.actor
        return actor is not None and actor.role in (BindingRole.PARENT, BindingRole.PUPIL)
