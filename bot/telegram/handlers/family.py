"""Parents and pupils: marks with plain and weighted averages, absences, homework for the
next school day (R16), a child switcher, and a parent's notification settings. Pupils
only view, and only themselves (R1); parents see nothing before consent (R19). The
screens are in ``bot/screens/family.py``."""

from __future__ import annotations

from datetime import time

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot import screens
from bot.actions import ChildCb, FamilyCb, FamilyView, PrefCb
from bot.telegram.filters import FamilyOnly, on
from bot.telegram.identity import telegram_user
from bot.telegram.render import show
from core import accounts, family
from core.accounts import Caller
from core.journal import Journal
from notifications.rules import NotificationRules
from texts import Texts


async def _gate(target: Message | CallbackQuery, caller: Caller, tx: Texts) -> bool:
    """Nothing is shown before a parent's consent (R19); nothing without a child."""
    if caller.pupil is None:
        await show(target, screens.family.no_children(tx))
        return False
    if caller.consent_needed and caller.actor and caller.actor.binding_id is not None:
        await show(target, screens.start.consent(tx, caller.actor.binding_id))
        return False
    return True


# --- marks, absences, homework -----------------------------------------------------------------


async def marks_command(message: Message, caller: Caller, journal: Journal, tx: Texts) -> None:
    await show_marks(message, caller, journal, tx)


async def marks_button(query: CallbackQuery, caller: Caller, journal: Journal, tx: Texts) -> None:
    await show_marks(query, caller, journal, tx)


async def show_marks(
    target: Message | CallbackQuery, caller: Caller, journal: Journal, tx: Texts
) -> None:
    if not await _gate(target, caller, tx):
        return
    assert caller.actor and caller.pupil
    page = await family.pupil_marks_page(journal, caller.actor, caller.pupil.id)
    await show(
        target, screens.family.marks(tx, caller.pupil, page.period, page.subjects, page.children)
    )


async def absences_command(message: Message, caller: Caller, journal: Journal, tx: Texts) -> None:
    await show_absences(message, caller, journal, tx)


async def absences_button(
    query: CallbackQuery, caller: Caller, journal: Journal, tx: Texts
) -> None:
    await show_absences(query, caller, journal, tx)


async def show_absences(
    target: Message | CallbackQuery, caller: Caller, journal: Journal, tx: Texts
) -> None:
    if not await _gate(target, caller, tx):
        return
    assert caller.actor and caller.pupil
    page = await family.pupil_absences_page(journal, caller.actor, caller.pupil.id)
    await show(target, screens.family.absences(tx, caller.pupil, page.absences, page.children))


async def homework_command(message: Message, caller: Caller, journal: Journal, tx: Texts) -> None:
    await show_homework(message, caller, journal, tx)


async def homework_button(
    query: CallbackQuery, caller: Caller, journal: Journal, tx: Texts
) -> None:
    await show_homework(query, caller, journal, tx)


async def show_homework(
    target: Message | CallbackQuery, caller: Caller, journal: Journal, tx: Texts
) -> None:
    if not await _gate(target, caller, tx):
        return
    assert caller.actor and caller.pupil
    page = await family.homework_page(journal, caller.actor, caller.pupil.id)
    await show(target, screens.family.homework(tx, caller.pupil, page.lessons, page.children))


# --- child switcher and settings ---------------------------------------------------------------


async def switch_child(
    query: CallbackQuery, callback_data: ChildCb, caller: Caller, journal: Journal, tx: Texts
) -> None:
    assert caller.actor is not None
    await accounts.switch_pupil(journal, caller.actor, caller.user, callback_data.pupil)
    caller = await accounts.identify(
        journal, telegram_user(query), query.from_user.id, query.from_user.language_code
    )
    await show_marks(query, caller, journal, tx)


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
    router = Router(name="family")
    router.message.filter(FamilyOnly())
    router.callback_query.filter(FamilyOnly())
    router.message.register(marks_command, Command("marks"))
    router.callback_query.register(marks_button, on(FamilyCb, F.view == FamilyView.MARKS))
    router.message.register(absences_command, Command("absences"))
    router.callback_query.register(absences_button, on(FamilyCb, F.view == FamilyView.ABSENCES))
    router.message.register(homework_command, Command("homework"))
    router.callback_query.register(homework_button, on(FamilyCb, F.view == FamilyView.HOMEWORK))
    router.callback_query.register(switch_child, on(ChildCb))
    router.callback_query.register(settings_screen, on(FamilyCb, F.view == FamilyView.SETTINGS))
    router.callback_query.register(change_pref, on(PrefCb))
    return router
