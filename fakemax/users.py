"""Simulated MAX users for tests: they start the bot, write, press buttons and read."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fakemax.limits import DEEP_LINK_PAYLOAD_MAX_CHARS
from fakemax.state import CallbackRecord, Dialog, DialogEvent, FakeMaxBot, Hub, StoredMessage

ButtonMatcher = str | re.Pattern[str] | Callable[[dict[str, Any]], bool]


class MessageView:
    """A message in a dialog as the user sees it (edits are applied in place)."""

    def __init__(self, dialog: Dialog, message: StoredMessage) -> None:
        self.dialog = dialog
        self.stored = message

    def __repr__(self) -> str:
        who = "bot" if self.stored.outgoing else "user"
        return f"<MAX message {self.mid} from {who}: {self.text!r} buttons={self.button_texts}>"

    @property
    def mid(self) -> str:
        return self.stored.mid

    @property
    def text(self) -> str | None:
        return self.stored.text

    @property
    def html(self) -> str | None:
        """The text as the bot sent it (its HTML source, if it used format=html)."""
        return self.stored.source_text

    @property
    def markup(self) -> list[dict[str, Any]]:
        return self.stored.markup

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        return self.stored.keyboard

    @property
    def button_texts(self) -> list[str]:
        return [b.get("text", "") for row in self.buttons for b in row]

    @property
    def edits(self) -> int:
        return self.stored.edits

    @property
    def deleted(self) -> bool:
        return self.stored.deleted

    @property
    def files(self) -> list[dict[str, Any]]:
        """File attachments: ``filename``, ``size`` and ``payload.url``."""
        return self.stored.files

    def file_bytes(self, index: int = 0) -> bytes | None:
        token = self.files[index]["payload"]["token"]
        upload = self.dialog.bot.hub.upload_by_token(token)
        return upload.data if upload is not None else None


@dataclass
class Press:
    """What ``FakeMaxUser.press`` did: a callback (``callback`` set) or a link opened."""

    user: FakeMaxUser
    button: dict[str, Any]
    message: MessageView
    callback: CallbackRecord | None = None

    @property
    def url(self) -> str | None:
        return self.button.get("url")

    async def wait_answered(
        self,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> dict[str, Any]:
        """Wait for the bot's POST /answers for this press; returns its body."""
        callback = self.callback
        if callback is None:
            raise AssertionError(f"button {self.button.get('text')!r} sent no callback")
        timeout = self.user.fake.reply_timeout if timeout is None else timeout
        answer = await self.user.dialog.notifier.wait_for(
            lambda: callback.answer if callback.answered else None, timeout
        )
        if answer is None:
            raise AssertionError(
                f"{self.user.name}: the bot did not answer the callback for "
                f"{self.button.get('text')!r} within {timeout}s"
            )
        return answer


