"""Changes of the day's timetable as families live them (R25, R16): parents get one morning
message «Изменения на сегодня» only when something changed for their child, a change made
during the day within a minute and never twice; parents and pupils read the timetable
(/schedule: today, tomorrow, the week, with rooms and bells, the changes marked)."""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy import select, update

from bot.screens.schedule import timetable
from core import lessons
from core.accounts import PupilRef
from core.clock import ManualClock
from core.journal import Journal
from core.models import Bell, BindingRole, Guardianship, Lesson, Person, Pupil
from notifications.scheduler import NotificationJobs
from tests.botkit import Harness
from tests.test_notifications import TUESDAY, WEDNESDAY, at, bind, outbox, school_day_for_5a
from tests.test_notifications_e2e import deliver
from tests.world import MONDAY, World
from texts import Texts


async def lesson_id(
    journal: Journal, world: World, cls: str, subject: str, day: date, no: int
) -> int:
    async with journal.transaction() as s:
        await lessons.school_day(journal, world.staff("deputy"), day)  # the day's lessons exist
        found = await s.scalar(
            select(Lesson.id).where(
                Lesson.class_id == world.classes[cls],
                Lesson.subject_id == world.subjects[subject],
                Lesson.date == day,
                Lesson.lesson_no == no,
                Lesson.cancelled.is_(False),
            )
        )
    assert found is not None
    return int(found)


async def english_2(journal: Journal, world: World, day: date) -> int:
    await lessons.school_day(journal, world.staff("deputy"), day)
    async with journal.transaction() as s:
        return int(
            await s.scalar(
                select(Lesson.id).where(
                    Lesson.group_id == world.groups["2 группа"], Lesson.date == day
                )
            )
            or 0
        )


