"""A MAX update as a flow's :class:`bot.flows.turn.Turn`: a press is answered once
(``POST /answers``, which can carry the redrawn message too), a screen becomes MAX
messages (``render.py``), the conversation is kept by the chat's key."""

from __future__ import annotations

import asyncio
import mimetypes
from typing import Any

import aiohttp
from maxapi import Bot
from maxapi.enums.parse_mode import ParseMode
from maxapi.enums.sender_action import SenderAction
from maxapi.enums.upload_type import UploadType
from maxapi.exceptions.max import MaxApiError, MaxUploadFileFailed
from maxapi.types.attachments.upload import AttachmentPayload, AttachmentUpload
from maxapi.types.updates.message_callback import MessageForCallback

from bot.conversation import ConversationStore, KeyedConversation
from bot.flows.turn import SentFile
from bot.max.render import LIMITS, keyboard, messages_of, split_rows
from bot.max.updates import Incoming, Kind
from bot.screen import Row, Screen
from core import accounts
from core.accounts import Caller
from core.identity import BotLink, UserRef
from core.journal import Journal
from core.models import BindingRole, Messenger
from notifications.rules import NotificationRules
from texts import Texts

ATTACH_TRIES, ATTACH_WAIT = 5, 0.5  # seconds between sends of a file MAX is processing


async def upload_file(bot: Bot, filename: str, data: bytes) -> AttachmentUpload:
    """``POST /uploads?type=file``, then the bytes to the URL it gives, named as we name
    them; the attachment to send with its token."""
    upload = await bot.get_upload_url(UploadType.FILE)
    content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    form = aiohttp.FormData(quote_fields=False)  # a Cyrillic name as it is, as maxapi sends it
    form.add_field("data", data, filename=filename, content_type=content_type)
    async with aiohttp.ClientSession() as session, session.post(upload.url, data=form) as sent:
        sent.raise_for_status()
        body = await sent.json(content_type=None)
    token = body.get("token") if isinstance(body, dict) else None
    if not token:
        raise MaxUploadFileFailed(f"no token for {filename!r}: {body!r:.200}")
    return AttachmentUpload(type=UploadType.FILE, payload=AttachmentPayload(token=token))


class MaxEditable:
    def __init__(self, turn: MaxTurn, message_id: str) -> None:
        self.turn, self.message_id = turn, message_id

    async def edit(self, screen: Screen | str) -> None:
        (text, attachments), *rest = messages_of(screen)
        await self.turn.bot.edit_message(
            self.message_id, text=text, attachments=attachments, format=ParseMode.HTML
        )
        for part, more in rest:
            await self.turn._send(self.turn.chat_id, part, more)


def conversation_key(chat_id: int, user_id: int) -> str:
    return f"max:{chat_id}:{user_id}"


