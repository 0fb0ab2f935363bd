"""Reports a deputy prints and files (issue 10): the audit report in words (R9), file names
that say which class they cover, XLSX pages set up for A4."""

from __future__ import annotations

import argparse
import io
import re
from datetime import date, datetime
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select

from core import attendance, audit, lessons, marks, revert, schools
from core.access import actor_for_binding
from core.clock import ManualClock
from core.journal import Journal
from core.models import AuditEntry, Binding, BindingRole, Presence
from fakegram import MessageView
from reports import xlsx
from school_journal.app import App
from school_journal.cli.report import add_report_parser, report_command
from school_journal.settings import Settings
from tests.botkit import Harness
from tests.conftest import MOSCOW
from tests.world import MONDAY, World
from texts import t
from texts.en import EN
from texts.revert import render
from texts.ru import RU

CODE = re.compile(r"^[a-z_]+\.[a-z_]+$")  # what an action code looks like


def at(clock: ManualClock, hour: int, minute: int = 0, day: date = MONDAY) -> datetime:
    clock.set(datetime(day.year, day.month, day.day, hour, minute, tzinfo=MOSCOW))
    return clock.now()


async def math_lesson(journal: Journal, w: World) -> int:
    day = await lessons.teacher_day(journal, w.staff("math"), MONDAY)
    return next(x.id for x in day if x.lesson_no == 1)


# --- R9: the audit report in words ------------------------------------------------------------


def test_r9_every_action_the_audit_log_can_hold_has_russian_and_english_words() -> None:
    assert len(audit.Action) >= 17
    for action in audit.Action:
        key = f"report.action.{action}"
        assert key in RU and key in EN, action
        assert re.search("[а-яё]", RU[key]), (action, RU[key])
        assert not CODE.match(RU[key]) and not CODE.match(EN[key])


async def test_r9_the_audit_log_refuses_an_action_code_it_has_no_words_for(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    with pytest.raises(ValueError):
        async with journal.transaction() as s:
            await audit.record(
                s,
                school_id=world.school_id,
                at=clock.now(),
                actor_id=None,
                action="mark.teleport",  # type: ignore[arg-type]  # an unknown action, on purpose
                entity="mark",
                key={"mark_id": 1},
                old=None,
                new=None,
            )
    async with journal.transaction() as s:
        assert list(await s.scalars(select(AuditEntry.action))) == []


async def test_r9_audit_report_after_roll_call_marks_and_a_revert_reads_in_words(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    w, p = world, world.people
    math, admin = w.staff("math"), w.staff("admin")
    async with journal.transaction() as s:
        phone = Binding(
            user_id=101,
            person_id=p["math"],
            role=BindingRole.STAFF.value,
            created_at=datetime(2026, 9, 1, tzinfo=MOSCOW),
        )
        s.add(phone)
        await s.flush()
        binding = phone.id
    m1 = await math_lesson(journal, w)

    at(clock, 9)  # the teacher's morning: roll call, marks, a correction, the topic
    await attendance.set_status(journal, math, m1, p["petya"], Presence.ABSENT)
    await attendance.mark_rest_present(journal, math, m1)
    await marks.add_mark(journal, math, m1, p["masha"], 5, "answer")
    await marks.add_mark(journal, math, m1, p["kolya"], 3, "answer")
    kolya = (await marks.lesson_marks(journal, math, m1))[p["kolya"]][0].id
    await marks.change_mark(journal, math, kolya, 4)
    await lessons.set_topic(journal, math, m1, "Дроби")
    reported = at(clock, 10)  # the phone is stolen
    at(clock, 10, 5)
    await marks.change_mark(journal, math, kolya, 2)
    at(clock, 11)
    await revert.revert(journal, admin, binding, reported, "украден телефон")

    async with journal.transaction() as s:
        written = set(await s.scalars(select(AuditEntry.action)))
    assert written == {
        "attendance.set",
        "mark.add",
        "mark.set",
        "lesson.topic",
        "mark.revert",
    }
    assert written <= set(audit.Action)

    _, data = await xlsx.audit_xlsx(journal, admin)
    ws = first_sheet(data)
    header = [c.value for c in ws[2]]
    action_col, reason_col = header.index("Действие"), header.index("Основание")
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=3)]
    actions = [r[action_col] for r in rows]
    assert actions == [
        "выставлена",
        "выставлена",
        "исправлена",
        "исправлена",
        "изменение отменено (отключённый аккаунт)",
    ]
    assert not any(CODE.match(str(cell)) for r in rows for cell in r if cell is not None)
    assert rows[-1][reason_col] == "украден телефон"  # not «R3 revert of entry #…»
    assert [r[header.index("Было")] for r in rows][-1] == 2
    assert [r[header.index("Стало")] for r in rows][-1] == 4

    _, data = await xlsx.audit_xlsx(journal, admin, lang="en")
    ws = first_sheet(data)
    assert ws.cell(row=7, column=action_col + 1).value == "change undone (disconnected account)"


