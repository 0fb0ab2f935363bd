"""The admin and the director: the staff's invitation cards (R2) and cutting a binding
from a paged list filtered by role and searched by name (R3). The search prompt and the
question before a cut are flows (``bot/flows/bindings.py``); still Telegram handlers, as
the Turn does not offer what they need: the staff's cards (``send_codes`` makes the
deep links with the bot's username) and the paged list with the search typed for it (the
search is kept in a second slot of the chat, ``side_slot``, which survives
``state.clear()``; the Conversation has no such slot). The screens are in
``bot/screens/bindings.py``; core refuses anyone else."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot import screens
from bot.actions import AdminCb, BindingsCb
from bot.flows import bindings
from bot.flows.bindings import BindingsFlow
from bot.telegram.cards import send_codes
from bot.telegram.filters import StaffOnly, on
from bot.telegram.middlewares import CallbackAnswer
from bot.telegram.render import show
from bot.telegram.storage import side_slot
from bot.telegram.turn import router_of
from core import invitations
from core.access import Actor
from core.errors import NotFound
from core.journal import Journal
from core.models import BindingRole, StaffRole
from texts import Texts

ROLE_FILTERS = {
    "": None,
    "s": BindingRole.STAFF,
    "p": BindingRole.PARENT,
    "u": BindingRole.PUPIL,
}
SEARCH_SLOT = "bindings"  # the admin's last search, kept aside from conversations
SEARCH_MAX = 60


async def staff_codes(
    query: CallbackQuery, actor: Actor, journal: Journal, tx: Texts, bot: Bot
) -> None:
    result = await invitations.issue_for_staff(journal, actor)
    assert isinstance(query.message, Message)
    await send_codes(query.message, result, actor, journal, tx, bot, reissue_scope=0)


async def bindings_list(
    query: CallbackQuery, actor: Actor, journal: Journal, tx: Texts, state: FSMContext
) -> None:
    """From the menu: the first page, every role, no search."""
    await bindings_screen(query, actor, journal, tx, state, BindingsCb())


async def bindings_page(
    query: CallbackQuery,
    callback_data: BindingsCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    state: FSMContext,
) -> None:
    await bindings_screen(query, actor, journal, tx, state, callback_data)


async def bindings_screen(
    target: Message | CallbackQuery,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    state: FSMContext,
    view: BindingsCb,
) -> None:
    """A page of the school's active bindings (R3), 20 a page, filtered by role and by
    the admin's search."""
    if view.role not in ROLE_FILTERS:
        raise NotFound()
    if await state.get_state() == BindingsFlow.search:
        await state.clear()  # the admin went back instead of typing a name
    search = ""
    if view.q:
        search = str((await side_slot(state, SEARCH_SLOT).get_data()).get("q", ""))
    found = await invitations.find_bindings(
        journal, actor, role=ROLE_FILTERS[view.role], search=search, page=view.page
    )
    view = BindingsCb(role=view.role, page=found.page, q=1 if search else 0)
    await show(target, screens.bindings.page(tx, found, view, search))


async def bindings_search_typed(
    message: Message, actor: Actor, journal: Journal, tx: Texts, state: FSMContext
) -> None:
    text = " ".join((message.text or "").split())[:SEARCH_MAX]
    if not text:
        await message.answer(tx("bindings.ask"))
        return
    role = str((await state.get_data()).get("role", ""))
    await state.clear()
    await side_slot(state, SEARCH_SLOT).set_data({"q": text})
    await bindings_screen(message, actor, journal, tx, state, BindingsCb(role=role, q=1))


async def revoke_from_page(
    query: CallbackQuery,
    callback_data: BindingsCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    state: FSMContext,
    callback_answer: CallbackAnswer,
) -> None:
    """Confirmed: cut the binding at once (core checks who may), say so before redrawing
    the page it was chosen on."""
    await invitations.revoke_binding(journal, actor, callback_data.binding, "revoked by admin")
    callback_answer.text = tx("admin.revoked")
    await callback_answer.send()
    await bindings_screen(query, actor, journal, tx, state, callback_data)


def build() -> Router:
    router = router_of("bindings", bindings.routes())
    staff, admins = StaffOnly(), StaffOnly(StaffRole.ADMIN, StaffRole.DIRECTOR)
    router.callback_query.register(staff_codes, on(AdminCb, F.act == "k"), admins)
    router.callback_query.register(bindings_list, on(AdminCb, F.act == "b"), admins)
    # The paged list: core refuses anyone but the admin and the director.
    router.callback_query.register(bindings_page, on(BindingsCb, F.act == "l"), staff)
    router.callback_query.register(revoke_from_page, on(BindingsCb, F.act == "y"), staff)
    router.message.register(bindings_search_typed, StateFilter(BindingsFlow.search), F.text, staff)
    return router
