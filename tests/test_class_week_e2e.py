"""End to end: the class teacher's week of absences in a flu week (issue 9.8): every
pupil-day is on a page she can reach, and a reason is confirmed from it."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from core import attendance
from core.clock import ManualClock
from core.journal import Journal
from core.models import Attendance, BindingRole, Lesson, Person, Presence, Pupil
from tests.botkit import Harness
from tests.test_notifications import at, lesson_of
from tests.world import MONDAY, World

LINE = re.compile(r"^(.+?), (\d\d\.\d\d): уроков \d+", re.MULTILINE)
WEEK = [MONDAY + timedelta(days=i) for i in range(5)]


@pytest.fixture
async def world(journal: Journal, world: World) -> World:
    """The shared school, its 5А grown to a class of 30."""
    w = world
    async with journal.transaction() as s:  # 5А grows to a class of 30
        for i in range(27):
            p = Person(school_id=w.school_id, full_name=f"Гриппов{i:02d} Ученик Тестович")
            s.add(p)
            await s.flush()
            s.add(Pupil(person_id=p.id, class_id=w.classes["5А"]))
            w.people[f"flu{i:02d}"] = p.id
    return w


async def _ill(journal: Journal, w: World, clock: ManualClock, ill: int) -> set[tuple[int, date]]:
    pupils = ["petya", "masha", "kolya"] + [f"flu{i:02d}" for i in range(27)]
    missed = set()
    for day in WEEK:
        at(clock, day, 10, 0)
        lesson = await lesson_of(journal, w, "math", day, 1)
        for key in pupils[:ill]:
            await attendance.set_status(
                journal, w.staff("math"), lesson, w.people[key], Presence.ABSENT
            )
            missed.add((w.people[key], day))
        await attendance.mark_rest_present(journal, w.staff("math"), lesson)
    return missed


@pytest.mark.parametrize("ill", [22, 30])
async def test_flu_week_every_absence_is_reachable_on_the_class_teachers_week(
    bot: Harness, world: World, clock: ManualClock, ill: int
) -> None:
    missed = await _ill(bot.journal, world, clock, ill)
    names = {}
    async with bot.journal.transaction() as s:
        for pid, name in await s.execute(select(Person.id, Person.full_name)):
            names[name] = pid
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await teacher.send("/menu")
    await teacher.wait_reply()
    await teacher.press_and_wait("👥 Мой класс 5А")
    week = await teacher.press_and_wait("🚫 Пропуски за неделю")
    pages = int(re.search(r"Страница 1 из (\d+)", week.text or "").group(1))  # type: ignore[union-attr]  # the screen shows the page count
    seen: set[tuple[int, date]] = set()
    for page in range(1, pages + 1):
        assert f"Страница {page} из {pages}" in (week.text or "")
        for name, day in LINE.findall(week.text or ""):
            entry = (names[name], date(2026, int(day[3:]), int(day[:2])))
            seen.add(entry)
            assert f"{name.split()[0]} {day}" in week.button_texts  # its one-tap reasons
        assert week.button_texts.count("болезнь (справка)") == len(LINE.findall(week.text or ""))
        if page < pages:
            week = await teacher.press_and_wait(f"{page + 1} ▶", message=week)
    assert seen == missed

    # a reason is confirmed from a page in the middle, and the screen stays on that page
    for target in ("1 ▶", "2 ▶", "3 ▶"):  # the last page leads round to the first
        week = await teacher.press_and_wait(target, message=week)
    assert f"Страница 3 из {pages}" in (week.text or "")
    name, day = LINE.findall(week.text or "")[0]
    week = await teacher.press_and_wait("болезнь (справка)", message=week)
    assert f"Страница 3 из {pages}" in (week.text or "")
    assert f"{name}, {day}: уроков 1 — болезнь (справка)" in (week.text or "")
    async with bot.journal.transaction() as s:
        reasons = list(
            await s.scalars(
                select(Attendance.reason)
                .join(Lesson, Lesson.id == Attendance.lesson_id)
                .where(
                    Attendance.pupil_id == names[name],
                    Lesson.date == date(2026, int(day[3:]), int(day[:2])),
                )
            )
        )
    assert reasons == ["illness"]
