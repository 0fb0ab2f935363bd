"""The roster (issue 5) sent as a document: all or nothing, progress shown in one message,
and the cards of the pupils it added (R2: a new pupil gets their cards at once); how to
send it, and the blank workbook to fill in. The screens are in ``bot/screens/roster.py``;
core refuses all but the admin clearly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from bot import screens
from bot.actions import AdminCb, CardsCb
from bot.flows.codes import send_codes
from bot.flows.routes import Routes, staff
from bot.flows.turn import Editable, Turn, actor_of
from bot.screen import Screen
from core import invitations, roster
from core.clock import local_today
from core.errors import ImportFailed, NotFound
from core.models import BindingRole, StaffRole
from reports.roster_template import roster_template

log = logging.getLogger(__name__)

ROSTER_MAX_MB = 10  # a school of a thousand pupils is well under 1 MB
ROSTER_SUFFIXES = (".xlsx", ".zip")
PROGRESS_EVERY = 1.0  # seconds: at most one edit of the progress message a second
NEW_CARDS_MAX = 100  # more pupils (a first upload): by class, not one PDF and 100s of links
IMPORTS_KEPT = 3


class Progress:
    """One message edited while a long job runs: at most one edit a second, and the job
    never waits for the messenger (it may hold a database transaction): edits run aside."""

    def __init__(self, message: Editable, text: Callable[[str], str]) -> None:
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
        with contextlib.suppress(Exception):  # a progress line lost is not worth a failure
            await self.message.edit(text)

    async def finish(self, screen: Screen) -> None:
        """The message becomes the screen (the rest, if long, follows)."""
        if self.task is not None:
            await self.task
        await self.message.edit(screen)


async def roster_document(turn: Turn) -> None:
    """The admin sends the roster workbook: download, import all or nothing, and answer
    with the summary or every problem (sheet, row, column); the pupils it added are
    named, with a button for their (and their parents') invitation cards."""
    actor, tx = actor_of(turn), turn.tx
    roster.ensure_may_import(actor)  # before downloading anything
    document = turn.document
    assert document is not None  # a document route
    name = document.name or "document"
    if not name.lower().endswith(ROSTER_SUFFIXES):
        await turn.show(tx("roster.not_xlsx"))
        return
    if document.size > ROSTER_MAX_MB * 1024 * 1024:
        size = f"{document.size / 1024 / 1024:.1f}"
        await turn.show(tx("roster.too_big", size=size, limit=ROSTER_MAX_MB))
        return
    first = await turn.send_editable(screens.roster.stage(tx, "download", name))
    progress = Progress(first, lambda stage: screens.roster.stage(tx, stage, name))
    try:
        data = await turn.download()
        summary = await roster.import_for_school(
            turn.journal, actor, data, name, progress=progress.stage
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
        token = await remember_added(turn, [p.id for p in added])
    await progress.finish(screens.roster.done(tx, name, summary, token))


async def remember_added(turn: Turn, pupil_ids: list[int]) -> int:
    """Keep the pupils an import added for the cards button; the token naming the import
    is its first new pupil's id (ids are never reused)."""
    token = min(pupil_ids)
    slot = turn.slot(CARDS_SLOT)
    kept = [i for i in (await slot.get_data()).get("imports", []) if i[0] != token]
    await slot.clear()
    await slot.update_data(imports=[*kept[-(IMPORTS_KEPT - 1) :], [token, pupil_ids]])
    return token


async def roster_help(turn: Turn, action: AdminCb) -> None:
    roster.ensure_may_import(actor_of(turn))
    await turn.show(screens.roster.upload_help(turn.tx))


async def roster_template_file(turn: Turn, action: AdminCb) -> None:
    """The blank roster workbook, the same as ``journal template`` writes, as a document."""
    roster.ensure_may_import(actor_of(turn))
    await turn.sending_file()
    journal, tx = turn.journal, turn.tx
    today = local_today(journal.clock, journal.rules.timezone)
    data = await asyncio.to_thread(roster_template, today, tx.lang)
    await turn.send_file(tx("roster.template_file"), data, tx("roster.template_caption"))


CARDS_SLOT = "cards"  # the pupils of the chat's last imports, kept aside from conversations


async def new_pupil_cards(turn: Turn, action: CardsCb) -> None:
    """Codes for the new pupils and their parents not yet in the bot: the printable cards,
    then the links (core checks that the actor may issue each one)."""
    imports = (await turn.slot(CARDS_SLOT).get_data()).get("imports", [])
    pupil_ids = next((ids for token, ids in imports if token == action.token), None)
    if pupil_ids is None:
        raise NotFound("error.cards_gone")
    await turn.sending_file()
    actor = actor_of(turn)
    result = await invitations.issue_for_pupils(
        turn.journal, actor, pupil_ids, {BindingRole.PARENT, BindingRole.PUPIL}
    )
    await send_codes(turn, result, actor)


def routes() -> Routes:
    r = Routes()
    admins = staff(StaffRole.ADMIN, StaffRole.DIRECTOR)
    r.press(AdminCb, roster_help, when=lambda a: a.act == "i", who=admins)
    r.press(AdminCb, roster_template_file, when=lambda a: a.act == "t", who=admins)
    r.press(CardsCb, new_pupil_cards, who=staff())  # the cards of new pupils: core decides
    # Any staff member's document reaches core, which refuses all but the admin clearly.
    r.document(roster_document, who=staff())
    return r
