"""The fake MAX against a real MAX client: love-apples/maxapi's Bot and Dispatcher pointed
at it with ``bot.set_api_url``. What passes here is what a maxapi bot sees of MAX."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from maxapi import Bot, Dispatcher
from maxapi.enums.parse_mode import ParseMode
from maxapi.enums.upload_type import UploadType
from maxapi.exceptions.max import InvalidToken, MaxApiError
from maxapi.types import BotStarted, CallbackButton, MessageCallback, MessageCreated
from maxapi.types.attachments import Attachments
from maxapi.types.attachments.attachment import Attachment
from maxapi.types.attachments.upload import AttachmentUpload
from maxapi.types.input_media import InputMedia, InputMediaBuffer
from maxapi.utils.inline_keyboard import InlineKeyboardBuilder

from fakemax import FakeMax

TOKEN = "max-test-token"


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeMax]:
    server = FakeMax(reply_timeout=5.0)
    await server.start()
    server.add_bot(TOKEN, "journal_bot", "Журнал")
    try:
        yield server
    finally:
        await server.stop()


def make_bot(fake: FakeMax, token: str = TOKEN) -> Bot:
    bot = Bot(token)  # defaults: auto_requests and the subscription check on
    bot.set_api_url(fake.base_url)
    return bot


def make_dispatcher() -> Dispatcher:
    dp = Dispatcher()

    @dp.bot_started()
    async def started(event: BotStarted) -> None:
        keyboard = InlineKeyboardBuilder().row(CallbackButton(text="Да", payload="yes"))
        attachments: list[Attachments] = [keyboard.as_markup()]
        assert event.bot is not None
        await event.bot.send_message(
            user_id=event.user.user_id,
            text=f"<b>Привет</b>, {event.payload}",
            format=ParseMode.HTML,
            attachments=attachments,
        )

    @dp.message_callback()
    async def pressed(event: MessageCallback) -> None:
        await event.answer(notification="Принято", new_text=f"Нажато: {event.callback.payload}")

    @dp.message_created()
    async def echo(event: MessageCreated) -> None:
        body = event.message.body
        await event.message.answer(f"Эхо: {body.text if body else ''}")

    return dp


@pytest_asyncio.fixture
async def running(fake: FakeMax) -> AsyncIterator[Bot]:
    bot = make_bot(fake)
    dp = make_dispatcher()
    task = asyncio.create_task(dp.start_polling(bot))
    try:
        yield bot
    finally:
        await dp.stop_polling()
        fake.bot().wake_polls()
        await asyncio.wait({task}, timeout=5)
        await bot.close_session()


async def test_maxapi_get_me_and_a_wrong_token(fake: FakeMax) -> None:
    bot = make_bot(fake)
    try:
        me = await bot.get_me()
        assert me.user_id == fake.bot().user_id and me.username == "journal_bot"
    finally:
        await bot.close_session()
    wrong = make_bot(fake, "wrong")
    try:
        with pytest.raises(InvalidToken):
            await wrong.get_me()
    finally:
        await wrong.close_session()


async def test_maxapi_bot_start_press_and_echo(fake: FakeMax, running: Bot) -> None:
    user = fake.user(1001, "Мария")
    await user.start("ABC")
    hello = await user.wait_reply()
    assert hello.text == "Привет, ABC"
    assert hello.markup == [{"type": "strong", "from": 0, "length": 6}]
    assert hello.button_texts == ["Да"]
    press = await user.press("Да")
    assert (await press.wait_answered())["notification"] == "Принято"
    assert press.message.text == "Нажато: yes"
    assert press.message.button_texts == ["Да"], "attachments=None keeps the keyboard"
    await user.send("как дела")
    assert (await user.wait_reply()).text == "Эхо: как дела"
    assert fake.bot().errors == [], "maxapi's own requests (chats, subscriptions) all served"
    fake.assert_all_callbacks_answered()


async def test_maxapi_errors_and_an_upload(fake: FakeMax) -> None:
    user = fake.user(1001)
    await user.start()
    bot = make_bot(fake)
    try:
        with pytest.raises(MaxApiError) as raised:
            await bot.send_message(user_id=1001, text="<b>open", format=ParseMode.HTML)
        assert raised.value.code == 400
        media: list[Attachment | InputMedia | InputMediaBuffer | AttachmentUpload] = [
            InputMediaBuffer(b"%PDF-1.4", filename="report", type=UploadType.FILE)
        ]
        await bot.send_message(
            user_id=1001, text="Отчёт", attachments=media, sleep_after_input_media=False
        )
        reply = await user.wait_reply()
        assert [(f["filename"], f["size"]) for f in reply.files] == [("report.pdf", 8)]
        user.block_bot()
        with pytest.raises(MaxApiError) as blocked:
            await bot.send_message(user_id=1001, text="hi")
        assert blocked.value.code == 403
        assert isinstance(blocked.value.raw, dict) and blocked.value.raw["code"] == "chat.denied"
    finally:
        await bot.close_session()
