"""What a simulated user sees of a message: its text, entities, buttons and file, live
(a later edit shows), and the buttons themselves."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from fakegram.formatting import to_html
from fakegram.state import ChatEvent, FakeChat, StoredMessage


class Button(NamedTuple):
    """A keyboard button: its text and its callback_data (or url; None for reply buttons).
    Its colour (Bot API 9.4's ``style``) is in the raw ``keyboard``."""

    text: str
    data: str | None


ButtonMatcher = str | re.Pattern[str] | Callable[[Button], bool]


def button_of(raw: dict[str, Any]) -> Button:
    data = raw.get("callback_data")
    if data is None:
        data = raw.get("url")
    return Button(raw.get("text", ""), data)


class MessageView:
    """A live, read-only view of a message in a fake chat (reflects later edits).

    ``event`` is the chat event that produced this view (for ``wait_reply``) and
    ``text_at_event`` the text at that moment.
    """

    def __init__(self, chat: FakeChat, message: StoredMessage, event: ChatEvent | None = None):
        self._chat = chat
        self._msg = message
        self.event = event

    def __repr__(self) -> str:
        who = "bot" if self._msg.outgoing else "user"
        flags = []
        if self._msg.edits:
            flags.append(f"edits={self._msg.edits}")
        if self._msg.deleted:
            flags.append("deleted")
        extra = (" " + " ".join(flags)) if flags else ""
        return f"<MessageView #{self.message_id} from {who}{extra}: {self.text!r} {self.buttons}>"

    @property
    def stored(self) -> StoredMessage:
        return self._msg

    @property
    def message_id(self) -> int:
        return self._msg.message_id

    @property
    def chat_id(self) -> int:
        return self._msg.chat_id

    @property
    def from_bot(self) -> bool:
        return self._msg.outgoing

    @property
    def date(self) -> int:
        return self._msg.date

    @property
    def text(self) -> str | None:
        """The message text, or the caption for documents."""
        return self._msg.text if self._msg.text is not None else self._msg.caption

    @property
    def caption(self) -> str | None:
        return self._msg.caption

    @property
    def entities(self) -> list[dict[str, Any]]:
        if self._msg.text is not None:
            return copy.deepcopy(self._msg.entities)
        return copy.deepcopy(self._msg.caption_entities)

    @property
    def html(self) -> str:
        """The text rendered back to Telegram HTML (formatting entities only)."""
        return to_html(self.text or "", self.entities)

    @property
    def text_at_event(self) -> str | None:
        return self.event.text if self.event is not None else self.text

    @property
    def reply_markup(self) -> dict[str, Any] | None:
        return copy.deepcopy(self._msg.reply_markup)

    @property
    def keyboard(self) -> list[list[dict[str, Any]]]:
        """Raw button dicts of the inline keyboard (or the reply keyboard sent with it)."""
        markup = self._msg.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return copy.deepcopy(rows)

    @property
    def buttons(self) -> list[list[Button]]:
        return [[button_of(b) for b in row] for row in self.keyboard]

    @property
    def button_texts(self) -> list[str]:
        return [b.text for row in self.buttons for b in row]

    @property
    def has_inline_keyboard(self) -> bool:
        return self._msg.inline_keyboard is not None

    @property
    def edits(self) -> int:
        return self._msg.edits

    @property
    def deleted(self) -> bool:
        return self._msg.deleted

    @property
    def history(self) -> list[dict[str, Any]]:
        """Earlier versions (text, entities, reply_markup...) before each edit."""
        return copy.deepcopy(self._msg.history)

    @property
    def document(self) -> dict[str, Any] | None:
        return copy.deepcopy(self._msg.document)

    @property
    def file_bytes(self) -> bytes | None:
        if not self._msg.document:
            return None
        stored = self._chat.bot.fake.files.get(self._msg.document["file_id"])
        return stored.data if stored is not None else None

    @property
    def method(self) -> str | None:
        return self._msg.method

    @property
    def params(self) -> dict[str, Any]:
        """Other parameters of the call that sent it (disable_notification, ...)."""
        return copy.deepcopy(self._msg.params)
