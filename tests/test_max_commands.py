"""The MAX bot's command menu is set at start, and a MAX that is down at start only delays
it (``bot/max/commands.py``)."""

from __future__ import annotations

import asyncio

from bot.max import commands
from bot.max.client import sender_bot
from fakemax import FakeMax
from tests.maxkit import MAX_TOKEN
from texts import Texts


async def test_the_menu_waits_for_a_max_that_is_down_at_start() -> None:
    fake = FakeMax()
    await fake.start()
    fake.add_bot(MAX_TOKEN, "school_journal_bot", "Журнал")
    fake.set_unreachable()
    bot = sender_bot(MAX_TOKEN, fake.base_url)
    waits: list[float] = []

    async def wait(seconds: float) -> None:  # MAX comes back after the second wait
        waits.append(seconds)
        if len(waits) == 2:
            fake.set_unreachable(False)

    try:
        assert await commands.publish(bot, Texts("en"), asyncio.Event(), sleep=wait)
    finally:
        await bot.close_session()
        await fake.stop()
    assert waits == [1.0, 2.0]
    menu = fake.bot(MAX_TOKEN).commands
    assert [c["name"] for c in menu] == ["start", "menu", "role", "help", "logout"]
    assert menu[-1]["description"] == "Sign out"


async def test_a_stop_while_max_is_down_ends_the_attempts() -> None:
    fake = FakeMax()
    await fake.start()
    fake.add_bot(MAX_TOKEN, "school_journal_bot", "Журнал")
    fake.set_unreachable()
    bot = sender_bot(MAX_TOKEN, fake.base_url)
    stop = asyncio.Event()

    async def wait(seconds: float) -> None:
        stop.set()

    try:
        assert not await commands.publish(bot, Texts(), stop, sleep=wait)
    finally:
        await bot.close_session()
        await fake.stop()
    assert fake.bot(MAX_TOKEN).commands == []
