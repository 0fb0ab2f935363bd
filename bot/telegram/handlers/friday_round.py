"""The class teacher's Friday round (R6): a tap on a reason confirms the pupil's day
(audited, in core), tells the parents who suggested one, and redraws the message it came
from (a round's part, or a parent's suggestion) from the journal, with the functions that
drew it (``notifications/reasons.py``). The button names the binding the round went to;
core checks it belongs to whoever pressed.

A tap on an entry without a reason is a flow (``bot/flows/friday_round.py``). Confirming
a reason stays a Telegram handler for now: the redraw looks the pressed message up by its
chat and message id (``notifications.reasons.redrawn_after_confirm``), which a turn does
not give."""

from __future__ import annotations

from datetime import date

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

from bot.actions import RoundCb
from bot.flows import friday_round as friday_round_flows
from bot.telegram.filters import on
from bot.telegram.identity import telegram_user
from bot.telegram.middlewares import CallbackAnswer
from bot.telegram.render import show
from bot.telegram.turn import router_of
from core import friday_round, recipients
from core.errors import InvalidValue
from core.journal import Journal
from notifications import reasons
from notifications.outbox import TELEGRAM
from texts import Texts

CONFIRMABLE = {r.value: r for r in reasons.CONFIRMABLE}


async def round_reason(
    query: CallbackQuery,
    callback_data: RoundCb,
    journal: Journal,
    tx: Texts,
    callback_answer: CallbackAnswer,
) -> None:
    reason = CONFIRMABLE.get(callback_data.reason)
    if reason is None:
        raise InvalidValue()
    actor = await recipients.binding_actor(journal, telegram_user(query), callback_data.binding)
    day = date.fromordinal(callback_data.day)
    count = await friday_round.confirm_reason(journal, actor, callback_data.pupil, day, reason)
    callback_answer.text = tx("class.reason_saved", count=count)
    # The parents who gave a reason for the pupil-day learn the confirmed one (issue 9.5).
    answer = await friday_round.parents_to_tell(journal, actor, callback_data.pupil, day)
    await reasons.announce_confirmed(journal, answer, callback_data.pupil, day, reason)
    message = query.message
    if not isinstance(message, Message):
        return
    screen = await reasons.redrawn_after_confirm(
        journal,
        actor,
        tx,
        TELEGRAM,
        message.chat.id,
        str(message.message_id),
        callback_data.binding,
        (callback_data.pupil, day),
    )
    if screen is not None:
        await show(query, screen)


def build() -> Router:
    router = router_of("friday_round", friday_round_flows.routes())
    router.callback_query.register(round_reason, on(RoundCb, F.reason != ""))
    return router
