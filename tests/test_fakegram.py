"""Tests of the fake Telegram Bot API (fakegram) with a real aiogram bot talking to it."""

from __future__ import annotations

import ast
import asyncio
import graphlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)
from aiohttp import web

from fakegram import FakeTelegram, RateLimits
from fakegram.console import ConsoleTexts, run_console
from fakegram.parse_mode import parse_html
from texts import t

TOKEN = "123456:TEST"


def keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=text, callback_data=data) for text, data in row]
            for row in rows
        ]
    )


def make_router() -> Router:
    """A tiny roll-call-like bot used by the end-to-end tests."""
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message, command: CommandObject) -> None:
        await message.answer(
            f"<b>Привет</b>, {command.args or 'гость'}!",
            parse_mode="HTML",
            reply_markup=keyboard([("Присутствуют все", "all")], [("Отметить", "mark")]),
        )

    @router.message(Command("menu"))
    async def menu(message: Message) -> None:
        await message.answer(
            "Выберите действие",
            reply_markup=ReplyKeyboardMarkup(
                keyboard=[[KeyboardButton(text="Оценки"), KeyboardButton(text="Расписание")]],
                resize_keyboard=True,
            ),
        )

    @router.callback_query(F.data == "all")
    async def all_present(callback: CallbackQuery) -> None:
        assert isinstance(callback.message, Message)
        await callback.message.edit_text(
            "Отмечено: все присутствуют", reply_markup=keyboard([("Отменить", "undo")])
        )
        await callback.answer("Готово")

    @router.callback_query(F.data == "mark")
    async def mark(callback: CallbackQuery) -> None:
        await callback.answer("Выберите учеников", show_alert=True)

    @router.message(F.document)
    async def got_document(message: Message, bot: Bot) -> None:
        assert message.document is not None
        data = await bot.download(message.document)
        assert data is not None
        size = len(data.read())
        await message.answer(f"Получен {message.document.file_name}: {size} байт")

    @router.message(F.text & ~F.text.startswith("/"))
    async def echo(message: Message) -> None:
        await message.answer(f"Эхо: {message.text}")

    return router


def make_bot(fake: FakeTelegram, token: str = TOKEN) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
    return Bot(token, session=session)


@dataclass
class Env:
    fake: FakeTelegram
    bot: Bot


@pytest_asyncio.fixture(scope="module")
async def env() -> AsyncIterator[Env]:
    fake = FakeTelegram()
    await fake.start()
    fake.add_bot(TOKEN, "school_journal_bot", "Школьный журнал")
    bot = make_bot(fake)
    dp = Dispatcher()
    dp.include_router(make_router())
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False))
    try:
        yield Env(fake, bot)
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(polling, 5)
        await bot.session.close()
        await fake.stop()


_next_user_id = iter(range(2001, 3000))


async def started_user(env: Env, **kwargs: Any) -> Any:
    """A fresh user who has already sent /start (so the bot may write to them)."""
    user = env.fake.user(next(_next_user_id), "Мария", "Иванова", **kwargs)
    await user.send("/start")
    await user.wait_reply()
    return user


# ----------------------------------------------------------------- end to end


async def test_get_me(env: Env) -> None:
    me = await env.bot.get_me()
    assert me.id == 123456
    assert me.is_bot
    assert me.username == "school_journal_bot"
    assert me.first_name == "Школьный журнал"


async def test_message_reaches_handler_and_reply_is_seen(env: Env) -> None:
    user = env.fake.user(1001, "Мария", "Иванова")
    sent = await user.open_deep_link("ABC")
    assert sent.text == "/start ABC"
    assert sent.entities == [{"type": "bot_command", "offset": 0, "length": 6}]

    reply = await user.wait_reply()
    assert reply.text == "Привет, ABC!"
    assert reply.html == "<b>Привет</b>, ABC!"
    assert reply.from_bot
    assert reply.buttons == [[("Присутствуют все", "all")], [("Отметить", "mark")]]
    assert user.last_message is not None
    assert user.last_message.message_id == reply.message_id

    await user.send("как дела?")
    echo = await user.wait_reply()
    assert echo.text == "Эхо: как дела?"


