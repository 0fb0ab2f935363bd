"""End to end: the pictures (issue 13.7). A parent's «📈 График» under the marks: each
subject's marks of the period with the weighted average's line, a PNG 1080 px wide; the
class teacher's month of attendance as a heat map, pupils × school days. The PNG is
decoded and measured; what it draws is read from the same core functions."""

from __future__ import annotations

import io
import warnings
from datetime import date, timedelta
from decimal import Decimal

import pytest
from PIL import Image

from core import attendance, family, friday_round, marks
from core.accounts import PupilRef
from core.clock import ManualClock
from core.journal import Journal
from core.marks import MarkView, SubjectMarks
from core.models import AbsenceReason, BindingRole, Person, Presence, Pupil
from core.periods import PeriodView
from core.reports import AttendanceCounts, ClassAttendance, PupilAttendance, class_attendance_month
from fakegram import FakeUser, MessageView
from reports.charts import DPI, WIDTH_PX
from reports.charts.attendance import FRAME_IN, ROW_IN, Cell, attendance_cells, attendance_png
from reports.charts.marks import HEADER_IN, STRIP_IN, marks_png, marks_series
from tests.botkit import Harness, forge_press
from tests.test_notifications import at, lesson_of
from tests.world import MONDAY, World
from texts import Texts

MARKED = [  # Пётр's marks: (day, maths or English, value, work type)
    (MONDAY - timedelta(days=7), "math", 5, "answer"),
    (MONDAY - timedelta(days=6), "math", 3, "test"),
    (MONDAY - timedelta(days=6), "english", 4, "answer"),
    (MONDAY - timedelta(days=5), "math", 4, "independent"),
    (MONDAY, "english", 2, "test"),
]


def png_size(data: bytes | None) -> tuple[int, int]:
    assert data is not None and data.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        return image.size


async def give_petya_marks(journal: Journal, world: World, clock: ManualClock) -> None:
    for day, teacher, value, work in MARKED:
        at(clock, day, 12)
        lesson = await lesson_of(journal, world, teacher, day, 1 if teacher == "math" else 2)
        await marks.add_mark(
            journal, world.staff(teacher), lesson, world.people["petya"], value, work
        )
    at(clock, MONDAY, 12)


async def file_reply(user: FakeUser) -> MessageView:
    return await user.wait_reply(predicate=lambda m: m.document is not None)