# --- a class's report never overwrites the school's --------------------------------------------


async def a_day_of_5a_and_1a(journal: Journal, w: World, clock: ManualClock) -> None:
    at(clock, 10)
    m1 = await math_lesson(journal, w)
    await attendance.set_status(journal, w.staff("math"), m1, w.people["petya"], Presence.ABSENT)
    await attendance.mark_rest_present(journal, w.staff("math"), m1)
    await marks.add_mark(journal, w.staff("math"), m1, w.people["masha"], 5, "answer")
    primary = await lessons.teacher_day(journal, w.staff("primary"), MONDAY)
    await attendance.mark_rest_present(journal, w.staff("primary"), primary[0].id)


def report_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="journal")
    add_report_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["report", *argv])


def files_in(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def first_sheet(data: bytes) -> Worksheet:
    """The sheet a report's workbook opens on."""
    ws = load_workbook(io.BytesIO(data)).active
    assert isinstance(ws, Worksheet)
    return ws


def class_column(path: Path) -> set[str]:
    """The classes a report's first sheet lists (its «Класс» column)."""
    ws = load_workbook(path).worksheets[0]
    header = [c.value for c in ws[2]]
    column = header.index("Класс")
    return {str(r[column]) for r in ws.iter_rows(min_row=3, values_only=True) if r[column]}


async def test_r21_a_class_report_and_the_school_report_of_one_period_are_two_files(
    journal: Journal, world: World, clock: ManualClock, tmp_path: Path
) -> None:
    await a_day_of_5a_and_1a(journal, world, clock)
    app = App(Settings(_env_file=None), None, journal, "")  # type: ignore[arg-type]  # App without an engine: the test has its journal
    out = str(tmp_path)
    expected = {
        "accumulation": ("Накопляемость_школа_2_четверть", "Накопляемость_5А_2_четверть"),
        "filling": (
            "Заполнение_журнала_школа_2026-11-05_2026-11-23",
            "Заполнение_журнала_5А_2026-11-05_2026-11-23",
        ),
        "parents": ("Активность_родителей_школа_2026-11-23", "Активность_родителей_5А_2026-11-23"),
        "audit": ("Изменения_отметок_школа_2026-2027", "Изменения_отметок_5А_2026-2027"),
        "movement": (
            "Движение_учащихся_школа_2026-11-05_2026-12-28",
            "Движение_учащихся_5А_2026-11-05_2026-12-28",
        ),
    }
    for kind in expected:
        assert await report_command(app, report_args(kind, "-o", out)) == 0, kind
        assert await report_command(app, report_args(kind, "--class", "5А", "-o", out)) == 0
    # The monthly statement (R18), with nobody opted out yet: still one file per class.
    for cls in ("5А", "1А"):
        args = report_args("statement", "--class", cls, "--month", "2026-11", "-o", out)
        assert await report_command(app, args) == 0
    assert files_in(tmp_path) == {f"{n}.xlsx" for pair in expected.values() for n in pair} | {
        "Ведомость_5А_2026-11.pdf",
        "Ведомость_1А_2026-11.pdf",
    }
    # Each file holds what its name says.
    assert class_column(tmp_path / "Активность_родителей_школа_2026-11-23.xlsx") == {"1А", "5А"}
    assert class_column(tmp_path / "Активность_родителей_5А_2026-11-23.xlsx") == {"5А"}


def is_document(view: MessageView) -> bool:
    return view.document is not None


async def test_r21_the_bot_names_the_class_in_the_document_it_sends(
    bot: Harness, world: World
) -> None:
    director = await bot.bound_user(
        world.staff("admin"), world.people["director"], BindingRole.STAFF
    )
    await director.send("/menu")
    await director.wait_reply()
    await director.press_and_wait("📊 Отчёты")
    await director.press("Накопляемость отметок")
    school = await director.wait_reply(predicate=is_document)
    assert school.document is not None
    assert school.document["file_name"] == "Накопляемость_школа_2_четверть.xlsx"

    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await teacher.send("/menu")
    await teacher.wait_reply()
    await teacher.press_and_wait("👥 Мой класс 5А")
    await teacher.press_and_wait("📊 Отчёты по классу")
    await teacher.press("Накопляемость отметок")
    own = await teacher.wait_reply(predicate=is_document)
    assert own.document is not None
    assert own.document["file_name"] == "Накопляемость_5А_2_четверть.xlsx"


# --- XLSX reports print on A4 as they are ----------------------------------------------------


def check_print_layout(name: str, ws: Worksheet) -> None:
    where = f"{name}: {ws.title}"
    setup = ws.page_setup
    assert setup.orientation == "landscape", where
    assert setup.paperSize is not None and int(setup.paperSize) == 9, where  # A4
    assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), where
    fit = ws.sheet_properties.pageSetUpPr
    assert fit is not None and fit.fitToPage, where
    assert ws.print_title_rows == "$1:$2", where  # the title and the header on every page
    assert ws.oddFooter is not None and ws.oddFooter.center is not None, where
    assert "&P" in (ws.oddFooter.center.text or ""), where  # page numbers
    assert ws.freeze_panes is not None and ws.freeze_panes.endswith("3"), where
    last = ws.max_column
    title = ws["A1"].value
    assert isinstance(title, str) and title.startswith("Школа № 1 — "), (where, title)
    assert re.search(r"20\d\d", title), (where, title)  # the report's period
    assert ws["A1"].font.bold and ws["A1"].alignment.wrap_text, where
    if last > 1:
        assert f"A1:{get_column_letter(last)}1" in {str(r) for r in ws.merged_cells.ranges}, where
    assert ws.row_dimensions[1].height and ws.row_dimensions[1].height >= 15, where
    for row in ws.iter_rows(min_row=2, max_row=ws.max_row, max_col=last):
        for cell in row:
            sides = (cell.border.left, cell.border.right, cell.border.top, cell.border.bottom)
            assert all(s.style == "thin" for s in sides), (where, cell.coordinate)
    assert all(c.font.bold for c in ws[2]), where
    for column in range(1, last + 1):
        width = ws.column_dimensions[get_column_letter(column)].width
        assert 5 <= width <= 50, (where, column, width)


