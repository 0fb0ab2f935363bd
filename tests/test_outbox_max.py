"""The outbox's MAX channel (issue 12) against the fake MAX Bot API (real HTTP, maxapi's
Bot): what a MAX user sees of a notification, and each MAX error as the sender handles it.
Time moves by the injected clock; the sender's pauses are recorded, not slept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiogram import Bot as TelegramBot
from aiohttp import web
from aiohttp.test_utils import TestServer
from maxapi import Bot
from pydantic import SecretStr
from sqlalchemy import Row as SqlRow
from sqlalchemy import select

from bot.max.client import sender_bot
from bot.screen import Button, Row
from bot.telegram.transport import build_bot
from core.clock import ManualClock
from core.journal import Journal
from core.models import Account, Binding, outbox_table
from fakegram import FakeTelegram
from fakegram import RateLimits as TelegramRateLimits
from fakemax import FakeMax, FakeMaxUser, RateLimits
from notifications.channels import Result
from notifications.channels.max import MaxChannel
from notifications.channels.telegram import TelegramChannel
from notifications.outbox import OutboxItem, enqueue
from notifications.sender import Sender, SenderHalted
from school_journal.app import App
from school_journal.service import background
from school_journal.settings import Settings
from tests.test_outbox import FakeTimer, bind

TOKEN = "max-outbox-token"
DIGEST_BUTTONS: list[Row] = [
    [Button("Прочитано ✓", "dgr:1:739000")],
    [Button("Сайт школы", url="https://school.example")],
]


@pytest.fixture
async def fake() -> AsyncIterator[FakeMax]:
    # MAX's 30 requests/s are the pace's business; here 429s come only when a test asks.
    async with FakeMax(limits=RateLimits.unlimited()) as server:
        server.add_bot(TOKEN, "school_journal_bot")
        yield server


@pytest.fixture
async def bot(fake: FakeMax) -> AsyncIterator[Bot]:
    bot = sender_bot(TOKEN, fake.base_url)
    yield bot
    await bot.close_session()


def make_sender(journal: Journal, bot: Bot, timer: FakeTimer | None = None, **kw: Any) -> Sender:
    options: dict[str, Any] = {"rate": 1000.0, "per_chat_interval": 0.0, "jitter": 0.0}
    if timer is not None:
        options.update(monotonic=timer.monotonic, sleep=timer.sleep)
    options.update(kw)
    return Sender(journal.sessions, MaxChannel(bot), journal.clock, **options)


async def started(fake: FakeMax, user_id: int = 7001) -> FakeMaxUser:
    """A MAX user who pressed Start: the bot may write to their dialog."""
    user = fake.user(user_id, f"Родитель{user_id}")
    await user.start()
    return user


def item(key: str, user: FakeMaxUser, text: str | None = None, **kw: Any) -> OutboxItem:
    """A notification to ``user``'s MAX dialog (a row's chat is the dialog's chat id)."""
    text = f"<b>{key}</b>" if text is None else text
    return OutboxItem(key, user.dialog.chat_id, "digest", text, channel="max", **kw)


async def put(journal: Journal, items: list[OutboxItem]) -> None:
    async with journal.transaction() as s:
        await enqueue(s, items)


async def row(journal: Journal, key: str) -> SqlRow[Any]:
    async with journal.transaction() as s:
        found = (await s.execute(select(outbox_table).where(outbox_table.c.key == key))).first()
    assert found is not None, key
    return found


async def bind_max(journal: Journal, user: FakeMaxUser) -> int:
    """A parent bound to this MAX account, whose dialog is known; the binding's id."""
    binding_id = await bind(journal, user.id)
    async with journal.transaction() as s:
        binding = await s.get(Binding, binding_id)
        assert binding is not None
        binding.messenger = "max"
        s.add(
            Account(
                messenger="max",
                user_id=user.id,
                chat_id=user.dialog.chat_id,
                updated_at=journal.clock.now(),
            )
        )
    return binding_id


def texts(user: FakeMaxUser) -> list[str]:
    return [m.text or "" for m in user.messages]


# ------------------------------------------------------------------ delivering


