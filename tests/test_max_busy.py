"""MAX under load (issue 12): its 30 requests a second per bot are shared by everyone
tapping at once and the outbox sender, so a press's answer may meet a 429. The answer is
tried again; when MAX keeps refusing, the journal keeps what was tapped and the log says
so in one line, with no traceback."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import pytest_asyncio

from core import lessons
from core.journal import Journal
from core.models import BindingRole
from fakemax import FakeMaxUser
from tests.maxkit import MaxHarness, running_max_bot
from tests.test_bot_e2e import statuses
from tests.world import MONDAY, World


@pytest_asyncio.fixture
async def max_bot(journal: Journal, world: World) -> AsyncIterator[MaxHarness]:
    async with running_max_bot(journal) as harness:
        yield harness


async def eventually(check: Callable[[], Awaitable[bool]]) -> None:
    """Until ``check`` holds (the bot writes and logs from its own task), at most 15 s."""
    async with asyncio.timeout(15):
        while not await check():  # noqa: ASYNC110 (another task's writes: nothing to await)
            await asyncio.sleep(0.05)


async def _roll_call_card(max_bot: MaxHarness, world: World) -> FakeMaxUser:
    teacher = await max_bot.bound_user(
        world.staff("admin"), world.people["math"], BindingRole.STAFF
    )
    await teacher.send("/today")
    await teacher.wait_reply()
    await teacher.press_and_wait(lambda b: "5А Математика" in b["text"])
    return teacher


async def test_r4_a_tap_answered_with_429_is_tried_again_and_the_card_redrawn(
    max_bot: MaxHarness, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    teacher = await _roll_call_card(max_bot, world)
    max_bot.fake.faults.flood_next("post /answers", 2)  # MAX busy twice
    card = await teacher.press_and_wait("▫️ Иванов П.", timeout=15)
    assert "❌ Иванов П." in card.button_texts
    [lesson] = await lessons.teacher_day(max_bot.journal, world.staff("math"), MONDAY)
    assert (await statuses(max_bot.journal, lesson.id))[world.people["petya"]] == "absent"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_r4_when_max_keeps_refusing_the_tap_is_kept_and_logged_without_a_traceback(
    max_bot: MaxHarness, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    teacher = await _roll_call_card(max_bot, world)
    max_bot.fake.faults.flood_next("post /answers", 20)  # longer than the retries
    press = await teacher.press("▫️ Иванов П.")
    [lesson] = await lessons.teacher_day(max_bot.journal, world.staff("math"), MONDAY)

    async def kept() -> bool:
        return (await statuses(max_bot.journal, lesson.id)).get(world.people["petya"]) == "absent"

    async def logged() -> bool:
        return any("did not take the answer" in r.getMessage() for r in caplog.records)

    await eventually(kept)
    await eventually(logged)
    assert press.callback is not None and not press.callback.answered
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    max_bot.fake.faults.clear()
    card = await teacher.press_and_wait("▫️ Сидоров Н.")  # MAX is back: the next tap works
    assert "❌ Иванов П." in card.button_texts and "❌ Сидоров Н." in card.button_texts
