"""End to end: marks that stay right. Bulk mode keeps one mark per pupil and work type,
a wrong mark is changed in one step (R7), a change after the deadline carries a typed
reason to the deputy, and the screens say what they are about."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy import select

from bot.actions import BulkCb
from core import lessons
from core.clock import ManualClock
from core.journal import Journal
from core.models import AuditEntry, BindingRole, CorrectionRequest, Mark, WorkType
from fakegram.users import FakeUser
from fakegram.views import MessageView
from tests.botkit import Harness, forge_press
from tests.conftest import MOSCOW
from tests.world import MONDAY, World


async def marks_in_db(journal: Journal) -> list[tuple[int, int, str]]:
    """(pupil, value, work type code) of every mark, in the order given."""
    async with journal.transaction() as s:
        rows = await s.execute(
            select(Mark.pupil_id, Mark.value, WorkType.code)
            .join(WorkType, WorkType.id == Mark.work_type_id)
            .order_by(Mark.id)
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]  # a Row is a tuple


async def open_math(bot: Harness, world: World) -> FakeUser:
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await teacher.send("/today")
    await teacher.wait_reply()
    await teacher.press_and_wait(lambda b: "5А Математика" in b.text)
    return teacher


def pupil_button(screen: MessageView, short_name: str) -> str:
    return next(t for t in screen.button_texts if t.startswith(short_name))


async def test_tapping_a_pupil_twice_in_test_mode_keeps_one_mark(
    bot: Harness, world: World
) -> None:
    teacher = await open_math(bot, world)
    await teacher.press_and_wait("🧪 Контрольная")
    await teacher.press_and_wait("4")
    await teacher.press_and_wait("Иванов П.")
    await teacher.press_and_wait("5")
    screen = await teacher.press_and_wait("Иванов П. — 4")  # a second tap: 4 becomes 5
    assert "Иванов П. — 5" in screen.button_texts
    press = await teacher.press("Иванов П. — 5")  # the same again: nothing new
    await press.wait_answered()
    assert "Иванов П. — 5" in screen.button_texts
    assert await marks_in_db(bot.journal) == [(world.people["petya"], 5, "test")]


async def test_every_tap_in_test_mode_shows_what_the_database_holds(
    bot: Harness, world: World
) -> None:
    teacher = await open_math(bot, world)
    screen = await teacher.press_and_wait("🧪 Контрольная")
    pupils = {"Иванов П.": world.people["petya"], "Сидоров Н.": world.people["kolya"]}
    for value, short in [
        (3, "Иванов П."),
        (3, "Сидоров Н."),
        (4, "Иванов П."),
        (2, "Иванов П."),
        (2, "Сидоров Н."),
        (2, "Сидоров Н."),
        (5, "Сидоров Н."),
    ]:
        if f"• {value}" not in screen.button_texts:
            screen = await teacher.press_and_wait(str(value))
        button = pupil_button(screen, short)
        if button.endswith(f"— {value}"):  # the same mark again: nothing to redraw
            await (await teacher.press(button)).wait_answered()
        else:
            screen = await teacher.press_and_wait(button)
        held = await marks_in_db(bot.journal)
        assert len(held) == len({p for p, _, _ in held})  # one mark a pupil
        shown = {
            pupils[name]: int(text.rsplit("— ", 1)[1])
            for name in pupils
            for text in screen.button_texts
            if text.startswith(name) and "—" in text
        }
        assert shown == {p: v for p, v, _ in held}


async def test_two_racing_taps_on_one_pupil_in_test_mode_give_one_mark(
    bot: Harness, world: World
) -> None:
    teacher = await open_math(bot, world)
    screen = await teacher.press_and_wait("🧪 Контрольная")
    [lesson] = await lessons.teacher_day(bot.journal, world.staff("math"), MONDAY)
    async with bot.journal.transaction() as s:
        test = await s.scalar(select(WorkType.id).where(WorkType.code == "test"))
    assert test is not None
    data = BulkCb(lesson=lesson.id, value=4, wt=test, pupil=world.people["masha"]).pack()
    presses = await asyncio.gather(*[forge_press(teacher, screen, data) for _ in range(4)])
    for press in presses:
        await press.wait_answered()
    assert await marks_in_db(bot.journal) == [(world.people["masha"], 4, "test")]


async def test_work_type_chooser_shows_each_weight(bot: Harness, world: World) -> None:
    teacher = await open_math(bot, world)
    await teacher.press_and_wait("📝 Отметки")
    screen = await teacher.press_and_wait(lambda b: b.text.startswith("Иванов П."))
    assert "Ответ на уроке ×1" in screen.button_texts
    assert "Самостоятельная работа ×1.5" in screen.button_texts
    assert "Контрольная работа ×2" in screen.button_texts
    await teacher.press_and_wait("« К отметкам")
    await teacher.press_and_wait("« К уроку")
    bulk = await teacher.press_and_wait("🧪 Контрольная")
    assert "• Контрольная ×2" in bulk.button_texts
    assert "вес 2" in (bulk.text or "")


async def give_petya_a_three(teacher: FakeUser) -> MessageView:
    await teacher.press_and_wait("📝 Отметки")
    row = await teacher.press_and_wait(lambda b: b.text.startswith("Иванов П."))
    # «Ответ на уроке ×1» row, value 3
    answer_row = next(r for r in row.buttons if r[0].text.startswith("Ответ на уроке"))
    await teacher.press(lambda b: b is not None and b == answer_row[2])
    await teacher.wait_reply()
    return await teacher.press_and_wait(lambda b: b.text.startswith("Иванов П."))


async def test_r7_changing_a_mark_before_the_deadline_is_one_step(
    bot: Harness, world: World
) -> None:
    teacher = await open_math(bot, world)
    screen = await give_petya_a_three(teacher)
    assert "✏ 3 (Ответ на уроке)" in screen.button_texts
    teacher.reset_counters()
    screen = await teacher.press_and_wait("→ 4")
    assert teacher.taps == 1
    assert "4 (Ответ на уроке)" in (screen.text or "")
    assert await marks_in_db(bot.journal) == [(world.people["petya"], 4, "answer")]
    async with bot.journal.transaction() as s:
        changes = (
            await s.scalars(
                select(AuditEntry).where(AuditEntry.entity == "mark").order_by(AuditEntry.id)
            )
        ).all()
    assert [
        (a.action, (a.old or {}).get("value"), (a.new or {}).get("value")) for a in changes
    ] == [
        ("mark.add", None, 3),
        ("mark.set", 3, 4),
    ]


async def test_r7_change_after_deadline_asks_for_a_reason_and_the_deputy_sees_it(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    teacher = await open_math(bot, world)
    deputy = await bot.bound_user(world.staff("admin"), world.people["deputy"], BindingRole.STAFF)
    await give_petya_a_three(teacher)

    clock.set(datetime(2026, 11, 23, 20, 30, tzinfo=MOSCOW))
    prompt = await teacher.press_and_wait("→ 5")
    assert "основание" in (prompt.text or "").lower() and "3 → 5" in (prompt.text or "")
    assert "Отмена" in prompt.button_texts
    await teacher.send("   ")
    again = await teacher.wait_reply()
    assert "почему" in (again.text or "")
    await teacher.send("ошибка ввода, в тетради 5")
    sent = await teacher.wait_reply()
    assert "завуча" in (sent.text or "")
    assert await marks_in_db(bot.journal) == [(world.people["petya"], 3, "answer")]

    request = await deputy.wait_reply()
    text = request.text or ""
    assert "Иванов Пётр Алексеевич" in text and "3 → 5" in text
    assert "Основание: ошибка ввода, в тетради 5" in text
    await deputy.press_and_wait("✅ Подтвердить", message=request)
    told = await teacher.wait_reply(predicate=lambda m: "Завуч подтвердил" in (m.text or ""))
    assert "3 → 5" in (told.text or "")
    assert await marks_in_db(bot.journal) == [(world.people["petya"], 5, "answer")]
    async with bot.journal.transaction() as s:
        last = await s.scalar(
            select(AuditEntry).where(AuditEntry.entity == "mark").order_by(AuditEntry.id.desc())
        )
    assert last is not None and last.action == "mark.set"
    assert (last.old or {})["value"] == 3 and (last.new or {})["value"] == 5
    assert last.reason == "ошибка ввода, в тетради 5"


async def test_pressing_another_button_abandons_the_reason_prompt(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    teacher = await open_math(bot, world)
    await give_petya_a_three(teacher)
    clock.set(datetime(2026, 11, 23, 20, 30, tzinfo=MOSCOW))
    await teacher.press_and_wait("→ 5")
    back = await teacher.press_and_wait("Отмена")
    assert "Иванов Пётр" in (back.text or "")
    await teacher.send("это не основание")
    await teacher.wait_reply()  # the bot does not take it as a reason
    async with bot.journal.transaction() as s:
        assert (await s.scalars(select(CorrectionRequest))).all() == []
    assert await marks_in_db(bot.journal) == [(world.people["petya"], 3, "answer")]


async def test_final_mark_value_screen_says_whose_mark_it_is(bot: Harness, world: World) -> None:
    teacher = await open_math(bot, world)
    await teacher.press_and_wait("🏁 Итоговые")
    screen = await teacher.press_and_wait(lambda b: b.text.startswith("Иванов П."))
    text = screen.text or ""
    assert "Иванов Пётр Алексеевич" in text and "Математика" in text and "четверть" in text


async def test_a_command_while_the_reason_is_awaited_abandons_the_correction(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    teacher = await open_math(bot, world)
    await give_petya_a_three(teacher)
    clock.set(datetime(2026, 11, 23, 20, 30, tzinfo=MOSCOW))
    await teacher.press_and_wait("→ 2")
    day = await teacher.send_and_wait("/today")
    assert "5А Математика" in " ".join(day.button_texts)
    await teacher.send("ошибка")
    await teacher.wait_reply()  # not taken as the reason
    async with bot.journal.transaction() as s:
        assert (await s.scalars(select(CorrectionRequest))).all() == []
    assert await marks_in_db(bot.journal) == [(world.people["petya"], 3, "answer")]


async def test_r7_retapping_a_pupil_in_test_mode_after_the_deadline_asks_for_a_reason(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    """Issue 9.4: bulk mode past the deadline asked nothing and sent «Основание: —»."""
    teacher = await open_math(bot, world)
    deputy = await bot.bound_user(world.staff("admin"), world.people["deputy"], BindingRole.STAFF)
    await teacher.press_and_wait("🧪 Контрольная")
    await teacher.press_and_wait("4")
    await teacher.press_and_wait("Иванов П.")

    clock.set(datetime(2026, 11, 23, 20, 30, tzinfo=MOSCOW))
    await teacher.press_and_wait("5")
    prompt = await teacher.press_and_wait("Иванов П. — 4")
    assert "основание" in (prompt.text or "").lower() and "4 → 5" in (prompt.text or "")
    assert "Отмена" in prompt.button_texts
    async with bot.journal.transaction() as s:
        assert (await s.scalars(select(CorrectionRequest))).all() == []  # nothing sent yet
    await teacher.send("пересчитала баллы, 5")
    sent = await teacher.wait_reply(predicate=lambda m: "завуча" in (m.text or ""))
    assert "завуча" in (sent.text or "")
    back = await teacher.wait_reply()  # the class test's screen again
    assert "Иванов П. — 4" in back.button_texts  # unchanged until the deputy approves
    assert await marks_in_db(bot.journal) == [(world.people["petya"], 4, "test")]

    request = await deputy.wait_reply()
    text = request.text or ""
    assert "Иванов Пётр Алексеевич" in text and "4 → 5" in text
    assert "Основание: пересчитала баллы, 5" in text
    async with bot.journal.transaction() as s:
        [held] = (await s.scalars(select(CorrectionRequest))).all()
    assert held.reason == "пересчитала баллы, 5"


async def test_cancelling_the_reason_in_test_mode_returns_to_the_test_screen(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    teacher = await open_math(bot, world)
    await teacher.press_and_wait("🧪 Контрольная")
    await teacher.press_and_wait("3")
    await teacher.press_and_wait("Сидоров Н.")
    clock.set(datetime(2026, 11, 23, 20, 30, tzinfo=MOSCOW))
    await teacher.press_and_wait("4")
    await teacher.press_and_wait("Сидоров Н. — 3")
    back = await teacher.press_and_wait("Отмена")
    assert "Сидоров Н. — 3" in back.button_texts
    async with bot.journal.transaction() as s:
        assert (await s.scalars(select(CorrectionRequest))).all() == []