async def test_a_digest_with_buttons_reaches_a_max_user(
    journal: Journal, fake: FakeMax, bot: Bot, clock: ManualClock
) -> None:
    mother = await started(fake)
    await put(
        journal, [item("digest:1", mother, "<b>Дневник</b> за понедельник", buttons=DIGEST_BUTTONS)]
    )
    assert await make_sender(journal, bot).run_once() == 1
    (message,) = mother.messages
    assert message.text == "Дневник за понедельник"
    assert message.markup == [{"type": "strong", "from": 0, "length": 7}]  # HTML read as such
    assert message.button_texts == ["Прочитано ✓", "Сайт школы"]
    assert message.buttons == [
        [
            {
                "type": "callback",
                "text": "Прочитано ✓",
                "payload": "dgr:1:739000",
                "intent": "default",
            }
        ],
        [{"type": "link", "text": "Сайт школы", "url": "https://school.example"}],
    ]
    stored = await row(journal, "digest:1")
    assert (stored.status, stored.message_id, stored.attempts) == ("sent", message.mid, 1)
    assert stored.message_id.startswith("mid.") and stored.sent_at == clock.now()


async def test_an_update_edits_the_max_message_it_updates(
    journal: Journal, fake: FakeMax, bot: Bot
) -> None:
    mother = await started(fake)
    sender = make_sender(journal, bot)
    await put(journal, [item("absence:v1", mother, "Пропуск: 1 урок", buttons=DIGEST_BUTTONS[:1])])
    assert await sender.run_once() == 1
    update = item("absence:v2", mother, "Пропуск: 2 урока", meta={"edit_of": "absence:v1"})
    await put(journal, [update])
    assert await sender.run_once() == 1
    (message,) = mother.messages  # no second message
    assert (message.text, message.edits, message.button_texts) == ("Пропуск: 2 урока", 1, [])
    assert (await row(journal, "absence:v2")).message_id == message.mid

    # The user deleted it: the next update cannot edit it and comes as a new message.
    message.stored.deleted = True
    await put(
        journal, [item("absence:v3", mother, "Пропуск: 3 урока", meta={"edit_of": "absence:v2"})]
    )
    assert await sender.run_once() == 1
    assert texts(mother)[-1] == "Пропуск: 3 урока" and len(mother.messages) == 2
    assert (await row(journal, "absence:v3")).message_id == mother.messages[-1].mid


# ------------------------------------------------------------------ MAX's errors


async def test_429_from_max_is_waited_out_and_the_row_delivered(
    journal: Journal, fake: FakeMax, bot: Bot, clock: ManualClock
) -> None:
    first, second = await started(fake, 7001), await started(fake, 7002)
    await put(journal, [item("one", first)])
    fake.faults.flood_next("post /messages")
    timer = FakeTimer()
    sender = make_sender(journal, bot, timer)

    assert await sender.run_once() == 0
    flooded = await row(journal, "one")
    assert (flooded.status, flooded.error_code, flooded.attempts) == ("pending", 429, 1)
    assert "too.many.requests" in flooded.last_error
    # MAX says no wait: the channel's one second (the window of MAX's 30 requests/s).
    assert flooded.next_attempt_at == clock.now() + timedelta(seconds=1)

    await put(journal, [item("two", second)])
    assert await sender.run_once() == 1  # another chat, after the whole sender paused
    assert max(timer.waits) == pytest.approx(1.0, abs=0.01)
    assert texts(first) == [] and texts(second) == ["two"]

    clock.advance(timedelta(seconds=1))
    assert await sender.run_once() == 1
    assert texts(first) == ["one"]
    assert sender.stats.flood_waits == 1 and fake.stats.errors[("post /messages", 429)] == 1


async def test_a_user_who_stopped_the_bot_is_unreachable_with_their_binding(
    journal: Journal, fake: FakeMax, bot: Bot, clock: ManualClock
) -> None:
    mother = await started(fake)
    binding_id = await bind_max(journal, mother)
    mother.block_bot()
    await put(journal, [item("digest:1", mother, binding_id=binding_id), item("digest:2", mother)])
    sender = make_sender(journal, bot)
    assert await sender.run_once() == 0
    stored = await row(journal, "digest:1")
    assert (stored.status, stored.error_code) == ("unreachable", 403)
    assert "chat.denied" in stored.last_error
    assert (await row(journal, "digest:2")).status == "unreachable"  # the chat's next one too
    async with journal.transaction() as s:
        binding = await s.get(Binding, binding_id)
    assert binding is not None and binding.unreachable_at == clock.now()
    assert texts(mother) == []