class FakeMaxUser:
    """A person using a bot through the fake MAX (create with ``fake.user(...)``)."""

    def __init__(
        self,
        fake: Hub,
        bot: FakeMaxBot,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        *,
        username: str | None = None,
        locale: str = "ru",
    ) -> None:
        self.fake = fake
        self.bot = bot
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.locale = locale
        self._cursor = 0
        self.last_press: Press | None = None

    def __repr__(self) -> str:
        return f"<FakeMaxUser {self.id} {self.name!r} with @{self.bot.username}>"

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    @property
    def user_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.id,
            "first_name": self.first_name,
            "last_name": self.last_name or "",
            "name": self.name,
            "username": self.username,
            "is_bot": False,
            "last_activity_time": self._now_ms(),
        }

    @property
    def dialog(self) -> Dialog:
        return self.bot.dialog(self.user_dict)

    def _now_ms(self) -> int:
        return int(self.fake.wall_clock() * 1000)

    def _update(self, update_type: str, **fields: Any) -> dict[str, Any]:
        return {"update_type": update_type, "timestamp": self._now_ms(), **fields}

    def _mark(self) -> None:
        self._cursor = len(self.dialog.events)

    # ---------------------------------------------------------------- acting

    async def start(self, payload: str | None = None) -> None:
        """Press Start (or open max.ru/<bot>?start=<payload>): a bot_started update. A
        payload over 128 characters is not passed to the bot, as MAX does."""
        dialog = self.dialog
        dialog.started = True
        dialog.stopped = False
        self._mark()
        if payload is not None and len(payload) > DEEP_LINK_PAYLOAD_MAX_CHARS:
            payload = None
        dialog.add_event("bot_started", detail={"payload": payload})
        self.fake.new_update(
            self.bot,
            self._update(
                "bot_started",
                chat_id=dialog.chat_id,
                user=self.user_dict,
                payload=payload,
                user_locale=self.locale,
            ),
        )
        await asyncio.sleep(0)

    async def send(self, text: str) -> MessageView:
        """Write a text message to the bot (a message_created update)."""
        return await self._write(text, [])

    async def send_file(
        self, data: bytes, filename: str, text: str = "", content_type: str | None = None
    ) -> MessageView:
        """Send a file (a message_created update with a ``file`` attachment whose
        ``payload.url`` the bot can download from the fake)."""
        upload = self.fake.new_upload("file")
        upload.data = bytes(data)
        upload.filename = filename
        upload.content_type = content_type or "application/octet-stream"
        attachment = {
            "type": "file",
            "payload": {"url": f"{self.fake.base_url}/files/{upload.token}", "token": upload.token},
            "filename": filename,
            "size": upload.size,
        }
        return await self._write(text, [attachment])

    async def _write(self, text: str, attachments: list[dict[str, Any]]) -> MessageView:
        dialog = self.dialog
        dialog.started = True
        dialog.stopped = False
        mid, seq = self.bot.new_mid()
        message = StoredMessage(
            mid=mid,
            seq=seq,
            timestamp=self._now_ms(),
            dialog_chat_id=dialog.chat_id,
            outgoing=False,
            sender=self.user_dict,
            recipient={
                "chat_id": dialog.chat_id,
                "chat_type": "dialog",
                "user_id": self.bot.user_id,
            },
            text=text,
            source_text=text,
            attachments=attachments,
        )
        self.bot.messages[mid] = message
        dialog.mids.append(mid)
        self._mark()
        dialog.add_event("user_message", mid)
        self.fake.new_update(
            self.bot,
            self._update("message_created", message=message.to_api(), user_locale=self.locale),
        )
        await asyncio.sleep(0)
        return MessageView(dialog, message)

    def _keyboard_message(self, message: MessageView | str | None) -> StoredMessage:
        if message is not None:
            mid = message.mid if isinstance(message, MessageView) else message
            found = self.bot.messages.get(mid)
            if found is None or found.deleted:
                raise AssertionError(f"message {mid} is not in {self.name}'s dialog")
            return found
        for stored in reversed(self.dialog.messages()):
            if stored.outgoing and not stored.deleted and stored.keyboard:
                return stored
        raise AssertionError(f"{self.name}: no bot message with buttons")

    async def press(self, target: ButtonMatcher, message: MessageView | str | None = None) -> Press:
        """Press a button (by text, regex or predicate) on ``message`` or the newest bot
        message with a keyboard. A callback button sends a message_callback update."""
        stored = self._keyboard_message(message)
        for row in stored.keyboard:
            for button in row:
                if _matches(button, target):
                    self.last_press = await self._press(stored, button)
                    return self.last_press
        texts = [b.get("text") for row in stored.keyboard for b in row]
        raise AssertionError(f"{self.name}: no button {target!r}; there are {texts}")

    async def press_at(self, number: int, message: MessageView | str | None = None) -> Press:
        """Press the ``number``-th button (from 1, row by row, as the console numbers them)
        of ``message`` or the newest bot message with a keyboard: unlike :meth:`press` by
        text, two buttons with the same text (every row's «5» in a marks grid) are told
        apart."""
        stored = self._keyboard_message(message)
        buttons = [button for row in stored.keyboard for button in row]
        if not 1 <= number <= len(buttons):
            raise AssertionError(f"{self.name}: no button {number}; there are {len(buttons)}")
        self.last_press = await self._press(stored, buttons[number - 1])
        return self.last_press

    async def press_forged(self, message: MessageView, payload: str) -> Press:
        """A press carrying ``payload`` on ``message``, as a modified client can send it
        (callback payloads are the client's to forge)."""
        stored = self._keyboard_message(message)
        button = {"type": "callback", "text": "forged", "payload": payload}
        self.last_press = await self._press(stored, button)
        return self.last_press

    async def _press(self, stored: StoredMessage, button: dict[str, Any]) -> Press:
        dialog = self.dialog
        view = MessageView(dialog, stored)
        if button.get("type") == "message":
            # A message button sends its text as the user's message (schema MessageButton).
            await self._write(button.get("text", ""), [])
            return Press(self, button, view)
        if button.get("type") != "callback":
            return Press(self, button, view)
        callback_id = secrets.token_urlsafe(32)
        record = CallbackRecord(
            callback_id, self.id, stored.mid, button.get("payload", ""), self.fake.clock()
        )
        self.bot.callbacks[callback_id] = record
        self._mark()
        dialog.add_event("callback", stored.mid, detail={"payload": record.payload})
        callback = {
            "timestamp": self._now_ms(),
            "callback_id": callback_id,
            "payload": record.payload,
            "user": self.user_dict,
        }
        update = self._update(
            "message_callback", callback=callback, message=stored.to_api(), user_locale=self.locale
        )
        self.fake.new_update(self.bot, update)
        await asyncio.sleep(0)
        return Press(self, button, view, record)

    async def press_and_wait(
        self,
        target: ButtonMatcher,
        message: MessageView | str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> MessageView:
        await self.press(target, message)
        return await self.wait_reply(timeout)

    async def wait_answered(
        self,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> dict[str, Any]:
        """The bot's answer (POST /answers body) to the user's last press."""
        if self.last_press is None:
            raise AssertionError(f"{self.name} has pressed no button")
        return await self.last_press.wait_answered(timeout)

    def block_bot(self) -> None:
        """The user stops (blocks) the bot: a bot_stopped update; sends get 403."""
        dialog = self.dialog
        if dialog.stopped:
            return
        dialog.stopped = True
        dialog.add_event("bot_stopped")
        self.fake.new_update(
            self.bot,
            self._update(
                "bot_stopped", chat_id=dialog.chat_id, user=self.user_dict, user_locale=self.locale
            ),
        )

    # --------------------------------------------------------------- reading

    def drain(self) -> None:
        """Forget what the bot has said so far: ``wait_reply`` waits for what comes next."""
        self._mark()

    async def wait_reply(
        self,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> MessageView:
        """The bot's next message or edit after the user's last action (successive calls
        give successive outputs)."""
        timeout = self.fake.reply_timeout if timeout is None else timeout
        dialog = self.dialog

        def find() -> tuple[int, DialogEvent] | None:
            for index in range(self._cursor, len(dialog.events)):
                event = dialog.events[index]
                if event.kind in ("sent", "edited") and event.mid is not None:
                    return index, event
            return None

        found = await dialog.notifier.wait_for(find, timeout)
        if found is None:
            errors = "; ".join(f"{e['operation']}: {e['code']}" for e in self.bot.errors[-5:])
            raise AssertionError(
                f"{self.name}: no reply from @{self.bot.username} within {timeout}s"
                + (f" (bot API errors: {errors})" if errors else "")
            )
        index, event = found
        self._cursor = index + 1
        assert event.mid is not None
        return MessageView(dialog, self.bot.messages[event.mid])

    @property
    def messages(self) -> list[MessageView]:
        """The bot's messages in the dialog, oldest first (deleted ones too)."""
        dialog = self.dialog
        return [MessageView(dialog, m) for m in dialog.messages() if m.outgoing]

    @property
    def last_message(self) -> MessageView | None:
        alive = [m for m in self.messages if not m.deleted]
        return alive[-1] if alive else None

    @property
    def files(self) -> list[dict[str, Any]]:
        return [f for m in self.messages for f in m.files]

    @property
    def unanswered_callbacks(self) -> list[CallbackRecord]:
        return [c for c in self.bot.unanswered_callbacks if c.user_id == self.id]


def _matches(button: dict[str, Any], target: ButtonMatcher) -> bool:
    text = button.get("text", "")
    if isinstance(target, str):
        return bool(text == target)
    if isinstance(target, re.Pattern):
        return target.search(text) is not None
    return bool(target(button))
