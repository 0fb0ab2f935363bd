"""Screens whose length depends on the data stay one message (issue 9, item 8): the marks
grid, the bulk (class-test) mode and the final marks of the largest class page their
pupils like the roll call (◀ ▶, the page kept across taps); the deputy's correction
requests are one paged list. A future lesson's card keeps its note on every page."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from core import attendance, lessons
from core.clock import ManualClock
from core.journal import Journal
from core.models import (
    Attendance,
    BindingRole,
    CorrectionRequest,
    FinalMark,
    Mark,
    Person,
    Presence,
    Pupil,
    RequestStatus,
)
from fakegram import FakeUser, MessageView
from tests.botkit import Harness
from tests.conftest import MOSCOW
from tests.world import MONDAY, World

#: The roster sets no limit on a class's size; the roll call's test takes 150, so do these.
LARGEST = 150


async def add_pupils(journal: Journal, world: World, count: int) -> list[int]:
    """``count`` more pupils in 5А (which has three): «Ученик001 Пётр Учеников» …"""
    async with journal.transaction() as s:
        people = [
            Person(school_id=world.school_id, full_name=f"Ученик{i:03d} Пётр Учеников")
            for i in range(1, count + 1)
        ]
        s.add_all(people)
        await s.flush()
        s.add_all(Pupil(person_id=p.id, class_id=world.classes["5А"]) for p in people)
        return [p.id for p in people]


def texts(view: MessageView) -> list[str]:
    return [b.text for row in view.buttons for b in row]


def pupil_buttons(view: MessageView) -> list[str]:
    return [t for t in texts(view) if t.startswith(("Ученик", "Иванов", "Иванова", "Сидоров"))]


def forward(view: MessageView) -> str | None:
    return next((t for t in texts(view) if t.endswith("▶") and "." not in t), None)


def within_telegram_limits(view: MessageView) -> None:
    """The whole screen in one message: its keyboard is under Telegram's limits (the fake
    refuses more) and still ends with the way back."""
    rows = view.buttons
    assert sum(len(r) for r in rows) <= 100 and all(len(r) <= 8 for r in rows)
    assert texts(view)[-1].startswith(("«", "☰"))


async def walk_pages(user: FakeUser, screen: MessageView) -> tuple[MessageView, list[str], int]:
    """Press ▶ to the last page: every pupil button seen on the way, and the pages."""
    seen = pupil_buttons(screen)
    pages = 1
    while (step := forward(screen)) is not None:
        screen = await user.press_and_wait(step)
        within_telegram_limits(screen)
        seen += pupil_buttons(screen)
        pages += 1
    return screen, seen, pages


async def open_lesson(bot: Harness, world: World) -> tuple[FakeUser, MessageView]:
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await teacher.send("/today")
    await teacher.wait_reply()
    card = await teacher.press_and_wait(lambda b: b.text.startswith("1."))
    return teacher, card


async def test_marks_grid_of_the_largest_class_is_one_paged_message_and_keeps_the_page(
    bot: Harness, world: World
) -> None:
    extra = await add_pupils(bot.journal, world, LARGEST - 3)
    [lesson] = await lessons.teacher_day(bot.journal, world.staff("math"), MONDAY)
    teacher, _ = await open_lesson(bot, world)
    sent_before = len(teacher.bot_messages)
    grid = await teacher.press_and_wait("📝 Отметки")
    within_telegram_limits(grid)
    last_page, seen, pages = await walk_pages(teacher, grid)
    assert pages > 1 and len(seen) == len(set(seen)) == LARGEST
    assert "Ученики 101–150 из 150." in (last_page.text or "")
    assert len(teacher.bot_messages) == sent_before  # every page an edit of the one card

    # The last pupil on the last page gets a 5; the grid comes back on that same page.
    screen = await teacher.press_and_wait("Ученик147 П.")
    assert "Ученик147 Пётр Учеников" in (screen.text or "")
    grid = await teacher.press_and_wait("5")
    within_telegram_limits(grid)
    assert "Ученик147 П. 5" in texts(grid)
    assert "Ученики 101–150 из 150." in (grid.text or "")
    # «« К отметкам» from a pupil on the last page goes back to the last page too.
    await teacher.press_and_wait("Ученик120 П.")
    back = await teacher.press_and_wait("« К отметкам")
    assert "Ученик120 П." in texts(back) and "Ученик147 П. 5" in texts(back)
    assert len(teacher.bot_messages) == sent_before
    async with bot.journal.transaction() as s:
        given = (
            await s.execute(select(Mark.pupil_id, Mark.value).where(Mark.lesson_id == lesson.id))
        ).all()
    assert [tuple(r) for r in given] == [(extra[-1], 5)]


async def test_bulk_mode_of_the_largest_class_keeps_the_page_across_taps_and_choices(
    bot: Harness, world: World
) -> None:
    extra = await add_pupils(bot.journal, world, LARGEST - 3)
    [lesson] = await lessons.teacher_day(bot.journal, world.staff("math"), MONDAY)
    teacher, _ = await open_lesson(bot, world)
    sent_before = len(teacher.bot_messages)
    screen = await teacher.press_and_wait("🧪 Контрольная")
    within_telegram_limits(screen)
    screen, seen, pages = await walk_pages(teacher, screen)
    assert pages > 1 and len(seen) == len(set(seen)) == LARGEST
    # A new value chosen on the last page keeps the last page.
    screen = await teacher.press_and_wait("4")
    assert "Ученики 101–150 из 150." in (screen.text or "") and "Ученик147 П." in texts(screen)
    screen = await teacher.press_and_wait("Ученик147 П.")
    within_telegram_limits(screen)
    assert "Ученик147 П. — 4" in texts(screen)
    assert "Ученики 101–150 из 150." in (screen.text or "")
    screen = await teacher.press_and_wait("Ученик146 П.")
    assert "Ученик146 П. — 4" in texts(screen) and "Ученик147 П. — 4" in texts(screen)
    assert len(teacher.bot_messages) == sent_before
    async with bot.journal.transaction() as s:
        given = (
            await s.execute(select(Mark.pupil_id, Mark.value).where(Mark.lesson_id == lesson.id))
        ).all()
    assert sorted(tuple(r) for r in given) == sorted([(extra[-1], 4), (extra[-2], 4)])


async def test_final_marks_of_the_largest_class_are_paged_and_keep_the_page(
    bot: Harness, world: World
) -> None:
    extra = await add_pupils(bot.journal, world, LARGEST - 3)
    teacher, _ = await open_lesson(bot, world)
    sent_before = len(teacher.bot_messages)
    screen = await teacher.press_and_wait("🏁 Итоговые")
    within_telegram_limits(screen)
    screen, seen, pages = await walk_pages(teacher, screen)
    assert "Ученики 101–150 из 150." in (screen.text or "")
    assert pages > 1 and len(seen) == len(set(seen)) == LARGEST
    values = await teacher.press_and_wait("Ученик147 П.")
    assert "Ученик147 Пётр Учеников" in (values.text or "")
    screen = await teacher.press_and_wait("4")
    within_telegram_limits(screen)
    assert "Ученик147 П. — 4" in texts(screen)
    assert "Ученики 101–150 из 150." in (screen.text or "")
    await teacher.press_and_wait("Ученик130 П.")
    back = await teacher.press_and_wait("« Назад")  # back from the values: the same page
    assert "Ученик130 П." in texts(back)
    assert len(teacher.bot_messages) == sent_before
    async with bot.journal.transaction() as s:
        finals = (await s.execute(select(FinalMark.pupil_id, FinalMark.value))).all()
    assert [tuple(r) for r in finals] == [(extra[-1], "4")]


async def test_future_lesson_card_says_so_on_every_page_of_its_roll_call(
    bot: Harness, world: World
) -> None:
    """A roll call opened for next Monday's lesson says it is ahead, and still says so
    after ▶ and ◀ (the redraw used to drop the note)."""
    await add_pupils(bot.journal, world, LARGEST - 3)
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await teacher.send("/today")
    await teacher.wait_reply()
    next_monday = MONDAY + timedelta(days=7)
    await teacher.press_and_wait(f"Пн {next_monday.day}")
    card = await teacher.press_and_wait(lambda b: b.text.startswith("1."))
    note = "Урок ещё впереди"
    assert note in (card.text or "") and "30.11.2026" in (card.text or "")
    card = await teacher.press_and_wait("2 ▶")
    assert note in (card.text or "") and "Ученики 81–150 из 150." in (card.text or "")
    card = await teacher.press_and_wait("◀ 1")
    assert note in (card.text or "") and "Ученики 1–80 из 150." in (card.text or "")


# --- the deputy's correction requests (R7) ---------------------------------------------------


async def make_requests(bot: Harness, world: World, clock: ManualClock, count: int) -> list[int]:
    """``count`` pupils marked absent at 10:00, each corrected to «late» after 20:00: one
    pending request each (R7)."""
    pupils = await add_pupils(bot.journal, world, count)
    math = world.staff("math")
    [lesson] = await lessons.teacher_day(bot.journal, math, MONDAY)
    for pupil in pupils:
        await attendance.set_status(bot.journal, math, lesson.id, pupil, Presence.ABSENT)
    clock.set(datetime(2026, 11, 23, 20, 30, tzinfo=MOSCOW))
    for pupil in pupils:
        await attendance.set_status(bot.journal, math, lesson.id, pupil, Presence.LATE)
    return pupils


async def test_r7_deputy_pages_through_35_requests_and_approves_one_on_page_2(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    pupils = await make_requests(bot, world, clock, 35)
    deputy = await bot.bound_user(world.staff("admin"), world.people["deputy"], BindingRole.STAFF)
    sent_before = len(deputy.bot_messages)
    await deputy.send("/requests")
    first = await deputy.wait_reply()
    text = first.text or ""
    assert "Запросы на исправление: 35" in text and "Страница 1 из 5." in text
    within_telegram_limits(first)
    assert "Ученик001 Пётр Учеников" in text
    page = await deputy.press_and_wait("2 ▶")
    assert "Страница 2 из 5." in (page.text or "")
    assert "Ученик001 Пётр Учеников" not in (page.text or "")
    # The first request of page 2 (number 9), approved from its own button.
    assert texts(page)[:2] == ["✅ 9", "✖ 9"]
    [block] = [b for b in (page.text or "").split("\n\n") if b.startswith("9. ")]
    name = next(f"Ученик{i:03d} Пётр Учеников" for i in range(1, 36) if f"Ученик{i:03d} " in block)
    after = await deputy.press_and_wait("✅ 9")
    text = after.text or ""
    assert "Запросы на исправление: 34" in text and "Страница 2 из 5." in text
    assert "✅ Подтверждено" in text and name in text
    assert len(deputy.bot_messages) == sent_before + 1  # one list, edited in place
    async with bot.journal.transaction() as s:
        done = (
            await s.execute(
                select(CorrectionRequest.pupil_id).where(
                    CorrectionRequest.status == RequestStatus.APPROVED
                )
            )
        ).all()
        pupil = pupils[int(name[6:9]) - 1]
        status = await s.scalar(select(Attendance.status).where(Attendance.pupil_id == pupil))
    assert [r[0] for r in done] == [pupil]
    assert status == Presence.LATE.value
