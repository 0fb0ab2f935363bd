"""Simulated Telegram users for tests and the sandbox."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fakegram.calls import guess_mime
from fakegram.formatting import detect_entities
from fakegram.state import (
    CallbackQueryRecord,
    ChatEvent,
    FakeBot,
    FakeChat,
    Hub,
    StoredMessage,
)
from fakegram.views import Button, ButtonMatcher, MessageView, button_of


def _read_file(path: Path) -> bytes:
    return path.expanduser().read_bytes()


@dataclass
class Press:
    """The result of ``FakeUser.press``."""

    user: FakeUser
    button: Button
    message_id: int
    query: CallbackQueryRecord | None = None  # None for url / reply-keyboard buttons
    url: str | None = None
    sent: MessageView | None = None  # the message sent by a reply-keyboard button

    @property
    def answered(self) -> bool:
        return self.query is not None and self.query.answered

    @property
    def answer(self) -> dict[str, Any] | None:
        return self.query.answer if self.query is not None else None

    async def wait_answered(
        self,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> dict[str, Any]:
        """Wait until the bot answers this callback query; returns the answer parameters."""
        if self.query is None:
            raise AssertionError(f"button {self.button.text!r} produced no callback query")
        query = self.query
        timeout = self.user._timeout(timeout)
        result = await self.user.chat.notifier.wait_for(
            lambda: query.answer if query.answered else None, timeout
        )
        if result is None:
            raise AssertionError(
                f"{self.user.name}: the bot did not answer the callback query for "
                f"{self.button.text!r} within {timeout}s (the spinner would hang)"
            )
        return result


class FakeUser:
    """A person using a bot through the fake Telegram (create with ``fake.user(...)``)."""

    def __init__(
        self,
        fake: Hub,
        bot: FakeBot,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        *,
        username: str | None = None,
        language_code: str | None = "ru",
        phone_number: str | None = None,
        known: bool = False,
    ) -> None:
        self.fake = fake
        self.bot = bot
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.phone_number = phone_number or f"7900{user_id:07d}"[-11:]
        self.taps = 0  # button presses (inline and reply keyboard)
        self.messages_sent = 0  # typed messages, documents, contacts
        self._cursor = 0
        self._last_action = "nothing yet"
        if known:
            self.chat.started = True

    def __repr__(self) -> str:
        return f"<FakeUser {self.id} {self.name!r} with @{self.bot.username}>"

    # ---------------------------------------------------------------- identity

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    @property
    def user_dict(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    @property
    def chat(self) -> FakeChat:
        return self.bot.ensure_chat(self.user_dict)

    @property
    def actions(self) -> int:
        return self.taps + self.messages_sent

    def reset_counters(self) -> None:
        self.taps = 0
        self.messages_sent = 0

    def _timeout(self, timeout: float | None) -> float:
        return self.fake.reply_timeout if timeout is None else timeout

    def _mark_action(self, label: str) -> None:
        self._cursor = len(self.chat.events)
        self._last_action = label

    # ------------------------------------------------------------------ acting

    def _new_incoming(self, **fields: Any) -> StoredMessage:
        chat = self.chat
        if chat.deactivated:
            raise AssertionError(f"{self.name} is deactivated and cannot act")
        if chat.blocked:
            self.unblock_bot()
        chat.started = True
        msg = StoredMessage(
            message_id=chat.next_message_id(),
            chat_id=chat.id,
            date=int(self.fake.wall_clock()),
            outgoing=False,
            sender=self.user_dict,
            **fields,
        )
        chat.messages[msg.message_id] = msg
        return msg

    async def _deliver_message(self, msg: StoredMessage, label: str) -> MessageView:
        chat = self.chat
        self._mark_action(label)
        chat.add_event("user_message", msg.message_id)
        self.bot.enqueue_update("message", chat.message_to_api(msg))
        await asyncio.sleep(0)
        return MessageView(chat, msg)

    async def send(self, text: str, *, reply_to: int | MessageView | None = None) -> MessageView:
        """Send a text message to the bot (commands get a bot_command entity)."""
        reply_id = reply_to.message_id if isinstance(reply_to, MessageView) else reply_to
        msg = self._new_incoming(
            text=text, entities=detect_entities(text), reply_to_message_id=reply_id
        )
        self.messages_sent += 1
        return await self._deliver_message(msg, f"sent {text!r}")

    async def open_deep_link(self, payload: str) -> MessageView:
        """Open t.me/<bot>?start=<payload>: the same as sending "/start <payload>"."""
        return await self.send(f"/start {payload}" if payload else "/start")

    async def send_document(
        self,
        source: str | Path | bytes,
        filename: str | None = None,
        *,
        caption: str | None = None,
        mime_type: str | None = None,
    ) -> MessageView:
        """Send a file (path or bytes); the bot can getFile + download it."""
        if isinstance(source, (str, Path)):
            path = Path(source)
            data = await asyncio.to_thread(_read_file, path)
            filename = filename or path.name
        else:
            data = bytes(source)
            filename = filename or "document"
        stored = self.fake.store_file(
            data, filename, mime_type or guess_mime(filename, None), origin="user"
        )
        msg = self._new_incoming(
            document=stored.document(),
            caption=caption,
            caption_entities=detect_entities(caption) if caption else [],
        )
        self.messages_sent += 1
        return await self._deliver_message(msg, f"sent document {filename!r}")

    async def share_contact(self, phone_number: str | None = None) -> MessageView:
        """Share the user's own contact (what a request_contact button does)."""
        contact: dict[str, Any] = {
            "phone_number": phone_number or self.phone_number,
            "first_name": self.first_name,
            "user_id": self.id,
        }
        if self.last_name:
            contact["last_name"] = self.last_name
        msg = self._new_incoming(contact=contact)
        self.messages_sent += 1
        return await self._deliver_message(msg, "shared contact")

    async def edit_message(self, message: int | MessageView, text: str) -> MessageView:
        """Edit one of the user's own messages (an edited_message update)."""
        chat = self.chat
        mid = message.message_id if isinstance(message, MessageView) else message
        msg = chat.messages.get(mid)
        if msg is None or msg.outgoing:
            raise AssertionError(f"message {mid} is not a message of {self.name}")
        msg.history.append(msg.snapshot())
        msg.text = text
        msg.entities = detect_entities(text)
        msg.edits += 1
        msg.edit_date = int(self.fake.wall_clock())
        self._mark_action(f"edited message {mid}")
        chat.add_event("user_edit", mid)
        self.bot.enqueue_update("edited_message", chat.message_to_api(msg))
        await asyncio.sleep(0)
        return MessageView(chat, msg)

    def delete_message(self, message: int | MessageView) -> None:
        """The user deletes a message in their client (in a private chat, «for both»): the
        bot gets no update, and editing it then fails «message to edit not found»."""
        chat = self.chat
        mid = message.message_id if isinstance(message, MessageView) else message
        msg = chat.messages.get(mid)
        if msg is None or msg.deleted:
            raise AssertionError(f"message {mid} is not in {self.name}'s chat")
        msg.deleted = True
        self._mark_action(f"deleted message {mid}")
        chat.add_event("user_delete", mid)

    def _keyboard_message(self, message: int | MessageView | None) -> StoredMessage | None:
        chat = self.chat
        if message is not None:
            mid = message.message_id if isinstance(message, MessageView) else message
            msg = chat.messages.get(mid)
            if msg is None or msg.deleted:
                raise AssertionError(f"message {mid} does not exist in the chat with {self.name}")
            return msg
        for msg in reversed(list(chat.messages.values())):
            if msg.outgoing and not msg.deleted and msg.inline_keyboard:
                return msg
        return None

    @staticmethod
    def _matches(button: Button, target: ButtonMatcher) -> bool:
        if isinstance(target, str):
            return button.text == target
        if isinstance(target, re.Pattern):
            return target.search(button.text) is not None
        return bool(target(button))

    async def press(
        self, target: ButtonMatcher, *, message: int | MessageView | None = None
    ) -> Press:
        """Press a button by exact text, regex or predicate.

        Looks at the newest bot message with an inline keyboard (or ``message``); falls back
        to the current reply keyboard. Inline callback buttons produce a callback_query update.
        """
        chat = self.chat
        msg = self._keyboard_message(message)
        available: list[str] = []
        if msg is not None:
            for row in msg.inline_keyboard or []:
                for raw in row:
                    button = button_of(raw)
                    available.append(button.text)
                    if self._matches(button, target):
                        return await self._press_inline(msg, raw, button)
        if message is None and chat.reply_keyboard:
            for row in chat.reply_keyboard.get("keyboard", []):
                for raw in row:
                    button = Button(raw.get("text", ""), None)
                    available.append(button.text)
                    if self._matches(button, target):
                        return await self._press_reply(raw, button)
        where = f"message #{msg.message_id}" if msg is not None else "any bot message"
        raise AssertionError(
            f"{self.name}: no button matching {target!r} on {where}; available: {available}"
        )

    async def press_at(self, number: int, *, message: int | MessageView | None = None) -> Press:
        """Press the ``number``-th button (from 1, row by row, as the console numbers them)
        of the newest bot message with an inline keyboard (or ``message``); with none, of
        the current reply keyboard. Unlike :meth:`press` by text, two buttons with the
        same text (every row's «5» in a marks grid) are told apart."""
        msg = self._keyboard_message(message)
        if msg is not None:
            raws = [raw for row in msg.inline_keyboard or [] for raw in row]
            if 1 <= number <= len(raws):
                raw = raws[number - 1]
                return await self._press_inline(msg, raw, button_of(raw))
            raise AssertionError(
                f"{self.name}: no button {number} on message #{msg.message_id}; "
                f"there are {len(raws)}"
            )
        reply = [raw for row in (self.chat.reply_keyboard or {}).get("keyboard", []) for raw in row]
        if message is None and 1 <= number <= len(reply):
            raw = reply[number - 1]
            return await self._press_reply(raw, Button(raw.get("text", ""), None))
        raise AssertionError(f"{self.name}: no button {number}; there are {len(reply)}")

    async def _press_inline(self, msg: StoredMessage, raw: dict[str, Any], button: Button) -> Press:
        chat = self.chat
        if raw.get("callback_data") is not None:
            self.taps += 1
            self._mark_action(f"pressed {button.text!r}")
            query_id = self.bot.new_callback_query_id()
            record = CallbackQueryRecord(
                id=query_id,
                user_id=self.id,
                chat_id=chat.id,
                message_id=msg.message_id,
                data=raw["callback_data"],
                created=self.fake.clock(),
            )
            self.bot.callback_queries[query_id] = record
            chat.add_event(
                "callback_query",
                msg.message_id,
                detail={"id": query_id, "data": record.data, "button": button.text},
            )
            self.bot.enqueue_update(
                "callback_query",
                {
                    "id": query_id,
                    "from": self.user_dict,
                    "message": chat.message_to_api(msg),
                    "chat_instance": chat.chat_instance,
                    "data": record.data,
                },
            )
            await asyncio.sleep(0)
            return Press(self, button, msg.message_id, query=record)
        if raw.get("url") is not None:
            self.taps += 1
            return Press(self, button, msg.message_id, url=raw["url"])
        kinds = [k for k in raw if k != "text"]
        raise AssertionError(
            f"button {button.text!r} is a {kinds} button; the fake can press only "
            "callback_data and url buttons"
        )

    async def _press_reply(self, raw: dict[str, Any], button: Button) -> Press:
        self.taps += 1
        if raw.get("request_contact"):
            sent = await self.share_contact()
            self.messages_sent -= 1
        else:
            msg = self._new_incoming(text=button.text, entities=detect_entities(button.text))
            sent = await self._deliver_message(msg, f"pressed {button.text!r}")
        return Press(self, button, sent.message_id, sent=sent)

    async def press_and_wait(
        self,
        target: ButtonMatcher,
        *,
        message: int | MessageView | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> MessageView:
        """Press a button and wait for the bot's next message or edit."""
        await self.press(target, message=message)
        return await self.wait_reply(timeout)

    async def send_and_wait(
        self,
        text: str,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> MessageView:
        await self.send(text)
        return await self.wait_reply(timeout)

    # ----------------------------------------------------------------- waiting

    def _pending_events(self) -> list[ChatEvent]:
        return [e for e in self.chat.events[self._cursor :] if e.kind in ("sent", "edited")]

    async def wait_reply(
        self,
        timeout: float | None = None,  # noqa: ASYNC109
        *,
        predicate: Callable[[MessageView], bool] | None = None,
    ) -> MessageView:
        """Wait for the next message or edit by the bot after the user's last action.

        Successive calls return successive bot outputs. Events not matching ``predicate``
        are skipped. Raises AssertionError (with the chat's recent history and the bot's
        API errors in this chat) on timeout.
        """
        timeout = self._timeout(timeout)
        chat = self.chat

        def find() -> tuple[int, ChatEvent] | None:
            for index in range(self._cursor, len(chat.events)):
                event = chat.events[index]
                if event.kind not in ("sent", "edited") or event.message_id is None:
                    continue
                view = MessageView(chat, chat.messages[event.message_id], event)
                if predicate is None or predicate(view):
                    return index, event
            return None

        found = await chat.notifier.wait_for(find, timeout)
        if found is None:
            raise AssertionError(self._no_reply_message(timeout))
        index, event = found
        self._cursor = index + 1
        assert event.message_id is not None
        return MessageView(chat, chat.messages[event.message_id], event)

    async def wait_replies(
        self,
        count: int,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> list[MessageView]:
        return [await self.wait_reply(timeout) for _ in range(count)]

    def pending_replies(self) -> list[MessageView]:
        """Bot messages/edits after the last action not yet consumed by wait_reply."""
        chat = self.chat
        return [
            MessageView(chat, chat.messages[e.message_id], e)
            for e in self._pending_events()
            if e.message_id is not None
        ]

    def drain(self) -> None:
        """Mark everything so far as seen (the next wait_reply waits for new output)."""
        self._cursor = len(self.chat.events)

    def _no_reply_message(self, timeout: float) -> str:
        chat = self.chat
        lines = [
            f"{self.name} ({self.id}): no reply from @{self.bot.username} within {timeout}s "
            f"after {self._last_action}."
        ]
        recent = chat.events[-8:]
        if recent:
            lines.append("Recent chat events:")
            for event in recent:
                text = (event.text or "").replace("\n", " ")
                if len(text) > 80:
                    text = text[:77] + "..."
                lines.append(f"  {event.kind} #{event.message_id}: {text}")
        if chat.errors:
            lines.append("Bot API errors in this chat:")
            for error in chat.errors[-5:]:
                lines.append(f"  {error.method}: {error.error_code} {error.description}")
        if self.bot.unimplemented_calls:
            missing = sorted(set(self.bot.unimplemented_calls))
            lines.append(f"Unimplemented methods called: {missing}")
        return "\n".join(lines)

    # ------------------------------------------------------------- inspection

    @property
    def messages(self) -> list[MessageView]:
        """All messages in the chat (user's and bot's, including deleted)."""
        chat = self.chat
        return [MessageView(chat, m) for m in chat.messages.values()]

    @property
    def bot_messages(self) -> list[MessageView]:
        chat = self.chat
        return [MessageView(chat, m) for m in chat.bot_messages()]

    @property
    def last_message(self) -> MessageView | None:
        """The newest (not deleted) bot message in the chat."""
        bot_messages = self.chat.bot_messages()
        return MessageView(self.chat, bot_messages[-1]) if bot_messages else None

    @property
    def last_keyboard_message(self) -> MessageView | None:
        msg = self._keyboard_message(None)
        return MessageView(self.chat, msg) if msg is not None else None

    @property
    def reply_keyboard(self) -> list[list[Button]] | None:
        markup = self.chat.reply_keyboard
        if not markup:
            return None
        return [[Button(b.get("text", ""), None) for b in row] for row in markup["keyboard"]]

    @property
    def unanswered_callbacks(self) -> list[CallbackQueryRecord]:
        return [q for q in self.bot.unanswered_callback_queries if q.user_id == self.id]

    @property
    def visible_commands(self) -> list[dict[str, Any]]:
        """The command menu this user sees (scope/language resolution like Telegram)."""
        return self.bot.visible_commands(self.id, self.language_code or "")

    # ------------------------------------------------------------- blocking

    def block_bot(self) -> None:
        """The user blocks the bot: sends fail with 403, a my_chat_member update is queued."""
        chat = self.chat
        if chat.blocked:
            return
        chat.blocked = True
        chat.add_event("blocked")
        self._member_update("member", "kicked")

    def unblock_bot(self) -> None:
        chat = self.chat
        if not chat.blocked:
            return
        chat.blocked = False
        chat.add_event("unblocked")
        self._member_update("kicked", "member")

    def deactivate(self) -> None:
        """The account is deleted: sends fail with 403 "user is deactivated"."""
        self.chat.deactivated = True

    def _member_update(self, old: str, new: str) -> None:
        chat = self.chat
        bot_user = self.bot.user_dict()
        new_member: dict[str, Any] = {"status": new, "user": bot_user}
        if new == "kicked":
            new_member["until_date"] = 0
        old_member: dict[str, Any] = {"status": old, "user": bot_user}
        if old == "kicked":
            old_member["until_date"] = 0
        self.bot.enqueue_update(
            "my_chat_member",
            {
                "chat": chat.to_api(),
                "from": self.user_dict,
                "date": int(self.fake.wall_clock()),
                "old_chat_member": old_member,
                "new_chat_member": new_member,
            },
        )
