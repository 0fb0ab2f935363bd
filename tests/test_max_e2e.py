"""The journal in MAX (issue 12): the same flows as in Telegram through the MAX adapter and
the local fake of the MAX Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from core import invitations, lessons
from core.identity import UserRef
from core.journal import Journal
from core.models import BindingRole
from tests.maxkit import MaxHarness, running_max_bot
from tests.test_bot_e2e import statuses
from tests.world import MONDAY, World


@pytest_asyncio.fixture
async def max_bot(journal: Journal, world: World) -> AsyncIterator[MaxHarness]:
    async with running_max_bot(journal) as harness:
        yield harness


async def test_r2_a_teacher_binds_in_max_from_the_deep_link(
    max_bot: MaxHarness, world: World
) -> None:
    issued = await invitations.issue(
        max_bot.journal, world.staff("admin"), world.people["math"], BindingRole.STAFF
    )
    teacher = max_bot.user("Анна", "Петрова")
    await teacher.start(issued.code)
    bound = await teacher.wait_reply()
    assert "Готово" in (bound.text or "")
    menu = await teacher.wait_reply()
    assert menu.button_texts  # the main menu, with buttons
    [binding] = await invitations.bindings_of(max_bot.journal, UserRef.max(teacher.id))
    assert binding.person_id == world.people["math"]
    assert await invitations.bindings_of(max_bot.journal, UserRef.telegram(teacher.id)) == []


async def test_r2_a_code_typed_into_max_binds_too(max_bot: MaxHarness, world: World) -> None:
    issued = await invitations.issue(
        max_bot.journal, world.staff("admin"), world.people["math"], BindingRole.STAFF
    )
    teacher = max_bot.user()
    await teacher.start()
    welcome = await teacher.wait_reply()
    assert "код" in (welcome.text or "").lower()
    await teacher.send(issued.code)
    assert "Готово" in ((await teacher.wait_reply()).text or "")


async def test_r4_teacher_takes_roll_call_in_max_in_four_taps(
    max_bot: MaxHarness, world: World
) -> None:
    teacher = await max_bot.bound_user(
        world.staff("admin"), world.people["math"], BindingRole.STAFF
    )
    await teacher.send("/today")
    day = await teacher.wait_reply()
    assert "5А Математика" in " ".join(day.button_texts)
    # Four taps: the lesson, two absent pupils, «the rest are present».

    card = await teacher.press_and_wait(lambda b: "5А Математика" in b["text"])
    assert "▫️ Иванов П." in card.button_texts
    await teacher.press_and_wait("▫️ Иванов П.")
    await teacher.press_and_wait("▫️ Сидоров Н.")
    final = await teacher.press_and_wait("✅ Остальные присутствуют")

    assert "❌ Иванов П." in final.button_texts and "✅ Иванова М." in final.button_texts
    assert final.mid == card.mid  # one message, redrawn in place
    [lesson] = await lessons.teacher_day(max_bot.journal, world.staff("math"), MONDAY)
    assert await statuses(max_bot.journal, lesson.id) == {
        world.people["petya"]: "absent",
        world.people["kolya"]: "absent",
        world.people["masha"]: "present",
    }


async def test_a_forged_button_in_max_is_refused(max_bot: MaxHarness, world: World) -> None:
    teacher = await max_bot.bound_user(
        world.staff("admin"), world.people["math"], BindingRole.STAFF
    )
    await teacher.send("/today")
    day = await teacher.wait_reply()
    pupil = world.people["petya"]
    # Another lesson's tap, forged into a button of the day's message.
    await teacher.press_forged(day, f"r:999999:{pupil}")
    answer = await teacher.wait_answered()
    assert answer.get("notification")  # refused, in words
    await teacher.press_forged(day, "r:not-a-number")  # no action at all: a stale button
    answer = await teacher.wait_answered()
    assert "больше не действует" in (answer.get("notification") or "")
