"""Homework is given at a lesson and due at the next lesson of the subject (issue 9): what a
teacher types on today's card reaches the parent's /homework and the evening digest."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import text

from bot.actions import HomeworkDueCb
from core.clock import ManualClock
from core.models import BindingRole
from notifications.rules import NotificationRules
from notifications.scheduler import NotificationJobs
from tests.botkit import Harness, forge_press
from tests.conftest import MOSCOW
from tests.world import World


async def test_homework_typed_on_todays_card_reaches_the_parents_homework_and_digest(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    parent = await bot.bound_user(world.staff("math"), world.people["sidorov"], BindingRole.PARENT)
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


async def test_teacher_picks_the_second_next_lesson_and_the_parent_sees_it_the_day_before_it(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    """Issue 9.3: the teacher may pick another due lesson than the next one."""
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    parent = await bot.bound_user(world.staff("math"), world.people["sidorov"], BindingRole.PARENT)
    await teacher.send("/today")
    await teacher.wait_reply()
    await teacher.press_and_wait(lambda b: "5А Математика" in b.text)
    await teacher.press_and_wait("🏠 ДЗ")
    await teacher.send("Повторить § 5")
    pick = await teacher.wait_reply()
    assert "Сохранено" in (pick.text or "")
    await teacher.wait_reply(predicate=lambda m: "§ 5" in (m.text or ""))  # the card
    assert "вт 24.11" in (pick.text or "")
    # The next four lessons of maths in 5А, the next one ticked.
    assert pick.button_texts == ["✓ Вт 24.11", "Ср 25.11", "Чт 26.11", "Пт 27.11"]
    picked = await teacher.press_and_wait("Ср 25.11", message=pick)
    assert picked.button_texts == ["Вт 24.11", "✓ Ср 25.11", "Чт 26.11", "Пт 27.11"]
    assert "ср 25.11" in (picked.text or "")

    async with bot.journal.transaction() as s:
        due = (
            await s.execute(text("SELECT homework_due FROM lessons WHERE homework IS NOT NULL"))
        ).scalar_one()
    assert f"{due:%d.%m.%Y}" == "25.11.2026"
    await teacher.send("/today")
    await teacher.wait_reply()
    card = await teacher.press_and_wait(lambda b: "5А Математика" in b.text)
    assert "Д/з на 25.11: Повторить § 5" in (card.text or "")
    await teacher.press_and_wait("🏠 ДЗ", message=card)  # the text corrected: the pick stays
    await teacher.send("Повторить § 5, № 3")
    again = await teacher.wait_reply()
    assert "ср 25.11" in (again.text or "") and "✓ Ср 25.11" in again.button_texts
    card = await teacher.wait_reply(predicate=lambda m: "№ 3" in (m.text or ""))
    assert "Д/з на 25.11: Повторить § 5, № 3" in (card.text or "")

    await parent.send("/homework")  # Monday: what is due on Tuesday
    monday = (await parent.wait_reply()).text or ""
    assert "24.11.2026" in monday and "Повторить § 5" not in monday
    clock.set(datetime(2026, 11, 23, 20, 0, tzinfo=MOSCOW))
    await NotificationJobs(bot.journal, NotificationRules()).digests()  # nothing due Tuesday
    async with bot.journal.transaction() as s:
        bodies = (await s.execute(text("SELECT text FROM outbox WHERE kind = 'digest'"))).all()
    assert "Повторить § 5" not in "\n".join(b for (b,) in bodies)

    clock.set(datetime(2026, 11, 24, 15, 0, tzinfo=MOSCOW))  # Tuesday: due on Wednesday
    await parent.send("/homework")
    tuesday = (await parent.wait_reply()).text or ""
    assert "25.11.2026" in tuesday and "Математика: Повторить § 5, № 3" in tuesday
    clock.set(datetime(2026, 11, 24, 20, 0, tzinfo=MOSCOW))
    assert await NotificationJobs(bot.journal, NotificationRules()).digests() >= 1
    async with bot.journal.transaction() as s:
        bodies = (
            await s.execute(
                text("SELECT text FROM outbox WHERE kind = 'digest' AND key LIKE '%2026-11-24%'")
            )
        ).all()
    digest = "\n".join(b for (b,) in bodies)
    assert "Задано на ср 25.11" in digest and "Математика: Повторить § 5, № 3" in digest


async def test_a_forged_due_lesson_is_refused_and_changes_nothing(
    bot: Harness, world: World
) -> None:
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await teacher.send("/today")
    await teacher.wait_reply()
    await teacher.press_and_wait(lambda b: "5А Математика" in b.text)
    await teacher.press_and_wait("🏠 ДЗ")
    await teacher.send("Повторить § 5")
    pick = await teacher.wait_reply(predicate=lambda m: "Сохранено" in (m.text or ""))
    async with bot.journal.transaction() as s:
        lesson_id = (
            await s.execute(text("SELECT id FROM lessons WHERE homework IS NOT NULL"))
        ).scalar_one()
    far = date(2026, 12, 21).toordinal()  # a Monday four weeks on: not one of the choices
    press = await forge_press(teacher, pick, HomeworkDueCb(lesson=lesson_id, day=far).pack())
    answer = await press.wait_answered()
    assert "больше не действует" in (answer.get("text") or "")
    async with bot.journal.transaction() as s:
        query = text("SELECT homework_due FROM lessons WHERE id = :i")
        due = (await s.execute(query, {"i": lesson_id})).scalar_one()
    assert due == date(2026, 11, 24)
