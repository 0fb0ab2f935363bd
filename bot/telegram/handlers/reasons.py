"""A parent's suggested reason for an absence (R6, issue 9.5), with an optional comment,
and the class teacher's rejection of one, with an explanation. Every button names the
binding the message went to; core checks it belongs to whoever pressed. The class
teacher and the parents are told through the outbox (``notifications/reasons.py``)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot import screens
from bot.actions import RejectCb, SuggestCb, SuggestDoneCb
from bot.telegram.filters import on
from bot.telegram.identity import telegram_user
from bot.telegram.render import show
from core import friday_round, recipients
from core.errors import InvalidValue
from core.journal import Journal
from notifications import reasons
from texts import Texts

NOTE_WAIT = timedelta(minutes=30)  # a comment typed later than this is not taken as one
SUGGESTIBLE = {r.value: r for r in friday_round.SUGGESTIBLE}


class SuggestNote(StatesGroup):
    waiting = State()


class RejectNote(StatesGroup):
    waiting = State()


def _asked_in_time(journal: Journal, data: dict[str, object]) -> bool:
    asked = data.get("at")
    return bool(asked) and journal.clock.now() - datetime.fromisoformat(str(asked)) <= NOTE_WAIT


async def ask_reason(
    query: CallbackQuery, callback_data: SuggestCb, journal: Journal, tx: Texts
) -> None:
    day = date.fromordinal(callback_data.day)
    name = await friday_round.absence_to_explain(
        journal, telegram_user(query), callback_data.binding, callback_data.pupil, day
    )
    screen = screens.reasons.choices(
        tx, callback_data.binding, callback_data.pupil, day, name, friday_round.SUGGESTIBLE
    )
    assert isinstance(query.message, Message)
    await show(query.message, screen)  # a new message: the notification stays as it was


async def choose_reason(
    query: CallbackQuery,
    callback_data: SuggestCb,
    journal: Journal,
    tx: Texts,
    state: FSMContext,
) -> None:
    reason = SUGGESTIBLE.get(callback_data.reason)
    if reason is None:
        raise InvalidValue()
    day = date.fromordinal(callback_data.day)
    view = await friday_round.suggest_reason(
        journal, telegram_user(query), callback_data.binding, callback_data.pupil, day, reason
    )
    await state.set_state(SuggestNote.waiting)
    await state.set_data(
        {
            "binding": callback_data.binding,
            "pupil": callback_data.pupil,
            "day": callback_data.day,
            "at": journal.clock.now().isoformat(),
        }
    )
    await reasons.announce_suggestion(journal, view)  # issue 9.5: the class teacher, at once
    await show(
        query, screens.reasons.saved(tx, callback_data.binding, view.pupil_name, day, reason)
    )


async def skip_note(query: CallbackQuery, state: FSMContext, tx: Texts) -> None:
    await state.clear()
    await show(query, tx("suggest.done"))


async def save_note(message: Message, journal: Journal, tx: Texts, state: FSMContext) -> None:
    data = await state.get_data()
    await state.clear()
    if not _asked_in_time(journal, data):
        await message.answer(tx("fallback.unknown"))
        return
    assert message.from_user is not None
    day = date.fromordinal(int(data["day"]))
    view = await friday_round.add_suggestion_note(
        journal,
        telegram_user(message),
        int(data["binding"]),
        int(data["pupil"]),
        day,
        message.text or "",
    )
    await reasons.announce_note(journal, view)  # queued before the parent reads «saved»
    await message.answer(tx("suggest.note_saved"))


async def reject_ask(
    query: CallbackQuery, callback_data: RejectCb, journal: Journal, tx: Texts, state: FSMContext
) -> None:
    await recipients.binding_actor(journal, telegram_user(query), callback_data.binding)
    await state.set_state(RejectNote.waiting)
    await state.set_data(
        {
            "binding": callback_data.binding,
            "pupil": callback_data.pupil,
            "day": callback_data.day,
            "at": journal.clock.now().isoformat(),
        }
    )
    assert isinstance(query.message, Message)
    await query.message.answer(tx("suggest.reject_ask"))


async def reject_save(message: Message, journal: Journal, tx: Texts, state: FSMContext) -> None:
    data = await state.get_data()
    if not _asked_in_time(journal, data):
        await state.clear()
        await message.answer(tx("fallback.unknown"))
        return
    assert message.from_user is not None
    actor = await recipients.binding_actor(journal, telegram_user(message), int(data["binding"]))
    day = date.fromordinal(int(data["day"]))
    explanation = message.text or ""
    pupil = int(data["pupil"])
    answer = await friday_round.reject_suggestions(journal, actor, pupil, day, explanation)
    await state.clear()  # kept until here: a too-long explanation may be typed again
    await reasons.announce_rejected(journal, answer, int(data["pupil"]), day, explanation)
    await message.answer(tx("suggest.rejected"))


def build() -> Router:
    router = Router(name="reasons")
    router.callback_query.register(ask_reason, on(SuggestCb, F.reason == ""))
    router.callback_query.register(choose_reason, on(SuggestCb, F.reason != ""))
    router.callback_query.register(skip_note, on(SuggestDoneCb))
    router.message.register(
        save_note, StateFilter(SuggestNote.waiting), F.text, ~F.text.startswith("/")
    )
    router.callback_query.register(reject_ask, on(RejectCb))
    router.message.register(
        reject_save, StateFilter(RejectNote.waiting), F.text, ~F.text.startswith("/")
    )
    return router
