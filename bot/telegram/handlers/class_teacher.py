"""The class teacher's journal, week, pupils and opt-outs are flows
(``bot/flows/class_teacher.py``). The invitation cards (R2) stay Telegram handlers for
now: they go out as a PDF document (and deep links made with the bot's username), which a
turn cannot send."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery, Message

from bot import screens
from bot.actions import ClassCb, ReissueCb
from bot.flows import class_teacher
from bot.screen import quote
from bot.telegram.cards import send_codes
from bot.telegram.filters import StaffOnly, on
from bot.telegram.render import show
from bot.telegram.turn import router_of
from core import invitations
from core.access import Actor
from core.journal import Journal
from core.models import BindingRole
from texts import Texts


async def class_codes(
    query: CallbackQuery,
    callback_data: ClassCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    bot: Bot,
) -> None:
    """Cards for those of the class who have none valid and are not in the bot; valid
    cards stay valid (R2). Reissuing is a separate, confirmed step."""
    result = await invitations.issue_for_class(
        journal, actor, callback_data.cls, {BindingRole.PARENT, BindingRole.PUPIL}
    )
    assert isinstance(query.message, Message)
    await send_codes(
        query.message, result, actor, journal, tx, bot, reissue_scope=callback_data.cls
    )


async def reissue(
    query: CallbackQuery,
    callback_data: ReissueCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    bot: Bot,
) -> None:
    """Reissue one person's valid card: pick the person, read what it does, confirm."""
    holders = await invitations.reissuable(journal, actor, callback_data.cls or None)
    if not callback_data.person:
        await show(query, screens.class_teacher.reissue_pick(tx, callback_data.cls, holders))
        return
    holder = next(
        (
            x
            for x in holders
            if x.person_id == callback_data.person and x.role.value == callback_data.role
        ),
        None,
    )
    if holder is None:
        await show(query, tx("codes.reissue_gone"))
        return
    if not callback_data.ok:
        await show(query, screens.class_teacher.reissue_confirm(tx, callback_data.cls, holder))
        return
    result = await invitations.issue_for_person(
        journal, actor, holder.person_id, holder.role, reissue=True
    )
    await show(query, tx("codes.reissued", name=quote(holder.full_name)))
    assert isinstance(query.message, Message)
    await send_codes(query.message, result, actor, journal, tx, bot)


def build() -> Router:
    router = router_of("class_teacher", class_teacher.routes())
    router.callback_query.register(class_codes, on(ClassCb, F.view == "k"), StaffOnly())
    router.callback_query.register(reissue, on(ReissueCb), StaffOnly())  # core checks who may
    return router
