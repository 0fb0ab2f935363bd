"""In-memory state of the fake Telegram: bots, chats, messages, files, callback queries,
and ``Hub``, what they (and the method handlers and simulated users) need from the server
that holds them."""

from __future__ import annotations

import asyncio
import copy
import json
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from fakegram.limits import Clock, RateLimiter, RateLimits, Stats

T = TypeVar("T")

# Update types delivered when allowed_updates is not specified (or empty), as in Telegram.
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class Notifier:
    """A broadcast wake-up that can be fired from synchronous code."""

    def __init__(self) -> None:
        self._futures: list[asyncio.Future[None]] = []

    def notify(self) -> None:
        futures, self._futures = self._futures, []
        for fut in futures:
            if not fut.done():
                fut.set_result(None)

    async def wait_for(
        self,
        predicate: Callable[[], T | None],
        timeout: float | None,  # noqa: ASYNC109
    ) -> T | None:
        """Wait until ``predicate()`` returns something other than None (or time out)."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            result = predicate()
            if result is not None:
                return result
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return None
            fut: asyncio.Future[None] = loop.create_future()
            self._futures.append(fut)
            try:
                await asyncio.wait({fut}, timeout=remaining)
            finally:
                if not fut.done():
                    fut.cancel()
                    if fut in self._futures:
                        self._futures.remove(fut)


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    file_name: str | None
    mime_type: str | None
    file_path: str
    origin: str  # "bot" (uploaded by a bot) or "user"
    url: str | None = None  # when a bot sent a document by URL (no bytes are fetched)

    @property
    def file_size(self) -> int:
        return len(self.data)

    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"file_id": self.file_id, "file_unique_id": self.file_unique_id}
        if self.file_name:
            doc["file_name"] = self.file_name
        if self.mime_type:
            doc["mime_type"] = self.mime_type
        doc["file_size"] = self.file_size
        return doc

    def file(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            "file_path": self.file_path,
        }


@dataclass
class StoredMessage:
    message_id: int
    chat_id: int
    date: int
    outgoing: bool  # sent by the bot
    sender: dict[str, Any]
    text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    document: dict[str, Any] | None = None
    contact: dict[str, Any] | None = None
    reply_to_message_id: int | None = None
    edit_date: int | None = None
    edits: int = 0
    deleted: bool = False
    method: str | None = None  # the Bot API method that created it (outgoing only)
    params: dict[str, Any] = field(default_factory=dict)  # the call's other parameters
    history: list[dict[str, Any]] = field(default_factory=list)  # earlier versions

    @property
    def inline_keyboard(self) -> list[list[dict[str, Any]]] | None:
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            return self.reply_markup["inline_keyboard"]
        return None

    def snapshot(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "entities": copy.deepcopy(self.entities),
            "caption": self.caption,
            "caption_entities": copy.deepcopy(self.caption_entities),
            "reply_markup": copy.deepcopy(self.reply_markup),
            "edit_date": self.edit_date,
        }


@dataclass(frozen=True)
class ChatEvent:
    """One thing that happened in a chat (kept in order in ``FakeChat.events``).

    kinds: "user_message", "user_edit", "callback_query", "sent", "edited", "deleted",
    "callback_answer", "chat_action", "blocked", "unblocked".
    """

    seq: int
    kind: str
    chat_id: int
    message_id: int | None
    time: float
    text: str | None = None
    reply_markup: dict[str, Any] | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    bot_username: str = ""

    @property
    def from_bot(self) -> bool:
        return self.kind in ("sent", "edited", "deleted", "callback_answer", "chat_action")


@dataclass
class ApiErrorRecord:
    method: str
    error_code: int
    description: str
    time: float
    params: dict[str, Any]


@dataclass
class CallbackQueryRecord:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    created: float
    answered: bool = False
    answered_at: float | None = None
    answer: dict[str, Any] | None = None


class FakeChat:
    """A private chat between one user and one bot."""

    def __init__(self, bot: FakeBot, user: dict[str, Any]) -> None:
        self.bot = bot
        self.id: int = user["id"]
        self.type = "private"
        self.user = user
        self.messages: dict[int, StoredMessage] = {}
        self.events: list[ChatEvent] = []
        self.errors: list[ApiErrorRecord] = []
        self.started = False  # the user has interacted: the bot may write to the chat
        self.blocked = False
        self.deactivated = False
        self.reply_keyboard: dict[str, Any] | None = None
        self.force_reply: dict[str, Any] | None = None
        self.chat_actions: list[str] = []
        self.menu_button: dict[str, Any] | None = None
        self.chat_instance = str(secrets.randbits(62))
        self.notifier = Notifier()
        self._next_message_id = 1

    def __repr__(self) -> str:
        return f"<FakeChat {self.id} with @{self.bot.username}: {len(self.messages)} messages>"

    def to_api(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.id, "type": "private"}
        for key in ("first_name", "last_name", "username"):
            if self.user.get(key):
                chat[key] = self.user[key]
        return chat

    def full_info(self) -> dict[str, Any]:
        info = self.to_api()
        info.update(
            {
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    name: name != "gifts_from_channels"
                    for name in self.bot.fake.api_spec.get("accepted_gift_types", [])
                },
            }
        )
        return info

    def next_message_id(self) -> int:
        mid = self._next_message_id
        self._next_message_id += 1
        return mid

    def message_to_api(self, msg: StoredMessage, *, with_reply: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": msg.message_id,
            "from": dict(msg.sender),
            "chat": self.to_api(),
            "date": msg.date,
        }
        if msg.edit_date is not None:
            data["edit_date"] = msg.edit_date
        if with_reply and msg.reply_to_message_id is not None:
            replied = self.messages.get(msg.reply_to_message_id)
            if replied is not None:
                data["reply_to_message"] = self.message_to_api(replied, with_reply=False)
        if msg.text is not None:
            data["text"] = msg.text
            if msg.entities:
                data["entities"] = copy.deepcopy(msg.entities)
        if msg.document is not None:
            data["document"] = dict(msg.document)
        if msg.contact is not None:
            data["contact"] = dict(msg.contact)
        if msg.caption is not None:
            data["caption"] = msg.caption
            if msg.caption_entities:
                data["caption_entities"] = copy.deepcopy(msg.caption_entities)
        if msg.inline_keyboard is not None:
            data["reply_markup"] = copy.deepcopy(msg.reply_markup)
        return data

    def add_event(
        self,
        kind: str,
        message_id: int | None = None,
        *,
        detail: dict[str, Any] | None = None,
    ) -> ChatEvent:
        msg = self.messages.get(message_id) if message_id is not None else None
        text = None
        markup = None
        if msg is not None:
            text = msg.text if msg.text is not None else msg.caption
            markup = copy.deepcopy(msg.reply_markup)
        event = ChatEvent(
            seq=len(self.events),
            kind=kind,
            chat_id=self.id,
            message_id=message_id,
            time=self.bot.fake.clock(),
            text=text,
            reply_markup=markup,
            detail=detail or {},
            bot_username=self.bot.username,
        )
        self.events.append(event)
        self.notifier.notify()
        self.bot.fake.emit(event)
        return event

    def bot_messages(self) -> list[StoredMessage]:
        return [m for m in self.messages.values() if m.outgoing and not m.deleted]


@dataclass
class WebhookState:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None
    delivered: int = 0
    failures: int = 0  # deliveries the bot's server did not take (to be tried again)


class Hub(Protocol):
    """The server as the parts of the fake see it (``FakeTelegram`` is the one
    implementation). Bots, chats, method handlers and simulated users hold a ``Hub``, so
    none of them imports the server: imports inside fakegram go one way, server on top."""

    clock: Clock
    wall_clock: Clock
    limits: RateLimits
    stats: Stats
    api_spec: dict[str, Any]
    files: dict[str, StoredFile]
    closing: bool
    strict_buttons: bool
    require_https_webhook: bool
    callback_query_timeout: float
    max_upload_size: int
    reply_timeout: float

    def emit(self, event: ChatEvent) -> None: ...

    def store_file(
        self,
        data: bytes,
        file_name: str | None,
        mime_type: str | None,
        *,
        origin: str,
        url: str | None = None,
    ) -> StoredFile: ...

    def start_webhook(self, bot: FakeBot) -> None: ...

    def stop_webhook(self, bot: FakeBot) -> None: ...


class FakeBot:
    """One bot account on the fake server (created by ``FakeTelegram.add_bot``)."""

    def __init__(
        self,
        fake: Hub,
        token: str,
        username: str,
        first_name: str,
        *,
        can_join_groups: bool = True,
        can_read_all_group_messages: bool = False,
        supports_inline_queries: bool = False,
    ) -> None:
        head = token.split(":", 1)[0]
        if ":" not in token or not head.isdigit():
            raise ValueError(f"bot token must look like '123456:SECRET', got {token!r}")
        self.fake = fake
        self.token = token
        self.id = int(head)
        self.username = username
        self.first_name = first_name
        self.can_join_groups = can_join_groups
        self.can_read_all_group_messages = can_read_all_group_messages
        self.supports_inline_queries = supports_inline_queries
        self.chats: dict[int, FakeChat] = {}
        self.updates: list[dict[str, Any]] = []  # pending (unconfirmed) updates
        self.dropped_updates: list[dict[str, Any]] = []  # filtered by allowed_updates
        self.update_notifier = Notifier()
        self.poll_allowed_updates: list[str] | None = None
        self.webhook: WebhookState | None = None
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.default_menu_button: dict[str, Any] | None = None
        self.profile: dict[str, dict[str, str]] = {}  # name/description/short_description
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        self.documents: list[StoredFile] = []  # documents the bot sent
        self.errors: list[ApiErrorRecord] = []
        self.unimplemented_calls: list[str] = []
        # (method, the caller's TCP port) of each call made over HTTP: which process made
        # it (psutil finds the port among a process's connections).
        self.callers: Counter[tuple[str, int]] = Counter()
        self.limits: RateLimits | None = None  # overrides fake.limits when set
        self.limiter = RateLimiter(lambda: self.limits or self.fake.limits, fake.clock)
        self.stats = Stats()
        self._next_update_id = 1000
        self._inflight: set[int] = set()
        self._poll_waiter: asyncio.Future[str] | None = None
        self._webhook_task: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"<FakeBot @{self.username} id={self.id}>"

    # ---------------------------------------------------------------- identity

    def user_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }

    def get_me(self) -> dict[str, Any]:
        me = self.user_dict()
        me.update(
            {
                "can_join_groups": self.can_join_groups,
                "can_read_all_group_messages": self.can_read_all_group_messages,
                "supports_inline_queries": self.supports_inline_queries,
                "can_connect_to_business": False,
                "has_main_web_app": False,
            }
        )
        return me

    # ----------------------------------------------------------------- updates

    def allowed_update_types(self) -> set[str]:
        chosen = self.webhook.allowed_updates if self.webhook else self.poll_allowed_updates
        if chosen:
            return set(chosen)
        return set(self.fake.api_spec.get("update_types", [])) - DEFAULT_EXCLUDED_UPDATES

    def enqueue_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Queue an update for the bot; returns it (None when filtered by allowed_updates)."""
        update = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        if kind not in self.allowed_update_types():
            self.dropped_updates.append(update)
            return None
        self.updates.append(update)
        self.update_notifier.notify()
        return update

    def confirm_updates(self, offset: int) -> None:
        if offset < 0:
            keep = -offset
            self.updates = self.updates[-keep:] if keep else []
        else:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]

    @property
    def pending_update_count(self) -> int:
        return len(self.updates)

    # ------------------------------------------------------------------- chats

    def chat(self, chat_id: int) -> FakeChat | None:
        return self.chats.get(chat_id)

    def ensure_chat(self, user: dict[str, Any]) -> FakeChat:
        chat = self.chats.get(user["id"])
        if chat is None:
            chat = FakeChat(self, user)
            self.chats[user["id"]] = chat
        return chat

    # ---------------------------------------------------------------- commands

    @staticmethod
    def scope_key(scope: dict[str, Any] | None) -> str:
        scope = scope or {"type": "default"}
        key = {"type": scope.get("type", "default")}
        for name in ("chat_id", "user_id"):
            if scope.get(name) is not None:
                key[name] = scope[name]
        return json.dumps(key, sort_keys=True)

    def commands_for(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        """Commands set for exactly this scope and language (what getMyCommands returns)."""
        return copy.deepcopy(self.commands.get((self.scope_key(scope), language_code or ""), []))

    def visible_commands(self, chat_id: int, language_code: str = "") -> list[dict[str, Any]]:
        """The command menu a user sees in the private chat (Telegram's resolution order)."""
        scopes: list[dict[str, Any] | None] = [
            {"type": "chat", "chat_id": chat_id},
            {"type": "all_private_chats"},
            None,
        ]
        for scope in scopes:
            for lang in ([language_code] if language_code else []) + [""]:
                key = (self.scope_key(scope), lang)
                if key in self.commands:
                    return copy.deepcopy(self.commands[key])
        return []

    # --------------------------------------------------------- callback queries

    @property
    def unanswered_callback_queries(self) -> list[CallbackQueryRecord]:
        return [q for q in self.callback_queries.values() if not q.answered]

    def new_callback_query_id(self) -> str:
        return str(secrets.randbits(63))
