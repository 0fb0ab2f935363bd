"""R14: a written or control work's marks are due within 2 working days in grades 1–4 and
5 in grades 5–11. The teacher marks the lesson as such a work on its card, is reminded on
the last day (once, through the outbox, on the phone), the lesson is overdue in the
filling report afterwards, and the deputy reads the overdue list in the bot. The clock
is injected: the tests move it, never sleep."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.actions import WrittenWorkCb
from core import attendance, lessons, marks, written_work
from core.clock import ManualClock
from core.errors import InvalidValue, NotAllowed
from core.journal import Journal
from core.models import (
    Assignment,
    BindingRole,
    Lesson,
    Person,
    Presence,
    Pupil,
    SchoolClass,
    TimetableEntry,
    WorkType,
)
from core.rules import written_marks_days, written_marks_due
from notifications.scheduler import NotificationJobs
from reports import xlsx
from tests.botkit import Harness, forge_press
from tests.maxkit import running_max_bot
from tests.test_notifications import at, bind, outbox
from tests.test_notifications_e2e import deliver
from tests.world import MONDAY, World

TUESDAY, WEDNESDAY, THURSDAY, FRIDAY = (MONDAY + timedelta(days=n) for n in (1, 2, 3, 4))
NEXT_MONDAY = MONDAY + timedelta(days=7)
KIND = "written_work_reminder"


async def add_class(journal: Journal, world: World, name: str, grade: int, pupils: int) -> int:
    """A class taught mathematics by Кузнецова at the 3rd lesson every weekday."""
    async with journal.transaction() as s:
        c = SchoolClass(school_id=world.school_id, name=name, grade=grade)
        s.add(c)
        await s.flush()
        for n in range(pupils):
            p = Person(school_id=world.school_id, full_name=f"Ученик{name}{n:02d} Иван Иванович")
            s.add(p)
            await s.flush()
            s.add(Pupil(person_id=p.id, class_id=c.id))
            world.people[f"{name}-{n}"] = p.id
        math = world.subjects["Математика"]
        teacher = world.people["math"]
        for weekday in range(1, 6):
            s.add(
                TimetableEntry(
                    school_id=world.school_id,
                    class_id=c.id,
                    weekday=weekday,
                    lesson_no=3,
                    subject_id=math,
                    teacher_id=teacher,
                )
            )
        s.add(Assignment(teacher_id=teacher, subject_id=math, class_id=c.id))
        world.classes[name] = c.id
        return c.id


async def math_lesson(journal: Journal, world: World, cls: str, day: date) -> int:
    found = [
        x
        for x in await lessons.teacher_day(journal, world.staff("math"), day)
        if x.class_name == cls
    ]
    assert found, (cls, day)
    return found[0].id


async def control_work(journal: Journal, world: World, cls: str, day: date) -> int:
    lesson_id = await math_lesson(journal, world, cls, day)
    test = await work_type_id(journal, "test")
    await written_work.set_lesson_work(journal, world.staff("math"), lesson_id, test)
    return lesson_id


async def work_type_id(journal: Journal, code: str) -> int:
    async with journal.transaction() as s:
        found = await s.scalar(select(WorkType.id).where(WorkType.code == code))
    assert found is not None
    return found


async def reminders_at(journal: Journal, clock: ManualClock, day: date) -> list[str]:
    """The evening reminders' run on ``day`` (18:30): the R14 reminders' texts queued by it."""
    at(clock, day, 18, 30)
    before = len(await outbox(journal, KIND))
    await NotificationJobs(journal).teacher_reminders()
    return [r["text"] for r in (await outbox(journal, KIND))[before:]]


# --- the rule ---------------------------------------------------------------------------------


def test_r14_working_days_grades_1_to_4_two_5_to_11_five_a_weekend_skipped() -> None:
    assert [written_marks_days(g) for g in (1, 2, 4, 5, 7, 11)] == [2, 2, 2, 5, 5, 5]
    week = [
        MONDAY + timedelta(days=n)
        for n in range(14)
        if (MONDAY + timedelta(days=n)).isoweekday() <= 5
    ]
    assert written_marks_due(MONDAY, 3, week) == WEDNESDAY
    assert written_marks_due(FRIDAY, 3, week) == NEXT_MONDAY + timedelta(days=1)  # Tuesday
    assert written_marks_due(MONDAY, 7, week) == NEXT_MONDAY
    assert written_marks_due(NEXT_MONDAY + timedelta(days=4), 7, week) is None  # beyond


# --- the teacher: the lesson's card, the reminder on the last day ------------------------------


async def test_r14_control_work_on_monday_in_grade_3_reminds_the_teacher_on_wednesday_once(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    await add_class(bot.journal, world, "3Б", 3, 2)
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await teacher.send("/today")
    await teacher.wait_reply()
    card = await teacher.press_and_wait(lambda b: "3Б Математика" in b.text)
    assert "✍️ Письменная" in card.button_texts
    work = await teacher.press_and_wait("✍️ Письменная")
    assert "Обычный урок" in (work.text or "") and "через 2 раб. дн." in (work.text or "")
    assert work.button_texts[:3] == [
        "Самостоятельная работа",
        "Контрольная работа",
        "• Обычный урок",
    ]
    work = await teacher.press_and_wait("Контрольная работа")
    assert "Работа: Контрольная работа." in (work.text or "")
    assert "Срок оценок: до конца дня ср 25.11." in (work.text or "")
    assert "Выставлено оценок за работу: 0 из 2" in (work.text or "")
    again = await teacher.press("• Контрольная работа")  # a second tap: the same
    assert (await again.wait_answered()).get("text") == "Сохранено ✓"
    card = await teacher.press_and_wait("« К уроку")
    assert "✍️ Письменная ✓" in card.button_texts

    # One pupil's mark of the test, in the class test's mode.
    await teacher.press_and_wait("🧪 Контрольная")
    await teacher.press_and_wait("Ученик3Б00 И.")

    assert await reminders_at(bot.journal, clock, MONDAY) == []
    assert await reminders_at(bot.journal, clock, TUESDAY) == []
    (text,) = await reminders_at(bot.journal, clock, WEDNESDAY)
    assert "Сегодня последний день для оценок за письменные работы" in text
    assert "3Б Математика, пн 23.11, 3 урок (Контрольная работа): нет оценок у 1 из 2" in text
    while await deliver(bot):  # the evenings' R4 reminders too, one a chat a pass
        pass
    reminder = await teacher.wait_reply(predicate=lambda m: "последний день" in (m.text or ""))
    assert reminder.button_texts == ["пн 23.11 3. 3Б Математика"]
    opened = await teacher.press_and_wait("пн 23.11 3. 3Б Математика", message=reminder)
    assert "3Б · Математика" in (opened.text or "")

    assert await NotificationJobs(bot.journal).teacher_reminders() == 0  # the same evening
    assert await reminders_at(bot.journal, clock, THURSDAY) == []  # once: not again


async def test_r14_grade_7_has_five_working_days_over_the_weekend(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    await add_class(journal, world, "7В", 7, 3)
    await bind(journal, world.people["math"], BindingRole.STAFF)
    await control_work(journal, world, "7В", MONDAY)
    for day in (TUESDAY, WEDNESDAY, THURSDAY, FRIDAY):
        assert await reminders_at(journal, clock, day) == [], day
    (text,) = await reminders_at(journal, clock, NEXT_MONDAY)
    assert "7В Математика, пн 23.11, 3 урок (Контрольная работа): нет оценок у 3 из 3" in text


async def test_r14_marks_of_everyone_present_no_reminder_and_not_overdue(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    """Every pupil who was at the lesson has a mark: the work is done. The absent pupil
    writes it later (R15) and does not hold it up."""
    await add_class(journal, world, "3Б", 3, 2)
    await bind(journal, world.people["math"], BindingRole.STAFF)
    lesson_id = await control_work(journal, world, "3Б", MONDAY)
    other = await control_work(journal, world, "3Б", TUESDAY)  # not marked: reminded
    teacher = world.staff("math")
    await attendance.set_status(journal, teacher, lesson_id, world.people["3Б-1"], Presence.ABSENT)
    await marks.add_mark(journal, teacher, lesson_id, world.people["3Б-0"], 4, "test")
    assert await reminders_at(journal, clock, WEDNESDAY) == []
    (text,) = await reminders_at(journal, clock, THURSDAY)
    assert "вт 24.11" in text and "пн 23.11" not in text
    at(clock, FRIDAY, 10)
    found = await written_work.overdue_works(journal, world.staff("deputy"))
    assert [w.lesson_id for w in found.works] == [other]
    report = await xlsx.filling_xlsx(journal, world.staff("admin"), MONDAY, FRIDAY)
    listed = list(load_workbook(io.BytesIO(report[1])).worksheets[2].values)
    assert [r[1] for r in listed if r[0] == "Кузнецова Елена Викторовна"] == [
        datetime(2026, 11, 24)
    ]


# --- the deputy's list and the filling report ------------------------------------------------


async def test_r14_deputy_sees_the_overdue_works_paged_and_the_filling_report_lists_them(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    await add_class(bot.journal, world, "3Б", 3, 2)
    await add_class(bot.journal, world, "7В", 7, 30)
    for day in (MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY):
        await control_work(bot.journal, world, "3Б", day)
        await control_work(bot.journal, world, "7В", day)
    lesson_id = await math_lesson(bot.journal, world, "5А", MONDAY)
    independent = await work_type_id(bot.journal, "independent")
    await written_work.set_lesson_work(bot.journal, world.staff("math"), lesson_id, independent)
    # 3Б: due Wed..next Fri; 7В: due next Mon..Fri; 5А Monday: due next Monday.
    at(clock, NEXT_MONDAY + timedelta(days=3), 10)  # Thursday: before it is today
    deputy = await bot.bound_user(world.staff("admin"), world.people["deputy"], BindingRole.STAFF)
    await deputy.send("/menu")
    await deputy.wait_reply()
    first = await deputy.press_and_wait("✍️ Работы без оценок в срок")
    text = first.text or ""
    # 3Б: Mon–Fri's works are due Wed..next Tue, 7В: Mon–Wed due by next Wed, 5А's Monday.
    assert "Письменные работы без оценок в срок: 9 (уроки с чт 05.11)" in text
    assert "1. Кузнецова Елена Викторовна" in text
    assert "3Б Математика, пн 23.11, 3 урок — Контрольная работа: нет оценок у 2 из 2" in text
    assert "срок был ср 25.11" in text
    assert first.button_texts == ["☰ Меню"]  # one page

    _, data = await xlsx.filling_xlsx(
        bot.journal, world.staff("admin"), MONDAY, NEXT_MONDAY + timedelta(days=3)
    )
    sheet = load_workbook(io.BytesIO(data)).worksheets[2]
    assert sheet.title == "Письменные работы"
    rows = [r for r in sheet.values if r and r[0] == "Кузнецова Елена Викторовна"]
    assert len(rows) == 9
    assert [r[3:] for r in rows[:2]] == [
        ("5А", "Математика", "Самостоятельная работа", datetime(2026, 11, 30), 3, 3),
        ("3Б", "Математика", "Контрольная работа", datetime(2026, 11, 25), 2, 2),
    ]


async def test_r14_a_large_school_list_is_paged_ten_works_a_page(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    await add_class(bot.journal, world, "3Б", 3, 2)
    await add_class(bot.journal, world, "7В", 7, 2)
    week = [MONDAY + timedelta(days=n) for n in range(5)]
    for day in week:
        await control_work(bot.journal, world, "3Б", day)
        await control_work(bot.journal, world, "7В", day)
    for day in (d + timedelta(days=7) for d in week[:2]):
        await control_work(bot.journal, world, "3Б", day)
        await control_work(bot.journal, world, "7В", day)
    at(clock, NEXT_MONDAY + timedelta(days=14), 10)  # all 14 overdue
    deputy = await bot.bound_user(world.staff("admin"), world.people["deputy"], BindingRole.STAFF)
    await deputy.send("/menu")
    await deputy.wait_reply()
    first = await deputy.press_and_wait("✍️ Работы без оценок в срок")
    assert "без оценок в срок: 14" in (first.text or "")
    assert "10. " in (first.text or "") and "11. " not in (first.text or "")
    assert first.button_texts == ["2 ▶", "☰ Меню"]
    second = await deputy.press_and_wait("2 ▶")
    assert "11. " in (second.text or "") and "14. " in (second.text or "")
    assert second.button_texts == ["◀ 1", "☰ Меню"]


# --- what is refused ----------------------------------------------------------------------------


async def test_r14_only_the_lessons_teacher_sets_it_not_in_grade_1_nor_after_the_marks_day(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    await add_class(journal, world, "3Б", 3, 2)
    lesson_id = await math_lesson(journal, world, "3Б", MONDAY)
    test = await work_type_id(journal, "test")
    answer = await work_type_id(journal, "answer")
    with pytest.raises(NotAllowed):  # not her lesson
        await written_work.set_lesson_work(journal, world.staff("english"), lesson_id, test)
    with pytest.raises(InvalidValue):  # an answer in class is not a written work
        await written_work.set_lesson_work(journal, world.staff("math"), lesson_id, answer)
    primary = await lessons.teacher_day(journal, world.staff("primary"), MONDAY)
    first_grade = primary[0].id
    with pytest.raises(NotAllowed, match="grade1"):
        await written_work.set_lesson_work(journal, world.staff("primary"), first_grade, test)
    await written_work.set_lesson_work(journal, world.staff("math"), lesson_id, test)
    at(clock, THURSDAY, 9)  # the marks were due on Wednesday
    with pytest.raises(NotAllowed, match="past_due"):
        await written_work.set_lesson_work(journal, world.staff("math"), lesson_id, None)
    found = await written_work.lesson_work(journal, world.staff("math"), lesson_id)
    assert found.work_type_id == test and found.past_due


async def test_r14_forged_work_types_and_a_first_grade_lesson_are_refused_in_words(
    bot: Harness, world: World
) -> None:
    await add_class(bot.journal, world, "3Б", 3, 2)
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await teacher.send("/today")
    await teacher.wait_reply()
    await teacher.press_and_wait(lambda b: "3Б Математика" in b.text)
    work = await teacher.press_and_wait("✍️ Письменная")
    lesson_id = await math_lesson(bot.journal, world, "3Б", MONDAY)
    answer = await work_type_id(bot.journal, "answer")
    forged = await forge_press(teacher, work, WrittenWorkCb(lesson=lesson_id, wt=answer).pack())
    assert "Неизвестный вид работы" in ((await forged.wait_answered()).get("text") or "")
    primary = await lessons.teacher_day(bot.journal, world.staff("primary"), MONDAY)
    test = await work_type_id(bot.journal, "test")
    forged = await forge_press(teacher, work, WrittenWorkCb(lesson=primary[0].id, wt=test).pack())
    assert "не ваш урок" in ((await forged.wait_answered()).get("text") or "")
    async with bot.journal.transaction() as s:
        set_ = await s.scalars(select(Lesson.work_type_id).where(Lesson.work_type_id.is_not(None)))
        assert list(set_) == []  # nothing changed


async def test_r14_thirty_pupils_twenty_two_ill_eight_marks_are_the_whole_work(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    await add_class(journal, world, "7В", 7, 30)
    await bind(journal, world.people["math"], BindingRole.STAFF)
    lesson_id = await control_work(journal, world, "7В", MONDAY)
    teacher = world.staff("math")
    for n in range(22):
        await attendance.set_status(
            journal, teacher, lesson_id, world.people[f"7В-{n}"], Presence.ABSENT
        )
    await attendance.mark_rest_present(journal, teacher, lesson_id)
    found = await written_work.lesson_work(journal, teacher, lesson_id)
    assert found.work is not None and (found.work.pupils, found.work.marked) == (8, 0)
    for n in range(22, 29):
        await marks.add_mark(journal, teacher, lesson_id, world.people[f"7В-{n}"], 3, "test")
    (text,) = await reminders_at(journal, clock, NEXT_MONDAY)
    assert "нет оценок у 1 из 8" in text
    await marks.add_mark(journal, teacher, lesson_id, world.people["7В-29"], 5, "test")
    at(clock, NEXT_MONDAY + timedelta(days=1), 10)
    assert (await written_work.overdue_works(journal, world.staff("deputy"))).works == []


async def test_r14_the_teacher_sets_the_work_in_max_too(journal: Journal, world: World) -> None:
    await add_class(journal, world, "3Б", 3, 2)
    async with running_max_bot(journal) as max_bot:
        teacher = await max_bot.bound_user(
            world.staff("admin"), world.people["math"], BindingRole.STAFF
        )
        await teacher.send("/today")
        await teacher.wait_reply()
        await teacher.press_and_wait(lambda b: "3Б Математика" in b["text"])
        await teacher.press_and_wait("✍️ Письменная")
        work = await teacher.press_and_wait("Контрольная работа")
        assert "Срок оценок: до конца дня ср 25.11." in (work.text or "")
        card = await teacher.press_and_wait("« К уроку")
        assert "✍️ Письменная ✓" in card.button_texts