async def test_pressing_a_button_delivers_callback_and_edit_is_visible(env: Env) -> None:
    user = await started_user(env)
    user.reset_counters()
    press = await user.press("Присутствуют все")
    edited = await user.wait_reply()
    assert edited.event is not None and edited.event.kind == "edited"
    assert edited.message_id == press.message_id
    assert edited.text == "Отмечено: все присутствуют"
    assert edited.edits == 1
    assert edited.button_texts == ["Отменить"]
    assert edited.history[0]["text"] == "Привет, гость!"
    answer = await press.wait_answered()
    assert answer["text"] == "Готово"
    assert user.taps == 1

    await user.send("/start")
    fresh = await user.wait_reply()
    alert = await user.press(re.compile("^Отмет"), message=fresh)
    assert (await alert.wait_answered())["show_alert"] is True
    assert alert.answer == {
        "text": "Выберите учеников",
        "show_alert": True,
        "url": None,
        "cache_time": 0,
    }
    assert user.taps == 2
    assert user.unanswered_callbacks == []

    with pytest.raises(AssertionError, match="no button matching 'Нет такой'"):
        await user.press("Нет такой")


async def test_reply_keyboard_press_sends_its_text(env: Env) -> None:
    user = await started_user(env)
    await user.send("/menu")
    await user.wait_reply()
    assert user.reply_keyboard == [[("Оценки", None), ("Расписание", None)]]
    reply = await user.press_and_wait("Оценки")
    assert reply.text == "Эхо: Оценки"


async def test_wait_reply_times_out_with_a_clear_message(env: Env) -> None:
    user = await started_user(env)
    await user.send("/unknown_command")
    with pytest.raises(AssertionError, match=r"no reply from @school_journal_bot within 0.2s"):
        await user.wait_reply(timeout=0.2)


async def test_document_upload_and_download(env: Env) -> None:
    user = await started_user(env)
    payload = b"PK\x03\x04 fake xlsx bytes"
    message = await env.bot.send_document(
        user.id,
        BufferedInputFile(payload, filename="Табель 5А.xlsx"),
        caption="<b>Табель</b> за четверть",
        parse_mode="HTML",
    )
    assert message.document is not None
    assert message.document.file_name == "Табель 5А.xlsx"
    assert message.document.file_size == len(payload)
    assert message.document.mime_type == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert message.caption == "Табель за четверть"
    bot_state = env.fake.bot()
    assert bot_state.documents[-1].data == payload
    last = user.last_message
    assert last is not None and last.file_bytes == payload and last.html.startswith("<b>Табель")

    # A document from the user: the bot downloads it through getFile + the file route.
    await user.send_document(b"x" * 1234, "справка.pdf")
    reply = await user.wait_reply()
    assert reply.text == "Получен справка.pdf: 1234 байт"


# ------------------------------------------------------- limits and errors


async def test_a_button_style_must_be_one_of_the_bot_apis_three(env: Env) -> None:
    user = await started_user(env)
    green = InlineKeyboardButton(text="✅ Да", callback_data="y", style="success")
    ok = await env.bot.send_message(
        user.id, "ok", reply_markup=InlineKeyboardMarkup(inline_keyboard=[[green]])
    )
    assert ok.reply_markup is not None
    assert ok.reply_markup.inline_keyboard[0][0].style == "success"
    unknown = InlineKeyboardButton(text="✅ Да", callback_data="y", style="green")
    with pytest.raises(TelegramBadRequest, match="style must be one of"):
        await env.bot.send_message(
            user.id, "x", reply_markup=InlineKeyboardMarkup(inline_keyboard=[[unknown]])
        )


