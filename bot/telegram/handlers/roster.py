"""The roster sent as a document (issue 5): all or nothing, progress shown in one message,
and the cards of the pupils it added (R2: a new pupil gets their cards at once). How to
send it and the blank workbook are flows (``bot/flows/roster.py``). Still Telegram
handlers, as the Turn does not offer what they need: the upload (its progress is one
message edited while the import runs, and the pupils it added are kept for the cards
button in a second slot of the chat, ``side_slot``, which survives ``state.clear()``)
and those cards (``send_codes`` makes the deep links with the bot's username). The
screens are in ``bot/screens/roster.py``; core refuses all but the admin clearly."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import time
from collections.abc import Callable

from aiogram import Bot, F, Router
from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot import screens
from bot.actions import CardsCb
from bot.flows import roster as flows
from bot.screen import Screen
from bot.telegram.cards import send_codes
from bot.telegram.filters import StaffOnly, on
from bot.telegram.render import keyboard, screen_messages
from bot.telegram.storage import side_slot
from bot.telegram.turn import router_of
from core import invitations, roster
from core.access import Actor
from core.errors import ImportFailed, NotFound
from core.journal import Journal
from core.models import BindingRole
from texts import Texts

log = logging.getLogger(__name__)

ROSTER_MAX_MB = 10  # a school of a thousand pupils is well under 1 MB
ROSTER_SUFFIXES = (".xlsx", ".zip")
PROGRESS_EVERY = 1.0  # seconds: at most one edit of the progress message a second
NEW_CARDS_MAX = 100  # more pupils (a first upload): by class, not one PDF and 100s of links
CARDS_SLOT = "cards"  # the pupils of the chat's last imports, kept aside from conversations
IMPORTS_KEPT = 3


class ProgressMessage:
    """One message edited while a long job runs: at most one edit a second, and the job
    never waits for Telegram (it may hold a database transaction): edits run aside."""

    def __init__(self, message: Message, text: Callable[[str], str]) -> None:
        self.message = message
        self.text = text  # stage → the message's text
        self.last = time.monotonic()
        self.task: asyncio.Task[None] | None = None

    async def stage(self, stage: str) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_EVERY or (self.task is not None and not self.task.done()):
            return
        self.last = now
        self.task = asyncio.create_task(self._edit(self.text(stage)))

    async def _edit(self, text: str) -> None:
        with contextlib.suppress(TelegramAPIError):
            await self.message.edit_text(text)

    async def finish(self, screen: Screen) -> None:
        """The message becomes the screen (the rest, if long, follows; the keyboard goes
        under the last part)."""
        if self.task is not None:
            await self.task
        (first, first_markup), *rest = screen_messages(screen.text, keyboard(screen.rows))
        await self.message.edit_text(first, reply_markup=first_markup)
        for text, markup in rest:
            await self.message.answer(text, reply_markup=markup)


async def roster_document(
    message: Message, actor: Actor, journal: Journal, tx: Texts, bot: Bot, state: FSMContext
) -> None:
    """The admin sends the roster workbook: download, import all or nothing, and answer
    with the summary or every problem (sheet, row, column); the pupils it added are
    named, with a button for their (and their parents') invitation cards."""
    roster.ensure_may_import(actor)  # before downloading anything
    document = message.document
    assert document is not None
    name = document.file_name or "document"
    if not name.lower().endswith(ROSTER_SUFFIXES):
        await message.answer(tx("roster.not_xlsx"))
        return
    size = document.file_size or 0
    if size > ROSTER_MAX_MB * 1024 * 1024:
        await message.answer(
            tx("roster.too_big", size=f"{size / 1024 / 1024:.1f}", limit=ROSTER_MAX_MB)
        )
        return
    first = await message.answer(screens.roster.stage(tx, "download", name))
    progress = ProgressMessage(first, lambda stage: screens.roster.stage(tx, stage, name))
    try:
        data = await bot.download(document, destination=io.BytesIO())
        assert isinstance(data, io.BytesIO)
        summary = await roster.import_for_school(
            journal, actor, data.getvalue(), name, progress=progress.stage
        )
    except ImportFailed as failed:
        await progress.finish(screens.roster.failed(tx, name, failed))
        return
    except Exception:  # the progress message always ends with a result
        log.exception("roster upload %r failed", name)
        await progress.finish(screens.roster.failed_unexpected(tx, name))
        return
    added = summary.added_pupils
    token = None
    if added and len(added) <= NEW_CARDS_MAX:
        token = await remember_added(state, [p.id for p in added])
    await progress.finish(screens.roster.done(tx, name, summary, token))


async def remember_added(state: FSMContext, pupil_ids: list[int]) -> int:
    """Keep the pupils an import added for the cards button; the token naming the import
    is its first new pupil's id (ids are never reused)."""
    token = min(pupil_ids)
    slot = side_slot(state, CARDS_SLOT)
    kept = [i for i in (await slot.get_data()).get("imports", []) if i[0] != token]
    await slot.set_data({"imports": [*kept[-(IMPORTS_KEPT - 1) :], [token, pupil_ids]]})
    return token


async def new_pupil_cards(
    query: CallbackQuery,
    callback_data: CardsCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    bot: Bot,
    state: FSMContext,
) -> None:
    """Codes for the new pupils and their parents not yet in the bot: the printable cards,
    then the links (core checks that the actor may issue each one)."""
    imports = (await side_slot(state, CARDS_SLOT).get_data()).get("imports", [])
    pupil_ids = next((ids for token, ids in imports if token == callback_data.token), None)
    if pupil_ids is None:
        raise NotFound("error.cards_gone")
    assert isinstance(query.message, Message)
    await bot.send_chat_action(query.message.chat.id, ChatAction.UPLOAD_DOCUMENT)
    result = await invitations.issue_for_pupils(
        journal, actor, pupil_ids, {BindingRole.PARENT, BindingRole.PUPIL}
    )
    await send_codes(query.message, result, actor, journal, tx, bot)


def build() -> Router:
    router = router_of("roster", flows.routes())
    staff = StaffOnly()
    # Any staff member's document reaches core, which refuses all but the admin clearly.
    router.message.register(roster_document, F.document, staff)
    # The cards of new pupils: core decides who may.
    router.callback_query.register(new_pupil_cards, on(CardsCb), staff)
    return router
