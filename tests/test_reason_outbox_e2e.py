"""The absence-reason flow (R6, issue 9.5) goes through the outbox: what a parent gives and
what the class teacher answers survives a Telegram outage and is delivered once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from core.clock import ManualClock
from core.journal import Journal
from core.models import BindingRole
from fakegram import FakeUser
from notifications.scheduler import NotificationJobs
from tests.botkit import Harness
from tests.test_notifications import at, school_day_for_5a
from tests.test_notifications_e2e import deliver
from tests.world import MONDAY, World


async def _absence_asked(bot: Harness, world: World, clock: ManualClock) -> tuple:
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    parent = await bot.bound_user(world.staff("math"), world.people["mother"], BindingRole.PARENT)
    await school_day_for_5a(bot.journal, world)
    at(clock, MONDAY, 9, 0)
    assert await NotificationJobs(bot.journal).absence_alerts() >= 1
    await deliver(bot)
    alert = await parent.wait_reply()
    ask = await parent.press_and_wait("Указать причину пропуска", message=alert)
    return teacher, parent, ask


async def _nothing_more(user: FakeUser) -> None:
    with pytest.raises(AssertionError):
        await user.wait_reply(timeout=0.3)


async def _rows(journal: Journal, kind: str) -> list[tuple[str, int]]:
    async with journal.transaction() as s:
        found = await s.execute(
            text("SELECT status, attempts FROM outbox WHERE kind = :k ORDER BY id"), {"k": kind}
        )
        return [(st, n) for st, n in found.all()]


async def test_r6_parents_reason_reaches_the_class_teacher_after_a_telegram_outage_once(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    teacher, parent, ask = await _absence_asked(bot, world, clock)
    # Telegram refuses every sendMessage (a 502 outage) while the parent gives the reason.
    bot.fake.faults.server_error_next("sendMessage", times=1 << 20, error_code=502)
    saved = await parent.press_and_wait("🤒 Болезнь", message=ask)
    assert "Передано классному руководителю" in (saved.text or "")
    assert await deliver(bot) == 0  # the sender tries, Telegram is down: kept for later
    await _nothing_more(teacher)
    assert await _rows(bot.journal, "reason_suggested") == [("pending", 1)]

    bot.fake.faults.clear()  # Telegram is back
    clock.advance(timedelta(minutes=5))  # past the sender's backoff
    assert await deliver(bot) == 1
    news = await teacher.wait_reply()
    assert "сообщает причину пропуска" in (news.text or "")
    assert "Иванов Пётр" in (news.text or "") and "Болезнь" in (news.text or "")
    assert "✖ Отклонить" in news.button_texts

    clock.advance(timedelta(minutes=5))
    assert await deliver(bot) == 0  # never twice
    await _nothing_more(teacher)
    assert await _rows(bot.journal, "reason_suggested") == [("sent", 2)]


async def test_r6_class_teachers_answer_reaches_the_parent_after_an_outage_once(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    teacher, parent, ask = await _absence_asked(bot, world, clock)
    await parent.press_and_wait("🤒 Болезнь", message=ask)
    await deliver(bot)
    news = await teacher.wait_reply()

    bot.fake.faults.server_error_next("sendMessage", times=1 << 20, error_code=502)
    await teacher.press("болезнь (справка)", message=news)
    await teacher.wait_reply()  # the teacher's buttons show it is done
    assert await deliver(bot) == 0
    await _nothing_more(parent)

    bot.fake.faults.clear()
    clock.advance(timedelta(minutes=5))
    assert await deliver(bot) == 1
    told = await parent.wait_reply()
    assert "подтвердил причину пропуска" in (told.text or "")
    assert "болезнь (справка)" in (told.text or "")
    clock.advance(timedelta(minutes=5))
    assert await deliver(bot) == 0
    await _nothing_more(parent)
    assert await _rows(bot.journal, "reason_confirmed") == [("sent", 2)]
