"""Binding an account with an invitation code (R2), consent (R19), the main menu, roles,
help and logout (R24)."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message

from bot import screens
from bot.actions import ConsentCb, LogoutCb, Nav, NavCb, RoleCb
from bot.telegram.commands import set_chat_commands
from bot.telegram.filters import on
from bot.telegram.identity import telegram_user
from bot.telegram.render import show
from core import accounts, invitations, periods
from core.accounts import Caller
from core.classes import classes_led_by
from core.clock import local_today
from core.journal import Journal
from core.models import BindingRole
from notifications.consent import refuse_consent
from notifications.revocations import announce_second_account
from texts import Texts


async def start_with_code(
    message: Message, command: CommandObject, journal: Journal, tx: Texts, bot: Bot
) -> None:
    await redeem(message, command.args or "", journal, tx, bot)


async def start(message: Message, caller: Caller, journal: Journal, tx: Texts) -> None:
    if caller.actor is None:
        await message.answer(tx("start.welcome"))
        return
    await send_menu(message, caller, journal, tx)


async def code_as_text(message: Message, journal: Journal, tx: Texts, bot: Bot) -> None:
    await redeem(message, message.text or "", journal, tx, bot)


async def redeem(message: Message, code: str, journal: Journal, tx: Texts, bot: Bot) -> None:
    assert message.from_user is not None
    user = message.from_user
    binding = await invitations.redeem(
        journal, telegram_user(message), code, (user.full_name, user.username)
    )
    await announce_second_account(journal, binding.id)  # R3: the first account is told
    await accounts.switch_binding(journal, telegram_user(message), binding.id)
    await show(message, screens.start.bound(tx, binding.full_name, binding.role))
    caller = await accounts.identify(
        journal, telegram_user(message), message.chat.id, message.from_user.language_code
    )
    await set_chat_commands(bot, message.chat.id, caller, tx)
    if binding.consent_needed:
        await show(message, screens.start.consent(tx, binding.id))
        return
    await send_menu(message, caller, journal, tx)


async def give_consent(
    query: CallbackQuery, callback_data: ConsentCb, journal: Journal, tx: Texts
) -> None:
    if callback_data.refuse:
        await refuse_consent(journal, callback_data.binding, telegram_user(query))
        at = local_today(journal.clock, journal.rules.timezone)
        refused = tx("consent.refused", at=f"{at:%d.%m.%Y}")
        await show(query, screens.start.consent(tx, callback_data.binding, refused))
        return
    await invitations.record_consent(journal, callback_data.binding, telegram_user(query))
    caller = await accounts.identify(
        journal, telegram_user(query), query.from_user.id, query.from_user.language_code
    )
    await show(query, tx("consent.thanks"))
    assert isinstance(query.message, Message)
    await send_menu(query.message, caller, journal, tx)


async def menu_command(message: Message, caller: Caller, journal: Journal, tx: Texts) -> None:
    await send_menu(message, caller, journal, tx)


async def menu_button(query: CallbackQuery, caller: Caller, journal: Journal, tx: Texts) -> None:
    await send_menu(query, caller, journal, tx)


async def send_menu(
    target: Message | CallbackQuery, caller: Caller, journal: Journal, tx: Texts
) -> None:
    if caller.actor is None:
        await show(target, tx("start.welcome"))
        return
    if caller.consent_needed and caller.actor.binding_id is not None:
        await show(target, screens.start.consent(tx, caller.actor.binding_id))
        return
    led = await classes_led_by(journal, caller.actor)
    kids = None
    if caller.actor.role is BindingRole.PARENT:
        kids = await accounts.children(journal, caller.actor)
    await show(target, screens.start.menu(tx, caller, led, kids))


async def help_command(message: Message, caller: Caller, journal: Journal, tx: Texts) -> None:
    if caller.actor is None:
        await message.answer(tx("help.unbound"))
        return
    period = None
    if caller.actor.role is BindingRole.PARENT:
        today = local_today(journal.clock, journal.rules.timezone)
        current = await periods.current_period(journal, caller.actor.school_id, today)
        period = current.name if current else None
    await message.answer(screens.start.help_text(tx, caller.actor, period))


async def role_command(message: Message, caller: Caller, journal: Journal, tx: Texts) -> None:
    await _show_roles(message, caller, journal, tx)


async def role_list(query: CallbackQuery, caller: Caller, journal: Journal, tx: Texts) -> None:
    await _show_roles(query, caller, journal, tx)


async def _show_roles(
    target: Message | CallbackQuery, caller: Caller, journal: Journal, tx: Texts
) -> None:
    bindings = await invitations.bindings_of(journal, caller.user)
    if not bindings:
        await show(target, tx("start.welcome"))
        return
    active = caller.actor.binding_id if caller.actor else None
    await show(target, screens.start.roles(tx, bindings, active))


async def switch_role(
    query: CallbackQuery, callback_data: RoleCb, journal: Journal, tx: Texts, bot: Bot
) -> None:
    await accounts.switch_binding(journal, telegram_user(query), callback_data.binding)
    caller = await accounts.identify(
        journal, telegram_user(query), query.from_user.id, query.from_user.language_code
    )
    await set_chat_commands(bot, query.from_user.id, caller, tx)
    await send_menu(query, caller, journal, tx)


async def logout_command(message: Message, caller: Caller, journal: Journal, tx: Texts) -> None:
    bindings = await invitations.bindings_of(journal, caller.user)
    if not bindings:
        await message.answer(tx("start.welcome"))
        return
    await show(message, screens.start.logout(tx, bindings))


async def logout(
    query: CallbackQuery, callback_data: LogoutCb, journal: Journal, tx: Texts, bot: Bot
) -> None:
    await invitations.logout(journal, callback_data.binding, telegram_user(query))
    caller = await accounts.identify(
        journal, telegram_user(query), query.from_user.id, query.from_user.language_code
    )
    await set_chat_commands(bot, query.from_user.id, caller, tx)
    await show(query, tx("logout.done"))


async def chat_member_changed(event: ChatMemberUpdated, journal: Journal) -> None:
    """The user blocked or unblocked the bot: notifications stop or resume."""
    if event.chat.type != ChatType.PRIVATE:
        return
    gone = event.new_chat_member.status in (ChatMemberStatus.KICKED, ChatMemberStatus.LEFT)
    await accounts.set_reachable(journal, telegram_user(event), not gone)


def build() -> Router:
    router = Router(name="start")
    router.my_chat_member.register(chat_member_changed)
    router.message.register(start_with_code, CommandStart(deep_link=True))
    router.message.register(start, CommandStart())
    router.message.register(
        code_as_text, StateFilter(None), F.text.func(invitations.looks_like_code)
    )
    router.callback_query.register(give_consent, on(ConsentCb))
    router.message.register(menu_command, Command("menu"))
    router.callback_query.register(menu_button, on(NavCb, F.to == Nav.MENU))
    router.message.register(help_command, Command("help"))
    router.message.register(role_command, Command("role"))
    router.callback_query.register(role_list, on(RoleCb, F.binding == 0))
    router.callback_query.register(switch_role, on(RoleCb, F.binding > 0))
    router.message.register(logout_command, Command("logout"))
    router.callback_query.register(logout, on(LogoutCb))
    return router
