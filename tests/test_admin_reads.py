"""«One house»: an admin's or a deputy's screen is one read in one transaction. The revert
preview read the account and the plan each in a transaction of its own, the substitute
picker the school's day and its teachers; the revert's result read the account again after
the write. Each screen is now one read (``core/revert``, ``core/lessons``), and says what it
said before."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from core import lessons, marks
from core.clock import ManualClock
from core.models import Mark
from fakegram import FakeUser
from tests.botkit import Harness
from tests.conftest import MOSCOW
from tests.test_bot_admin_e2e import staff_user
from tests.test_teacher_screens_e2e import transactions
from tests.world import MONDAY, World


async def admin_asked_since_when(bot: Harness, world: World, clock: ManualClock) -> FakeUser:
    """The maths teacher's account gave Сидоров a 2 at 10:40; at 11:00 the admin cuts it
    and is asked since when its actions are void."""
    await staff_user(bot, world, "math")
    admin = await staff_user(bot, world, "admin")
    math = world.staff("math")
    [lesson] = await lessons.teacher_day(bot.journal, math, MONDAY)
    clock.set(datetime(2026, 11, 23, 10, 40, tzinfo=MOSCOW))
    await marks.add_mark(bot.journal, math, lesson.id, world.people["kolya"], 2, "answer")
    clock.set(datetime(2026, 11, 23, 11, 0, tzinfo=MOSCOW))
    await admin.press_and_wait("⛔ Отключить аккаунт")
    await admin.press_and_wait("↩️ Отменить действия с аккаунта")
    await admin.press_and_wait(lambda b: "Кузнецова Елена Викторовна — сотрудник" in b.text)
    return admin


async def test_the_revert_preview_is_drawn_from_one_transaction(
    bot: Harness, world: World, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await admin_asked_since_when(bot, world, clock)
    with transactions(bot.journal, monkeypatch) as opened:
        preview = await admin.send_and_wait("23.11.2026 10:30")
    assert len(opened) == 1
    text = preview.text or ""
    assert "Кузнецова Елена Викторовна" in text and "Сидоров Николай Андреевич" in text
    assert "после 23.11.2026 10:30 — 1, будет отменено — 1" in text


async def test_the_revert_reads_nothing_after_its_write(
    bot: Harness, world: World, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await admin_asked_since_when(bot, world, clock)
    await admin.send_and_wait("23.11.2026 10:30")
    with transactions(bot.journal, monkeypatch) as opened:
        await admin.press("✅ Отменить эти изменения")
        done = await admin.wait_reply(predicate=lambda m: "Отменены" in (m.text or ""))
    # The cut, the revert and the owner's notice: three writes, the screen is the revert's.
    assert len(opened) == 3
    assert "Доступ с аккаунта был закрыт раньше." in (done.text or "")
    assert "после 23.11.2026 10:30: 1" in (done.text or "")
    async with bot.journal.transaction() as s:
        assert (await s.execute(select(Mark.pupil_id))).all() == []


async def test_the_substitute_picker_is_drawn_from_one_transaction(
    bot: Harness, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    deputy = await staff_user(bot, world, "deputy")
    await deputy.press_and_wait("🗓 Замены и изменения расписания")
    await deputy.press_and_wait("2. 09:25 5А Английский язык (1 группа) — Смирнов П.")
    with transactions(bot.journal, monkeypatch) as opened:
        pick = await deputy.press_and_wait("🔁 Заменить учителя")
    assert len(opened) == 1
    assert "Сейчас: Смирнов П." in (pick.text or "")
    assert "Орлова А." in pick.button_texts


async def test_the_bindings_list_and_the_cut_question_are_one_transaction_each(
    bot: Harness, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await staff_user(bot, world, "english")
    admin = await staff_user(bot, world, "admin")
    with transactions(bot.journal, monkeypatch) as opened:
        first = await admin.press_and_wait("⛔ Отключить аккаунт")
    assert len(opened) == 1
    assert "Активные входы (2)" in (first.text or "")
    with transactions(bot.journal, monkeypatch) as opened:
        ask = await admin.press_and_wait("⛔ Смирнов Павел Олегович — сотрудник")
    assert len(opened) == 1
    assert "Смирнов Павел Олегович — сотрудник?" in (ask.text or "")
