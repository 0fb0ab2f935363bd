"""Issue «One house»: a screen is one use-case call in one transaction. A parent's marks,
absences and homework read the pupil's data and then, in a second transaction, the
parent's children for the switch under the screen; the class teacher's day, week, pupil
page and e-diary opt-outs each read two things apart too. Each screen is now one read
(``core/family/views.py``, ``core/class_views.py``), and says what it said before; the
refusals are the ones it had."""

from __future__ import annotations

import pytest

from core import attendance, class_views, family, lessons, marks
from core.clock import ManualClock
from core.errors import NotAllowed
from core.journal import Journal
from core.models import AbsenceSuggestion, BindingRole, Presence
from fakegram.users import FakeUser
from tests.botkit import Harness
from tests.test_teacher_screens_e2e import transactions
from tests.world import MONDAY, World


async def monday_of_petya(journal: Journal, world: World, clock: ManualClock) -> None:
    """Петя: a 5 in Monday's mathematics, homework for Tuesday, absent from English (his
    subgroup's), and his mother's suggested reason for it."""
    [maths] = await lessons.teacher_day(journal, world.staff("math"), MONDAY)
    [english] = await lessons.teacher_day(journal, world.staff("english"), MONDAY)
    petya = world.people["petya"]
    await marks.add_mark(journal, world.staff("math"), maths.id, petya, 5, "test")
    await lessons.set_homework(journal, world.staff("math"), maths.id, "Учебник с. 42, № 7")
    await attendance.set_status(journal, world.staff("english"), english.id, petya, Presence.ABSENT)
    async with journal.transaction() as s:
        s.add(
            AbsenceSuggestion(
                pupil_id=petya,
                day=MONDAY,
                reason="illness",
                suggested_by=world.people["mother"],
                suggested_at=clock.now(),
            )
        )


async def class_teacher(bot: Harness, world: World) -> FakeUser:
    """Кузнецова, the class teacher of 5А, at her menu."""
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await teacher.send("/menu")
    await teacher.wait_reply()
    return teacher


async def test_a_parents_marks_absences_and_homework_are_each_one_transaction(
    bot: Harness, world: World, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await monday_of_petya(bot.journal, world, clock)
    mother = await bot.bound_user(world.staff("math"), world.people["mother"], BindingRole.PARENT)
    await mother.send("/menu")
    await mother.wait_reply()
    kids = ["• Пётр", "Дарья", "Мария"]  # the switch: three children, Петя shown

    with transactions(bot.journal, monkeypatch) as opened:
        await mother.send("/marks")
        screen = await mother.wait_reply()
    assert len(opened) == 1
    assert "Иванов Пётр Алексеевич" in (screen.text or "") and "2 четверть" in (screen.text or "")
    assert "23.11 Математика: 5" in (screen.text or "")
    assert screen.button_texts[:3] == kids

    with transactions(bot.journal, monkeypatch) as opened:
        await mother.send("/absences")
        screen = await mother.wait_reply()
    assert len(opened) == 1
    assert "23.11: не был на уроках (1): 2" in (screen.text or "")
    assert screen.button_texts[:3] == kids

    with transactions(bot.journal, monkeypatch) as opened:
        await mother.send("/homework")
        screen = await mother.wait_reply()
    assert len(opened) == 1
    assert "Домашнее задание на 24.11.2026" in (screen.text or "")
    assert "Математика: Учебник с. 42, № 7" in (screen.text or "")
    assert screen.button_texts[:3] == kids


async def test_a_pupil_reads_their_own_marks_in_one_transaction_with_no_switch(
    bot: Harness, world: World, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await monday_of_petya(bot.journal, world, clock)
    petya = await bot.bound_user(world.staff("math"), world.people["petya"], BindingRole.PUPIL)
    await petya.send("/menu")
    await petya.wait_reply()
    with transactions(bot.journal, monkeypatch) as opened:
        await petya.send("/marks")
        screen = await petya.wait_reply()
    assert len(opened) == 1
    assert "23.11 Математика: 5" in (screen.text or "")
    assert not any(b in screen.button_texts for b in ("• Пётр", "Мария"))


async def test_the_class_teachers_day_week_and_opt_outs_are_each_one_transaction(
    bot: Harness, world: World, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await monday_of_petya(bot.journal, world, clock)
    teacher = await class_teacher(bot, world)

    with transactions(bot.journal, monkeypatch) as opened:
        day = await teacher.press_and_wait("👥 Мой класс 5А")
    assert len(opened) == 1
    assert "Класс 5А" in (day.text or "") and "1. 5А Математика" in (day.text or "")

    with transactions(bot.journal, monkeypatch) as opened:
        week = await teacher.press_and_wait("🚫 Пропуски за неделю")
    assert len(opened) == 1
    assert "Иванов Пётр Алексеевич, 23.11: уроков 1" in (week.text or "")
    assert "💬 Иванова Светлана Николаевна: болезнь (справка)" in (week.text or "")

    await teacher.press_and_wait("« Назад")
    with transactions(bot.journal, monkeypatch) as opened:
        screen = await teacher.press_and_wait("📄 Отказ от эл. дневника")
    assert len(opened) == 1
    assert "Отказ от электронного дневника</b> (5А)" in (screen.html or "")
    assert "📱 Иванова С. → Иванов П." in screen.button_texts


async def test_the_class_teacher_reads_a_pupils_marks_and_absences_in_one_transaction(
    bot: Harness, world: World, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await monday_of_petya(bot.journal, world, clock)
    teacher = await class_teacher(bot, world)
    await teacher.press_and_wait("👥 Мой класс 5А")
    await teacher.press_and_wait("👤 Ученики")

    with transactions(bot.journal, monkeypatch) as opened:
        page = await teacher.press_and_wait("Иванов П.")
    assert len(opened) == 1
    assert "Иванов Пётр Алексеевич" in (page.text or "")
    assert "23.11 Математика: 5" in (page.text or "")

    with transactions(bot.journal, monkeypatch) as opened:
        page = await teacher.press_and_wait("🚫 Пропуски")
    assert len(opened) == 1
    assert "23.11: не был на уроках (1): 2" in (page.text or "")


async def test_the_read_models_refuse_whom_the_screens_refused(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    """R1: a parent reads only their own children; the week's suggestions are the class
    teacher's, the opt-outs hers or the administration's."""
    await monday_of_petya(journal, world, clock)
    sidorov, petya, c5 = world.parent("sidorov"), world.people["petya"], world.classes["5А"]
    for read in (family.pupil_marks_page, family.pupil_absences_page, family.homework_page):
        with pytest.raises(NotAllowed):
            await read(journal, sidorov, petya)
    english = world.staff("english")
    with pytest.raises(NotAllowed):
        await class_views.class_week(journal, english, c5, MONDAY, MONDAY)
    with pytest.raises(NotAllowed):
        await class_views.opt_outs_page(journal, english, c5)
    with pytest.raises(NotAllowed):
        await class_views.class_pupil_page(journal, sidorov, petya, absences=True)
    # The administration reads the opt-outs of a class it does not lead: no name to show.
    page = await class_views.opt_outs_page(journal, world.staff("admin"), c5)
    assert page.class_name == "" and {x.pupil_name for x in page.links} >= {
        "Иванов Пётр Алексеевич"
    }
