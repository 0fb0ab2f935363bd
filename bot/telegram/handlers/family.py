"""Parents and pupils: marks, absences, homework and the child switcher are flows
(``bot/flows/family.py``). A parent's notification settings stay Telegram handlers for
now: their screen shows the digest's default hour from the notification rules, which the
dispatcher hands to a handler but a turn does not carry."""

from __future__ import annotations

from datetime import time

from aiogram import F, Router
from aiogram.types import CallbackQuery

from bot import screens
from bot.actions import FamilyCb, FamilyView, PrefCb
from bot.flows import family as family_flows
from bot.telegram.filters import FamilyOnly, on
from bot.telegram.render import show
from bot.telegram.turn import router_of
from core import accounts
from core.accounts import Caller
from core.journal import Journal
from notifications.rules import NotificationRules
from texts import Texts


async def settings_screen(
    query: CallbackQuery,
    caller: Caller,
    journal: Journal,
    tx: Texts,
    notification_rules: NotificationRules,
) -> None:
    assert caller.actor is not None
    prefs = await accounts.get_prefs(journal, caller.actor)
    await show_prefs(query, prefs, tx, notification_rules)


async def show_prefs(
    query: CallbackQuery, prefs: accounts.Prefs, tx: Texts, rules: NotificationRules
) -> None:
    school_hour = (prefs.school_time or rules.digest_time).hour
    await show(query, screens.family.prefs(tx, prefs, school_hour))


async def change_pref(
    query: CallbackQuery,
    callback_data: PrefCb,
    caller: Caller,
    journal: Journal,
    tx: Texts,
    notification_rules: NotificationRules,
) -> None:
    assert caller.actor is not None
    current = await accounts.get_prefs(journal, caller.actor)
    if callback_data.what == "d":
        prefs = await accounts.set_prefs(
            journal, caller.actor, digest_enabled=not current.digest_enabled
        )
    elif callback_data.what == "a":
        prefs = await accounts.set_prefs(
            journal, caller.actor, absence_alerts=not current.absence_alerts
        )
    else:
        if not 0 <= callback_data.hour <= 23:
            return
        prefs = await accounts.set_prefs(
            journal, caller.actor, digest_time=time(callback_data.hour)
        )
    await show_prefs(query, prefs, tx, notification_rules)


def build() -> Router:
    router = router_of("family", family_flows.routes())
    router.callback_query.register(
        settings_screen, on(FamilyCb, F.view == FamilyView.SETTINGS), FamilyOnly()
    )
    router.callback_query.register(change_pref, on(PrefCb), FamilyOnly())
    return router
