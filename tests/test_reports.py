"""Reports for the school's staff (R9, R18, R21), checked against values computed by hand
on a small school: three days of 5А's journal (23–25 November 2026, the clock on
Thursday the 26th at 10:00)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import text, update

from core import attendance, corrections, friday_round, invitations, lessons, marks
from core import reports as reporting
from core.clock import ManualClock
from core.entries import Outcome
from core.errors import NotAllowed
from core.identity import UserRef
from core.journal import Journal
from core.models import AbsenceReason, Binding, BindingRole, Guardianship, Person, Presence
from reports import statement, xlsx
from tests.conftest import MOSCOW
from tests.world import MONDAY, World, build_world
from texts.en import EN
from texts.ru import RU

TUESDAY, WEDNESDAY, THURSDAY = (MONDAY + timedelta(days=n) for n in (1, 2, 3))
NOVEMBER = date(2026, 11, 1)
ROOT = Path(__file__).resolve().parent.parent


def at(clock: ManualClock, day: date, hour: int, minute: int = 0) -> None:
    clock.set(datetime(day.year, day.month, day.day, hour, minute, tzinfo=MOSCOW))


async def lesson_of(journal: Journal, w: World, teacher: str, day: date, no: int) -> int:
    found = [
        x for x in await lessons.teacher_day(journal, w.staff(teacher), day) if x.lesson_no == no
    ]
    assert found, f"{teacher} has no lesson {no} on {day}"
    return found[0].id


@dataclass
class School:
    w: World
    period: int  # 2 четверть
    request_id: int


async def roll_call(
    journal: Journal, w: World, teacher: str, lesson_id: int, statuses: dict[str, Presence]
) -> None:
    for pupil, status in statuses.items():
        await attendance.set_status(journal, w.staff(teacher), lesson_id, w.people[pupil], status)
    await attendance.mark_rest_present(journal, w.staff(teacher), lesson_id)


@pytest.fixture
async def school(journal: Journal, clock: ManualClock) -> School:
    """The journal, by hand:

    Monday 23: math (lesson 1): Петя absent, Маша late; marks Маша 5 (answer, weight 1),
      Коля 3 (test, 2) corrected by its author at 11:00 to 4; topic and homework at 10:00.
      English, group 1: Петя absent, Маша present; Петя 4 (answer). Group 2: nothing.
      1А Russian: everyone present, a topic (no homework in grade 1, R12).
    Tuesday 24: math: Коля absent (reason never confirmed) but gets 5 for independent work
      (weight 1.5, a make-up, R15); Маша 3 (test) and 4 (homework); Петя 2 (answer);
      the topic typed only at 21:00, after the deadline.
    Wednesday 25: math: Петя absent. At 12:00 the math teacher asks to correct Петя's 2 to
      3 (after the deadline: a request), the deputy approves.
    Thursday 26, 10:00: the class teacher confirms Петя's Monday as illness and his
      Wednesday as unexcused; final marks: Маша 4, Коля осв.
    """
    w = await build_world(journal)
    math, eng, primary = w.staff("math"), w.staff("english"), w.staff("primary")
    p = w.people

    at(clock, MONDAY, 10)
    m1 = await lesson_of(journal, w, "math", MONDAY, 1)
    await roll_call(journal, w, "math", m1, {"petya": Presence.ABSENT, "masha": Presence.LATE})
    await marks.add_mark(journal, math, m1, p["masha"], 5, "answer")
    await marks.add_mark(journal, math, m1, p["kolya"], 3, "test")
    await lessons.set_topic(journal, math, m1, "Дроби")
    await lessons.set_homework(journal, math, m1, "№ 12, 14")
    e1 = await lesson_of(journal, w, "english", MONDAY, 2)
    await roll_call(journal, w, "english", e1, {"petya": Presence.ABSENT})
    await marks.add_mark(journal, eng, e1, p["petya"], 4, "answer")
    r1 = await lesson_of(journal, w, "primary", MONDAY, 1)
    await roll_call(journal, w, "primary", r1, {})
    await lessons.set_topic(journal, primary, r1, "Буква А")
    at(clock, MONDAY, 11)
    kolya_test = (await marks.lesson_marks(journal, math, m1))[p["kolya"]][0].id
    assert await marks.change_mark(journal, math, kolya_test, 4) is Outcome.APPLIED

    at(clock, TUESDAY, 10)
    m2 = await lesson_of(journal, w, "math", TUESDAY, 1)
    await roll_call(journal, w, "math", m2, {"kolya": Presence.ABSENT})
    await marks.add_mark(journal, math, m2, p["kolya"], 5, "independent")
    await marks.add_mark(journal, math, m2, p["masha"], 3, "test")
    await marks.add_mark(journal, math, m2, p["masha"], 4, "homework")
    await marks.add_mark(journal, math, m2, p["petya"], 2, "answer")
    at(clock, TUESDAY, 21)
    await lessons.set_topic(journal, math, m2, "Сложение дробей")

    at(clock, WEDNESDAY, 10)
    m3 = await lesson_of(journal, w, "math", WEDNESDAY, 1)
    await roll_call(journal, w, "math", m3, {"petya": Presence.ABSENT})
    at(clock, WEDNESDAY, 12)
    petya_two = (await marks.lesson_marks(journal, math, m2))[p["petya"]][0].id
    outcome = await marks.change_mark(journal, math, petya_two, 3, reason="ошибка ввода")
    assert outcome is Outcome.REQUESTED
    (request,) = await corrections.pending(journal, w.staff("deputy"))
    await corrections.decide(journal, w.staff("deputy"), request.id, approve=True)

    at(clock, THURSDAY, 10)
    await friday_round.confirm_reason(journal, math, p["petya"], MONDAY, AbsenceReason.ILLNESS)
    await friday_round.confirm_reason(journal, math, p["petya"], WEDNESDAY, AbsenceReason.UNEXCUSED)
    period = w.periods["2 четверть"]
    subject = w.subjects["Математика"]
    await marks.set_final_mark(journal, math, period, subject, p["masha"], "4")
    await marks.set_final_mark(journal, math, period, subject, p["kolya"], "осв")
    return School(w, period, request.id)


def sheet_rows(data: bytes, sheet: int = 0) -> list[tuple]:
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[sheet]
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


def check_layout(data: bytes, frozen: str) -> None:
    """Every workbook: a bold header in row 2, panes frozen under it, readable widths."""
    wb = load_workbook(io.BytesIO(data))
    for ws in wb.worksheets:
        assert ws["A2"].font.bold
        assert all(cell.font.bold for cell in ws[2] if cell.value is not None)
        assert ws.freeze_panes is not None and ws.freeze_panes.endswith("3")
        assert all((d.width or 0) >= 5 for d in ws.column_dimensions.values())
    assert wb.worksheets[0].freeze_panes == frozen


# --- attendance by month and the summary sheet ------------------------------------------


async def test_r21_class_attendance_by_month_per_pupil_and_totals(
    journal: Journal, school: School
) -> None:
    w = school.w
    report = await reporting.class_attendance_month(
        journal, w.staff("math"), w.classes["5А"], NOVEMBER
    )
    # 2 четверть starts on Thursday 5 November; the clock is on Thursday 26th: 16 school
    # days, two lessons a day for each pupil (math and their English group).
    assert report.until == THURSDAY and len(report.days) == 16
    assert report.days[0] == date(2026, 11, 5) and report.days[-1] == THURSDAY
    by_name = {x.full_name.split()[1]: x for x in report.pupils}
    assert [x.full_name for x in report.pupils] == [
        "Иванов Пётр Алексеевич",
        "Иванова Мария Алексеевна",
        "Сидоров Николай Андреевич",
    ]
    petya, masha, kolya = by_name["Пётр"], by_name["Мария"], by_name["Николай"]
    assert petya.missed_by_day == {MONDAY: 2, WEDNESDAY: 1}
    assert (petya.counts.lessons, petya.counts.missed) == (32, 3)
    assert (petya.counts.excused, petya.counts.unexcused, petya.counts.unconfirmed) == (2, 1, 0)
    assert (masha.counts.missed, masha.counts.late, masha.late_by_day) == (0, 1, {MONDAY: 1})
    assert (kolya.counts.missed, kolya.counts.unconfirmed) == (1, 1)
    t = report.totals
    assert (t.lessons, t.missed, t.excused, t.unexcused, t.unconfirmed, t.late) == (
        96,
        4,
        2,
        1,
        1,
        1,
    )

    name, data = await xlsx.attendance_month_xlsx(
        journal, w.staff("math"), w.classes["5А"], NOVEMBER
    )
    assert name == "Посещаемость_5А_2026-11.xlsx"
    check_layout(data, "C3")
    rows = sheet_rows(data)
    assert rows[0][0] == (
        "Школа № 1 — Посещаемость класса 5А за ноябрь 2026 г. (учтены уроки по 26.11.2026)"
    )
    header = rows[1]
    assert header[:3] == ("№", "Ученик", "05.11")
    assert header[-6:] == (
        "Уроков",
        "Пропущено уроков",
        "По уважительной причине",
        "Без уважительной причины",
        "Причина не подтверждена",
        "Опозданий",
    )
    monday = header.index("23.11")
    assert rows[2][:2] == (1, "Иванов Пётр Алексеевич")
    assert rows[2][monday] == 2 and rows[2][monday + 2] == 1 and rows[2][monday + 1] is None
    assert rows[2][-6:] == (32, 3, 2, 1, 0, 0)
    assert rows[-1][1] == "Итого" and rows[-1][monday] == 2 and rows[-1][monday + 1] == 1
    assert rows[-1][-6:] == (96, 4, 2, 1, 1, 1)


async def test_r21_attendance_summary_for_a_period_per_subject(
    journal: Journal, school: School
) -> None:
    w = school.w
    report = await reporting.attendance_summary(
        journal, w.staff("admin"), w.classes["5А"], date(2026, 11, 5), date(2026, 12, 28)
    )
    assert [s.name for s in report.subjects] == ["Английский язык", "Математика"]
    eng, math = (s.id for s in report.subjects)
    petya = report.pupils[0]
    assert (petya.by_subject[math].missed, petya.by_subject[eng].missed) == (2, 1)
    assert (petya.by_subject[math].lessons, petya.by_subject[eng].lessons) == (16, 16)

    _, data = await xlsx.attendance_summary_xlsx(
        journal, w.staff("admin"), w.classes["5А"], date(2026, 11, 5), date(2026, 12, 28)
    )
    check_layout(data, "C3")
    rows = sheet_rows(data)
    assert rows[1][2:4] == ("Английский язык: пропущено", "Математика: пропущено")
    assert rows[1][-1] == "Пропущено, %"
    assert rows[2][2:] == (1, 2, 32, 3, 2, 1, 0, 0, 9.4)  # 3 of 32 lessons
    assert rows[4][2:] == (0, 1, 32, 1, 0, 0, 1, 0, 3.1)  # Коля: 1 of 32
    assert rows[5][1:] == ("Итого", 1, 3, 96, 4, 2, 1, 1, 1, 4.2)


# --- the summary sheet of marks, with the weighted average --------------------------------


async def test_r21_marks_summary_with_average_weighted_average_and_final(
    journal: Journal, school: School
) -> None:
    w = school.w
    report = await reporting.marks_summary(
        journal, w.staff("deputy"), w.classes["5А"], school.period
    )
    assert report.period.name == "2 четверть"
    assert [s.name for s in report.subjects] == ["Английский язык", "Математика"]
    petya, masha, kolya = report.pupils
    math = w.subjects["Математика"]
    eng = w.subjects["Английский язык"]
    # Маша: 5 (weight 1), 3 (weight 2), 4 (weight 1): average 4, weighted 15 / 4 = 3.75.
    m = masha.subject(math)
    assert m is not None and m.values == [5, 3, 4]
    assert (m.average, m.weighted_average, m.final) == (Decimal("4.00"), Decimal("3.75"), "4")
    # Коля: 4 (test, weight 2, corrected from 3), 5 (independent, 1.5): 15.5 / 3.5 = 4.43.
    k = kolya.subject(math)
    assert k is not None and k.values == [4, 5]
    assert (k.average, k.weighted_average, k.final) == (Decimal("4.50"), Decimal("4.43"), "осв")
    # Петя: the 2 became 3 with the deputy's approval.
    pm = petya.subject(math)
    assert pm is not None and (pm.values, pm.average) == ([3], Decimal("3.00"))
    pe = petya.subject(eng)
    assert pe is not None and (pe.values, pe.weighted_average) == ([4], Decimal("4.00"))
    ke = kolya.subject(eng)
    assert ke is not None and ke.marks == [] and ke.average is None  # his group, no marks

    name, data = await xlsx.marks_summary_xlsx(
        journal, w.staff("deputy"), w.classes["5А"], school.period
    )
    assert name == "Сводная_ведомость_5А_2_четверть.xlsx"
    check_layout(data, "C3")
    rows = sheet_rows(data)
    assert rows[1] == (
        "№",
        "Ученик",
        "Предмет",
        "Отметки",
        "Количество отметок",
        "Средний балл",
        "Средневзвешенный балл",
        "Итоговая отметка",
    )
    assert rows[2:] == [
        (1, "Иванов Пётр Алексеевич", "Английский язык", "4", 1, 4.0, 4.0, None),
        (1, "Иванов Пётр Алексеевич", "Математика", "3", 1, 3.0, 3.0, None),
        (2, "Иванова Мария Алексеевна", "Английский язык", None, 0, None, None, None),
        (2, "Иванова Мария Алексеевна", "Математика", "5 3 4", 3, 4.0, 3.75, 4),
        (3, "Сидоров Николай Андреевич", "Английский язык", None, 0, None, None, None),
        (3, "Сидоров Николай Андреевич", "Математика", "4 5", 2, 4.5, 4.43, "осв"),
    ]
    wb = load_workbook(io.BytesIO(data))
    assert wb.worksheets[0]["G6"].number_format == "0.00"  # Маша, weighted
    matrix = sheet_rows(data, 1)
    assert matrix[1][2:] == (
        "Английский язык: средневзв.",
        "Английский язык: итог",
        "Математика: средневзв.",
        "Математика: итог",
    )
    assert matrix[3] == (2, "Иванова Мария Алексеевна", None, None, 3.75, 4)


# --- накопляемость ------------------------------------------------------------------------


async def test_r21_accumulation_share_of_pupils_with_no_or_one_mark(
    journal: Journal, school: School
) -> None:
    w = school.w
    report = await reporting.mark_accumulation(journal, w.staff("director"), school.period)
    assert (report.start, report.until) == (date(2026, 11, 5), THURSDAY)
    # 1А is first grade: no marks (R12), not in the report.
    assert [(r.class_name, r.subject, r.pupils, r.no_marks, r.one_mark) for r in report.rows] == [
        ("5А", "Английский язык", 3, 2, 1),  # Маша and Коля none, Петя one
        ("5А", "Математика", 3, 0, 1),  # Петя one, Маша three, Коля two
    ]
    eng, math = report.rows
    assert (eng.no_marks_percent, eng.one_mark_percent, eng.few_marks_percent) == (
        Decimal("66.7"),
        Decimal("33.3"),
        Decimal("100.0"),
    )
    assert math.few_marks_percent == Decimal("33.3")

    _, data = await xlsx.accumulation_xlsx(journal, w.staff("director"), school.period)
    check_layout(data, "C3")
    rows = sheet_rows(data)
    assert rows[2] == ("5А", "Английский язык", 3, 2, 1, 66.7, 33.3, 100.0)
    assert rows[3] == ("5А", "Математика", 3, 0, 1, 0.0, 33.3, 33.3)


# --- teachers' filling --------------------------------------------------------------------


async def test_r21_teachers_filling_by_the_deadline(journal: Journal, school: School) -> None:
    w = school.w
    # Thursday 10:00: Monday to Wednesday are past their 20:00 deadline, Thursday is not.
    report = await reporting.teacher_filling(journal, w.staff("admin"), MONDAY, THURSDAY)
    got = {
        t.teacher: (t.lessons, t.no_roll_call, t.no_topic, t.no_homework, t.with_gaps)
        for t in report.teachers
    }
    assert got == {
        # Monday complete; Tuesday's topic came at 21:00 and no homework; Wednesday only
        # the roll call.
        "Кузнецова Елена Викторовна": (3, 0, 2, 2, 2),
        "Смирнов Павел Олегович": (3, 2, 3, 3, 3),  # only Monday's roll call
        "Орлова Анна Дмитриевна": (3, 3, 3, 3, 3),  # nothing at all
        # 1А: six lessons, only Monday's Russian filled; homework is not asked (R12).
        "Волкова Наталья Ивановна": (6, 5, 5, 0, 5),
    }
    tuesday = [g for g in report.gaps if g.teacher_id == w.people["math"] and g.date == TUESDAY]
    assert [(g.no_roll_call, g.no_topic, g.no_homework) for g in tuesday] == [(False, True, True)]

    # The class teacher of 5А sees the lessons of their class only.
    own = await reporting.teacher_filling(journal, w.staff("math"), MONDAY, THURSDAY)
    assert {t.teacher_id for t in own.teachers} == {
        w.people["math"],
        w.people["english"],
        w.people["english2"],
    }

    name, data = await xlsx.filling_xlsx(journal, w.staff("admin"), MONDAY, THURSDAY)
    assert name == "Заполнение_журнала_школа_2026-11-23_2026-11-26.xlsx"
    check_layout(data, "B3")
    rows = sheet_rows(data)
    assert rows[2] == ("Волкова Наталья Ивановна", 6, 5, 5, 0, 5, 16.7)
    assert rows[3] == ("Кузнецова Елена Викторовна", 3, 0, 2, 2, 2, 33.3)
    lessons_sheet = sheet_rows(data, 1)
    assert (
        "Кузнецова Елена Викторовна",
        datetime(2026, 11, 24),
        1,
        "5А",
        "Математика",
        None,
        "нет",
        "нет",
    ) in lessons_sheet


# --- parents' activity --------------------------------------------------------------------


async def test_r21_parents_activity_bound_consented_unreachable_opted_out_reading(
    journal: Journal, school: School, clock: ManualClock
) -> None:
    w = school.w
    admin = w.staff("admin")
    mother = await invitations.issue(journal, admin, w.people["mother"], BindingRole.PARENT)
    sidorov = await invitations.issue(journal, admin, w.people["sidorov"], BindingRole.PARENT)
    bound_mother = await invitations.redeem(journal, UserRef.telegram(1001), mother.code)
    bound_sidorov = await invitations.redeem(journal, UserRef.telegram(1002), sidorov.code)
    await invitations.record_consent(journal, bound_mother.id, UserRef.telegram(1001))
    async with journal.transaction() as s:
        # Telegram answered 403 to Сидоров; he refused the electronic diary in writing (R18).
        await s.execute(
            update(Binding).where(Binding.id == bound_sidorov.id).values(unreachable_at=clock.now())
        )
        await s.execute(
            update(Guardianship)
            .where(Guardianship.guardian_id == w.people["sidorov"])
            .values(diary_opt_out=True, opt_out_at=clock.now())
        )
        digests = await s.scalar(text("SELECT to_regclass('digests') IS NOT NULL"))
        if digests:  # read receipts (R17), when the notifications' table is there
            for day, parts, read in ((19, 1, True), (20, 1, False), (21, 0, False)):
                await s.execute(
                    text(
                        "INSERT INTO digests (binding_id, day, built_at, parts, read_at) "
                        "VALUES (:b, :d, :at, :parts, :read)"
                    ),
                    {
                        "b": bound_mother.id,
                        "d": date(2026, 11, day),
                        "at": clock.now(),
                        "parts": parts,
                        "read": clock.now() if read else None,
                    },
                )

    report = await reporting.parents_activity(journal, admin)
    who = [(r.class_name, r.pupil.split()[1], r.guardian.split()[0]) for r in report.rows]
    assert who == [
        ("1А", "Дарья", "Иванова"),
        ("5А", "Пётр", "Иванова"),
        ("5А", "Мария", "Иванова"),
        ("5А", "Николай", "Сидоров"),
    ]
    # bound, consent (R19), unreachable (403), opted out of the e-diary (R18)
    assert [(r.bound, r.consent, r.unreachable, r.opted_out) for r in report.rows] == [
        (True, True, False, False),
        (True, True, False, False),
        (True, True, False, False),
        (True, None, True, True),
    ]
    assert report.reading_recorded is bool(digests)
    if digests:
        reading = report.rows[0].reading
        assert reading is not None and (reading.sent, reading.read) == (2, 1)
        assert reading.last_read_at == clock.now().astimezone(MOSCOW)

    # The class teacher of 5А sees only 5А's parents.
    own = await reporting.parents_activity(journal, w.staff("math"))
    assert {r.class_name for r in own.rows} == {"5А"}

    _, data = await xlsx.parents_xlsx(journal, admin)
    check_layout(data, "D3")
    sheet = sheet_rows(data)
    assert sheet[1][:4] == ("Класс", "Ученик", "Родитель", "Подключён к боту")
    assert sheet[5][:4] == ("5А", "Сидоров Николай Андреевич", "Сидоров Андрей Петрович", "да")
    assert sheet[5][5] == "не указано"  # consent not given yet
    assert sheet[5][7] == "да" and sheet[5][9] == "да"  # unreachable, opted out
    summary = sheet_rows(data, 1)
    assert summary[2][:6] == ("1А", 1, 1, 1, 0, 0)
    assert summary[3][:6] == ("5А", 2, 2, 1, 1, 1)
    if digests:
        assert summary[2][6] == 1 and summary[3][6] == 1


# --- the mark-change audit (R9) -----------------------------------------------------------


async def test_r9_mark_audit_for_the_year(journal: Journal, school: School) -> None:
    w = school.w
    report = await reporting.mark_audit(journal, w.staff("admin"))
    assert (report.year, report.start, report.end) == (
        "2026/2027",
        date(2026, 9, 1),
        date(2027, 5, 31),
    )
    got = [(r.action, r.pupil.split()[1], r.old, r.new) for r in report.rows]
    assert got == [
        ("mark.add", "Мария", None, "5"),
        ("mark.add", "Николай", None, "3"),
        ("mark.add", "Пётр", None, "4"),
        ("mark.set", "Николай", "3", "4"),
        ("mark.add", "Николай", None, "5"),
        ("mark.add", "Мария", None, "3"),
        ("mark.add", "Мария", None, "4"),
        ("mark.add", "Пётр", None, "2"),
        ("mark.set", "Пётр", "2", "3"),
        ("final_mark.set", "Мария", None, "4"),
        ("final_mark.set", "Николай", None, "осв"),
    ]
    approved = report.rows[8]
    assert approved.actor == "Морозов Андрей Игоревич"  # the deputy who approved
    assert approved.requested_by == "Кузнецова Елена Викторовна"
    assert approved.request_id == school.request_id and approved.reason == "ошибка ввода"
    assert (approved.lesson_date, approved.lesson_no, approved.subject) == (
        TUESDAY,
        1,
        "Математика",
    )
    assert approved.at == datetime(2026, 11, 25, 12, 0, tzinfo=MOSCOW)
    assert approved.work_type == "Ответ на уроке"
    assert report.rows[9].period == "2 четверть" and report.rows[9].lesson_date is None

    name, data = await xlsx.audit_xlsx(journal, w.staff("admin"))
    assert name == "Изменения_отметок_школа_2026-2027.xlsx"
    check_layout(data, "B3")
    rows = sheet_rows(data)
    assert rows[2 + 8][:11] == (
        datetime(2026, 11, 25, 12, 0),
        "Морозов Андрей Игоревич",
        "исправлена",
        "Иванов Пётр Алексеевич",
        "5А",
        datetime(2026, 11, 24),
        1,
        "Математика",
        None,
        2,
        3,
    )
    assert rows[2 + 8][12:] == ("ошибка ввода", school.request_id, "Кузнецова Елена Викторовна")
    assert rows[-1][2:5] == ("итоговая выставлена", "Сидоров Николай Андреевич", "5А")


# --- names from the roster never become formulas (issue 12) ----------------------------------

HOSTILE = {
    "petya": '=HYPERLINK("http://evil.example/","нажми")',
    "sidorov": "=cmd|' /C calc'!A0",
    "math": "+1+1 Кузнецова",
    "deputy": "@SUM(A1)",
    "masha": "-2+3",
    "kolya": "\t=1+1",
}


async def test_names_typed_as_formulas_are_written_as_text_in_every_report(
    journal: Journal, school: School, clock: ManualClock
) -> None:
    w = school.w
    admin = w.staff("admin")
    sidorov = await invitations.issue(journal, admin, w.people["sidorov"], BindingRole.PARENT)
    await invitations.redeem(journal, UserRef.telegram(1002), sidorov.code)
    async with journal.transaction() as s:
        for who, name in HOSTILE.items():
            await s.execute(update(Person).where(Person.id == w.people[who]).values(full_name=name))
    c5, period = w.classes["5А"], school.period
    start, end = date(2026, 11, 1), date(2026, 12, 31)
    files = [
        await xlsx.attendance_month_xlsx(journal, admin, c5, NOVEMBER),
        await xlsx.attendance_summary_xlsx(journal, admin, c5, start, end),
        await xlsx.marks_summary_xlsx(journal, admin, c5, period),
        await xlsx.accumulation_xlsx(journal, admin, period),
        await xlsx.filling_xlsx(journal, admin, start, end),
        await xlsx.parents_xlsx(journal, admin),
        await xlsx.audit_xlsx(journal, admin),
    ]
    seen: set[str] = set()
    for name, data in files:
        wb = load_workbook(io.BytesIO(data))
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (name, cell.coordinate, cell.value)
                    if isinstance(cell.value, str):
                        assert not cell.value.startswith(xlsx.FORMULA_STARTS), (name, cell.value)
                        seen |= {n for n in HOSTILE.values() if cell.value == "'" + n}
    assert seen == set(HOSTILE.values())  # each name is there, as text, apostrophe first


# --- who may see reports (R1) ------------------------------------------------------------


async def test_r1_reports_are_refused_to_a_teacher_of_another_class(
    journal: Journal, school: School
) -> None:
    w = school.w
    c5 = w.classes["5А"]
    primary = w.staff("primary")  # the class teacher of 1А
    english = w.staff("english")  # teaches 5А, but is not its class teacher
    for actor in (primary, english, w.parent("mother"), w.pupil("petya")):
        with pytest.raises(NotAllowed):
            await reporting.class_attendance_month(journal, actor, c5, NOVEMBER)
        with pytest.raises(NotAllowed):
            await xlsx.marks_summary_xlsx(journal, actor, c5, school.period)
        with pytest.raises(NotAllowed):
            await reporting.mark_accumulation(journal, actor, school.period, c5)
        with pytest.raises(NotAllowed):
            await reporting.teacher_filling(journal, actor, MONDAY, THURSDAY, c5)
        with pytest.raises(NotAllowed):
            await reporting.parents_activity(journal, actor, c5)
        with pytest.raises(NotAllowed):
            await statement.statement_pdf(journal, actor, w.people["kolya"], NOVEMBER)
    # A teacher who leads no class has no school-wide reports either.
    for report in (
        reporting.mark_audit(journal, english),
        reporting.parents_activity(journal, english),
        reporting.teacher_filling(journal, english, MONDAY, THURSDAY),
    ):
        with pytest.raises(NotAllowed):
            await report
    # The class teacher of 1А sees only 1А in school-wide reports.
    own = await reporting.mark_audit(journal, primary)
    assert own.rows == []


# --- the monthly statement for parents who opted out (R18) -------------------------------


async def test_r18_monthly_statement_for_an_opted_out_parent(
    journal: Journal, school: School
) -> None:
    import pypdfium2 as pdfium

    w = school.w
    async with journal.transaction() as s:
        await s.execute(
            update(Guardianship)
            .where(Guardianship.guardian_id == w.people["sidorov"])
            .values(diary_opt_out=True)
        )
    math = w.staff("math")
    assert await reporting.opted_out_pupils(journal, math, w.classes["5А"]) == [
        (w.people["kolya"], "Сидоров Николай Андреевич")
    ]
    st = await reporting.pupil_statement(journal, math, w.people["kolya"], NOVEMBER)
    assert (st.full_name, st.class_name, st.class_teacher) == (
        "Сидоров Николай Андреевич",
        "5А",
        "Кузнецова Елена Викторовна",
    )
    assert [s.subject for s in st.subjects] == ["Английский язык", "Математика"]
    eng, mth = st.subjects
    assert (mth.attendance.lessons, mth.attendance.missed, mth.attendance.unconfirmed) == (
        16,
        1,
        1,
    )
    assert [m.value for m in mth.marks] == [4, 5]
    assert (mth.average, mth.weighted_average) == (Decimal("4.50"), Decimal("4.43"))
    assert (eng.attendance.lessons, eng.marks, eng.average) == (16, [], None)
    tuesday = next(x for x in mth.lessons if x.date == TUESDAY)
    assert (tuesday.status, tuesday.reason, tuesday.topic) == (
        "absent",
        "unconfirmed",
        "Сложение дробей",
    )
    assert (st.attendance.lessons, st.attendance.missed, st.attendance.late) == (32, 1, 0)

    name, data = await statement.class_statements_pdf(journal, math, w.classes["5А"], NOVEMBER)
    assert name == "Ведомость_5А_2026-11.pdf"
    pdf = pdfium.PdfDocument(data)
    try:
        assert len(pdf) == 1
        page_text = pdf[0].get_textpage().get_text_range()
    finally:
        pdf.close()
    flat = re.sub(r"\s+", " ", page_text)
    for expected in (
        "Школа № 1",
        "Ведомость успеваемости и посещаемости за ноябрь 2026 г.",
        "Сидоров Николай Андреевич, класс 5А",
        # the month's grid: Tuesday's make-up 5 beside the absence (R15), the averages
        "Средний балл Средневзвешенный балл",
        "Математика 4 5 Н 16 1 4,50 4,43",
        "Пропущено уроков: 1, из них по уважительной причине: 0",
        "24.11 Математика Сложение дробей 5 (самостоятельная работа) Н — причина не подтверждена",
        "Кузнецова Елена Викторовна",
    ):
        assert expected in flat, expected

    # One pupil's statement, e.g. on a parent's request.
    name, data = await statement.statement_pdf(journal, math, w.people["petya"], NOVEMBER)
    assert name == "Ведомость_Иванов_Пётр_Алексеевич_2026-11.pdf"
    pdf = pdfium.PdfDocument(data)
    try:
        flat = re.sub(r"\s+", " ", "".join(p.get_textpage().get_text_range() for p in pdf))
    finally:
        pdf.close()
    assert "Английский язык 4 Н 16 1 4,00 4,00 Математика Н 3 Н 16 2 3,00 3,00" in flat
    assert "из них по уважительной причине: 2, без уважительной причины: 1" in flat


# --- texts ----------------------------------------------------------------------------------


def test_every_report_text_is_in_both_catalogues() -> None:
    used: set[str] = set()
    for path in ROOT.glob("reports/**/*.py"):
        used |= set(
            re.findall(r"""["']((?:report|statement|card)\.[a-z0-9_.]+)["']""", path.read_text())
        )
    used |= {f"report.month.{n}" for n in range(1, 13)}
    used |= {f"report.action.{a}" for a in ("mark.add", "mark.set", "mark.delete")}
    assert len(used) > 60, "the scan found too few keys: it is broken"
    assert sorted(used - set(RU)) == []
    assert sorted(used - set(EN)) == []