@pytest.mark.parametrize(
    "fault",
    [
        lambda f: f.faults.drop_next("post /messages", times=2),
        lambda f: f.faults.server_error_next("post /messages", times=2, error_code=502),
        lambda f: f.faults.server_error_next("post /messages", times=2, error_code=500),
    ],
    ids=["connection-dropped", "502", "500"],
)
async def test_network_and_server_errors_are_retried(
    journal: Journal, fake: FakeMax, bot: Bot, clock: ManualClock, fault: Any
) -> None:
    mother = await started(fake)
    await put(journal, [item("retry-me", mother)])
    fault(fake)
    sender = make_sender(journal, bot, base_backoff=1.0)
    assert await sender.run_once() == 0
    first = await row(journal, "retry-me")
    assert (first.status, first.attempts) == ("pending", 1)
    assert first.next_attempt_at == clock.now() + timedelta(seconds=1)
    clock.advance(timedelta(seconds=1))
    assert await sender.run_once() == 0  # maxapi retried nothing itself: one call a try
    clock.advance(timedelta(seconds=2))
    assert await sender.run_once() == 1
    assert texts(mother) == ["retry-me"]
    assert (await row(journal, "retry-me")).attempts == 3
    assert fake.bot().stats.calls["post /messages"] == 3


async def test_a_refused_token_halts_the_sender_without_touching_the_rows(
    journal: Journal, fake: FakeMax
) -> None:
    mother = await started(fake)
    await put(journal, [item("kept", mother)])
    wrong = sender_bot("wrong-token", fake.base_url)
    try:
        with pytest.raises(SenderHalted, match="401"):
            await make_sender(journal, wrong).run_once()
    finally:
        await wrong.close_session()
    stored = await row(journal, "kept")
    assert (stored.status, stored.attempts, stored.claimed_until) == ("pending", 0, None)


async def test_an_api_base_that_is_not_max_halts_the_sender(
    journal: Journal, fake: FakeMax
) -> None:
    """A wrong ``MAX_API_BASE`` answers 404 without MAX's error body: the sender stops
    rather than failing every row (MAX's own 404s, an unknown chat, fail the row)."""
    mother = await started(fake)
    await put(journal, [item("kept", mother)])
    async with TestServer(web.Application()) as elsewhere:
        wrong = sender_bot(TOKEN, str(elsewhere.make_url("/")))
        try:
            with pytest.raises(SenderHalted, match="404"):
                await make_sender(journal, wrong).run_once()
        finally:
            await wrong.close_session()
    stored = await row(journal, "kept")
    assert (stored.status, stored.attempts) == ("pending", 0)


async def test_a_message_max_refuses_or_cannot_hold_fails_with_the_reason(
    journal: Journal, fake: FakeMax, bot: Bot
) -> None:
    mother = await started(fake)
    too_many_rows = [[Button(f"{n}", f"x:{n}")] for n in range(31)]
    await put(
        journal,
        [
            item("broken-html", mother, "<b>не закрыт"),
            item("too-long", mother, "я" * 4000),
            item("too-many-rows", mother, buttons=too_many_rows),
        ],
    )
    sender = make_sender(journal, bot)
    for _ in range(3):
        await sender.run_once()
    broken = await row(journal, "broken-html")
    assert (broken.status, broken.error_code) == ("failed", 400)
    for key in ("too-long", "too-many-rows"):
        stored = await row(journal, key)
        assert stored.status == "failed" and stored.last_error.startswith("invalid message"), key
    assert fake.bot().stats.calls["post /messages"] == 1  # the invalid ones never went
    assert texts(mother) == []


async def test_the_channel_says_what_each_answer_of_max_means(fake: FakeMax, bot: Bot) -> None:
    mother = await started(fake)
    channel = MaxChannel(bot)
    chat = mother.dialog.chat_id
    sent = await channel.send(chat, "текст", [], 5.0)
    assert sent.result is Result.SENT and sent.message_id == mother.messages[0].mid
    assert (await channel.send(999_999, "никому", [], 5.0)).result is Result.PERMANENT  # 404
    gone = await channel.edit(chat, "mid.nonexistent", "правка", [], 5.0)
    assert (gone.result, gone.code) == (Result.REFUSED, 404)
    fake.faults.fail_next("put /messages", error_code=503)
    assert (await channel.edit(chat, sent.message_id or "", "x", [], 5.0)).result is Result.SERVER
    fake.set_unreachable()
    assert (await channel.send(chat, "x", [], 5.0)).result is Result.NETWORK
    fake.set_unreachable(False)


# ------------------------------------------------------------ two messengers