async def test_callback_data_limit(env: Env) -> None:
    user = await started_user(env)
    ok = await env.bot.send_message(user.id, "ok", reply_markup=keyboard([("a", "я" * 32)]))
    assert ok.reply_markup is not None
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await env.bot.send_message(user.id, "x", reply_markup=keyboard([("a", "я" * 33)]))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await env.bot.send_message(user.id, "x", reply_markup=keyboard([("a", "d" * 65)]))
    with pytest.raises(TelegramBadRequest, match="Text buttons are unallowed"):
        await env.bot.send_message(
            user.id,
            "x",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="no action")]]
            ),
        )


async def test_text_length_limits(env: Env) -> None:
    user = await started_user(env)
    await env.bot.send_message(user.id, "я" * 4096)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message is too long"):
        await env.bot.send_message(user.id, "я" * 4097)
    # Length counts after entity parsing; emoji outside the BMP count twice (UTF-16).
    await env.bot.send_message(user.id, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await env.bot.send_message(user.id, "😀" * 2049)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message text is empty"):
        await env.bot.send_message(user.id, "<b> </b>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await env.bot.send_document(
            user.id, BufferedInputFile(b"1", filename="a.txt"), caption="c" * 1025
        )


async def test_bad_html_is_rejected(env: Env) -> None:
    user = await started_user(env)
    cases = {
        "<b>не закрыт": 'Can\'t find end tag corresponding to start tag "b"',
        "<div>x</div>": 'Unsupported start tag "div" at byte offset 0',
        "<b>x</i>": 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"',
        "2 < 3": 'Unsupported start tag "" at byte offset 2',
    }
    for text, description in cases.items():
        with pytest.raises(TelegramBadRequest) as info:
            await env.bot.send_message(user.id, text, parse_mode="HTML")
        assert info.value.message == f"Bad Request: can't parse entities: {description}"
    sent = await env.bot.send_message(
        user.id, "<i>ок</i> &lt;3 <tg-spoiler>секрет</tg-spoiler>", parse_mode="HTML"
    )
    assert sent.text == "ок <3 секрет"
    assert [e.type for e in sent.entities or []] == ["italic", "spoiler"]


async def test_markdown_parse_modes_are_refused_the_bot_sends_html_only(env: Env) -> None:
    user = await started_user(env)
    shown = len(user.bot_messages)
    for mode in ("Markdown", "MarkdownV2", "markdownv2", "Textile"):
        with pytest.raises(TelegramBadRequest) as info:
            await env.bot.send_message(user.id, "*жирный* 1.0", parse_mode=mode)
        assert info.value.message == "Bad Request: unsupported parse_mode"
        with pytest.raises(TelegramBadRequest) as info:
            await env.bot.send_document(
                user.id, BufferedInputFile(b"x", "a.txt"), caption="*x*", parse_mode=mode
            )
        assert info.value.message == "Bad Request: unsupported parse_mode"
    assert len(user.bot_messages) == shown  # nothing sent


async def test_edit_errors(env: Env) -> None:
    user = await started_user(env)
    markup = keyboard([("A", "a")])
    sent = await env.bot.send_message(user.id, "Текст", reply_markup=markup)
    not_modified = (
        "Bad Request: message is not modified: specified new message content and reply markup "
        "are exactly the same as a current content and reply markup of the message"
    )
    with pytest.raises(TelegramBadRequest) as info:
        await env.bot.edit_message_text(
            text="Текст", chat_id=user.id, message_id=sent.message_id, reply_markup=markup
        )
    assert info.value.message == not_modified
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await env.bot.edit_message_reply_markup(
            chat_id=user.id, message_id=sent.message_id, reply_markup=markup
        )
    # Editing the text without reply_markup removes the keyboard, as in Telegram.
    edited = await env.bot.edit_message_text(
        text="Текст", chat_id=user.id, message_id=sent.message_id
    )
    assert isinstance(edited, Message) and edited.reply_markup is None
    with pytest.raises(TelegramBadRequest, match="Bad Request: message to edit not found"):
        await env.bot.edit_message_text(text="x", chat_id=user.id, message_id=99999)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await env.bot.delete_message(user.id, 99999)
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await env.bot.answer_callback_query("123")
    with pytest.raises(TelegramBadRequest, match="Bad Request: chat not found"):
        await env.bot.send_message(777000999, "кто здесь?")
    assert await env.bot.delete_message(user.id, sent.message_id)
    assert user.last_message is not None and user.last_message.message_id != sent.message_id


async def test_blocked_user(env: Env) -> None:
    user = await started_user(env)
    user.block_bot()
    with pytest.raises(TelegramForbiddenError, match="Forbidden: bot was blocked by the user"):
        await env.bot.send_message(user.id, "Оценка за контрольную")
    user.unblock_bot()
    await env.bot.send_message(user.id, "Оценка за контрольную")
    user.deactivate()
    with pytest.raises(TelegramForbiddenError, match="user is deactivated"):
        await env.bot.send_message(user.id, "Оценка")


async def test_forced_429_and_server_errors(env: Env) -> None:
    user = await started_user(env)
    before = env.fake.stats.too_many_requests
    env.fake.faults.flood_next("sendMessage", times=2, retry_after=7)
    for _ in range(2):
        with pytest.raises(TelegramRetryAfter) as info:
            await env.bot.send_message(user.id, "x")
        assert info.value.retry_after == 7
        assert "Too Many Requests: retry after 7" in info.value.message
    await env.bot.send_message(user.id, "теперь можно")
    assert env.fake.stats.too_many_requests == before + 2

    env.fake.faults.server_error_next("sendMessage", error_code=502)
    with pytest.raises(TelegramServerError):
        await env.bot.send_message(user.id, "x")
    assert env.fake.faults.rules == []


async def test_commands_with_scopes(env: Env) -> None:
    user = await started_user(env)
    await env.bot.set_my_commands([BotCommand(command="start", description="Начать")])
    await env.bot.set_my_commands(
        [BotCommand(command="rollcall", description="Перекличка")],
        scope=BotCommandScopeChat(chat_id=user.id),
    )
    default = await env.bot.get_my_commands()
    assert [c.command for c in default] == ["start"]
    scoped = await env.bot.get_my_commands(scope=BotCommandScopeChat(chat_id=user.id))
    assert [c.command for c in scoped] == ["rollcall"]
    assert [c["command"] for c in user.visible_commands] == ["rollcall"]
    await env.bot.delete_my_commands(scope=BotCommandScopeChat(chat_id=user.id))
    assert [c["command"] for c in user.visible_commands] == ["start"]
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await env.bot.set_my_commands([BotCommand(command="Bad Command", description="x")])
    assert await env.bot.send_chat_action(user.id, "typing")
    assert user.chat.chat_actions[-1] == "typing"
    chat = await env.bot.get_chat(user.id)
    assert chat.first_name == "Мария" and chat.type == "private"


# ----------------------------------------------------- separate fake instances


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def call_api(
    session: aiohttp.ClientSession, fake: FakeTelegram, method: str, **params: Any
) -> tuple[int, dict[str, Any]]:
    async with session.post(f"{fake.base_url}/bot{TOKEN}/{method}", json=params) as resp:
        return resp.status, await resp.json()


async def test_rate_limits_with_injected_clock() -> None:
    clock = FakeClock()
    fake = FakeTelegram(clock=clock, limits=RateLimits(global_limit=30, per_chat_burst=100))
    await fake.start()
    fake.add_bot(TOKEN, "school_journal_bot")
    users = [fake.user(5000 + i, f"U{i}", known=True) for i in range(40)]
    try:
        async with aiohttp.ClientSession() as session:
            for user in users[:30]:
                status, _ = await call_api(session, fake, "sendMessage", chat_id=user.id, text="x")
                assert status == 200
                clock.now += 0.01
            late = users[30].id
            status, body = await call_api(session, fake, "sendMessage", chat_id=late, text="x")
            assert status == 429
            assert body == {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 1",
                "parameters": {"retry_after": 1},
            }
            clock.now += 1.0
            status, _ = await call_api(session, fake, "sendMessage", chat_id=late, text="x")
            assert status == 200
            assert fake.stats.too_many_requests == 1
            assert fake.stats.max_sends_in_window(1.0) == 30
            assert fake.stats.sends == 31

            # The realistic per-chat bucket: a burst of 3, then about one message per second.
            fake.limits = RateLimits.realistic()
            clock.now += 10
            target = users[35].id
            for _ in range(3):
                status, _ = await call_api(session, fake, "sendMessage", chat_id=target, text="y")
                assert status == 200
            status, body = await call_api(session, fake, "sendMessage", chat_id=target, text="y")
            assert status == 429 and body["parameters"]["retry_after"] == 1
            clock.now += 1.0
            status, _ = await call_api(session, fake, "sendMessage", chat_id=target, text="y")
            assert status == 200
    finally:
        await fake.stop()


async def test_sends_inside_a_retry_after_are_counted_per_bot() -> None:
    clock = FakeClock()
    limits = RateLimits(global_limit=2, per_chat_rate=0.5, per_chat_burst=1)
    fake = FakeTelegram(clock=clock, limits=limits)
    await fake.start()
    fake.add_bot(TOKEN, "school_journal_bot")
    fake.add_bot("654321:OTHER", "other_bot")
    users = [fake.user(5000 + i, f"U{i}", known=True) for i in range(3)]
    fake.user(5000, "U0", known=True, bot="654321:OTHER")
    try:
        async with aiohttp.ClientSession() as session:

            async def send(chat_id: int, token: str = TOKEN) -> int:
                url = f"{fake.base_url}/bot{token}/sendMessage"
                async with session.post(url, json={"chat_id": chat_id, "text": "x"}) as resp:
                    return resp.status

            assert [await send(users[0].id), await send(users[1].id)] == [200, 200]
            clock.now += 0.01
            assert await send(users[2].id) == 429  # the bot's limit: retry after 1 s
            assert fake.retry_after_ignored == 0
            clock.now += 0.5
            assert await send(users[0].id, "654321:OTHER") == 200  # another bot: its own
            assert await send(users[2].id) == 429  # inside the bot's retry_after
            assert fake.retry_after_ignored == 1
            assert fake.bot("654321:OTHER").limiter.retry_after_ignored == 0
            clock.now += 1.5  # past it
            assert await send(users[2].id) == 200
            assert await send(users[2].id) == 429  # the chat's bucket: retry after 2 s
            clock.now += 0.5
            assert await send(users[0].id) == 200  # another chat: not held
            assert fake.retry_after_ignored == 1
            assert await send(users[2].id) == 429  # the chat is held
            assert fake.retry_after_ignored == 2
            fake.reset_stats()
            assert fake.retry_after_ignored == 0
    finally:
        await fake.stop()


async def test_raw_protocol_and_long_polling() -> None:
    fake = FakeTelegram()
    await fake.start()
    bot_state = fake.add_bot(TOKEN, "school_journal_bot")
    user = fake.user(1001, "Мария")
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{fake.base_url}/bot1:WRONG/getMe") as resp:
                assert resp.status == 401
                assert await resp.json() == {
                    "ok": False,
                    "error_code": 401,
                    "description": "Unauthorized",
                }
            async with session.get(f"{fake.base_url}/bot{TOKEN}/noSuchMethod") as resp:
                assert resp.status == 404
                assert (await resp.json())["description"] == "Not Found"
            async with session.get(f"{fake.base_url}/bot{TOKEN}/getme") as resp:
                assert (await resp.json())["result"]["username"] == "school_journal_bot"

            # A long poll waits for the update instead of returning at once.
            poll = asyncio.create_task(call_api(session, fake, "getUpdates", timeout=5))
            await asyncio.sleep(0.05)
            assert not poll.done()
            await user.send("/start")
            status, body = await asyncio.wait_for(poll, 2)
            assert status == 200
            [update] = body["result"]
            assert update["message"]["text"] == "/start"
            assert update["message"]["from"]["id"] == 1001

            # Confirming by offset removes it; a second concurrent poll terminates the first.
            first = asyncio.create_task(
                call_api(session, fake, "getUpdates", offset=update["update_id"] + 1, timeout=5)
            )
            await asyncio.sleep(0.05)
            second = asyncio.create_task(call_api(session, fake, "getUpdates", timeout=5))
            status, body = await asyncio.wait_for(first, 2)
            assert status == 409
            assert body["description"].startswith("Conflict: terminated by other getUpdates")
            await user.send("ещё")
            status, body = await asyncio.wait_for(second, 2)
            assert [u["message"]["text"] for u in body["result"]] == ["ещё"]

            # Form-encoded sendMessage with a JSON-encoded reply_markup (what aiogram sends).
            form = aiohttp.FormData(
                {
                    "chat_id": "1001",
                    "text": "hi",
                    "reply_markup": '{"inline_keyboard":[[{"text":"A","callback_data":"a"}]]}',
                }
            )
            async with session.post(f"{fake.base_url}/bot{TOKEN}/sendMessage", data=form) as resp:
                sent = (await resp.json())["result"]
            assert sent["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"
            assert sent["from"]["is_bot"] is True and sent["chat"]["id"] == 1001
            assert bot_state.stats.calls["sendMessage"] == 1
    finally:
        await fake.stop()


async def test_webhook_delivery_with_secret_header() -> None:
    fake = FakeTelegram(webhook_retry_delay=0.01)
    await fake.start()
    fake.add_bot(TOKEN, "school_journal_bot")
    user = fake.user(1001, "Мария")
    received: list[tuple[str | None, dict[str, Any]]] = []
    failures = [500]  # the first delivery fails and is retried

    async def hook(request: web.Request) -> web.Response:
        if failures:
            return web.Response(status=failures.pop())
        update = await request.json()
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), update))
        chat_id = update["message"]["chat"]["id"]
        # Telegram lets the webhook answer with a method call.
        return web.json_response({"method": "sendMessage", "chat_id": chat_id, "text": "pong"})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # aiohttp's server, set once started
    bot = make_bot(fake)
    try:
        await user.send("до вебхука")
        assert await bot.set_webhook(
            f"http://127.0.0.1:{port}/hook", secret_token="s3cr3t", drop_pending_updates=True
        )
        info = await bot.get_webhook_info()
        assert info.url.endswith("/hook") and info.pending_update_count == 0
        with pytest.raises(TelegramConflictError, match="webhook is active"):
            await bot.get_updates()

        await user.send("ping")
        reply = await user.wait_reply()
        assert reply.text == "pong"
        assert [(secret, u["message"]["text"]) for secret, u in received] == [("s3cr3t", "ping")]
        info = await bot.get_webhook_info()
        assert info.last_error_message == (
            "Wrong response from the webhook: 500 Internal Server Error"
        )

        assert await bot.delete_webhook()
        await user.send("после")
        updates = await bot.get_updates()
        assert [u.message.text for u in updates if u.message] == ["после"]
    finally:
        await bot.session.close()
        await fake.stop()
        await runner.cleanup()


