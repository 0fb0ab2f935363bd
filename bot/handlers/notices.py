"""The buttons notifications carry: «Прочитано ✓» under a digest (R17), a parent's
suggested absence reason with an optional comment (R6), the class teacher's one-tap
reasons in the Friday round (R6), and the class teacher's list of parents who have not
read the week's digests (R17). Every button names the binding the message went to; core
checks it belongs to whoever pressed."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot import keyboards
from bot.actions import (
    ClassCb,
    CutOtherCb,
    DigestReadCb,
    RejectCb,
    RoundCb,
    SuggestCb,
    SuggestDoneCb,
    UnreadCb,
)
from bot.filters import StaffOnly, on
from bot.handlers.teacher import today
from bot.middlewares import CallbackAnswer
from bot.render import h, show
from bot.screen import SEPARATOR, Action
from core import digest, friday_round, invitations, recipients
from core.access import Actor
from core.errors import InvalidValue
from core.journal import Journal
from core.models import AbsenceReason
from notifications import reasons
from texts import Texts

NOTE_WAIT = timedelta(minutes=30)  # a comment typed later than this is not taken as one
SUGGESTIBLE = {r.value: r for r in friday_round.SUGGESTIBLE}
CONFIRMABLE = {r.value: r for r in reasons.CONFIRMABLE}


class SuggestNote(StatesGroup):
    waiting = State()


class RejectNote(StatesGroup):
    waiting = State()


def _is(cb: type[Action], data: str | None) -> bool:
    return data is not None and data.startswith(cb.__prefix__ + SEPARATOR)


def _rows(query: CallbackQuery) -> list[list[InlineKeyboardButton]]:
    message = query.message
    if isinstance(message, Message) and message.reply_markup:
        return [list(row) for row in message.reply_markup.inline_keyboard]
    return []


# --- digest: read receipt (R17) ---------------------------------------------------------------


async def read_digest(
    query: CallbackQuery,
    callback_data: DigestReadCb,
    journal: Journal,
    tx: Texts,
    callback_answer: CallbackAnswer,
) -> None:
    day = date.fromordinal(callback_data.day)
    first = await digest.mark_digest_read(journal, query.from_user.id, callback_data.binding, day)
    callback_answer.text = tx("digest.read_done" if first else "digest.read_already")
    rows = [
        [
            b.model_copy(update={"text": tx("digest.read_mark")})
            if _is(DigestReadCb, b.callback_data)
            else b
            for b in row
        ]
        for row in _rows(query)
    ]
    if first and rows and isinstance(query.message, Message):
        await query.message.edit_reply_markup(
            reply_markup=InlineKeyboardMarkup(inline_keyboard=rows)
        )


# --- another account bound to the same person (R3) -------------------------------------------


async def cut_other_account(
    query: CallbackQuery,
    callback_data: CutOtherCb,
    journal: Journal,
    tx: Texts,
    callback_answer: CallbackAnswer,
) -> None:
    cut = await invitations.cut_own_other_account(
        journal,
        query.from_user.id,
        callback_data.binding,
        callback_data.other,
        "R3: cut by the owner from another account",
    )
    callback_answer.text = tx("account.cut_other_done" if cut else "account.cut_other_before")
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
        await query.message.answer(callback_answer.text)


# --- a parent's suggested reason (R6) ---------------------------------------------------------


async def ask_reason(
    query: CallbackQuery, callback_data: SuggestCb, journal: Journal, tx: Texts
) -> None:
    day = date.fromordinal(callback_data.day)
    name = await friday_round.absence_to_explain(
        journal, query.from_user.id, callback_data.binding, callback_data.pupil, day
    )
    buttons = [
        [
            keyboards.button(
                tx(f"suggest.{reason.value}"),
                SuggestCb(
                    binding=callback_data.binding,
                    pupil=callback_data.pupil,
                    day=callback_data.day,
                    reason=reason.value,
                ),
            )
        ]
        for reason in friday_round.SUGGESTIBLE
    ]
    assert isinstance(query.message, Message)
    await query.message.answer(
        tx("suggest.ask", name=h(name), day=f"{day:%d.%m.%Y}"),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons),
    )


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
        journal, query.from_user.id, callback_data.binding, callback_data.pupil, day, reason
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
    text = tx(
        "suggest.saved",
        name=h(view.pupil_name),
        day=f"{day:%d.%m.%Y}",
        reason=tx(f"suggest.{reason.value}"),
    )
    await reasons.announce_suggestion(journal, view)  # issue 9.5: the class teacher, at once
    done = keyboards.button(tx("suggest.no_note"), SuggestDoneCb(binding=callback_data.binding))
    await show(
        query,
        text + "\n\n" + tx("suggest.ask_note"),
        InlineKeyboardMarkup(inline_keyboard=[[done]]),
    )


async def skip_note(query: CallbackQuery, state: FSMContext, tx: Texts) -> None:
    await state.clear()
    await show(query, tx("suggest.done"))


async def save_note(message: Message, journal: Journal, tx: Texts, state: FSMContext) -> None:
    data = await state.get_data()
    await state.clear()
    asked = data.get("at")
    if not asked or journal.clock.now() - datetime.fromisoformat(asked) > NOTE_WAIT:
        await message.answer(tx("fallback.unknown"))
        return
    assert message.from_user is not None
    day = date.fromordinal(int(data["day"]))
    view = await friday_round.add_suggestion_note(
        journal,
        message.from_user.id,
        int(data["binding"]),
        int(data["pupil"]),
        day,
        message.text or "",
    )
    await reasons.announce_note(journal, view)  # queued before the parent reads «saved»
    await message.answer(tx("suggest.note_saved"))


# --- the class teacher's round (R6) -----------------------------------------------------------


async def tell_confirmed(
    journal: Journal, actor: Actor, pupil: int, day: date, reason: AbsenceReason
) -> None:
    """The parents who gave a reason for the pupil-day learn the confirmed one (issue 9.5),
    through the outbox."""
    answer = await friday_round.parents_to_tell(journal, actor, pupil, day)
    await reasons.announce_confirmed(journal, answer, pupil, day, reason)


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
    actor = await recipients.binding_actor(journal, query.from_user.id, callback_data.binding)
    day = date.fromordinal(callback_data.day)
    count = await friday_round.confirm_reason(journal, actor, callback_data.pupil, day, reason)
    callback_answer.text = tx("class.reason_saved", count=count)
    await tell_confirmed(journal, actor, callback_data.pupil, day, reason)
    rows = confirmed_rows(_rows(query), callback_data, tx(f"reason.{reason.value}"))
    if isinstance(query.message, Message):
        markup = InlineKeyboardMarkup(inline_keyboard=rows)
        header = _round_header(query.message.html_text if query.message.text else "")
        if header is not None:  # the round's first message: its count follows the taps
            left = await friday_round.unconfirmed_left(journal, actor, callback_data.pupil, day)
            lines = query.message.html_text.split("\n")
            lines[1] = header.sub(str(left), lines[1])
            await query.message.edit_text("\n".join(lines), reply_markup=markup)
        else:
            await query.message.edit_reply_markup(reply_markup=markup)


_LAST_NUMBER = re.compile(r"\d+(?=\D*$)")


def _round_header(html_text: str) -> re.Pattern[str] | None:
    """The pattern of the count in a round's header (its second line), if this message
    is the round's first (the continued parts have no count)."""
    lines = html_text.split("\n")
    if len(lines) > 1 and lines[0].startswith(("<b>📋", "<b>⏰")) and _LAST_NUMBER.search(lines[1]):
        return _LAST_NUMBER
    return None


