"""A turn: one update from a person, as a flow sees it. The adapter that made it knows the
messenger (how a screen becomes its message, how a press is answered, where the
conversation is kept); a flow only says what to show and what to answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from bot.screen import Limits, Row, Screen
from core.access import Actor
from core.accounts import Caller
from core.clock import local_today
from core.identity import BotLink, UserRef
from core.journal import Journal
from core.models import BindingRole
from notifications.rules import NotificationRules
from texts import Texts


class Conversation(Protocol):
    """What the chat is in the middle of (waiting for the homework text, say), kept in
    PostgreSQL by the adapter: a state's name and its data."""

    async def get_state(self) -> str | None: ...

    async def set_state(self, state: str | None = None) -> None: ...

    async def get_data(self) -> dict[str, Any]: ...

    async def update_data(self, **values: Any) -> dict[str, Any]: ...

    async def clear(self) -> None: ...


@dataclass(frozen=True)
class SentFile:
    """A file the person sent (the roster workbook): its name and size, as the messenger
    tells them before anything is downloaded."""

    name: str
    size: int  # bytes (0: not told)


class Editable(Protocol):
    """A message the flow keeps changing (the progress of a long job)."""

    async def edit(self, screen: Screen | str) -> None:
        """The message becomes ``screen`` (the rest, if long, follows as new messages)."""
        ...


class Turn(Protocol):
    """One update from a person: a typed message (``text``) or a press on a button."""

    journal: Journal
    caller: Caller
    tx: Texts
    limits: Limits  # what one message of this messenger holds (the screens that page use it)
    notification_rules: NotificationRules  # the defaults a parent's settings start from
    text: str  # what was typed ("" for a press; a start's payload)

    @property
    def conversation(self) -> Conversation: ...

    @property
    def user(self) -> UserRef: ...

    @property
    def chat_id(self) -> int: ...

    @property
    def profile(self) -> tuple[str | None, str | None]:
        """The person's name and username on the messenger (kept with a binding, R3)."""
        ...

    def answer(self, text: str | None = None, *, alert: bool = False) -> None:
        """What the press's answer says (a toast, or an alert); sent once, when the flow is
        done or at :meth:`answer_now`. Nothing for a typed message."""
        ...

    async def answer_now(self) -> None:
        """Send the press's answer now (the change is made: the spinner stops before the
        slower redraw)."""
        ...

    async def show(self, screen: Screen | str) -> None:
        """A press redraws its own message; a typed message gets a new one. A screen too
        long for one message goes out as several, as the messenger allows."""
        ...

    async def show_buttons(self, rows: list[Row]) -> None:
        """Only the buttons of the pressed message change; its text stays as it was sent
        (a notification's: the digest after «Прочитано»)."""
        ...

    @property
    def pressed(self) -> tuple[str, int, str] | None:
        """The pressed message as the outbox names a message it sent: its channel, chat
        and message id (``None`` for a typed message)."""
        ...

    async def send(self, screen: Screen | str) -> None:
        """A new message under the last one (the press's message stays as it is)."""
        ...

    def slot(self, name: str) -> Conversation:
        """A second slot of the chat, kept apart from the conversation (which ``clear``
        wipes): what a screen remembers between presses (the admin's search, the pupils an
        import has just added)."""
        ...

    async def bots(self) -> list[BotLink]:
        """The school's bots, for invitation cards and links: this messenger's first."""
        ...

    async def send_editable(self, text: str) -> Editable:
        """A new message the flow edits later (``Editable.edit``)."""
        ...

    async def reidentify(self) -> Caller:
        """The caller read again (after a binding or a role changed) and kept for the rest
        of the turn."""
        ...

    async def menu_changed(self) -> None:
        """The caller's role changed: the messenger's command menu follows, where it has
        one per chat."""
        ...

    async def tell(self, person_ids: list[int], role: BindingRole, screen: Screen | str) -> None:
        """Say something at once to other people, in their chats on this messenger (the
        deputies learning of a correction request, R7)."""
        ...

    # --- files (the reports, the cards, the roster) ---

    @property
    def document(self) -> SentFile | None:
        """The file sent with this message (``None``: none); check its name and size
        before :meth:`download`."""
        ...

    async def download(self) -> bytes:
        """The sent file's content."""
        ...

    async def sending_file(self) -> None:
        """The person sees that a file is on its way (before a slow build), where the
        messenger shows it."""
        ...

    async def send_file(self, filename: str, data: bytes, caption: str = "") -> None:
        """A document in a new message under the last one."""
        ...


def actor_of(turn: Turn) -> Actor:
    """The acting actor of a turn whose route is for a bound role (its ``who`` lets no
    caller without a binding through)."""
    actor = turn.caller.actor
    assert actor is not None  # the route's ``who`` requires one
    return actor


def today(journal: Journal) -> date:
    """The school's today, by the journal's clock."""
    return local_today(journal.clock, journal.rules.timezone)
