"""The interactive path under faults (issue 15) and forged buttons (issue 9): Telegram's
429 storms and HTML error pages, a database outage, a new user's burst of first
messages, numbers in a button that no journal can hold."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from core.journal import Journal
from core.models import Account, BindingRole
from fakegram import RateLimits
from school_journal.database import create_engine
from tests.botkit import Harness, forge_press, running_bot
from tests.dbproxy import DatabaseProxy
from tests.world import World

UNAVAILABLE = "Журнал временно недоступен"
GENERIC = "Что-то пошло не так"


pytestmark = pytest.mark.virtual_time  # the shared bot fixture, on the fake's own clock


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


async def test_a_button_pressed_in_a_429_storm_stops_spinning_and_the_screen_comes(
    bot: Harness, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """Telegram answers every edit and message with 429 for 40 s: the bot answers the
    button at once, waits out every retry_after and then shows the lesson."""
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await teacher.send("/today")
    await teacher.wait_reply()
    bot.fake.faults.flood_storm("editMessageText", "sendMessage", seconds=40, retry_after=5)
    press = await teacher.press(lambda b: "5А Математика" in b.text)
    answer = await press.wait_answered(timeout=10)
    assert GENERIC not in (answer.get("text") or "")
    card = await teacher.wait_reply(timeout=10)
    assert "5А" in (card.text or "") and GENERIC not in (card.text or "")
    assert bot.waits.count(5) >= 8  # every retry_after honoured, not five attempts
    assert not [m for m in teacher.bot_messages if GENERIC in (m.text or "")]
    assert not tracebacks(caplog)


async def test_a_storm_longer_than_the_bot_can_wait_is_logged_in_a_line_not_a_traceback(
    bot: Harness, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await teacher.send("/today")
    await teacher.wait_reply()
    bot.fake.faults.flood_storm("editMessageText", "sendMessage", seconds=600, retry_after=30)
    press = await teacher.press(lambda b: "5А Математика" in b.text)
    await press.wait_answered(timeout=10)  # the spinner stopped all the same
    for _ in range(100):
        if any("did not take the reply" in r.getMessage() for r in caplog.records):
            break
        await asyncio.sleep(0.05)
    assert any("did not take the reply" in r.getMessage() for r in caplog.records)
    assert not tracebacks(caplog)
    assert max(bot.waits) <= 30 and sum(bot.waits) <= 2 * 120 + 10


async def test_an_html_502_page_from_telegram_is_retried(
    bot: Harness, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    user = bot.user()
    bot.fake.faults.server_error_next("sendMessage", times=2, html=True)
    await user.send("/help")
    reply = await user.wait_reply(timeout=10)
    assert "код приглашения" in (reply.text or "")
    assert not tracebacks(caplog)


async def test_a_button_pressed_while_telegram_serves_html_502_pages_is_answered_first(
    bot: Harness, world: World
) -> None:
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await teacher.send("/today")
    await teacher.wait_reply()
    bot.fake.faults.flood_storm("editMessageText", seconds=30, html=True)
    press = await teacher.press(lambda b: "5А Математика" in b.text)
    await press.wait_answered(timeout=10)
    card = await teacher.wait_reply(timeout=10)
    assert "5А" in (card.text or "")


async def test_forty_messages_from_one_user_at_once_all_get_their_reply(
    bot: Harness, world: World
) -> None:
    """Telegram's real pace (about one message a second per chat): forty /help at once
    are forty replies, each after its retry_after, none dropped."""
    bot.fake.limits = RateLimits.realistic()
    user = bot.user()
    await bot.settle(user)
    for _ in range(40):
        await user.send("/help")
    replies = await user.wait_replies(40, timeout=20)
    assert all("код приглашения" in (r.text or "") for r in replies)
    assert bot.fake.bot(bot_token()).stats.too_many_requests > 0  # the limit was hit


def bot_token() -> str:
    from tests.botkit import TOKEN

    return TOKEN


async def test_several_first_messages_of_a_new_user_at_once_are_all_answered(
    bot: Harness, world: World, journal: Journal, caplog: pytest.LogCaptureFixture
) -> None:
    user = bot.user()
    for text in ("/start", "привет", "/help", "алло", "/menu", "?"):
        await user.send(text)
    replies = await user.wait_replies(6, timeout=10)
    assert len(replies) == 6
    assert not tracebacks(caplog)
    async with journal.transaction() as s:
        count = await s.scalar(
            select(func.count()).select_from(Account).where(Account.user_id == user.id)
        )
    assert count == 1


@pytest.mark.parametrize(
    "data",
    [
        "d:3652060",  # a day past 9999-12-31
        "l:18446744073709551616",  # a lesson id past 64 bits
        "pm:1:9223372036854775807",  # a 64-bit pupil id (pupils' ids are 32-bit)
        "r:1:-9223372036854775808",
        "rs:1:3652060:i",
        "rv:1:p:99999999999999999",
    ],
)
async def test_a_forged_button_with_an_out_of_range_number_is_a_stale_button(
    bot: Harness, world: World, caplog: pytest.LogCaptureFixture, data: str
) -> None:
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await teacher.send("/today")
    lessons = await teacher.wait_reply()
    caplog.set_level(logging.INFO)
    caplog.clear()
    press = await forge_press(teacher, lessons, data)
    answer = await press.wait_answered()
    assert "кнопка больше не действует" in answer.get("text", "").lower()
    assert not tracebacks(caplog)
    assert len([r for r in caplog.records if data in r.getMessage()]) == 1  # one line
    assert not [m for m in teacher.bot_messages if GENERIC in (m.text or "")]


async def test_while_the_database_is_down_every_message_and_press_gets_an_answer(
    journal: Journal,
    proxy: DatabaseProxy,
    world: World,
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine = create_engine(proxy.url, pool_timeout=2)
    through_proxy = Journal(
        async_sessionmaker(engine, expire_on_commit=False), journal.clock, journal.rules
    )
    try:
        async with running_bot(through_proxy, proxy.url, virtual_time=True) as bot:
            teacher = await bot.bound_user(
                world.staff("admin"), world.people["math"], BindingRole.STAFF
            )
            await teacher.send("/today")
            lessons = await teacher.wait_reply()
            caplog.clear()
            await proxy.down()
            await teacher.send("/today")
            assert UNAVAILABLE in ((await teacher.wait_reply(timeout=10)).text or "")
            press = await teacher.press(lambda b: "5А Математика" in b.text, message=lessons)
            answer = await press.wait_answered(timeout=10)
            assert UNAVAILABLE in answer.get("text", "")
            stranger = bot.user()
            await stranger.send("/start")
            assert UNAVAILABLE in ((await stranger.wait_reply(timeout=10)).text or "")
            assert not tracebacks(caplog)
            await proxy.up()
            await teacher.send("/today")
            assert "Уроки" in ((await teacher.wait_reply(timeout=10)).text or "")
    finally:
        await engine.dispose()
        await asyncio.sleep(0)


async def test_a_database_that_stops_answering_gets_the_unavailable_reply_within_seconds(
    journal: Journal,
    proxy: DatabaseProxy,
    world: World,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A server behind a dropped network refuses nothing, it just never answers: without
    a connect timeout asyncpg would wait 60 s before the user heard anything."""
    monkeypatch.setattr("school_journal.database.CONNECT_TIMEOUT", 1.0)
    engine = create_engine(proxy.url, pool_timeout=2)
    through_proxy = Journal(
        async_sessionmaker(engine, expire_on_commit=False), journal.clock, journal.rules
    )
    try:
        async with running_bot(through_proxy, proxy.url, virtual_time=True) as bot:
            teacher = await bot.bound_user(
                world.staff("admin"), world.people["math"], BindingRole.STAFF
            )
            caplog.clear()
            await proxy.black_hole()
            await teacher.send("/today")
            assert UNAVAILABLE in ((await teacher.wait_reply(timeout=10)).text or "")
            assert not tracebacks(caplog)
            await proxy.down()
            await proxy.up()
            await teacher.send("/today")
            assert "Уроки" in ((await teacher.wait_reply(timeout=10)).text or "")
    finally:
        await engine.dispose()
        await asyncio.sleep(0)


async def test_a_forged_button_with_the_largest_lesson_id_finds_no_lesson_and_says_so(
    bot: Harness, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await teacher.send("/today")
    lessons = await teacher.wait_reply()
    caplog.clear()
    press = await forge_press(teacher, lessons, "l:9223372036854775807")
    answer = await press.wait_answered()
    assert answer.get("text") and GENERIC not in answer["text"]
    assert not tracebacks(caplog)