async def test_telegram_and_max_rows_are_each_delivered_by_their_own_sender(
    journal: Journal, fake: FakeMax, bot: Bot
) -> None:
    mother = await started(fake)
    async with FakeTelegram(limits=TelegramRateLimits.unlimited()) as telegram:
        telegram.add_bot("123456:MAX-AND-TELEGRAM", "school_journal_bot")
        father = telegram.user(5001, "Отец", known=True)
        tg_bot: TelegramBot = build_bot("123456:MAX-AND-TELEGRAM", telegram.base_url)
        try:
            await put(
                journal,
                [
                    OutboxItem("tg:1", father.id, "digest", "в Telegram"),
                    item("max:1", mother, "в MAX"),
                    OutboxItem("tg:2", father.id, "digest", "ещё в Telegram"),
                ],
            )
            max_sender = make_sender(journal, bot)
            assert await max_sender.run_once() == 1
            assert (await row(journal, "tg:1")).status == "pending"
            tg_sender = Sender(
                journal.sessions,
                TelegramChannel(tg_bot),
                journal.clock,
                rate=1000.0,
                per_chat_interval=0.0,
            )
            assert await tg_sender.run_once() == 1
            assert await tg_sender.run_once() == 1
            assert await max_sender.run_once() == 0
        finally:
            await tg_bot.session.close()
    assert texts(mother) == ["в MAX"]
    assert [m.text for m in father.bot_messages] == ["в Telegram", "ещё в Telegram"]
    for key, channel in (("tg:1", "telegram"), ("max:1", "max"), ("tg:2", "telegram")):
        stored = await row(journal, key)
        assert (stored.status, stored.channel, stored.attempts) == ("sent", channel, 1)


async def test_a_max_row_is_not_held_back_by_a_telegram_row_of_the_same_chat_number(
    journal: Journal, fake: FakeMax, bot: Bot
) -> None:
    """Telegram's and MAX's chat ids are separate number spaces: a pending Telegram row to
    chat N (no Telegram sender running) does not stop the MAX row to MAX's chat N."""
    mother = await started(fake)
    same_number = mother.dialog.chat_id
    await put(journal, [OutboxItem("tg:first", same_number, "digest", "в Telegram")])
    await put(journal, [item("max:second", mother, "в MAX")])
    assert await make_sender(journal, bot).run_once() == 1
    assert texts(mother) == ["в MAX"]
    assert (await row(journal, "tg:first")).status == "pending"


# ------------------------------------------------------------ the composition root


async def test_journal_run_starts_a_max_sender_at_its_own_pace_when_max_has_a_token(
    journal: Journal, fake: FakeMax, db_url: str
) -> None:
    """With ``MAX_BOT_TOKEN`` the app runs a second sender beside Telegram's: MAX's rows
    go through it at ``MAX_SEND_RATE``; without the token there is only Telegram's."""
    mother = await started(fake)
    settings = Settings(
        _env_file=None,
        database_url=db_url,
        bot_token=SecretStr("123456:MAX-AND-TELEGRAM"),
        max_bot_token=SecretStr(TOKEN),
        max_api_base=fake.base_url,
        max_send_rate=20,
        send_idle_poll=0.05,
    )
    app = App(settings=settings, engine=None, journal=journal, database_url=db_url)  # type: ignore[arg-type]  # App without an engine: the test has its journal
    async with FakeTelegram(limits=TelegramRateLimits.unlimited()) as telegram:
        telegram.add_bot("123456:MAX-AND-TELEGRAM", "school_journal_bot")
        father = telegram.user(5001, "Отец", known=True)
        tg_bot = build_bot("123456:MAX-AND-TELEGRAM", telegram.base_url)
        max_bot = app.max_bot()
        try:
            senders = app.senders(tg_bot, max_bot)
            assert [(list(s.channels), 1 / s.pace.interval) for s in senders] == [
                (["telegram"], 25.0),
                (["max"], 20.0),
            ]
            assert [list(s.channels) for s in app.senders(tg_bot)] == [["telegram"]]
            await put(
                journal,
                [
                    item("max:1", mother, "в MAX", buttons=DIGEST_BUTTONS[:1]),
                    OutboxItem("tg:1", father.id, "digest", "в Telegram"),
                ],
            )
            async with background(app, tg_bot):
                assert (await mother.wait_reply(timeout=10)).text == "в MAX"
                assert (await father.wait_reply(timeout=10)).text == "в Telegram"
        finally:
            await max_bot.close_session()
            await tg_bot.session.close()
