"""Homework is given at a lesson and due at the next lesson of the subject (issue 9): what a
teacher types on today's card reaches the parent's /homework and the evening digest."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from sqlalchemy import text

from core.clock import ManualClock
from core.journal import Journal
from core.models import BindingRole
from notifications.rules import NotificationRules
from notifications.scheduler import NotificationJobs
from tests.botkit import Harness, running_bot
from tests.conftest import MOSCOW
from tests.world import World, build_world


@pytest.fixture
async def world(journal: Journal) -> World:
    return await build_world(journal)


@pytest.fixture
async def bot(journal: Journal, db_url: str, world: World) -> AsyncIterator[Harness]:
    async with running_bot(journal, db_url) as harness:
        yield harness


async def test_homework_typed_on_todays_card_reaches_the_parents_homework_and_digest(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    parent = await bot.bound_user(
        world.staff("math"), world.people["sidorov"], BindingRole.PARENT
    )
    await teacher.send("/today")
    await teacher.wait_reply()
    await teacher.press_and_wait(lambda b: "5А Математика" in b.text)
    await teacher.press_and_wait("🏠 ДЗ")
    await teacher.send("Учебник с. 42, № 7")
    card = await teacher.wait_reply(predicate=lambda m: "№ 7" in (m.text or ""))
    assert "Д/з на 24.11: Учебник с. 42, № 7" in (card.text or "")

    await parent.send("/homework")
    shown = await parent.wait_reply()
    assert "24.11.2026" in (shown.text or "")
    assert "Математика: Учебник с. 42, № 7" in (shown.text or "")

    clock.set(datetime(2026, 11, 23, 20, 0, tzinfo=MOSCOW))
    assert await NotificationJobs(bot.journal, NotificationRules()).digests() >= 1
    async with bot.journal.transaction() as s:
        bodies = (await s.execute(text("SELECT text FROM outbox WHERE kind = 'digest'"))).all()
    digest = "\n".join(b for (b,) in bodies)
    assert "Задано на вт 24.11" in digest
    assert "Математика: Учебник с. 42, № 7" in digest
