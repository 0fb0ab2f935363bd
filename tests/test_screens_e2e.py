"""Screens under Telegram's limits: whatever volume the rules allow (1000 characters of
homework and of a topic, any number of lessons or pupils), every screen arrives, split
over several messages or paged, and nothing of it is lost."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import or_, select

from core import lessons
from core.journal import Journal
from core.lessons import MAX_TEXT
from core.models import Attendance, BindingRole, Lesson, Person, Pupil, TimetableEntry
from fakegram import FakeUser, MessageView
from tests.botkit import Harness
from tests.world import MONDAY, World

TUESDAY = MONDAY + timedelta(days=1)


def longest_text(n: int, kind: str) -> str:
    """As long as the rules allow (1000 characters), and as heavy as Telegram can count
    them: emoji (two UTF-16 units each), characters HTML must escape, line breaks."""
    head = f"{kind} {n}: "
    body = "📘 Упр. <№5> & «задачи» 1–10\n"
    text = head + body * (MAX_TEXT // len(body) + 1)
    return text[: MAX_TEXT - len(str(n))] + str(n)


async def add_lessons(journal: Journal, world: World, weekday: int, up_to: int) -> None:
    """Lessons 3…``up_to`` for 5А on a weekday, all given by the maths teacher."""
    async with journal.transaction() as s:
        for no in range(3, up_to + 1):
            s.add(
                TimetableEntry(
                    school_id=world.school_id,
                    class_id=world.classes["5А"],
                    weekday=weekday,
                    lesson_no=no,
                    subject_id=world.subjects["Русский язык" if no % 2 else "Математика"],
                    teacher_id=world.people["math"],
                )
            )


async def fill_day(journal: Journal, world: World, day: date) -> None:
    """Every lesson of 5А's day gets the longest homework and topic there are."""
    async with journal.transaction() as s:
        await lessons.materialise(s, world.school_id, day, day)
        rows = (
            await s.scalars(
                select(Lesson).where(Lesson.class_id == world.classes["5А"], Lesson.date == day)
            )
        ).all()
        teachers = {r.id: r.teacher_id for r in rows}
    names = {pid: key for key, pid in world.people.items()}
    for lesson_id, teacher_id in sorted(teachers.items()):
        actor = world.staff(names[teacher_id])
        await lessons.set_homework(journal, actor, lesson_id, longest_text(lesson_id, "ДЗ"))
        await lessons.set_topic(journal, actor, lesson_id, longest_text(lesson_id, "Тема"))


async def replies_until_keyboard(user: FakeUser) -> list[MessageView]:
    """The bot's messages of one screen: up to the one carrying its keyboard."""
    replies = [await user.wait_reply()]
    while not replies[-1].has_inline_keyboard:
        replies.append(await user.wait_reply())
    return replies


async def test_five_lessons_of_longest_homework_reach_the_parent_in_full(
    bot: Harness, world: World
) -> None:
    # Homework given at Monday's five lessons is due at Tuesday's lessons of each subject.
    await add_lessons(bot.journal, world, MONDAY.isoweekday(), 5)
    await add_lessons(bot.journal, world, TUESDAY.isoweekday(), 5)
    await fill_day(bot.journal, world, MONDAY)
    parent = await bot.bound_user(world.staff("admin"), world.people["mother"], BindingRole.PARENT)
    await parent.send("/homework")
    replies = await replies_until_keyboard(parent)
    assert len(replies) > 1
    received = "\n".join(r.text or "" for r in replies)
    petya_lessons = await lessons.next_school_day_lessons(
        bot.journal, world.parent("mother"), world.people["petya"], MONDAY
    )
    assert len(petya_lessons) == 5
    assert len([x for x in petya_lessons if x.homework]) == 3  # maths, English, Russian
    groups = {x.group_id for x in petya_lessons if x.group_id is not None}
    async with bot.journal.transaction() as s:
        given = (
            await s.scalars(
                select(Lesson.homework).where(
                    Lesson.class_id == world.classes["5А"],
                    Lesson.date == MONDAY,
                    or_(Lesson.group_id.is_(None), Lesson.group_id.in_(groups)),
                )
            )
        ).all()
    assert len(given) == 5
    for text in given:
        assert text is not None
        assert text in received  # every character, emoji and «&» included
    assert "Иванов Пётр Алексеевич" in (replies[0].text or "")
    assert [b for row in replies[-1].buttons for b in row]  # the menu button, on the last


async def test_class_teacher_reads_a_day_of_longest_topics_and_homework(
    bot: Harness, world: World
) -> None:
    await add_lessons(bot.journal, world, MONDAY.isoweekday(), 8)
    await fill_day(bot.journal, world, MONDAY)
    day = await lessons.class_day(bot.journal, world.staff("math"), world.classes["5А"], MONDAY)
    assert len(day) == 9  # eight lessons, the English one in two groups
    class_teacher = await bot.bound_user(
        world.staff("admin"), world.people["math"], BindingRole.STAFF
    )
    await class_teacher.send("/menu")
    await class_teacher.wait_reply()
    await class_teacher.press("👥 Мой класс 5А")
    replies = await replies_until_keyboard(class_teacher)
    assert len(replies) > 1
    received = "\n".join(r.text or "" for r in replies)
    for x in day:
        assert x.topic and x.topic in received
        assert x.homework and x.homework in received
    # The day's keyboard still works: the next day is one tap away.
    await class_teacher.press("24.11 ▶")
    nxt = await class_teacher.wait_reply()
    assert "24.11.2026" in (nxt.text or "")


async def add_pupils(journal: Journal, world: World, count: int) -> list[int]:
    async with journal.transaction() as s:
        people = [
            Person(school_id=world.school_id, full_name=f"Учеников{i:03d} Ученик Учеников")
            for i in range(count)
        ]
        s.add_all(people)
        await s.flush()
        s.add_all(Pupil(person_id=p.id, class_id=world.classes["5А"]) for p in people)
        return [p.id for p in people]


async def test_the_roll_call_of_the_largest_class_reaches_every_pupil(
    bot: Harness, world: World
) -> None:
    """The roster sets no limit on a class's size: a class of 150 still gets a roll call
    (paged), and a tap on any pupil records them on that lesson."""
    extra = await add_pupils(bot.journal, world, 147)
    [lesson] = await lessons.teacher_day(bot.journal, world.staff("math"), MONDAY)
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await teacher.send("/today")
    await teacher.wait_reply()
    card = await teacher.press_and_wait(lambda b: b.text.startswith("1."))
    seen: set[str] = set()
    pages = 0
    while True:
        pages += 1
        seen |= {b.text for row in card.buttons for b in row if b.text.startswith("▫️")}
        forward = [b for row in card.buttons for b in row if b.text.endswith("▶")]
        if not forward:
            break
        card = await teacher.press_and_wait(forward[0].text)
    assert pages > 1
    assert len(seen) == 150
    # The last pupil, on the last page: a tap marks them absent, and the page stays.
    last = [b for row in card.buttons for b in row if b.text.startswith("▫️")][-1]
    card = await teacher.press_and_wait(last.text)
    assert any(b.text.startswith("❌") for row in card.buttons for b in row)
    async with bot.journal.transaction() as s:
        status = await s.scalar(
            select(Attendance.status).where(
                Attendance.lesson_id == lesson.id, Attendance.pupil_id == extra[-1]
            )
        )
    assert status == "absent"