async def test_a_parent_presses_the_chart_and_gets_a_1080_px_png_of_the_periods_marks(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    await give_petya_marks(bot.journal, world, clock)
    mother = await bot.bound_user(world.staff("math"), world.people["mother"], BindingRole.PARENT)
    await mother.send("/marks")
    screen = await mother.wait_reply()
    if "Иванов Пётр" not in (screen.text or ""):
        screen = await mother.press_and_wait("Пётр", message=screen)
    assert "📈 График" in screen.button_texts
    await mother.press("📈 График", message=screen)
    sent = await file_reply(mother)
    assert sent.document is not None
    assert sent.document["file_name"] == "Отметки_Иванов_Пётр_Алексеевич_2026-11-23.png"
    assert sent.caption == "📈 Отметки по предметам: Иванов Пётр Алексеевич, 5А"
    width, height = png_size(sent.file_bytes)
    assert width == WIDTH_PX == 1080
    assert height == round((HEADER_IN + 2 * STRIP_IN) * DPI)  # two subjects with marks

    # What it draws: the marks in order and the screen's own weighted average at the end.
    page = await family.pupil_marks_of_period(
        bot.journal, world.parent("mother"), world.people["petya"]
    )
    drawn = {s.subject: s for s in marks_series(page.subjects)}
    assert set(drawn) == {"Математика", "Английский язык"}
    maths = drawn["Математика"]
    assert maths.values == [5, 3, 4] and maths.weights == [1, 2, Decimal("1.5")]
    assert maths.averages == [Decimal(5), Decimal("3.67"), Decimal("3.78")]
    assert maths.weighted == maths.averages[-1] == Decimal("3.78")
    assert "взв. 3,78" in (screen.text or "")  # the marks screen says the same
    assert drawn["Английский язык"].averages == [Decimal(4), Decimal("2.67")]


async def test_a_child_without_marks_gets_a_short_text_not_an_empty_picture(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    """A parent of two: the chart button of one child's screen, pressed after switching
    to the other child, who has no mark yet."""
    await give_petya_marks(bot.journal, world, clock)
    mother = await bot.bound_user(world.staff("math"), world.people["mother"], BindingRole.PARENT)
    await mother.send("/marks")
    first = await mother.wait_reply()
    if "Иванов Пётр" not in (first.text or ""):
        first = await mother.press_and_wait("Пётр", message=first)
    await mother.send("/marks")
    second = await mother.wait_reply()
    masha = await mother.press_and_wait("Мария", message=second)
    assert "Иванова Мария" in (masha.text or "") and "📈 График" not in masha.button_texts
    await mother.press("📈 График", message=first)  # the old screen's button
    reply = await mother.wait_reply()
    assert reply.text == "Отметок за период пока нет — рисовать нечего."
    assert reply.document is None
    await bot.settle(mother)
    assert not any(m.document for m in mother.chat.messages.values())


async def test_r19_a_parent_without_consent_gets_no_picture(bot: Harness, world: World) -> None:
    parent = await bot.bound_user(
        world.staff("math"), world.people["sidorov"], BindingRole.PARENT, consent=False
    )
    await parent.send("/marks")
    asked = await parent.wait_reply()
    assert "согласие" in (asked.text or "")
    await forge_press(parent, asked, "f:g")  # the chart's button, not offered before consent
    await bot.settle(parent)
    shown = [m for m in parent.chat.messages.values() if m.outgoing]
    assert not any(m.document for m in shown)
    assert "согласие" in (shown[-1].text or "")  # the consent question stays


async def test_r12_a_first_grader_has_no_chart(bot: Harness, world: World) -> None:
    pupil = await bot.bound_user(world.staff("primary"), world.people["dasha"], BindingRole.PUPIL)
    await pupil.send("/marks")
    screen = await pupil.wait_reply()
    assert "📈 График" not in screen.button_texts
    await forge_press(pupil, screen, "f:g")
    assert (await pupil.wait_reply()).text == "В 1 классе отметки не ставятся."


async def week_of_attendance(journal: Journal, world: World, clock: ManualClock) -> None:
    """5А's Monday to Wednesday: Николай ill on Monday (confirmed), away on Tuesday with no
    reason yet; Пётр late on Tuesday and absent without a good reason on Wednesday."""
    math, p = world.staff("math"), world.people
    for offset in range(3):
        day = MONDAY + timedelta(days=offset)
        at(clock, day, 8, 35)
        lesson = await lesson_of(journal, world, "math", day, 1)
        if offset < 2:
            await attendance.set_status(journal, math, lesson, p["kolya"], Presence.ABSENT)
        if offset == 1:
            await attendance.set_status(journal, math, lesson, p["petya"], Presence.LATE)
        if offset == 2:
            await attendance.set_status(journal, math, lesson, p["petya"], Presence.ABSENT)
        await attendance.mark_rest_present(journal, math, lesson)
    at(clock, MONDAY + timedelta(days=2), 15)
    await friday_round.confirm_reason(journal, math, p["kolya"], MONDAY, AbsenceReason.ILLNESS)
    wednesday = MONDAY + timedelta(days=2)
    await friday_round.confirm_reason(journal, math, p["petya"], wednesday, AbsenceReason.UNEXCUSED)


async def test_the_class_teacher_gets_the_months_attendance_as_a_heat_map(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    await week_of_attendance(bot.journal, world, clock)
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await teacher.send("/menu")
    await teacher.wait_reply()
    day = await teacher.press_and_wait("👥 Мой класс 5А")
    week = await teacher.press_and_wait("🚫 Пропуски за неделю", message=day)
    assert "🗓 Карта посещаемости за месяц" in week.button_texts
    await teacher.press("🗓 Карта посещаемости за месяц", message=week)
    sent = await file_reply(teacher)
    assert sent.document is not None
    assert sent.document["file_name"] == "Карта_посещаемости_5А_2026-11.png"
    assert sent.caption == "🗓 Посещаемость класса 5А: ноябрь 2026 г. (учтены уроки по 25.11.2026)"
    width, height = png_size(sent.file_bytes)
    assert width == 1080
    assert height == round((FRAME_IN + 30 * ROW_IN) * DPI)  # the class of 30

    report = await class_attendance_month(
        bot.journal, world.staff("math"), world.classes["5А"], MONDAY
    )
    cells = dict(zip([p.full_name for p in report.pupils], attendance_cells(report), strict=True))
    week_days = [report.days.index(MONDAY + timedelta(days=i)) for i in range(3)]
    assert [cells["Сидоров Николай Андреевич"][i] for i in week_days] == [
        Cell.EXCUSED,
        Cell.UNCONFIRMED,
        Cell.PRESENT,
    ]
    assert [cells["Иванов Пётр Алексеевич"][i] for i in week_days] == [
        Cell.PRESENT,
        Cell.LATE,
        Cell.UNEXCUSED,
    ]
    assert cells["Иванова Мария Алексеевна"][week_days[0]] is Cell.PRESENT


async def test_a_class_teacher_gets_no_heat_map_of_another_class(
    bot: Harness, world: World
) -> None:
    teacher = await bot.bound_user(world.staff("admin"), world.people["primary"], BindingRole.STAFF)
    await teacher.send("/menu")
    menu = await teacher.wait_reply()
    press = await forge_press(teacher, menu, f"c:{world.classes['5А']}:h:{MONDAY.toordinal()}")
    assert (await press.wait_answered()).get("text") == "Это действие вам недоступно."
    await bot.settle(teacher)
    assert "upload_document" not in teacher.chat.chat_actions  # not even «sending a file»
    assert not any(m.document for m in teacher.chat.messages.values())


async def test_a_month_without_lessons_yet_gets_a_short_text(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    at(clock, date(2026, 11, 1), 12)  # Sunday 1 November, in the autumn holidays
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await teacher.send("/menu")
    await teacher.wait_reply()
    await teacher.press_and_wait("👥 Мой класс 5А")
    await teacher.press("🗓 Карта посещаемости за месяц")
    reply = await teacher.wait_reply()
    assert reply.text == "В этом месяце у класса ещё не было уроков — рисовать нечего."


@pytest.fixture
async def world(journal: Journal, world: World) -> World:
    """The shared school, its 5А grown to a class of 30 (the largest the rules allow)."""
    async with journal.transaction() as s:
        for i in range(27):
            p = Person(school_id=world.school_id, full_name=f"Щербакова{i:02d} Юлия Эдуардовна")
            s.add(p)
            await s.flush()
            s.add(Pupil(person_id=p.id, class_id=world.classes["5А"]))
            world.people[f"flu{i:02d}"] = p.id
    return world


async def test_a_flu_month_of_30_pupils_22_ill_fits_one_picture_1080_px_wide(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    flu = [MONDAY - timedelta(days=7) + timedelta(days=i) for i in range(5)]
    for day in flu:
        at(clock, day, 8, 40)
        lesson = await lesson_of(bot.journal, world, "math", day, 1)
        for i in range(22):
            await attendance.set_status(
                bot.journal,
                world.staff("math"),
                lesson,
                world.people[f"flu{i:02d}"],
                Presence.ABSENT,
            )
        await attendance.mark_rest_present(bot.journal, world.staff("math"), lesson)
    at(clock, date(2026, 11, 30), 16)  # the month's last school day, its lessons over
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await teacher.send("/menu")
    await teacher.wait_reply()
    await teacher.press_and_wait("👥 Мой класс 5А")
    await teacher.press("🗓 Карта посещаемости за месяц")
    sent = await file_reply(teacher)
    assert png_size(sent.file_bytes) == (1080, round((FRAME_IN + 30 * ROW_IN) * DPI))

    report = await class_attendance_month(
        bot.journal, world.staff("math"), world.classes["5А"], MONDAY
    )
    assert len(report.pupils) == 30 and len(report.days) >= 18
    cells = attendance_cells(report)
    for day in flu:
        column = report.days.index(day)
        assert sum(row[column] is Cell.UNCONFIRMED for row in cells) == 22


def test_fourteen_subjects_draw_one_strip_each_with_cyrillic_and_no_missing_glyph() -> None:
    """The largest timetable: 14 subjects, marks on most days of a quarter, two on some
    days; every letter of the names is in the font (matplotlib warns of a missing glyph:
    here that fails the test)."""
    names = ["Алгебра", "Геометрия", "Русский язык", "Литература", "Английский язык"]
    names += ["История", "Обществознание", "География", "Биология", "Физика", "Химия"]
    names += ["Информатика", "Физическая культура", "Основы безопасности и защиты Родины"]
    start, end = date(2026, 11, 5), date(2026, 12, 25)
    subjects = []
    for n, name in enumerate(names):
        subject = SubjectMarks(n, name, final="5" if n == 0 else None)
        for k in range(40):
            day = start + timedelta(days=(k * 5 + n) % (end - start).days)
            weight = (Decimal(1), Decimal(2), Decimal("1.5"))[k % 3]
            subject.marks.append(MarkView(k, k, day, 2 + (k * 7 + n) % 4, "Ответ", weight, None))
        subject.marks.sort(key=lambda m: m.date)
        subjects.append(subject)
    period = PeriodView(1, "2 четверть", start, date(2026, 12, 28), False)
    page = family.MarksPage(period, subjects, start, end)
    pupil = PupilRef(1, "Щёголева Эльвира-Юлиана Ёжиковна", "11Б", 11)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = marks_png(Texts("ru"), pupil, page, marks_series(subjects))
    assert png_size(data) == (1080, round((HEADER_IN + 14 * STRIP_IN) * DPI))


def test_a_heat_map_of_30_pupils_and_23_days_has_no_missing_glyph() -> None:
    days = [date(2026, 12, 1) + timedelta(days=i) for i in range(31)]
    days = [d for d in days if d.weekday() < 5]
    pupils = []
    for n in range(30):
        pupil = PupilAttendance(n, f"Щербакова-Ёлкина{n:02d} Эльвира Юрьевна")
        for k, day in enumerate(days):
            counts = AttendanceCounts(lessons=6)
            counts.count(*[(None, None), ("late", None), ("absent", "illness")][(n + k) % 3])
            pupil.by_day[day] = counts
            if counts.missed:
                pupil.missed_by_day[day] = counts.missed
            pupil.counts.add(counts)
        pupils.append(pupil)
    report = ClassAttendance(
        1,
        "11Б",
        days[0],
        date(2026, 12, 31),
        date(2026, 12, 31),
        days,
        [],
        pupils,
        AttendanceCounts(),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = attendance_png(Texts("ru"), report)
    assert png_size(data) == (1080, round((FRAME_IN + 30 * ROW_IN) * DPI))
    assert {c for row in attendance_cells(report) for c in row} == {
        Cell.PRESENT,
        Cell.LATE,
        Cell.EXCUSED,
    }