async def test_unreachable_and_dropped_connections() -> None:
    fake = FakeTelegram()
    await fake.start()
    fake.add_bot(TOKEN, "school_journal_bot")
    bot = make_bot(fake)
    try:
        fake.set_unreachable(True)
        with pytest.raises(TelegramNetworkError):
            await bot.get_me()
        fake.set_unreachable(False)
        assert (await bot.get_me()).username == "school_journal_bot"
        fake.faults.drop_next("getMe")
        with pytest.raises(TelegramNetworkError):
            await bot.get_me()
        fake.faults.server_error_next("getMe", error_code=500)
        with pytest.raises(TelegramServerError):
            await bot.get_me()
        assert (await bot.get_me()).id == 123456
    finally:
        await bot.session.close()
        await fake.stop()


async def test_console_plays_as_users() -> None:
    fake = FakeTelegram()
    await fake.start()
    fake.add_bot(TOKEN, "school_journal_bot")
    maria = fake.user(1001, "Мария", known=True)
    petr = fake.user(1002, "Пётр", known=True)
    try:
        async with aiohttp.ClientSession() as session:
            markup = {"inline_keyboard": [[{"text": "Да", "callback_data": "yes"}]]}
            await call_api(
                session, fake, "sendMessage", chat_id=1001, text="Придёте?", reply_markup=markup
            )
        lines = iter(["show", "press 1", "as Пётр", "/start КОД", "users", "quit"])
        printed: list[str] = []
        await run_console(
            fake,
            {"maria": maria, "petr": petr},
            input_func=lambda _prompt: next(lines),
            output=printed.append,
            answer_wait=0,
        )
        text = "\n".join(printed)
        assert "Придёте?" in text and "[1] Да" in text
        assert "you are now Пётр (petr)" in text
        assert [q.data for q in fake.bot().unanswered_callback_queries] == ["yes"]
        assert petr.messages[-1].text == "/start КОД"
        assert maria.taps == 1
    finally:
        await fake.stop()


