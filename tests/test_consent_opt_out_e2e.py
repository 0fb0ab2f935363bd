"""End to end: a parent refuses consent (R19) or opts out of the e-diary (R18), and the
small screen and text fixes around them (the parent's child switcher, /help, wording)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from core.clock import ManualClock
from core.journal import Journal
from core.models import BindingRole, Guardianship
from tests.botkit import Harness, running_bot
from tests.test_notifications_e2e import deliver
from tests.world import World, build_world


@pytest.fixture
async def world(journal: Journal) -> World:
    return await build_world(journal)


@pytest.fixture
async def bot(journal: Journal, db_url: str, world: World) -> AsyncIterator[Harness]:
    async with running_bot(journal, db_url) as harness:
        yield harness


async def test_r19_refusing_consent_hides_the_child_and_tells_the_class_teacher(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    parent = await bot.bound_user(
        world.staff("math"), world.people["sidorov"], BindingRole.PARENT, consent=False
    )
    await parent.send("/menu")
    asked = await parent.wait_reply()
    assert "❌ Не согласен" in asked.button_texts
    refused = await parent.press_and_wait("❌ Не согласен")
    assert "Отказ от согласия записан" in (refused.text or "")

    async with bot.journal.transaction() as s:
        row = (
            await s.execute(
                select(Guardianship).where(Guardianship.guardian_id == world.people["sidorov"])
            )
        ).scalar_one()
        assert row.consent is False and row.consent_at == clock.now()

    # Nothing of the child: marks, absences, homework.
    for command in ("/marks", "/absences", "/homework"):
        await parent.send(command)
        reply = await parent.wait_reply()
        assert "Сидоров Николай" not in (reply.text or ""), command
        assert "✅ Даю согласие" in reply.button_texts

    # The class teacher is told at once.
    assert await deliver(bot) >= 1
    notice = await teacher.wait_reply()
    assert "Сидоров Андрей Петрович" in (notice.text or "")
    assert "Сидоров Николай Андреевич" in (notice.text or "")

    # The parent changes their mind from /menu.
    await bot.settle(parent)
    await parent.send("/menu")
    await parent.wait_reply()
    await parent.press_and_wait("✅ Даю согласие")
    await bot.settle(parent)
    await parent.send("/marks")
    marks = await parent.wait_reply()
    assert "Сидоров Николай Андреевич" in (marks.text or "")