async def test_r25_r16_morning_message_names_only_the_child_whose_day_changed(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    """Иванова Светлана has Пётр and Мария in 5А and Дарья in 1А: a change of 1А's Tuesday
    reaches her in one message naming Дарья only; Сидоров (Николай, 5А) gets nothing."""
    mother = await bot.bound_user(world.staff("math"), world.people["mother"], BindingRole.PARENT)
    sidorov = await bot.bound_user(world.staff("math"), world.people["sidorov"], BindingRole.PARENT)
    deputy = world.staff("deputy")
    russian = await lesson_id(bot.journal, world, "1А", "Русский язык", TUESDAY, 1)
    await lessons.cancel_lesson(bot.journal, deputy, russian)
    maths = await lesson_id(bot.journal, world, "1А", "Математика", TUESDAY, 2)
    await lessons.change_room(bot.journal, deputy, maths, "12")
    jobs = NotificationJobs(bot.journal)

    at(clock, MONDAY, 7, 0)  # Monday's morning: nothing changed for Monday
    assert await jobs.schedule_morning() == 0
    at(clock, TUESDAY, 7, 0)
    assert await jobs.schedule_morning() == 1
    assert await jobs.schedule_morning() == 0  # again (a restart, a second instance)
    at(clock, TUESDAY, 7, 1)
    assert await jobs.schedule_changes() == 0  # the morning message told them already
    assert await deliver(bot) == 1
    told = (await mother.wait_reply()).text or ""
    assert "Изменения на сегодня, 24.11.2026" in told
    assert "Иванова Дарья Алексеевна, 1А" in told
    assert "Отменён урок: 24.11.2026, 1-й урок, Русский язык." in told
    assert "Другой кабинет: 24.11.2026, 2-й урок, Математика — кабинет 12." in told
    assert "Пётр" not in told and "Мария" not in told
    await bot.settle(sidorov)
    assert not sidorov.pending_replies()


async def test_r25_a_change_at_eleven_reaches_parents_within_a_minute_and_never_twice(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    mother = await bot.bound_user(world.staff("math"), world.people["mother"], BindingRole.PARENT)
    sidorov = await bot.bound_user(world.staff("math"), world.people["sidorov"], BindingRole.PARENT)
    async with bot.journal.transaction() as s:  # the school's fourth lesson, at 11:30
        s.add(
            Bell(
                school_id=world.school_id, lesson_no=4, starts_at=time(11, 30), ends_at=time(12, 15)
            )
        )
    jobs = NotificationJobs(bot.journal)
    at(clock, TUESDAY, 7, 0)
    assert await jobs.schedule_morning() == 0  # nothing changed yet: no message
    # At 11:00 the deputy brings 2 группа's Wednesday English to today's fourth lesson.
    at(clock, TUESDAY, 11, 0)
    english = await english_2(bot.journal, world, WEDNESDAY)
    await lessons.move_lesson(bot.journal, world.staff("deputy"), english, TUESDAY, 4)
    clock.advance(timedelta(seconds=40))
    assert await jobs.schedule_changes() == 1  # Николай's father only: 2 группа's lesson
    clock.advance(timedelta(seconds=60))
    assert await jobs.schedule_changes() == 0  # the next minute: not again
    assert await deliver(bot) == 1
    told = (await sidorov.wait_reply()).text or ""
    assert "Изменение расписания на сегодня" in told
    assert "Сидоров Николай Андреевич, 5А" in told
    assert (
        "Перенесён урок: 25.11.2026, 2-й урок, Английский язык (2 группа) → 24.11.2026, 4-й урок"
        in told
    )
    await bot.settle(mother)
    assert not mother.pending_replies()
    # At 11:05 the whole class's maths gets another room: both families, once each.
    at(clock, TUESDAY, 11, 5)
    maths = await lesson_id(bot.journal, world, "5А", "Математика", TUESDAY, 1)
    await lessons.change_room(bot.journal, world.staff("deputy"), maths, "301")
    assert await jobs.schedule_changes() == 2
    assert await jobs.schedule_changes() == 0
    assert await deliver(bot) == 2
    both = (await mother.wait_reply()).text or ""
    assert "Иванов Пётр" in both and "Иванова Мария" in both and "кабинет 301" in both
    assert "Перенесён" not in both and "Дарья" not in both
    assert "кабинет 301" in ((await sidorov.wait_reply()).text or "")


async def a_class_of_thirty(journal: Journal, world: World) -> list[int]:
    """5А grows to 30 pupils, each new one with a parent of their own, all bound."""
    parents = []
    async with journal.transaction() as s:
        for n in range(27):
            pupil = Person(school_id=world.school_id, full_name=f"Ученик{n:02d} Тест Тестович")
            parent = Person(school_id=world.school_id, full_name=f"Родитель{n:02d} Тест Тестович")
            s.add_all([pupil, parent])
            await s.flush()
            s.add(Pupil(person_id=pupil.id, class_id=world.classes["5А"]))
            await s.flush()
            s.add(Guardianship(guardian_id=parent.id, pupil_id=pupil.id))
            parents.append(parent.id)
    for person in [*parents, world.people["mother"], world.people["sidorov"]]:
        await bind(journal, person)
    return parents


async def test_r25_a_class_of_thirty_with_several_changes_one_message_per_parent(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    await a_class_of_thirty(journal, world)
    deputy = world.staff("deputy")
    await lessons.cancel_lesson(
        journal, deputy, await lesson_id(journal, world, "5А", "Математика", TUESDAY, 1)
    )
    await lessons.change_room(journal, deputy, await english_2(journal, world, TUESDAY), "спортзал")
    wednesday = await lesson_id(journal, world, "5А", "Математика", WEDNESDAY, 1)
    await lessons.move_lesson(journal, deputy, wednesday, TUESDAY, 3)
    moved = await lesson_id(journal, world, "5А", "Математика", TUESDAY, 3)
    await lessons.assign_substitute(journal, deputy, moved, world.people["director"])
    at(clock, TUESDAY, 7, 0)
    jobs = NotificationJobs(journal)
    assert await jobs.schedule_morning() == 29  # 27 new parents, the mother, Сидоров
    rows = await outbox(journal, "schedule_morning")
    assert len({r["chat_id"] for r in rows}) == 29
    mother = next(r["text"] for r in rows if "Иванов Пётр" in r["text"])
    assert "Иванова Мария" in mother and "Дарья" not in mother  # both in one message
    assert mother.count("Отменён урок") == 2 and "спортзал" not in mother  # 1 группа
    sidorov = next(r["text"] for r in rows if "Сидоров Николай" in r["text"])
    assert "спортзал" in sidorov and "Отменён урок" in sidorov and "Перенесён урок" in sidorov
    assert "Замена учителя: 24.11.2026, 3-й урок, Математика — ведёт Соколова И." in sidorov
    assert await jobs.schedule_morning() == 0


async def test_r25_r18_r19_no_change_message_without_consent_or_for_an_opted_out_child(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    await bind(journal, world.people["mother"])
    await bind(journal, world.people["sidorov"], consent=False)  # R19: not yet
    async with journal.transaction() as s:  # R18: Дарья's mother opted out of her diary
        await s.execute(
            update(Guardianship)
            .where(Guardianship.pupil_id == world.people["dasha"])
            .values(diary_opt_out=True)
        )
    deputy = world.staff("deputy")
    for cls, subject in (("1А", "Русский язык"), ("5А", "Математика")):
        lesson = await lesson_id(journal, world, cls, subject, TUESDAY, 1)
        await lessons.cancel_lesson(journal, deputy, lesson)
    at(clock, TUESDAY, 7, 0)
    assert await NotificationJobs(journal).schedule_morning() == 1
    [row] = await outbox(journal, "schedule_morning")
    assert "Иванов Пётр" in row["text"] and "Иванова Мария" in row["text"]
    assert "Дарья" not in row["text"] and "Русский язык" not in row["text"]


async def test_r25_a_cancel_undone_reaches_parents_as_both_in_order(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    """The evening digest may have told of the cancel already: the morning says it was
    undone, rather than nothing."""
    await bind(journal, world.people["sidorov"])
    deputy = world.staff("deputy")
    maths = await lesson_id(journal, world, "5А", "Математика", TUESDAY, 1)
    await lessons.cancel_lesson(journal, deputy, maths)
    await lessons.restore_lesson(journal, deputy, maths)
    at(clock, TUESDAY, 7, 0)
    assert await NotificationJobs(journal).schedule_morning() == 1
    [row] = await outbox(journal, "schedule_morning")
    cancel, restore = row["text"].index("Отменён урок"), row["text"].index("снова по расписанию")
    assert cancel < restore
    # Николай's timetable of the day: the lesson is given, and says it was changed back.
    kolya = world.pupil("kolya")
    page = await lessons.schedule_page(journal, kolya, world.people["kolya"], "today")
    ref = PupilRef(world.people["kolya"], "Сидоров Николай Андреевич", "5А", 5)
    text = timetable(Texts("ru"), ref, page, "t").text
    assert "❗ 1. 08:30–09:15 Математика — снова по расписанию" in text


# --- the family's timetable (/schedule) ----------------------------------------------------------


async def test_r16_r25_parent_and_pupil_read_today_tomorrow_and_the_week(
    bot: Harness, world: World
) -> None:
    deputy = world.staff("deputy")
    await lessons.change_room(
        bot.journal,
        deputy,
        await lesson_id(bot.journal, world, "5А", "Математика", MONDAY, 1),
        "214",
    )
    await lessons.cancel_lesson(
        bot.journal, deputy, await lesson_id(bot.journal, world, "5А", "Математика", TUESDAY, 1)
    )
    parent = await bot.bound_user(world.staff("math"), world.people["mother"], BindingRole.PARENT)
    await parent.send("/schedule")
    today = await parent.wait_reply()
    text = today.text or ""
    assert "Иванов Пётр Алексеевич, 5А" in text and "пн, 23.11.2026" in text
    assert "❗ 1. 08:30–09:15 Математика, каб. 214 — другой кабинет" in text  # bells, room
    assert "2. 09:25–10:10 Английский язык" in text  # Пётр's group only: one line
    assert text.count("Английский язык") == 1
    tomorrow = await parent.press_and_wait("Завтра")
    assert "вт, 24.11.2026" in (tomorrow.text or "")
    assert "❌ 1. 08:30–09:15 Математика — отменён" in (tomorrow.text or "")
    week = await parent.press_and_wait("Неделя")
    for day in ("23.11", "24.11", "25.11", "26.11", "27.11"):
        assert day in (week.text or "")
    assert "28.11" not in (week.text or "")  # Saturday: no lessons, no line
    # The other child, the same view: Дарья's week (1А), not her marks.
    other = await parent.press_and_wait("Дарья")
    assert "Иванова Дарья Алексеевна, 1А" in (other.text or "")
    assert "1. 08:30–09:15 Русский язык" in (other.text or "")
    assert "27.11" in (other.text or "")
    assert "• Неделя" in other.button_texts and "• Дарья" in other.button_texts

    pupil = await bot.bound_user(world.staff("math"), world.people["kolya"], BindingRole.PUPIL)
    await pupil.send("/schedule")
    mine = (await pupil.wait_reply()).text or ""
    assert "Сидоров Николай" in mine
    assert "каб. 214" in mine and mine.count("Английский язык") == 1


# --- the digest (R16) shows the changed timetable ------------------------------------------------


async def test_r25_r16_the_digest_shows_the_next_days_changes_and_homework_not_due(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    mother = await bot.bound_user(world.staff("math"), world.people["mother"], BindingRole.PARENT)
    await bind(bot.journal, world.people["sidorov"])
    ids = await school_day_for_5a(bot.journal, world)  # Monday's homework, due on Tuesday
    # The teacher gave Tuesday's maths its homework ahead (due on Wednesday) …
    await lessons.set_homework(bot.journal, world.staff("math"), ids["tue_math"], "№ 20")
    # … and the deputy cancels that lesson and sends 2 группа's English to the gym.
    deputy = world.staff("deputy")
    await lessons.cancel_lesson(bot.journal, deputy, ids["tue_math"])
    await lessons.change_room(
        bot.journal, deputy, await english_2(bot.journal, world, TUESDAY), "спортзал"
    )
    jobs = NotificationJobs(bot.journal)
    at(clock, MONDAY, 20, 0)
    assert await jobs.digests() == 2
    await deliver(bot)
    digest = (await mother.wait_reply()).text or ""
    assert "• Математика: № 12, 14 (урока в этот день не будет)" in digest
    assert "🗓 Изменения в расписании на вт 24.11:" in digest
    assert "❌ Отменён урок: 24.11.2026, 1-й урок, Математика." in digest
    assert "спортзал" not in digest  # 2 группа: neither Пётр's nor Мария's
    assert digest.count("Изменения в расписании") == 2  # Пётр and Мария, not Дарья (1А)
    sidorov = next(r["text"] for r in await outbox(bot.journal, "digest") if "Николай" in r["text"])
    assert "кабинет спортзал" in sidorov and "Отменён урок" in sidorov

    # Tuesday evening: the homework of the cancelled lesson is not due on Wednesday.
    at(clock, TUESDAY, 20, 0)
    await jobs.digests()
    assert not [r for r in await outbox(bot.journal, "digest") if "№ 20" in r["text"]]


async def test_r16_the_largest_week_reaches_the_parent_whole_with_its_buttons(
    bot: Harness, world: World
) -> None:
    """Eight lessons a day, six days, the longest subject name, a room each, changes: the
    week goes out whole (over two messages if it must) and its buttons still work."""
    from core.models import Subject, TimetableEntry

    async with bot.journal.transaction() as s:
        obzh = Subject(school_id=world.school_id, name="Основы безопасности жизнедеятельности")
        s.add(obzh)
        await s.flush()
        for no in range(4, 9):
            s.add(
                Bell(
                    school_id=world.school_id,
                    lesson_no=no,
                    starts_at=time(7 + no, 30),
                    ends_at=time(8 + no, 15),
                )
            )
        for weekday in range(1, 7):
            for no in range(3 if weekday < 6 else 1, 9):
                s.add(
                    TimetableEntry(
                        school_id=world.school_id,
                        class_id=world.classes["5А"],
                        weekday=weekday,
                        lesson_no=no,
                        subject_id=obzh.id,
                        teacher_id=world.people["deputy"],
                        room="спортзал № 2",
                    )
                )
    maths = await lesson_id(bot.journal, world, "5А", "Математика", TUESDAY, 1)
    await lessons.cancel_lesson(bot.journal, world.staff("deputy"), maths)
    parent = await bot.bound_user(world.staff("math"), world.people["mother"], BindingRole.PARENT)
    await parent.send("/schedule")
    first = await parent.wait_reply()
    await parent.press("Неделя")
    await bot.settle(parent)
    week = [m for m in parent.bot_messages if m.message_id >= first.message_id]
    text = "\n".join(m.text or "" for m in week)
    for day in ("пн, 23.11.2026", "вт, 24.11.2026", "сб, 28.11.2026"):
        assert day in text
    assert text.count("Основы безопасности жизнедеятельности, каб. спортзал № 2") == 38
    assert "❌ 1. 08:30–09:15 Математика — отменён" in text
    last = parent.bot_messages[-1]
    assert "• Неделя" in last.button_texts  # the buttons under the week's last part
    tomorrow = await parent.press_and_wait("Завтра", message=last)
    assert "вт, 24.11.2026" in (tomorrow.text or "")