class MaxTurn:
    limits = LIMITS

    def __init__(
        self,
        update: Incoming,
        journal: Journal,
        caller: Caller,
        tx: Texts,
        bot: Bot,
        store: ConversationStore,
        notification_rules: NotificationRules,
        bots: list[BotLink],
    ) -> None:
        self.notification_rules = notification_rules
        self._bots = bots
        self.update, self.journal, self.caller, self.tx, self.bot = update, journal, caller, tx, bot
        self.text = update.text
        self._conversation = KeyedConversation(
            store, conversation_key(update.chat_id, update.user_id)
        )
        self._answer_text: str | None = None
        self.answered = update.kind is not Kind.PRESS  # only a press is answered

    @property
    def conversation(self) -> KeyedConversation:
        return self._conversation

    @property
    def user(self) -> UserRef:
        return UserRef.max(self.update.user_id)

    @property
    def chat_id(self) -> int:
        return self.update.chat_id

    @property
    def profile(self) -> tuple[str | None, str | None]:
        return self.update.name, self.update.username

    def answer(self, text: str | None = None, *, alert: bool = False) -> None:
        # MAX shows one kind of answer, a notification: an alert is one too.
        self._answer_text = text

    async def answer_now(self) -> None:
        """MAX's answer can carry the redrawn message: a press on a message is answered
        with its redraw, in one request (a flow that shows nothing more is answered when
        it ends, ``finish``); a press without its message is answered here."""
        if self.update.message_id is None:
            await self._notify()

    async def _notify(self) -> None:
        if not self.answered and self._answer_text:
            self.answered = True
            await self._callback(notification=self._answer_text)

    async def finish(self) -> None:
        """The press is answered, if the flow has not done it and has something to say (MAX
        takes an answer only with a message or a notification; a press that changes nothing
        on the screen and says nothing needs none)."""
        await self._notify()

    async def show(self, screen: Screen | str) -> None:
        messages = messages_of(screen)
        if self.update.kind is Kind.PRESS and self.update.message_id is not None:
            (text, attachments), rest = messages[0], messages[1:]
            if not self.answered:  # one request: the answer carries the redrawn message
                self.answered = True
                body = MessageForCallback(text=text, attachments=attachments, format=ParseMode.HTML)
                await self._callback(message=body, notification=self._answer_text)
            else:
                await self.bot.edit_message(
                    self.update.message_id,
                    text=text,
                    attachments=attachments,
                    format=ParseMode.HTML,
                )
            messages = rest
        for text, attachments in messages:
            await self._send(self.chat_id, text, attachments)

    async def show_buttons(self, rows: list[Row]) -> None:
        if self.update.kind is not Kind.PRESS or self.update.message_id is None:
            return
        await self._notify()
        attachments: list[Any] = [keyboard(k) for k in split_rows(rows)[:1]]  # one keyboard
        await self.bot.edit_message(self.update.message_id, attachments=attachments)

    @property
    def pressed(self) -> tuple[str, int, str] | None:
        if self.update.message_id is None:
            return None
        return Messenger.MAX.value, self.chat_id, self.update.message_id

    async def send(self, screen: Screen | str) -> None:
        for text, attachments in messages_of(screen):
            await self._send(self.chat_id, text, attachments)

    @property
    def document(self) -> SentFile | None:
        if self.update.file is None:
            return None
        name, size, _ = self.update.file
        return SentFile(name, size)

    async def download(self) -> bytes:
        assert self.update.file is not None  # a flow downloads only a document it was sent
        async with aiohttp.ClientSession() as session, session.get(self.update.file[2]) as got:
            got.raise_for_status()
            return await got.read()

    async def sending_file(self) -> None:
        await self.bot.send_action(chat_id=self.chat_id, action=SenderAction.SENDING_FILE)

    async def send_file(self, filename: str, data: bytes, caption: str = "") -> None:
        """Uploaded under its own name and type (maxapi's upload would name it after the
        type it guesses from the bytes: an XLSX as «….docx»), then sent; a just-uploaded
        file MAX has not processed yet (400 ``attachment.not.ready``) is sent again."""
        attachment: list[Any] = [await upload_file(self.bot, filename, data)]
        for attempt in range(ATTACH_TRIES):
            try:
                await self.bot.send_message(
                    chat_id=self.chat_id,
                    text=caption or None,
                    attachments=attachment,
                    format=ParseMode.HTML,
                )
                return
            except MaxApiError as err:
                if "attachment.not.ready" not in str(err.raw) or attempt == ATTACH_TRIES - 1:
                    raise
                await asyncio.sleep(ATTACH_WAIT)

    def slot(self, name: str) -> KeyedConversation:
        return KeyedConversation(self._conversation.store, f"{self._conversation.key}:{name}")

    async def bots(self) -> list[BotLink]:
        return self._bots

    async def send_editable(self, text: str) -> MaxEditable:
        sent = await self.bot.send_message(chat_id=self.chat_id, text=text, format=ParseMode.HTML)
        body = sent.message.body if sent is not None else None
        if body is None:
            raise RuntimeError("MAX did not say which message it sent")
        return MaxEditable(self, body.mid)

    async def reidentify(self) -> Caller:
        self.caller = await accounts.identify(
            self.journal,
            self.user,
            self.chat_id,
            self.update.locale,
            self._conversation.key,
        )
        return self.caller

    async def menu_changed(self) -> None:
        """MAX keeps one command menu for the bot, not one per chat: nothing to change."""

    async def tell(self, person_ids: list[int], role: BindingRole, screen: Screen | str) -> None:
        chats = await accounts.chats_of(self.journal, person_ids, role, Messenger.MAX)
        for chat_id in chats:
            for text, attachments in messages_of(screen):
                await self._send(chat_id, text, attachments)

    async def _send(self, chat_id: int, text: str, attachments: list[Any]) -> None:
        await self.bot.send_message(
            chat_id=chat_id, text=text, attachments=attachments or None, format=ParseMode.HTML
        )

    async def _callback(
        self, *, message: MessageForCallback | None = None, notification: str | None = None
    ) -> None:
        assert self.update.callback_id is not None  # a press
        await self.bot.send_callback(
            self.update.callback_id, message=message, notification=notification
        )
