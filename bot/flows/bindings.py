"""The admin and the director: the staff's invitation cards (R2) and cutting a binding
from a paged list filtered by role and searched by name (R3; the search is kept in a
second slot of the chat, which a new conversation does not wipe). The screens are in
``bot/screens/bindings.py``; core refuses anyone else."""

from __future__ import annotations

from bot import screens
from bot.actions import AdminCb, BindingsCb
from bot.flows.codes import send_codes
from bot.flows.routes import Routes, staff
from bot.flows.turn import Turn, actor_of
from core import invitations
from core.errors import NotFound
from core.models import BindingRole, StaffRole


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


ROLE_FILTERS = {"": None, "s": BindingRole.STAFF, "p": BindingRole.PARENT, "u": BindingRole.PUPIL}
SEARCH_SLOT = "bindings"  # the admin's last search, kept aside from conversations
SEARCH_MAX = 60


async def staff_codes(turn: Turn, action: AdminCb) -> None:
    actor = actor_of(turn)
    result = await invitations.issue_for_staff(turn.journal, actor)
    await send_codes(turn, result, actor, reissue_scope=0)


async def bindings_list(turn: Turn, action: AdminCb) -> None:
    """From the menu: the first page, every role, no search."""
    await bindings_screen(turn, BindingsCb())


async def bindings_page(turn: Turn, action: BindingsCb) -> None:
    await bindings_screen(turn, action)


async def bindings_screen(turn: Turn, view: BindingsCb) -> None:
    """A page of the school's active bindings (R3), 20 a page, filtered by role and by
    the admin's search."""
    if view.role not in ROLE_FILTERS:
        raise NotFound()
    if await turn.conversation.get_state() == BindingsFlow.search:
        await turn.conversation.clear()  # the admin went back instead of typing a name
    search = ""
    if view.q:
        search = str((await turn.slot(SEARCH_SLOT).get_data()).get("q", ""))
    found = await invitations.find_bindings(
        turn.journal, actor_of(turn), role=ROLE_FILTERS[view.role], search=search, page=view.page
    )
    view = BindingsCb(role=view.role, page=found.page, q=1 if search else 0)
    await turn.show(screens.bindings.page(turn.tx, found, view, search))


async def search_typed(turn: Turn) -> None:
    text = " ".join(turn.text.split())[:SEARCH_MAX]
    if not text:
        await turn.show(turn.tx("bindings.ask"))
        return
    role = str((await turn.conversation.get_data()).get("role", ""))
    await turn.conversation.clear()
    slot = turn.slot(SEARCH_SLOT)
    await slot.clear()
    await slot.update_data(q=text)
    await bindings_screen(turn, BindingsCb(role=role, q=1))


async def revoke_from_page(turn: Turn, action: BindingsCb) -> None:
    """Confirmed: cut the binding at once (core checks who may), say so before redrawing
    the page it was chosen on."""
    await invitations.revoke_binding(
        turn.journal, actor_of(turn), action.binding, "revoked by admin"
    )
    turn.answer(turn.tx("admin.revoked"))
    await turn.answer_now()
    await bindings_screen(turn, action)


def routes() -> Routes:
    r = Routes()
    admins = staff(StaffRole.ADMIN, StaffRole.DIRECTOR)
    r.press(AdminCb, revoke, when=lambda a: a.act == "r", who=admins)
    # The paged list: core refuses anyone but the admin and the director.
    r.press(BindingsCb, search_ask, when=lambda a: a.act == "f", who=staff())
    r.press(BindingsCb, confirm_cut, when=lambda a: a.act == "r", who=staff())
    r.press(AdminCb, staff_codes, when=lambda a: a.act == "k", who=admins)
    r.press(AdminCb, bindings_list, when=lambda a: a.act == "b", who=admins)
    r.press(BindingsCb, bindings_page, when=lambda a: a.act == "l", who=staff())
    r.press(BindingsCb, revoke_from_page, when=lambda a: a.act == "y", who=staff())
    r.typed(search_typed, state=BindingsFlow.search, who=staff())
    return r
