"""The admin and the director: the staff's invitation cards (R2) and cutting a binding
from a paged list filtered by role and searched by name (R3). The screens are in
``bot/screens/bindings.py``; core refuses anyone else."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot import screens
from bot.actions import AdminCb, BindingsCb
from bot.telegram.cards import send_codes
from bot.telegram.filters import StaffOnly, on
from bot.telegram.middlewares import CallbackAnswer
from bot.telegram.render import show
from bot.telegram.storage import side_slot
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


class BindingsFlow(StatesGroup):
    search = State()  # waiting for part of a name


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
    if await state.get_state() == BindingsFlow.search.state:
        await state.clear()  # the admin went back instead of typing a name
    search = ""
    if view.q:
        search = str((await side_slot(state, SEARCH_SLOT).get_data()).get("q", ""))
    found = await invitations.find_bindings(
        journal, actor, role=ROLE_FILTERS[view.role], search=search, page=view.page
    )
    view = BindingsCb(role=view.role, page=found.page, q=1 if search else 0)
    await show(target, screens.bindings.page(tx, found, view, search))


async def bindings_search_ask(
    query: CallbackQuery,
    callback_data: BindingsCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    state: FSMContext,
) -> None:
    await invitations.find_bindings(journal, actor, per_page=1)  # core: may the actor at all
    await state.set_state(BindingsFlow.search)
    await state.update_data(role=callback_data.role)
    await show(query, screens.bindings.search_prompt(tx, callback_data.role))


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


async def confirm_cut(
    query: CallbackQuery, callback_data: BindingsCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    """R3: a tap on a name asks first (the list is long, a thumb slips); core checks who
    may see it."""
    await ask_to_cut(query, callback_data, callback_data.binding, actor, journal, tx)


async def ask_to_cut(
    query: CallbackQuery,
    view: BindingsCb,
    binding_id: int,
    actor: Actor,
    journal: Journal,
    tx: Texts,
) -> None:
    name, role = await invitations.binding_to_cut(journal, actor, binding_id)
    await show(query, screens.bindings.confirm_cut(tx, view, binding_id, name, role))


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


async def revoke(
    query: CallbackQuery, callback_data: AdminCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    """A button of the list as it was before paging (an old message): asks first too."""
    await ask_to_cut(query, BindingsCb(), callback_data.binding, actor, journal, tx)


def build() -> Router:
    router = Router(name="bindings")
    router.message.filter(StaffOnly())
    router.callback_query.filter(StaffOnly())
    admins = StaffOnly(StaffRole.ADMIN, StaffRole.DIRECTOR)
    router.callback_query.register(staff_codes, on(AdminCb, F.act == "k"), admins)
    router.callback_query.register(bindings_list, on(AdminCb, F.act == "b"), admins)
    router.callback_query.register(revoke, on(AdminCb, F.act == "r"), admins)
    # The paged list: core refuses anyone but the admin and the director.
    router.callback_query.register(bindings_page, on(BindingsCb, F.act == "l"))
    router.callback_query.register(bindings_search_ask, on(BindingsCb, F.act == "f"))
    router.callback_query.register(confirm_cut, on(BindingsCb, F.act == "r"))
    router.callback_query.register(revoke_from_page, on(BindingsCb, F.act == "y"))
    router.message.register(bindings_search_typed, BindingsFlow.search, F.text)
    return router
