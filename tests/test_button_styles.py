"""Buttons that read at a glance (issue 13, item 8): on the roll call a present pupil is
green and an absent one red, and confirm / decline are green / red, through Telegram's
``style`` (Bot API 9.4) and MAX's ``intent``; the emoji stay in the text for an app that
does not colour. The fakes refuse a style their API does not know."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest_asyncio

from core.clock import ManualClock
from core.journal import Journal
from core.models import BindingRole
from tests.botkit import Harness
from tests.maxkit import MaxHarness, running_max_bot
from tests.world import World

MOSCOW = ZoneInfo("Europe/Moscow")


@pytest_asyncio.fixture
async def max_bot(journal: Journal, world: World) -> AsyncIterator[MaxHarness]:
    async with running_max_bot(journal) as harness:
        yield harness


def styles(keyboard: list[list[dict[str, Any]]]) -> dict[str, str | None]:
    """Each button's Bot API ``style`` (None: the app's own), by its text."""
    return {b["text"]: b.get("style") for row in keyboard for b in row}


async def test_r4_the_roll_call_shows_present_green_and_absent_red_in_telegram(
    bot: Harness, world: World
) -> None:
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await teacher.send("/today")
    await teacher.wait_reply()
    card = await teacher.press_and_wait(lambda b: "5А Математика" in b.text)
    before = styles(card.keyboard)
    assert before["▫️ Иванов П."] is None  # not taken: the app's own colour
    assert before["✅ Остальные присутствуют"] == "success"
    await teacher.press_and_wait("▫️ Иванов П.")
    final = await teacher.press_and_wait("✅ Остальные присутствуют")
    after = styles(final.keyboard)
    assert after["❌ Иванов П."] == "danger"
    assert after["✅ Иванова М."] == "success"


async def test_r7_the_deputy_confirms_green_and_declines_red(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    deputy = await bot.bound_user(world.staff("admin"), world.people["deputy"], BindingRole.STAFF)
    await teacher.send("/today")
    await teacher.wait_reply()
    await teacher.press_and_wait(lambda b: "5А Математика" in b.text)
    await teacher.press_and_wait("▫️ Иванов П.")
    await teacher.press_and_wait("✅ Остальные присутствуют")
    clock.set(datetime(2026, 11, 23, 20, 30, tzinfo=MOSCOW))
    await teacher.press("❌ Иванов П.")  # too late: a request to the deputy
    request = await deputy.wait_reply()
    seen = styles(request.keyboard)
    assert seen["✅ Подтвердить"] == "success"
    assert [style for text, style in seen.items() if "Отклонить" in text] == ["danger"]


async def test_r4_the_roll_call_in_max_uses_its_intents(max_bot: MaxHarness, world: World) -> None:
    teacher = await max_bot.bound_user(
        world.staff("admin"), world.people["math"], BindingRole.STAFF
    )
    await teacher.send("/today")
    await teacher.wait_reply()
    await teacher.press_and_wait(lambda b: "5А Математика" in b["text"])
    await teacher.press_and_wait("▫️ Иванов П.")
    final = await teacher.press_and_wait("✅ Остальные присутствуют")
    intents = {b["text"]: b.get("intent") for row in final.buttons for b in row}
    assert intents["❌ Иванов П."] == "negative"
    assert intents["✅ Иванова М."] == "positive"
