"""The admin and the director cutting a binding (R3): the search prompt and the question
before a cut. The paged list (it keeps the admin's search in a second slot of the chat,
which :class:`~bot.flows.turn.Conversation` does not offer) and the staff's invitation
cards (deep links) are still Telegram handlers (``bot/telegram/handlers/bindings.py``).
The screens are in ``bot/screens/bindings.py``; core refuses anyone else."""

from __future__ import annotations

from bot import screens
from bot.actions import AdminCb, BindingsCb
from bot.flows.routes import Routes, staff
from bot.flows.teacher import actor_of
from bot.flows.turn import Turn
from core import invitations
from core.models import StaffRole


class BindingsFlow:
    """The conversation states of this feature (their names are what is stored)."""

    search = "BindingsFlow:search"  # waiting for part of a name


async def search_ask(turn: Turn, action: BindingsCb) -> None:
    await invitations.find_bindings(turn.journal, actor_of(turn), per_page=1)  # may the actor
    await turn.conversation.set_state(BindingsFlow.search)
    await turn.conversation.update_data(role=action.role)
    await turn.show(screens.bindings.search_prompt(turn.tx, action.role))


async def confirm_cut(turn: Turn, action: BindingsCb) -> None:
    """R3: a tap on a name asks first (the list is long, a thumb slips); core checks who
    may see it."""
    await ask_to_cut(turn, action, action.binding)


async def revoke(turn: Turn, action: AdminCb) -> None:
    """A button of the list as it was before paging (an old message): asks first too."""
    await ask_to_cut(turn, BindingsCb(), action.binding)


async def ask_to_cut(turn: Turn, view: BindingsCb, binding_id: int) -> None:
    name, role = await invitations.binding_to_cut(turn.journal, actor_of(turn), binding_id)
    await turn.show(screens.bindings.confirm_cut(turn.tx, view, binding_id, name, role))


def routes() -> Routes:
    r = Routes()
    admins = staff(StaffRole.ADMIN, StaffRole.DIRECTOR)
    r.press(AdminCb, revoke, when=lambda a: a.act == "r", who=admins)
    # The paged list: core refuses anyone but the admin and the director.
    r.press(BindingsCb, search_ask, when=lambda a: a.act == "f", who=staff())
    r.press(BindingsCb, confirm_cut, when=lambda a: a.act == "r", who=staff())
    return r