async def test_every_xlsx_report_prints_on_a4_landscape_with_its_title_and_header_on_each_page(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    await a_day_of_5a_and_1a(journal, world, clock)
    admin, c5 = world.staff("admin"), world.classes["5А"]
    period = world.periods["2 четверть"]
    start, end = date(2026, 11, 5), date(2026, 11, 30)
    files = [
        await xlsx.attendance_month_xlsx(journal, admin, c5, date(2026, 11, 1)),
        await xlsx.attendance_summary_xlsx(journal, admin, c5, start, end),
        await xlsx.marks_summary_xlsx(journal, admin, c5, period),
        await xlsx.accumulation_xlsx(journal, admin, period),
        await xlsx.filling_xlsx(journal, admin, start, end),
        await xlsx.parents_xlsx(journal, admin),
        await xlsx.audit_xlsx(journal, admin),
        await xlsx.movement_xlsx(journal, admin, start, end),
    ]
    sheets = 0
    for name, data in files:
        for ws in load_workbook(io.BytesIO(data)).worksheets:
            check_print_layout(name, ws)
            sheets += 1
    assert sheets == 13
    first = first_sheet(files[0][1])
    assert first["A1"].value == (
        "Школа № 1 — Посещаемость класса 5А за ноябрь 2026 г. (учтены уроки по 23.11.2026)"
    )
    _, english = await xlsx.marks_summary_xlsx(journal, admin, c5, period, "en")
    en = first_sheet(english)
    assert str(en["A1"].value).startswith("Школа № 1 — ")
    assert en.oddFooter is not None and en.oddFooter.center is not None
    assert en.oddFooter.center.text == "Page &P of &N"


# --- R2: invitation cards name the bot (its @username from getMe) --------------------------


async def test_r2_cards_the_bot_sends_name_it_for_a_parent_who_cannot_scan(
    bot: Harness, world: World
) -> None:
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await teacher.send("/menu")
    await teacher.wait_reply()
    await teacher.press_and_wait("👥 Мой класс 5А")
    await teacher.press("🔑 Коды для родителей и учеников")
    sent = await teacher.wait_reply(predicate=is_document)
    assert sent.file_bytes is not None
    pdf = pdfium.PdfDocument(sent.file_bytes)
    try:
        text = " ".join(page.get_textpage().get_text_range() for page in pdf)
    finally:
        pdf.close()
    cards = re.sub(r"\s+", " ", text).split("Школа № 1")[1:]
    assert len(cards) == 5  # 5А: three pupils, two parents
    assert all("@school_journal_bot" in card for card in cards)
    assert all("t.me/school_journal_bot" in card for card in cards)


async def test_r3_r9_the_revert_preview_names_a_rules_change_in_words(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    async with journal.transaction() as s:
        phone = Binding(
            user_id=102,
            person_id=world.people["director"],
            role=BindingRole.STAFF.value,
            created_at=datetime(2026, 9, 1, tzinfo=MOSCOW),
        )
        s.add(phone)
        await s.flush()
        director = await actor_for_binding(s, phone.id)
    reported = at(clock, 9)
    at(clock, 9, 30)
    await schools.set_school_rules(journal, director, edit_window_days=7)
    (item,) = await revert.preview(journal, world.staff("admin"), phone.id, reported)
    line = render(revert.describe(item, MOSCOW), t)
    assert "изменены правила школы" in line and "school.rules" not in line