async def test_console_speaks_the_catalogue_it_is_given() -> None:
    fake = FakeTelegram()
    await fake.start()
    fake.add_bot(TOKEN, "school_journal_bot")
    maria = fake.user(1001, "Мария", known=True)
    try:
        async with aiohttp.ClientSession() as session:
            markup = {"inline_keyboard": [[{"text": "Да", "callback_data": "yes"}]]}
            await call_api(
                session, fake, "sendMessage", chat_id=1001, text="Придёте?", reply_markup=markup
            )
        lines = iter(["help", "as Никто", "press Нет", "press 5", "block", "quit"])
        printed: list[str] = []
        await run_console(
            fake,
            {"maria": maria},
            input_func=lambda _prompt: next(lines),
            output=printed.append,
            answer_wait=0,
            texts=ConsoleTexts.from_catalogue(t),
        )
        assert printed[0] == "Песочница — вы Мария (maria). Напишите help, чтобы увидеть команды."
        assert "press <N|текст>   нажать кнопку N" in printed[1]
        assert printed[2:] == [
            "! нет пользователя «Никто»; есть: maria",
            "! нет кнопки «Нет»; есть: Да",
            "! нет кнопки 5; кнопок 1",
            "бот заблокирован",
        ]
        assert maria.taps == 0
    finally:
        await fake.stop()