def confirmed_rows(
    rows: list[list[InlineKeyboardButton]], done: RoundCb, reason_text: str
) -> list[list[InlineKeyboardButton]]:
    """The round's keyboard once an entry is confirmed: its reason buttons go, its title
    says what was recorded."""
    kept = []
    for row in rows:
        entry = [
            RoundCb.unpack(b.callback_data)
            for b in row
            if _is(RoundCb, b.callback_data) and b.callback_data
        ]
        mine = [e for e in entry if e.pupil == done.pupil and e.day == done.day]
        rejects = [
            RejectCb.unpack(b.callback_data)
            for b in row
            if _is(RejectCb, b.callback_data) and b.callback_data
        ]
        if any(e.pupil == done.pupil and e.day == done.day for e in rejects):
            continue  # the reason is confirmed: nothing left to reject
        if not mine:
            kept.append(row)
        elif mine[0].reason == "":
            title = row[0].text.removeprefix("✓ ").split(" — ")[0]
            kept.append([row[0].model_copy(update={"text": f"✓ {title} — {reason_text}"})])
    return kept


async def round_entry(
    query: CallbackQuery, callback_data: RoundCb, tx: Texts, callback_answer: CallbackAnswer
) -> None:
    callback_answer.text = tx("round.pick_reason")


