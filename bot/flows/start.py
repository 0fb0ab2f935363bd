"""Binding an account with an invitation code (R2), typed or from a deep link; consent
(R19), the main menu, roles, help and logout (R24)."""

from __future__ import annotations

from bot import screens
from bot.actions import ConsentCb, LogoutCb, Nav, NavCb, RoleCb
from bot.flows.routes import NO_STATE, Routes
from bot.flows.turn import Turn
from core import accounts, invitations, periods
from core.classes import classes_led_by
from core.clock import local_today
from core.models import BindingRole
from notifications.consent import refuse_consent
from notifications.revocations import announce_second_account


async def start(turn: Turn) -> None:
    """The messenger's start: with a code (a deep link), binding; else the menu."""
    if turn.text:
        await redeem(turn, turn.text)
    elif turn.caller.actor is None:
        await turn.show(turn.tx("start.welcome"))
    else:
        await send_menu(turn)


async def code_as_text(turn: Turn) -> None:
    await redeem(turn, turn.text)


async def redeem(turn: Turn, code: str) -> None:
    journal, tx = turn.journal, turn.tx
    binding = await invitations.redeem(journal, turn.user, code, turn.profile)
    await announce_second_account(journal, binding.id)  # R3: the first account is told
    await accounts.switch_binding(journal, turn.user, binding.id)
    await turn.show(screens.start.bound(tx, binding.full_name, binding.role))
    await turn.reidentify()
    await turn.menu_changed()
    if binding.consent_needed:
        await turn.send(screens.start.consent(tx, binding.id))
        return
    await send_menu(turn, new=True)


async def give_consent(turn: Turn, action: ConsentCb) -> None:
    journal, tx = turn.journal, turn.tx
    if action.refuse:
        await refuse_consent(journal, action.binding, turn.user)
        at = local_today(journal.clock, journal.rules.timezone)
        refused = tx("consent.refused", at=f"{at:%d.%m.%Y}")
        await turn.show(screens.start.consent(tx, action.binding, refused))
        return
    await invitations.record_consent(journal, action.binding, turn.user)
    await turn.reidentify()
    await turn.show(tx("consent.thanks"))
    await send_menu(turn, new=True)


async def menu(turn: Turn, action: NavCb | None = None) -> None:
    await send_menu(turn)


async def send_menu(turn: Turn, *, new: bool = False) -> None:
    """The main menu (``new``: as a new message, under what was just said)."""
    caller, tx = turn.caller, turn.tx
    out = turn.send if new else turn.show
    if caller.actor is None:
        await out(tx("start.welcome"))
        return
    if caller.consent_needed and caller.actor.binding_id is not None:
        await out(screens.start.consent(tx, caller.actor.binding_id))
        return
    led = await classes_led_by(turn.journal, caller.actor)
    kids = None
    if caller.actor.role is BindingRole.PARENT:
        kids = await accounts.children(turn.journal, caller.actor)
    await out(screens.start.menu(tx, caller, led, kids))


async def help_command(turn: Turn) -> None:
    caller, tx = turn.caller, turn.tx
    if caller.actor is None:
        await turn.show(tx("help.unbound"))
        return
    period = None
    if caller.actor.role is BindingRole.PARENT:
        today = local_today(turn.journal.clock, turn.journal.rules.timezone)
        current = await periods.current_period(turn.journal, caller.actor.school_id, today)
        period = current.name if current else None
    await turn.show(screens.start.help_text(tx, caller.actor, period))


async def roles(turn: Turn, action: RoleCb | None = None) -> None:
    bindings = await invitations.bindings_of(turn.journal, turn.user)
    if not bindings:
        await turn.show(turn.tx("start.welcome"))
        return
    active = turn.caller.actor.binding_id if turn.caller.actor else None
    await turn.show(screens.start.roles(turn.tx, bindings, active))


async def switch_role(turn: Turn, action: RoleCb) -> None:
    await accounts.switch_binding(turn.journal, turn.user, action.binding)
    await turn.reidentify()
    await turn.menu_changed()
    await send_menu(turn)


async def logout_command(turn: Turn) -> None:
    bindings = await invitations.bindings_of(turn.journal, turn.user)
    if not bindings:
        await turn.show(turn.tx("start.welcome"))
        return
    await turn.show(screens.start.logout(turn.tx, bindings))


async def logout(turn: Turn, action: LogoutCb) -> None:
    await invitations.logout(turn.journal, action.binding, turn.user)
    await turn.reidentify()
    await turn.menu_changed()
    await turn.show(turn.tx("logout.done"))


def routes() -> Routes:
    r = Routes()
    r.start(start)
    r.typed(code_as_text, state=NO_STATE, fits=invitations.looks_like_code)
    r.press(ConsentCb, give_consent)
    r.command("menu", menu)
    r.press(NavCb, menu, when=lambda a: a.to == Nav.MENU)
    r.command("help", help_command)
    r.command("role", roles)
    r.press(RoleCb, roles, when=lambda a: a.binding == 0)
    r.press(RoleCb, switch_role, when=lambda a: a.binding > 0)
    r.command("logout", logout_command)
    r.press(LogoutCb, logout)
    return r
