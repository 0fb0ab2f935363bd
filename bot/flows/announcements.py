"""Announcements (issue 13.3): «📣 Объявление» -> whom -> who gets it -> the text (typed;
too long is refused in words and the prompt stays) -> the preview -> «📤 Отправить».
The draft is kept in a slot of its own (a press wipes the conversation), under a token
the «Отправить» button carries: a second tap finds the announcement that token sent and
sends nothing. Abandoning the prompt sends nothing. Then «Кто прочитал», the reminder
once, and the readers' «Прочитано ✓» (R17's receipt). Core checks every target."""

from __future__ import annotations

import secrets
from typing import Any

from bot import screens
from bot.actions import AnnounceCb, AnnounceReadCb, AnnounceViewCb
from bot.flows.reasons import not_a_command
from bot.flows.routes import Routes, staff
from bot.flows.turn import Turn, actor_of
from bot.screen import quote
from bot.screens.nav import to_menu
from core import announcements
from core.announcements import Audience, Letter, Scope, Target
from core.errors import InvalidValue
from notifications.announcements import remind_unread, send_announcement

DRAFT_SLOT = "announce"


class Typing:
    """The conversation state of this feature (its name is what is stored)."""

    text = "Announce:text"


def _scope(value: str) -> Scope:
    try:
        return Scope(value)
    except ValueError:
        raise InvalidValue() from None


def _audience(value: str) -> Audience:
    try:
        return Audience(value)
    except ValueError:
        raise InvalidValue() from None


async def pick_target(turn: Turn, action: AnnounceCb) -> None:
    journal, actor = turn.journal, actor_of(turn)
    found = await announcements.targets(journal, actor)
    sent = await announcements.recent(journal, actor)
    tz = journal.rules.timezone
    await turn.show(screens.announcements.targets(turn.tx, found, sent, tz))


async def _target(turn: Turn, scope: str, target_id: int) -> Target:
    return await announcements.target(turn.journal, actor_of(turn), _scope(scope), target_id)


async def pick_audience(turn: Turn, action: AnnounceCb) -> None:
    target = await _target(turn, action.scope, action.target)
    await turn.show(screens.announcements.audiences(turn.tx, target))


async def ask_text(turn: Turn, action: AnnounceCb) -> None:
    target = await _target(turn, action.scope, action.target)
    audience = _audience(action.aud)
    slot = turn.slot(DRAFT_SLOT)
    await slot.clear()
    await slot.update_data(
        scope=target.scope.value,
        target=target.target_id,
        aud=audience.value,
        token=secrets.token_hex(8),
    )
    await turn.conversation.set_state(Typing.text)
    await turn.show(screens.announcements.prompt(turn.tx, target, audience))


async def _draft(turn: Turn, token: str | None = None) -> dict[str, Any] | None:
    """The draft in the slot (with that token, if one is named)."""
    data = await turn.slot(DRAFT_SLOT).get_data()
    if not data.get("token") or (token is not None and data["token"] != token):
        return None
    return data


async def take_text(turn: Turn) -> None:
    """The typed text: refused in words when too long (the prompt stays: send it again),
    else kept as the draft and shown as its readers will see it."""
    data = await _draft(turn)
    if data is None:
        await turn.conversation.clear()
        await turn.show(to_menu(turn.tx, turn.tx("announce.draft_gone")))
        return
    body = announcements.check_text(turn.text)
    target = await _target(turn, str(data["scope"]), int(data["target"]))
    await turn.slot(DRAFT_SLOT).update_data(text=body)
    letter = Letter(0, target, turn.caller.full_name or "", body)
    audience = _audience(str(data["aud"]))
    await turn.show(screens.announcements.preview(turn.tx, letter, audience, str(data["token"])))


async def send(turn: Turn, action: AnnounceCb) -> None:
    journal, actor, tx = turn.journal, actor_of(turn), turn.tx
    data = await _draft(turn, action.token)
    if data is None or "text" not in data:
        done = await announcements.sent_with(journal, actor, action.token)
        if done is None:
            await turn.show(to_menu(tx, tx("announce.draft_gone")))
            return
        turn.answer(tx("announce.sent_already"))
        await show_report(turn, done)
        return
    draft = (
        _scope(str(data["scope"])),
        int(data["target"]),
        _audience(str(data["aud"])),
        str(data["text"]),
    )
    sent = await send_announcement(journal, actor, draft, action.token)
    await turn.slot(DRAFT_SLOT).clear()
    people = len({r.person_id for r in sent.recipients})
    turn.answer(tx("announce.sent", count=people) if sent.first else tx("announce.sent_already"))
    await show_report(turn, sent.letter.announcement_id)


async def edit(turn: Turn, action: AnnounceCb) -> None:
    """Type the text again: the prompt is back, the current text below it to copy."""
    data = await _draft(turn, action.token)
    if data is None:
        await turn.show(to_menu(turn.tx, turn.tx("announce.draft_gone")))
        return
    await turn.conversation.set_state(Typing.text)
    await turn.send(turn.tx("announce.edit_ask"))
    if data.get("text"):
        await turn.send(quote(str(data["text"])))


async def cancel(turn: Turn, action: AnnounceCb) -> None:
    await turn.slot(DRAFT_SLOT).clear()
    await turn.conversation.clear()
    await turn.show(to_menu(turn.tx, turn.tx("announce.cancelled")))


async def show_report(turn: Turn, announcement_id: int, page: int = 0) -> None:
    found = await announcements.read_report(turn.journal, actor_of(turn), announcement_id)
    tz = turn.journal.rules.timezone
    await turn.show(screens.announcements.report(turn.tx, found, page, tz))


async def report_view(turn: Turn, action: AnnounceViewCb) -> None:
    """Who has read it; ``remind`` 1: «Напомнить непрочитавшим», once."""
    if action.remind:
        sent = await remind_unread(turn.journal, actor_of(turn), action.ann)
        people = len({r.person_id for r in sent.recipients})
        turn.answer(
            turn.tx("announce.reminded", count=people)
            if sent.first
            else turn.tx("announce.remind_already")
        )
    await show_report(turn, action.ann, action.page)


async def read(turn: Turn, action: AnnounceReadCb) -> None:
    """A reader's «Прочитано ✓»: recorded once (either messenger), the button shows it."""
    first = await announcements.mark_read(turn.journal, turn.user, action.binding, action.ann)
    tx = turn.tx
    turn.answer(tx("announce.read_done" if first else "announce.read_already"))
    await turn.show_buttons(
        screens.announcements.read_buttons(tx, action.binding, action.ann, read=True)
    )


def routes() -> Routes:
    r = Routes()
    authors = staff()  # core checks who may write to what
    r.press(AnnounceCb, pick_target, when=lambda a: a.act == "n", who=authors)
    r.press(AnnounceCb, pick_audience, when=lambda a: a.act == "t", who=authors)
    r.press(AnnounceCb, ask_text, when=lambda a: a.act == "a", who=authors)
    r.press(AnnounceCb, send, when=lambda a: a.act == "s", who=authors)
    r.press(AnnounceCb, edit, when=lambda a: a.act == "e", who=authors)
    r.press(AnnounceCb, cancel, when=lambda a: a.act == "x", who=authors)
    r.typed(take_text, state=Typing.text, fits=not_a_command, who=authors)
    r.press(AnnounceViewCb, report_view, who=authors)
    r.press(AnnounceReadCb, read)
    return r
