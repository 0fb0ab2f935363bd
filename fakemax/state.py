"""In-memory state of the fake MAX: bots, dialogs, messages, updates, callbacks, uploads."""

from __future__ import annotations

import copy
import secrets
from dataclasses import dataclass, field
from typing import Any, Protocol

from fakegram.state import Notifier
from fakemax.limits import Clock, RateLimiter, RateLimits, Stats

__all__ = [
    "CallbackRecord",
    "Dialog",
    "FakeMaxBot",
    "Hub",
    "Notifier",
    "StoredMessage",
    "Subscription",
    "Upload",
]

# A dialog's chat_id is its own number, not the user's id (as in MAX, where
# recipient.chat_id and recipient.user_id differ), so a bot mixing them up is caught.
DIALOG_CHAT_ID_BASE = 7_000_000_000


class Hub(Protocol):
    """What bots, dialogs, users and the endpoints need from the server that holds them
    (``fakemax.server.FakeMax``); they see it only through this protocol."""

    clock: Clock
    wall_clock: Clock
    reply_timeout: float
    base_url: str
    closing: bool
    strict_html: bool
    require_https_webhook: bool
    attachments_not_ready: int

    @property
    def limits(self) -> RateLimits: ...

    def new_update(self, bot: FakeMaxBot, update: dict[str, Any]) -> None: ...

    def upload_by_token(self, token: str) -> Upload | None: ...

    def new_upload(self, kind: str) -> Upload: ...

    def flush_to_webhook(self, bot: FakeMaxBot) -> None: ...

    def unsubscribe(self, bot: FakeMaxBot) -> None: ...

    def emit(self, dialog: Dialog, event: DialogEvent) -> None: ...

    def delivering(self, updates: list[dict[str, Any]]) -> None: ...


@dataclass
class Upload:
    """Bytes a bot uploaded to the fake's upload URL (or that is still awaited there)."""

    upload_id: str
    kind: str  # image | video | audio | file
    token: str
    data: bytes | None = None
    filename: str | None = None
    content_type: str | None = None

    @property
    def size(self) -> int:
        return len(self.data or b"")


@dataclass
class StoredMessage:
    mid: str
    seq: int
    timestamp: int  # milliseconds
    dialog_chat_id: int
    outgoing: bool  # sent by the bot
    sender: dict[str, Any]
    recipient: dict[str, Any]
    text: str | None = None
    source_text: str | None = None  # as the bot sent it (HTML/markdown source)
    format: str | None = None
    markup: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    notify: bool = True
    edits: int = 0
    deleted: bool = False
    history: list[dict[str, Any]] = field(default_factory=list)

    def snapshot(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "format": self.format,
            "markup": copy.deepcopy(self.markup),
            "attachments": copy.deepcopy(self.attachments),
        }

    def to_api(self) -> dict[str, Any]:
        body: dict[str, Any] = {"mid": self.mid, "seq": self.seq, "text": self.text or ""}
        if self.attachments:
            body["attachments"] = copy.deepcopy(self.attachments)
        if self.markup:
            body["markup"] = copy.deepcopy(self.markup)
        return {
            "sender": dict(self.sender),
            "recipient": dict(self.recipient),
            "timestamp": self.timestamp,
            "body": body,
        }

    @property
    def keyboard(self) -> list[list[dict[str, Any]]]:
        for attachment in self.attachments:
            if attachment.get("type") == "inline_keyboard":
                buttons = (attachment.get("payload") or {}).get("buttons") or []
                return buttons if isinstance(buttons, list) else []
        return []

    @property
    def files(self) -> list[dict[str, Any]]:
        return [a for a in self.attachments if a.get("type") == "file"]


@dataclass
class CallbackRecord:
    callback_id: str
    user_id: int
    mid: str
    payload: str
    created: float
    answered: bool = False
    answer: dict[str, Any] | None = None


@dataclass
class Subscription:
    url: str
    time: int  # milliseconds
    update_types: list[str] | None = None
    secret: str | None = None

    def to_api(self) -> dict[str, Any]:
        return {"url": self.url, "time": self.time, "update_types": self.update_types}


@dataclass(frozen=True)
class DialogEvent:
    """One thing that happened in a dialog, in order. kinds: "user_message",
    "bot_started", "bot_stopped", "callback", "sent", "edited", "deleted", "answered"."""

    seq: int
    kind: str
    mid: str | None
    time: float
    text: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