# --------------------------------------------------------------- formatting


def test_html_parser_offsets_are_utf16() -> None:
    text, entities = parse_html("😀 <b>жирный</b> <a href='https://t.me'>ссылка</a> &amp;")
    assert text == "😀 жирный ссылка &"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 6},
        {"type": "text_link", "offset": 10, "length": 6, "url": "https://t.me"},
    ]
    text, entities = parse_html('<pre><code class="language-python">x = 1</code></pre>')
    assert entities == [{"type": "pre", "offset": 0, "length": 5, "language": "python"}]


# ----------------------------------------------------------------- its place


ROOT = Path(__file__).resolve().parents[1]
# The product's packages; of them only the sandbox may use the fake (tests and benchmarks
# are not shipped to a school's server as code that runs the bot).
PRODUCT = (
    "bot",
    "core",
    "notifications",
    "school_journal",
    "reports",
    "texts",
    "demo",
    "migrations",
)


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top, under TYPE_CHECKING or in a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_only_the_sandbox_imports_fakegram_of_the_product() -> None:
    importers = sorted(
        str(path.relative_to(ROOT))
        for package in PRODUCT
        for path in (ROOT / package).rglob("*.py")
        if any(m == "fakegram" or m.startswith("fakegram.") for m in imported_modules(path))
    )
    assert importers == ["school_journal/sandbox.py"]


def test_fakegram_imports_go_one_way() -> None:
    modules = {path.stem: path for path in (ROOT / "fakegram").glob("*.py")}
    graph = {
        name: {
            m.split(".")[1]
            for m in imported_modules(path)
            if m.startswith("fakegram.") and m.split(".")[1] in modules
        }
        - {name}
        for name, path in modules.items()
        if name not in ("__init__", "__main__")
    }
    order = list(graphlib.TopologicalSorter(graph).static_order())  # CycleError on a circle
    assert order.index("server") > max(order.index(m) for m in ("state", "methods", "users"))
