"""The Telegram adapter's side of a flow (``bot/flows/``): an update becomes a
:class:`TelegramTurn`, and a feature's routes become an aiogram router (each route a
handler with aiogram's filters: the action's, the command's, the conversation state's,
and for whom it is)."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from typing import Any

from aiogram import Bot, F, Router
from aiogram.enums import ChatAction
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from magic_filter import MagicFilter

from bot.flows.routes import NO_STATE, Route, Routes, run
from bot.flows.turn import SentFile
from bot.screen import Row, Screen
from bot.telegram.commands import set_chat_commands
from bot.telegram.filters import ActionFilter, WhoFilter
from bot.telegram.middlewares import CallbackAnswer
from bot.telegram.notify import safe_send
from bot.telegram.render import LIMITS, keyboard, screen_messages, show, show_rows
from bot.telegram.storage import side_slot
from core import accounts
from core.accounts import Caller
from core.identity import BotLink, UserRef, bot_channel
from core.models import BindingRole, Messenger
from notifications.rules import NotificationRules

log = logging.getLogger(__name__)


class TelegramConversation:
    """The chat's conversation, kept by aiogram's FSM context in PostgreSQL."""

    def __init__(self, context: FSMContext) -> None:
        self.context = context

    async def get_state(self) -> str | None:
        return await self.context.get_state()

    async def set_state(self, state: str | None = None) -> None:
        await self.context.set_state(state)

    async def get_data(self) -> dict[str, Any]:
        return await self.context.get_data()

    async def update_data(self, **values: Any) -> dict[str, Any]:
        return await self.context.update_data(**values)

    async def clear(self) -> None:
        await self.context.clear()


class TelegramTurn:
    """A Telegram message or callback query, with what the middlewares found out."""

    limits = LIMITS

    def __init__(self, event: Message | CallbackQuery, data: dict[str, Any]) -> None:
        self.event = event
        self.journal = data["journal"]
        self.caller: Caller = data["caller"]
        self.tx = data["tx"]
        self.bot: Bot = data["bot"]
        self._answer: CallbackAnswer = data["callback_answer"]
        self.notification_rules: NotificationRules = data["notification_rules"]
        self._other_bots: list[BotLink] = data.get("other_bots", [])
        self.conversation = TelegramConversation(data["state"])
        command: CommandObject | None = data.get("command")
        if command is not None:
            self.text = command.args or ""
        else:
            self.text = (event.text or "") if isinstance(event, Message) else ""

    @property
    def user(self) -> UserRef:
        return self.caller.user  # through the bot the update came by (CallerMiddleware)

    @property
    def chat_id(self) -> int:
        message = self.event.message if isinstance(self.event, CallbackQuery) else self.event
        return message.chat.id if message is not None else self.user.id

    @property
    def profile(self) -> tuple[str | None, str | None]:
        sender = self.event.from_user
        return (sender.full_name, sender.username) if sender else (None, None)

    def answer(self, text: str | None = None, *, alert: bool = False) -> None:
        self._answer.text, self._answer.show_alert = text, alert

    async def answer_now(self) -> None:
        await self._answer.send()

    async def show(self, screen: Screen | str) -> None:
        await show(self.event, screen)

    async def show_buttons(self, rows: list[Row]) -> None:
        if isinstance(self.event, CallbackQuery):
            await show_rows(self.event, rows)

    @property
    def pressed(self) -> tuple[str, int, str] | None:
        message = self.event.message if isinstance(self.event, CallbackQuery) else None
        if not isinstance(message, Message):
            return None
        channel = bot_channel(Messenger.TELEGRAM.value, self.user.bot_id)  # the outbox's
        return channel, message.chat.id, str(message.message_id)

    async def send(self, screen: Screen | str) -> None:
        message = self.event.message if isinstance(self.event, CallbackQuery) else self.event
        if isinstance(message, Message):
            await show(message, screen)

    def slot(self, name: str) -> TelegramConversation:
        return TelegramConversation(side_slot(self.conversation.context, name))

    async def bots(self) -> list[BotLink]:
        me = await self.bot.me()  # aiogram keeps it after the first call
        own = [BotLink(Messenger.TELEGRAM, me.username)] if me.username else []
        return [*own, *self._other_bots]

    async def send_editable(self, text: str) -> TelegramEditable:
        message = self.event.message if isinstance(self.event, CallbackQuery) else self.event
        assert isinstance(message, Message)  # a private chat's update has its message
        return TelegramEditable(await message.answer(text))

    async def reidentify(self) -> Caller:
        sender = self.event.from_user
        self.caller = await accounts.identify(
            self.journal, self.user, self.chat_id, sender.language_code if sender else None
        )
        return self.caller

    async def menu_changed(self) -> None:
        await set_chat_commands(self.bot, self.chat_id, self.caller, self.tx)

    async def tell(self, person_ids: list[int], role: BindingRole, screen: Screen | str) -> None:
        chats = await accounts.chats_of(self.journal, person_ids, role, Messenger.TELEGRAM)
        text, rows = (screen.text, screen.rows) if isinstance(screen, Screen) else (screen, [])
        for chat_id in chats:
            await safe_send(self.bot, chat_id, text, reply_markup=keyboard(rows))

    @property
    def document(self) -> SentFile | None:
        sent = self.event.document if isinstance(self.event, Message) else None
        return SentFile(sent.file_name or "document", sent.file_size or 0) if sent else None

    async def download(self) -> bytes:
        assert isinstance(self.event, Message) and self.event.document is not None
        data = await self.bot.download(self.event.document, destination=io.BytesIO())
        assert isinstance(data, io.BytesIO)
        return data.getvalue()

    async def sending_file(self) -> None:
        await self.bot.send_chat_action(self.chat_id, ChatAction.UPLOAD_DOCUMENT)

    async def send_file(self, filename: str, data: bytes, caption: str = "") -> None:
        message = self.event.message if isinstance(self.event, CallbackQuery) else self.event
        if isinstance(message, Message):
            file = BufferedInputFile(data, filename=filename)
            await message.answer_document(file, caption=caption or None)


class TelegramEditable:
    def __init__(self, message: Message) -> None:
        self.message = message

    async def edit(self, screen: Screen | str) -> None:
        text, rows = (screen.text, screen.rows) if isinstance(screen, Screen) else (screen, [])
        (first, first_markup), *rest = screen_messages(text, keyboard(rows))
        await self.message.edit_text(first, reply_markup=first_markup)
        for part, markup in rest:
            await self.message.answer(part, reply_markup=markup)


def router_of(name: str, routes: Routes) -> Router:
    """The feature's routes as an aiogram router, in their order."""
    router = Router(name=name)
    for route in routes.routes:
        handler, who = _handler(route), WhoFilter(route.who)
        if route.action is not None:
            router.callback_query.register(handler, ActionFilter(route.action, route.when), who)
        elif route.command is not None:
            router.message.register(handler, Command(route.command), who)
        elif route.start:
            router.message.register(handler, CommandStart(), who)
        elif route.document:
            router.message.register(handler, F.document, who)
        else:
            typed = _text_that_fits(route.typed)
            if route.state is None:  # typed text in any state
                router.message.register(handler, typed, who)
            else:
                state = StateFilter(None if route.state == NO_STATE else route.state)
                router.message.register(handler, state, typed, who)
    return router


def _text_that_fits(fits: Callable[[str], bool] | None) -> MagicFilter:
    """A message's text that passes the route's test (a message without text, a photo,
    fits none)."""
    if fits is None:
        return F.text

    def test(text: str | None) -> bool:
        return text is not None and fits(text)

    return F.text.func(test)


def _handler(route: Route) -> Any:
    async def handle(event: Message | CallbackQuery, **data: Any) -> None:
        await run(route, TelegramTurn(event, data), data.get("callback_data"))

    handle.__name__ = handle.__qualname__ = route.flow.__name__
    return handle