async def reject_ask(
    query: CallbackQuery, callback_data: RejectCb, journal: Journal, tx: Texts, state: FSMContext
) -> None:
    await recipients.binding_actor(journal, query.from_user.id, callback_data.binding)
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
    asked = data.get("at")
    if not asked or journal.clock.now() - datetime.fromisoformat(asked) > NOTE_WAIT:
        await state.clear()
        await message.answer(tx("fallback.unknown"))
        return
    assert message.from_user is not None
    actor = await recipients.binding_actor(journal, message.from_user.id, int(data["binding"]))
    day = date.fromordinal(int(data["day"]))
    explanation = message.text or ""
    answer = await friday_round.reject_suggestions(
        journal, actor, int(data["pupil"]), day, explanation
    )
    await state.clear()  # kept until here: a too-long explanation may be typed again
    await reasons.announce_rejected(journal, answer, int(data["pupil"]), day, explanation)
    await message.answer(tx("suggest.rejected"))


# --- the class teacher: who has not read the week's digests (R17) ----------------------------


async def unread_view(
    query: CallbackQuery, callback_data: UnreadCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    day = date.fromordinal(callback_data.day) if callback_data.day else today(journal)
    monday = day - timedelta(days=day.weekday())
    report = await digest.unread_digests(
        journal, actor, callback_data.cls, monday, monday + timedelta(days=6)
    )
    lines = [
        tx(
            "unread.title",
            cls=h(report.class_name),
            start=f"{report.start:%d.%m}",
            end=f"{report.end:%d.%m}",
        )
    ]
    for p in report.parents:
        lines.append(
            tx(
                "unread.line",
                name=h(p.parent_name),
                children=h(p.children),
                read=p.read,
                sent=p.sent,
            )
        )
    if not report.parents:
        lines.append(tx("unread.none"))
    if report.unreachable:
        lines.append("")
        lines.append(tx("unread.unreachable_title"))
        tz = journal.rules.timezone
        for name, children, since in report.unreachable:
            lines.append(
                tx(
                    "unread.unreachable_line",
                    name=h(name),
                    children=h(children),
                    since=f"{since.astimezone(tz):%d.%m}",
                )
            )
    prev_week, next_week = monday - timedelta(days=7), monday + timedelta(days=7)
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                keyboards.button(
                    f"◀ {prev_week:%d.%m}",
                    UnreadCb(cls=callback_data.cls, day=prev_week.toordinal()),
                ),
                keyboards.button(
                    f"{next_week:%d.%m} ▶",
                    UnreadCb(cls=callback_data.cls, day=next_week.toordinal()),
                ),
            ],
            [keyboards.button(tx("nav.back"), ClassCb(cls=callback_data.cls, view="t"))],
        ]
    )
    await show(query, "\n".join(lines), markup)


def build() -> Router:
    router = Router(name="notices")
    router.callback_query.register(read_digest, on(DigestReadCb))
    router.callback_query.register(cut_other_account, on(CutOtherCb))
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
    router.callback_query.register(round_entry, on(RoundCb, F.reason == ""))
    router.callback_query.register(round_reason, on(RoundCb, F.reason != ""))
    router.callback_query.register(unread_view, on(UnreadCb), StaffOnly())
    return router
