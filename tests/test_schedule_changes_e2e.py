"""Changes of the day's timetable (R25) as the deputy and the teachers live them: the deputy
cancels, moves or re-rooms a lesson (or gives it a substitute) from the lesson's menu in the
bot or from the console; the teacher concerned is told at once, and a cancelled lesson leaves
the teacher's day and the evening reminder."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.actions import ChangeCb
from core import lessons
from core import reports as reporting
from core.clock import ManualClock
from core.errors import NotAllowed
from core.journal import Journal
from core.models import AuditEntry, BindingRole, Lesson, ScheduleChange
from fakegram import FakeUser
from notifications.scheduler import NotificationJobs
from school_journal.app import App
from school_journal.cli import build_parser
from school_journal.cli.command import ON_JOURNAL
from school_journal.settings import Settings
from tests.botkit import Harness, forge_press
from tests.maxkit import running_max_bot
from tests.test_notifications import at, outbox
from tests.test_notifications_e2e import deliver
from tests.world import MONDAY, World

MATH_5A = "1. 08:30 5А Математика — Кузнецова Е."


async def changes_count(journal: Journal) -> int:
    async with journal.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(ScheduleChange)) or 0)


async def lesson_rows(journal: Journal, world: World) -> list[tuple[str, int, bool, str | None]]:
    """5А's maths lessons: (date, number, cancelled, room)."""
    async with journal.transaction() as s:
        rows = await s.execute(
            select(Lesson.date, Lesson.lesson_no, Lesson.cancelled, Lesson.room)
            .where(
                Lesson.class_id == world.classes["5А"],
                Lesson.subject_id == world.subjects["Математика"],
            )
            .order_by(Lesson.date, Lesson.lesson_no)
        )
        return [(f"{d:%d.%m}", no, cancelled, room) for d, no, cancelled, room in rows]


async def deputy_opens(
    bot: Harness, world: World, lesson: str, *, tomorrow: bool = False
) -> FakeUser:
    """The deputy opens the school's day (or tomorrow) and the lesson's menu."""
    deputy = await bot.bound_user(world.staff("admin"), world.people["deputy"], BindingRole.STAFF)
    await deputy.send("/menu")
    await deputy.wait_reply()
    await deputy.press_and_wait("🗓 Замены и изменения расписания")
    if tomorrow:
        await deputy.press_and_wait("24.11 ▶")
    menu = await deputy.press_and_wait(lesson)
    assert "Ведёт: Кузнецова Е." in (menu.text or "") or "Ведёт:" in (menu.text or "")
    return deputy