# --- the command line: journal report KIND ------------------------------------------------


def report_args(*argv: str):
    import argparse

    from school_journal.cli.report import add_report_parser

    parser = argparse.ArgumentParser(prog="journal")
    add_report_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["report", *argv])


async def test_journal_report_writes_the_files(
    journal: Journal, school: School, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from school_journal.app import App
    from school_journal.cli.report import report_command
    from school_journal.settings import Settings

    app = App(Settings(_env_file=None), None, journal, "")  # type: ignore[arg-type]  # App without an engine: the test has its journal
    out = str(tmp_path)
    assert await report_command(app, report_args("marks", "--class", "5А", "-o", out)) == 0
    written = tmp_path / "Сводная_ведомость_5А_2_четверть.xlsx"
    assert f"Отчёт сохранён: {written}" in capsys.readouterr().out
    rows = sheet_rows(written.read_bytes())
    assert rows[5] == (2, "Иванова Мария Алексеевна", "Математика", "5 3 4", 3, 4.0, 3.75, 4)

    target = tmp_path / "november.xlsx"
    args = report_args("attendance-month", "--class", "5А", "--month", "11.2026", "-o", str(target))
    assert await report_command(app, args) == 0
    assert sheet_rows(target.read_bytes())[-1][-6:] == (96, 4, 2, 1, 1, 1)

    for kind in ("accumulation", "filling", "parents", "audit"):
        assert await report_command(app, report_args(kind, "-o", out)) == 0, kind
    args = report_args("filling", "--from", "23.11.2026", "--to", "2026-11-26", "-o", out)
    assert await report_command(app, args) == 0
    assert (tmp_path / "Заполнение_журнала_школа_2026-11-23_2026-11-26.xlsx").exists()
    args = report_args("statement", "--pupil", "Сидоров Николай Андреевич", "-o", out)
    assert await report_command(app, args) == 0
    assert (tmp_path / "Ведомость_Сидоров_Николай_Андреевич_2026-11.pdf").exists()
    capsys.readouterr()

    assert await report_command(app, report_args("marks", "-o", out)) == 2
    assert "--class" in capsys.readouterr().err
    assert await report_command(app, report_args("marks", "--class", "9Я")) == 1
    assert "Класс «9Я» не найден." in capsys.readouterr().err
    assert await report_command(app, report_args("statement", "--month", "ноябрь")) == 2