class Dialog:
    """The one-on-one chat between a bot and a user."""

    def __init__(self, bot: FakeMaxBot, user: dict[str, Any]) -> None:
        self.bot = bot
        self.user = user
        self.user_id: int = user["user_id"]
        self.chat_id = DIALOG_CHAT_ID_BASE + self.user_id
        self.started = False
        self.stopped = False  # the user blocked (stopped) the bot
        self.mids: list[str] = []
        self.events: list[DialogEvent] = []
        self.errors: list[dict[str, Any]] = []
        self.notifier = Notifier()

    def add_event(
        self, kind: str, mid: str | None = None, *, detail: dict[str, Any] | None = None
    ) -> DialogEvent:
        message = self.bot.messages.get(mid) if mid else None
        event = DialogEvent(
            seq=len(self.events),
            kind=kind,
            mid=mid,
            time=self.bot.hub.clock(),
            text=message.text if message else None,
            detail=detail or {},
        )
        self.events.append(event)
        self.notifier.notify()
        self.bot.hub.emit(self, event)
        return event

    def messages(self) -> list[StoredMessage]:
        return [self.bot.messages[mid] for mid in self.mids]


class FakeMaxBot:
    """A bot registered on the fake (``fake.add_bot(token, ...)``)."""

    def __init__(self, hub: Hub, token: str, user_id: int, name: str, username: str) -> None:
        self.hub = hub
        self.token = token
        self.user_id = user_id
        self.name = name
        self.username = username
        self.commands: list[dict[str, Any]] = []
        self.dialogs: dict[int, Dialog] = {}
        self.messages: dict[str, StoredMessage] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        # The update log: every update gets the next sequence number; GET /updates
        # returns those after the marker and answers the next marker.
        self.updates: list[tuple[int, dict[str, Any]]] = []
        self.committed = 0  # the updates up to this number are committed (marker passed)
        self.next_update = 1
        self.update_notifier = Notifier()
        self.poll_wakes = 0  # bumped by wake_polls(): waiting GET /updates return at once
        self.subscription: Subscription | None = None
        self.webhook_deliveries: list[dict[str, Any]] = []
        self.errors: list[dict[str, Any]] = []
        self.stats = Stats()
        self.limiter = RateLimiter(lambda: hub.limits, hub.clock)
        self._seq = 0

    def user_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "first_name": self.name,
            "name": self.name,
            "username": self.username,
            "is_bot": True,
            "last_activity_time": int(self.hub.wall_clock() * 1000),
        }

    def info(self) -> dict[str, Any]:
        info = self.user_dict()
        info.update(description=None, avatar_url=None, full_avatar_url=None)
        info["commands"] = copy.deepcopy(self.commands) or None
        return info

    def dialog(self, user: dict[str, Any]) -> Dialog:
        dialog = self.dialogs.get(user["user_id"])
        if dialog is None:
            dialog = Dialog(self, user)
            self.dialogs[dialog.user_id] = dialog
        return dialog

    def find_dialog(self, *, user_id: int | None, chat_id: int | None) -> Dialog | None:
        if user_id is not None:
            return self.dialogs.get(user_id)
        for dialog in self.dialogs.values():
            if dialog.chat_id == chat_id:
                return dialog
        return None

    def new_mid(self) -> tuple[str, int]:
        self._seq += 1
        return "mid." + secrets.token_hex(16), self._seq

    def enqueue(self, update: dict[str, Any]) -> None:
        self.updates.append((self.next_update, update))
        self.next_update += 1
        self.update_notifier.notify()

    def pending_updates(self, after: int, types: set[str] | None) -> list[tuple[int, dict]]:
        return [
            (n, u)
            for n, u in self.updates
            if n > after and (not types or u.get("update_type") in types)
        ]

    def commit(self, marker: int) -> None:
        """Forget updates before ``marker`` (MAX: passing a marker commits what precedes it)."""
        self.committed = max(self.committed, marker - 1)
        self.updates = [(n, u) for n, u in self.updates if n > self.committed]

    def wake_polls(self) -> None:
        """Make every waiting GET /updates answer now (with what it has, maybe nothing)."""
        self.poll_wakes += 1
        self.update_notifier.notify()

    @property
    def unanswered_callbacks(self) -> list[CallbackRecord]:
        return [c for c in self.callbacks.values() if not c.answered]