async def test_r25_deputy_cancels_a_lesson_and_the_teacher_is_told_once(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    deputy = await deputy_opens(bot, world, MATH_5A)
    ask = await deputy.press_and_wait("❌ Отменить урок")
    assert "Отменить урок 1. 5А Математика" in (ask.text or "")
    # A double tap on «Да, отменить»: one change, one notice; the second tap is told so.
    first = await deputy.press("✅ Да, отменить", message=ask)
    second = await deputy.press("✅ Да, отменить", message=ask)
    await first.wait_answered()
    answers = [(await second.wait_answered()).get("text") or "", first.answer or {}]
    done = await deputy.wait_reply()
    assert "Урок 1. 5А Математика отменён" in (done.text or "")
    assert "❌ " + MATH_5A in done.button_texts
    assert any("отменён или перенесён" in str(a) for a in answers)
    assert await changes_count(bot.journal) == 1
    assert (f"{MONDAY:%d.%m}", 1, True, None) in await lesson_rows(bot.journal, world)

    assert await deliver(bot) == 1
    told = await teacher.wait_reply()
    assert "Изменение расписания вашего урока" in (told.text or "")
    assert "Отменён урок: 23.11.2026, 1-й урок, 5А Математика." in (told.text or "")
    await bot.settle(teacher)
    assert await deliver(bot) == 0

    # The teacher's day no longer offers the lesson's roll call …
    await teacher.send("/today")
    day = await teacher.wait_reply()
    assert not [b for b in day.button_texts if "5А Математика" in b]
    # … and the evening reminder does not ask for it.
    at(clock, MONDAY, 18, 30)
    await NotificationJobs(bot.journal).teacher_reminders()
    assert not [
        r for r in await outbox(bot.journal, "teacher_reminder") if "Математика" in r["text"]
    ]


async def test_r25_deputy_moves_a_lesson_to_another_number_not_onto_a_taken_one(
    bot: Harness, world: World
) -> None:
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    deputy = await deputy_opens(bot, world, MATH_5A)
    days = await deputy.press_and_wait("↔️ Перенести")
    assert "На какой день перенести урок 1. 5А Математика?" in (days.text or "")
    numbers = await deputy.press_and_wait("пн 23.11")
    assert "⛔ 2 · 09:25" in numbers.button_texts  # the English groups' hour
    before = await lesson_rows(bot.journal, world)
    refused = await deputy.press("⛔ 2 · 09:25", message=numbers)
    answer = await refused.wait_answered()
    assert "У класса уже есть 2-й урок 23.11.2026" in (answer.get("text") or "")
    same = await (await deputy.press("1 · 08:30", message=numbers)).wait_answered()
    assert "Урок и так стоит в это время" in (same.get("text") or "")
    assert await lesson_rows(bot.journal, world) == before
    assert await changes_count(bot.journal) == 0

    # Two quick taps on «3 · 10:30»: one move, one notice.
    first = await deputy.press("3 · 10:30", message=numbers)
    await deputy.press("3 · 10:30", message=numbers)
    await first.wait_answered()
    done = await deputy.wait_reply(predicate=lambda m: "перенесён" in (m.text or ""))
    assert "Урок 1. 5А Математика перенесён" in (done.text or "")
    assert await changes_count(bot.journal) == 1
    assert "3. 10:30 5А Математика — Кузнецова Е." in done.button_texts
    rows = await lesson_rows(bot.journal, world)
    assert ("23.11", 1, True, None) in rows and ("23.11", 3, False, None) in rows
    assert await deliver(bot) == 1
    told = await teacher.wait_reply()
    assert "Перенесён урок: 23.11.2026, 1-й урок, 5А Математика → 23.11.2026, 3-й урок" in (
        told.text or ""
    )
    # Moving it back is refused in words: the first lesson's row keeps that slot.
    await deputy.press_and_wait("3. 10:30 5А Математика — Кузнецова Е.")
    await deputy.press_and_wait("↔️ Перенести")
    again = await deputy.press_and_wait("пн 23.11")
    assert "⛔ 1 · 08:30" in again.button_texts
    back = await (await deputy.press("⛔ 1 · 08:30", message=again)).wait_answered()
    assert "занят отменённым или перенесённым уроком" in (back.get("text") or "")
    assert await changes_count(bot.journal) == 1
    # The moved lesson is the one the teacher takes the roll call at.
    await teacher.send("/today")
    day = await teacher.wait_reply()
    assert [b for b in day.button_texts if "5А Математика" in b and b.startswith("3")]


async def test_r25_deputy_moves_a_lesson_to_another_day_never_to_a_past_one(
    bot: Harness, world: World
) -> None:
    deputy = await deputy_opens(bot, world, MATH_5A)
    await deputy.press_and_wait("↔️ Перенести")
    numbers = await deputy.press_and_wait("ср 25.11")
    assert "⛔ 1 · 08:30" in numbers.button_texts  # 5А has maths then already
    # A past day is not offered; a forged or stale button for one is refused in words.
    lesson_id = (await lesson_ids(bot.journal, world, "23.11", 1))[0]
    past = ChangeCb(
        act="mn", day=MONDAY.toordinal(), lesson=lesson_id, to=MONDAY.toordinal() - 3, no=3
    )
    before = await lesson_rows(bot.journal, world)
    refused = await forge_press(deputy, numbers, past.pack())
    assert "Прошедший день изменить нельзя" in ((await refused.wait_answered()).get("text") or "")
    assert await lesson_rows(bot.journal, world) == before

    done = await deputy.press_and_wait("3 · 10:30", message=numbers)
    assert "перенесён" in (done.text or "")
    rows = await lesson_rows(bot.journal, world)
    assert ("23.11", 1, True, None) in rows and ("25.11", 3, False, None) in rows


async def lesson_ids(journal: Journal, world: World, day: str, no: int) -> list[int]:
    async with journal.transaction() as s:
        rows = await s.execute(
            select(Lesson.id, Lesson.date).where(
                Lesson.class_id == world.classes["5А"], Lesson.lesson_no == no
            )
        )
        return [i for i, d in rows if f"{d:%d.%m}" == day]


async def test_r25_deputy_gives_a_lesson_another_room_and_may_abandon_the_prompt(
    bot: Harness, world: World
) -> None:
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    deputy = await deputy_opens(bot, world, MATH_5A, tomorrow=True)
    prompt = await deputy.press_and_wait("🚪 Другой кабинет")
    assert "Напишите кабинет для урока 1. 5А Математика" in (prompt.text or "")
    await deputy.press_and_wait("✖️ Отмена", message=prompt)  # abandoned: back to the menu
    await deputy.send("214")
    await bot.settle(deputy)
    assert await changes_count(bot.journal) == 0  # the text after the prompt is not a room

    await deputy.press_and_wait("🚪 Другой кабинет")
    too_long = await deputy.send_and_wait("кабинет на третьем этаже в конце коридора")
    assert "Кабинет — от 1 до 20 символов" in (too_long.text or "")
    assert await changes_count(bot.journal) == 0
    await deputy.send("  214 ")  # the prompt still waits: typed again
    done = await deputy.wait_reply(predicate=lambda m: "Кабинет урока" in (m.text or ""))
    assert "Кабинет урока 1. 5А Математика изменён" in (done.text or "")
    assert ("24.11", 1, False, "214") in await lesson_rows(bot.journal, world)
    await deliver(bot)
    told = await teacher.wait_reply()
    assert "Другой кабинет: 24.11.2026, 1-й урок, 5А Математика — кабинет 214." in (told.text or "")


async def test_r25_a_lesson_cancelled_while_its_room_is_typed_ends_the_prompt(
    bot: Harness, world: World
) -> None:
    deputy = await deputy_opens(bot, world, MATH_5A, tomorrow=True)
    await deputy.press_and_wait("🚪 Другой кабинет")
    [lesson_id] = await lesson_ids(bot.journal, world, "24.11", 1)
    await lessons.cancel_lesson(bot.journal, world.staff("director"), lesson_id)  # meanwhile
    refused = await deputy.send_and_wait("214")
    assert "Этот урок отменён или перенесён" in (refused.text or "")
    # No prompt now: «215» is not taken as a room, nor refused again.
    after = await deputy.send_and_wait("215")
    assert "отменён" not in (after.text or "")
    async with bot.journal.transaction() as s:
        kinds = list(await s.scalars(select(ScheduleChange.kind)))
    assert kinds == ["cancel"]


async def test_r25_r5_a_substitution_from_the_same_menu_is_a_change_of_the_day(
    bot: Harness, world: World
) -> None:
    """The lesson's menu offers «Заменить учителя»: the existing substitution (R5), which
    tells both teachers; it is recorded as a change too, for the parents (R25)."""
    regular = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    deputy = await deputy_opens(bot, world, MATH_5A, tomorrow=True)
    pick = await deputy.press_and_wait("🔁 Заменить учителя")
    assert "Сейчас: Кузнецова Е." in (pick.text or "")
    done = await deputy.press_and_wait("Морозов А.")
    assert "ведёт Морозов А." in (done.text or "")
    async with bot.journal.transaction() as s:
        kinds = list(await s.scalars(select(ScheduleChange.kind)))
    assert kinds == ["substitute"]
    await deliver(bot)
    told = await regular.wait_reply()
    assert "ваш урок 24.11.2026, 1-й урок" in (told.text or "")  # the substitution's notice
    await bot.settle(regular)
    assert not [m for m in regular.pending_replies() if "Изменение расписания" in (m.text or "")]


async def test_r25_deputy_undoes_a_mistaken_cancel_and_a_mistaken_move(
    bot: Harness, world: World
) -> None:
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    deputy = await deputy_opens(bot, world, MATH_5A)
    await deputy.press_and_wait("❌ Отменить урок")
    await deputy.press_and_wait("✅ Да, отменить")
    menu = await deputy.press_and_wait("❌ " + MATH_5A)
    assert "Урок отменён или перенесён" in (menu.text or "")
    # «Вернуть урок», tapped twice: one restore, the second tap told so.
    first = await deputy.press("↩️ Вернуть урок", message=menu)
    second = await deputy.press("↩️ Вернуть урок", message=menu)
    await first.wait_answered()
    answers = [first.answer or {}, await second.wait_answered()]
    done = await deputy.wait_reply(predicate=lambda m: "снова по расписанию" in (m.text or ""))
    assert "Урок 1. 5А Математика снова по расписанию" in (done.text or "")
    assert any("Урок и так по расписанию" in str(a) for a in answers)
    assert ("23.11", 1, False, None) in await lesson_rows(bot.journal, world)
    while await deliver(bot):  # a chat's messages go one a pass, in order
        pass
    cancelled, restored = await teacher.wait_reply(), await teacher.wait_reply()
    assert "Отменён урок" in (cancelled.text or "")
    assert "Урок снова по расписанию: 23.11.2026, 1-й урок, 5А Математика." in (restored.text or "")
    await teacher.send("/today")
    day = await teacher.wait_reply()
    assert [b for b in day.button_texts if "5А Математика" in b]

    # A move to the third lesson, undone: the lesson is back at the first, none at the third.
    await deputy.press_and_wait(MATH_5A, message=done)
    await deputy.press_and_wait("↔️ Перенести")
    await deputy.press_and_wait("пн 23.11")
    moved = await deputy.press_and_wait("3 · 10:30")
    await deputy.press_and_wait("❌ " + MATH_5A, message=moved)
    await deputy.press_and_wait("↩️ Вернуть урок")
    assert [r for r in await lesson_rows(bot.journal, world) if r[0] == "23.11"] == [
        ("23.11", 1, False, None)
    ]
    async with bot.journal.transaction() as s:
        kinds = list(await s.scalars(select(ScheduleChange.kind).order_by(ScheduleChange.id)))
    assert kinds == ["cancel", "restore", "move", "restore"]
    while await deliver(bot):
        pass
    await teacher.wait_reply()  # the move
    told = await teacher.wait_reply()
    assert "(переноса на 23.11.2026, 3-й урок не будет)" in (told.text or "")


async def test_r25_a_move_is_not_undone_once_its_lesson_was_given(
    journal: Journal, world: World
) -> None:
    from core import attendance

    deputy = world.staff("deputy")
    await lessons.school_day(journal, deputy, MONDAY)
    [first] = await lesson_ids(journal, world, "23.11", 1)
    await lessons.move_lesson(journal, deputy, first, MONDAY, 3)
    [third] = await lesson_ids(journal, world, "23.11", 3)
    await attendance.mark_rest_present(journal, world.staff("math"), third)
    with pytest.raises(NotAllowed) as refused:
        await lessons.restore_lesson(journal, deputy, first)
    assert refused.value.key == "error.schedule_lesson_filled"
    rows = await lesson_rows(journal, world)
    assert ("23.11", 1, True, None) in rows and ("23.11", 3, False, None) in rows


async def test_r25_a_filled_lesson_is_not_cancelled_and_a_teacher_has_no_menu(
    bot: Harness, world: World
) -> None:
    from tests.test_notifications import absent

    await absent(bot.journal, world, "math", MONDAY, 1, "petya")
    deputy = await deputy_opens(bot, world, MATH_5A)
    refused = await (await deputy.press("❌ Отменить урок")).wait_answered()
    assert "уже отмечена посещаемость" in (refused.get("text") or "")
    assert await changes_count(bot.journal) == 0


async def test_r25_a_stale_button_of_a_cancelled_lesson_takes_no_roll_call(
    bot: Harness, world: World
) -> None:
    """The teacher's /today was drawn before the deputy cancelled the lesson: its button
    now says so, and nothing is recorded."""
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await teacher.send("/today")
    day = await teacher.wait_reply()
    [lesson_id] = await lesson_ids(bot.journal, world, "23.11", 1)
    await lessons.cancel_lesson(bot.journal, world.staff("deputy"), lesson_id)
    press = await teacher.press(lambda b: "5А Математика" in b.text, message=day)
    assert "Этот урок отменён или перенесён" in ((await press.wait_answered()).get("text") or "")
    async with bot.journal.transaction() as s:
        taken = await s.scalar(select(Lesson.attendance_taken_at).where(Lesson.id == lesson_id))
    assert taken is None


async def test_r25_r21_the_filling_report_does_not_count_a_cancelled_lesson(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    async def maths_lessons() -> int:
        report = await reporting.teacher_filling(journal, world.staff("admin"), MONDAY, MONDAY)
        return sum(t.lessons for t in report.teachers if t.teacher_id == world.people["math"])

    await lessons.school_day(journal, world.staff("deputy"), MONDAY)
    [lesson_id] = await lesson_ids(journal, world, "23.11", 1)
    await lessons.cancel_lesson(journal, world.staff("deputy"), lesson_id)
    at(clock, MONDAY + timedelta(days=1), 10)  # Monday is past its deadline
    assert await maths_lessons() == 0  # no lesson given, none to fill


async def test_r25_a_moved_lesson_s_homework_is_due_after_its_new_day(
    journal: Journal, world: World
) -> None:
    """Tuesday's maths had its homework typed ahead (due on Wednesday); moved to
    Thursday, the homework is due at the next maths after Thursday, not before it."""
    await lessons.school_day(journal, world.staff("deputy"), MONDAY + timedelta(days=1))
    [tuesday] = await lesson_ids(journal, world, "24.11", 1)
    await lessons.set_homework(journal, world.staff("math"), tuesday, "№ 20")
    await lessons.move_lesson(journal, world.staff("deputy"), tuesday, MONDAY.replace(day=26), 3)
    async with journal.transaction() as s:
        moved = (
            await s.execute(
                select(Lesson.homework, Lesson.homework_due).where(
                    Lesson.class_id == world.classes["5А"], Lesson.lesson_no == 3
                )
            )
        ).one()
    assert moved == ("№ 20", MONDAY.replace(day=27))
    # Undone: back on Tuesday, due on Wednesday again (not on the moved one's Friday).
    await lessons.restore_lesson(journal, world.staff("deputy"), tuesday)
    async with journal.transaction() as s:
        back = (
            await s.execute(
                select(Lesson.homework, Lesson.homework_due).where(Lesson.id == tuesday)
            )
        ).one()
    assert back == ("№ 20", MONDAY.replace(day=25))


async def test_r25_r14_a_control_work_moved_to_another_day_is_overdue_once_from_there(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    from core import written_work
    from tests.test_written_work_e2e import work_type_id

    await lessons.school_day(journal, world.staff("deputy"), MONDAY)
    [monday] = await lesson_ids(journal, world, "23.11", 1)
    test = await work_type_id(journal, "test")
    await written_work.set_lesson_work(journal, world.staff("math"), monday, test)
    await lessons.move_lesson(journal, world.staff("deputy"), monday, MONDAY, 3)
    [moved] = await lesson_ids(journal, world, "23.11", 3)
    at(clock, MONDAY + timedelta(days=9), 10)  # the next Wednesday: five working days on
    found = await written_work.overdue_works(journal, world.staff("deputy"))
    assert [w.lesson_id for w in found.works] == [moved]


async def test_r25_r3_a_cut_account_s_schedule_changes_are_listed_not_undone_blindly(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    """A stolen deputy's phone cancels a lesson: the revert (R3) lists the change as one it
    cannot undo (the deputy redoes it by hand) and reverts the rest without failing."""
    from dataclasses import replace

    from core import revert
    from core.revert import Verdict
    from tests.conftest import MOSCOW
    from tests.test_revert import bind as bind_account
    from texts import t
    from texts.revert import render

    binding = await bind_account(journal, world, "deputy", BindingRole.STAFF, 4242)
    stolen = replace(world.staff("deputy"), binding_id=binding)
    await lessons.school_day(journal, stolen, MONDAY + timedelta(days=1))
    [tuesday] = await lesson_ids(journal, world, "24.11", 1)
    reported = clock.now()
    clock.advance(timedelta(minutes=5))
    await lessons.cancel_lesson(journal, stolen, tuesday)
    plan = await revert.preview(journal, world.staff("admin"), binding, reported)
    assert [(i.action, i.verdict) for i in plan] == [("lesson.schedule", Verdict.UNSUPPORTED)]
    words = render(revert.describe(plan[0], MOSCOW), t)
    assert "24.11.2026, 1-й урок → отменён — не отменяется" in words
    summary = await revert.revert(journal, world.staff("admin"), binding, reported, "украден")
    assert summary.cut_now
    assert ("24.11", 1, True, None) in await lesson_rows(journal, world)


# --- the console -------------------------------------------------------------------------------


async def test_r25_the_console_cancels_moves_and_rerooms_and_refuses_in_words(
    journal: Journal,
    world: World,
    settings: Settings,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The command as `journal schedule …` runs it, on the test's journal and its clock.
    app = App(settings=settings, engine=None, journal=journal, database_url=db_url)  # type: ignore[arg-type]  # no engine: the test has its journal

    async def journal_cmd(*argv: str) -> int:
        return await ON_JOURNAL["schedule"](app, build_parser().parse_args(["schedule", *argv]))

    def err() -> str:
        return capsys.readouterr().err

    math = ("--class", "5А", "--lesson", "1")
    tue = ("--date", "24.11.2026", *math)
    assert await journal_cmd("move", "--date", "32.11.2026", *math, "--to-lesson", "3") == 2
    assert "32.11.2026" in err()
    assert (
        await journal_cmd("cancel", "--date", "24.11.2026", "--class", "9Я", "--lesson", "1") == 1
    )
    assert "9Я" in err()
    assert await journal_cmd("move", *tue, "--to-date", "20.11.2026", "--to-lesson", "3") == 1
    assert "Прошедший день изменить нельзя" in err()
    assert await journal_cmd("move", *tue, "--to-lesson", "2") == 1  # the English groups' hour
    assert "У класса уже есть 2-й урок 24.11.2026" in err()
    assert await journal_cmd("move", *tue) == 2
    assert err().strip()
    assert await journal_cmd("room", *tue, "--room", "x" * 21) == 1
    assert "Кабинет — от 1 до 20 символов" in err()
    assert await journal_cmd("room", *tue) == 2
    assert err().strip()
    assert (
        await journal_cmd("cancel", "--date", "24.11.2026", "--class", "5А", "--lesson", "7") == 1
    )
    assert err().strip()
    # Nothing changed (the timetable's lessons of the day are there, as any read makes them).
    assert all(
        not cancelled and room is None for *_, cancelled, room in await lesson_rows(journal, world)
    )
    assert await changes_count(journal) == 0

    assert await journal_cmd("room", *tue, "--room", "214") == 0
    assert "кабинет 214" in capsys.readouterr().out
    assert await journal_cmd("move", *tue, "--to-date", "25.11.2026", "--to-lesson", "3") == 0
    assert "25.11.2026, 3-й урок" in capsys.readouterr().out
    assert await journal_cmd("cancel", "--date", "25.11.2026", *math) == 0
    assert "Отменён урок: 25.11.2026, 1-й урок" in capsys.readouterr().out
    assert await journal_cmd("cancel", "--date", "25.11.2026", *math) == 1  # again: refused
    assert "У класса 5А нет 1-го урока 25.11.2026" in err()  # no lesson given then now
    rows = await lesson_rows(journal, world)
    assert ("24.11", 1, True, "214") in rows
    assert ("25.11", 1, True, None) in rows and ("25.11", 3, False, "214") in rows
    assert await changes_count(journal) == 3
    async with journal.transaction() as s:
        audited = await s.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "lesson.schedule")
        )
    assert audited == 3


# --- MAX -------------------------------------------------------------------------------------


async def test_r25_deputy_cancels_a_lesson_in_max_and_the_teacher_is_told_there(
    journal: Journal, world: World
) -> None:
    async with running_max_bot(journal) as max_bot:
        teacher = await max_bot.bound_user(
            world.staff("admin"), world.people["math"], BindingRole.STAFF
        )
        deputy = await max_bot.bound_user(
            world.staff("admin"), world.people["deputy"], BindingRole.STAFF
        )
        await deputy.send("/menu")
        await deputy.wait_reply()
        await deputy.press_and_wait("🗓 Замены и изменения расписания")
        await deputy.press_and_wait("24.11 ▶")
        await deputy.press_and_wait(MATH_5A)
        await deputy.press_and_wait("❌ Отменить урок")
        done = await deputy.press_and_wait("✅ Да, отменить")
        assert "Урок 1. 5А Математика отменён" in (done.text or "")
        assert ("24.11", 1, True, None) in await lesson_rows(journal, world)
        assert await max_bot.deliver() == 1
        told = await teacher.wait_reply()
        assert "Отменён урок: 24.11.2026, 1-й урок, 5А Математика." in (told.text or "")
