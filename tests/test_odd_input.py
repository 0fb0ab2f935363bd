"""Uploads and odd input (issue 15, items 3 and 7): a zip bomb, a UTF-16 roster, formulas
in a workbook, invisible characters in names, control characters in typed text, a
combined emoji in a roll-call button. Through the real bot and the fake Bot API, or the
``journal`` command, as a school's administrator or a teacher meets them."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select, update

from bot.flows import roster as roster_flows
from core import lessons
from core.journal import Journal
from core.models import BindingRole, Lesson, Person, Pupil
from core.text import clean_typed, normalise_name
from fakegram import FakeUser, MessageView
from school_journal.cli import build_parser, dispatch
from school_journal.settings import Settings
from tests.botkit import Harness
from tests.world import MONDAY, PUPILS, STAFF, World

ROLE_WORDS = {"admin": "администратор", "director": "директор", "deputy": "завуч"}
SUBJECTS = ("Математика", "Английский язык", "Русский язык")


async def admin_user(bot: Harness, world: World) -> FakeUser:
    user = await bot.bound_user(world.staff("admin"), world.people["admin"], BindingRole.STAFF)
    await user.send("/menu")
    await user.wait_reply()
    return user


def world_sheets(pupils: list[tuple[str, str]] | None = None) -> dict[str, list[list[str]]]:
    """The test school's roster, sheet by sheet (the pupils may be given)."""
    teachers = [["ФИО", "Роли"]] + [
        [name, "; ".join(sorted(ROLE_WORDS.get(r.value, "учитель") for r in roles))]
        for name, roles in STAFF.values()
    ]
    classes = [
        ["Название", "Параллель", "Классный руководитель"],
        ["5А", "5", STAFF["math"][0]],
        ["1А", "1", STAFF["primary"][0]],
    ]
    subjects = [["Название"]] + [[name] for name in SUBJECTS]
    rows = pupils if pupils is not None else list(PUPILS.values())
    return {
        "teachers": teachers,
        "classes": classes,
        "subjects": subjects,
        "pupils": [["ФИО", "Класс"]] + [list(row) for row in rows],
    }


def workbook_bytes(sheets: dict[str, list[list[str]]]) -> bytes:
    wb = Workbook()
    wb.remove(wb.worksheets[0])
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def csv_zip(sheets: dict[str, list[list[str]]], encoding: str, delimiter: str = ",") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in sheets.items():
            text = io.StringIO()
            csv.writer(text, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
            archive.writestr(f"{name}.csv", text.getvalue().encode(encoding))
    return buffer.getvalue()


def zip_bomb(unpacked_mb: int) -> bytes:
    """A zip of the roster's CSV files whose pupils.csv unpacks to ``unpacked_mb`` MB:
    one name of that size (written in chunks: the test itself never holds it)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in world_sheets().items():
            if name != "pupils":
                text = "\n".join(",".join(row) for row in rows)
                archive.writestr(f"{name}.csv", text)
        with archive.open("pupils.csv", "w", force_zip64=True) as pupils:
            pupils.write("ФИО,Класс\n".encode())
            chunk = b"A" * (1024 * 1024)
            for _ in range(unpacked_mb):
                pupils.write(chunk)
            pupils.write(",5А\n".encode())
    return buffer.getvalue()


def failed(message: MessageView) -> bool:
    return "не загружен" in (message.text or "")


def loaded(message: MessageView) -> bool:
    return "загружен:" in (message.text or "")


async def pupil_names(journal: Journal) -> set[str]:
    async with journal.transaction() as s:
        rows = await s.scalars(select(Person.full_name).join(Pupil, Pupil.person_id == Person.id))
        return set(rows)


# --- item 3: a zip bomb ---------------------------------------------------------------------


async def test_a_zip_bomb_roster_is_refused_with_the_limit_and_its_progress_message_ends(
    bot: Harness, world: World
) -> None:
    bomb = zip_bomb(120)
    assert len(bomb) < 1024 * 1024  # a small file: it passes the 10 MB download limit
    admin = await admin_user(bot, world)
    before = await pupil_names(bot.journal)
    await admin.send_document(bomb, "школа.zip")
    reply = await admin.wait_reply(predicate=failed, timeout=30)
    text = reply.text or ""
    assert "файл распаковывается в 120 МБ — больше предела 50 МБ" in text
    assert "В журнале ничего не изменилось" in text
    assert reply.history[0].get("text", "").startswith("⏳")  # the progress message ended
    assert not any((m.text or "").startswith("⏳") for m in admin.bot_messages)
    assert await pupil_names(bot.journal) == before


async def test_an_upload_that_fails_unexpectedly_still_ends_its_progress_message(
    bot: Harness, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(roster_flows.roster, "import_for_school", broken)
    admin = await admin_user(bot, world)
    await admin.send_document(workbook_bytes(world_sheets()), "школа.xlsx")
    reply = await admin.wait_reply(predicate=failed)
    assert "обработать его не удалось" in (reply.text or "")
    assert "Traceback" not in (reply.text or "") and "disk on fire" not in (reply.text or "")
    assert not any((m.text or "").startswith("⏳") for m in admin.bot_messages)


async def journal_cmd(settings: Settings, *argv: str) -> int:
    return await dispatch(build_parser().parse_args(list(argv)), settings)


async def test_cli_import_of_a_zip_bomb_or_a_megabyte_name_shows_a_placed_error(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bomb = tmp_path / "school.zip"
    bomb.write_bytes(zip_bomb(60))
    assert await journal_cmd(settings, "import", str(bomb), "--school", "Школа № 1") == 1
    out = capsys.readouterr()
    assert "файл распаковывается в 60 МБ — больше предела 50 МБ" in out.err
    assert "Traceback" not in out.err + out.out

    folder = tmp_path / "school"
    folder.mkdir()
    sheets = world_sheets([("Иванов Пётр Алексеевич", "5А"), ("Я" * 1024 * 1024, "5А")])
    for name, rows in sheets.items():
        text = io.StringIO()
        csv.writer(text).writerows(rows)
        (folder / f"{name}.csv").write_text(text.getvalue(), encoding="utf-8")
    assert await journal_cmd(settings, "import", str(folder), "--school", "Школа № 1") == 1
    out = capsys.readouterr()
    assert "файл «pupils.csv», строка 3: в ячейке больше 10000 символов" in out.err
    assert "Traceback" not in out.err + out.out


# --- item 7: odd input ----------------------------------------------------------------------


async def test_a_utf16_roster_is_read_as_such_not_with_missing_columns(
    bot: Harness, world: World
) -> None:
    """Excel's «Unicode text»: UTF-16 with a byte-order mark and tabs."""
    sheets = world_sheets([*PUPILS.values(), ("Новикова Алиса Павловна", "1А")])
    admin = await admin_user(bot, world)
    await admin.send_document(csv_zip(sheets, "utf-16", "\t"), "школа.zip")
    reply = await admin.wait_reply(predicate=lambda m: failed(m) or loaded(m))
    text = reply.text or ""
    assert "такого столбца в листе нет" not in text
    assert "Ученики: добавлено 1" in text, text
    assert "Новикова Алиса Павловна" in await pupil_names(bot.journal)


def with_formulas(data: bytes, cached: dict[str, str]) -> bytes:
    """The workbook with the given cells' formulas carrying a saved value, as Excel saves
    them (openpyxl writes a formula without its value)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                xml = content.decode()
                for ref, value in cached.items():
                    saved = rf'<c r="{ref}"\1 t="str"><f>\2</f><v>{value}</v>'
                    xml = re.sub(rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v\s*/?>(?:</v>)?', saved, xml)
                content = xml.encode()
            target.writestr(info, content)
    return out.getvalue()


async def test_formulas_in_the_workbook_are_read_by_their_saved_values_or_named(
    bot: Harness, world: World
) -> None:
    wb = Workbook()
    wb.remove(wb.worksheets[0])
    for name, rows in world_sheets().items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    pupils = wb["pupils"]
    pupils.append(['=D7&" "&E7', "1А", None, "Новикова", "Алиса Павловна"])  # row 7
    pupils.append(['=D8&" "&E8', "1А", None, "Новиков", "Пётр Павлович"])  # row 8
    buffer = io.BytesIO()
    wb.save(buffer)
    data = with_formulas(buffer.getvalue(), {"A7": "Новикова Алиса Павловна"})
    admin = await admin_user(bot, world)

    # Row 8's formula was never computed: said at its cell, not «не указано ФИО».
    await admin.send_document(data, "школа.xlsx")
    reply = await admin.wait_reply(predicate=lambda m: failed(m) or loaded(m))
    text = reply.text or ""
    assert "не указано ФИО" not in text
    assert (
        'лист «pupils», строка 8, столбец «ФИО» (A): в ячейке формула «=D8&" "&E8» '
        "без сохранённого значения" in text
    ), text
    assert "строка 7, столбец «ФИО»" not in text  # its saved value is read

    # With the value saved for both, the file loads by the values.
    data = with_formulas(
        buffer.getvalue(), {"A7": "Новикова Алиса Павловна", "A8": "Новиков Пётр Павлович"}
    )
    await admin.send_document(data, "школа.xlsx")
    reply = await admin.wait_reply(predicate=lambda m: failed(m) or loaded(m))
    assert "Ученики: добавлено 2" in (reply.text or ""), reply.text
    names = await pupil_names(bot.journal)
    assert {"Новикова Алиса Павловна", "Новиков Пётр Павлович"} <= names


async def test_invisible_characters_in_names_are_dropped_on_import(
    bot: Harness, world: World
) -> None:
    typed = "Новикова\u200b Алиса\u2060  Пав\u00adловна\u200f"
    decomposed = unicodedata.normalize("NFD", "Семёнов Пётр Ильич")  # е + U+0308
    sheets = world_sheets([*PUPILS.values(), (typed, "1А"), (decomposed, "1А")])
    admin = await admin_user(bot, world)
    await admin.send_document(workbook_bytes(sheets), "школа.xlsx")
    reply = await admin.wait_reply(predicate=lambda m: failed(m) or loaded(m))
    assert "Ученики: добавлено 2" in (reply.text or ""), reply.text
    names = await pupil_names(bot.journal)
    assert {"Новикова Алиса Павловна", "Семёнов Пётр Ильич"} <= names

    # The clean spelling is the same pupil: nothing new.
    clean = world_sheets(
        [*PUPILS.values(), ("Новикова Алиса Павловна", "1А"), ("Семёнов Пётр Ильич", "1А")]
    )
    await admin.send_document(workbook_bytes(clean), "школа.xlsx")
    again = await admin.wait_reply(predicate=lambda m: failed(m) or loaded(m))
    assert "Изменений нет." in (again.text or ""), again.text


async def test_a_nul_character_in_typed_homework_is_dropped_and_the_homework_saved(
    bot: Harness, world: World
) -> None:
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await teacher.send("/today")
    await teacher.wait_reply()
    await teacher.press_and_wait(lambda b: "5А Математика" in b.text)
    await teacher.press_and_wait("🏠 ДЗ")
    await teacher.send("с. 5,\x00 № 3\x07\nи № 4\tустно")
    saved = await teacher.wait_reply()
    assert "Сохранено" in (saved.text or ""), saved.text
    [lesson] = await lessons.teacher_day(bot.journal, world.staff("math"), MONDAY)
    async with bot.journal.transaction() as s:
        homework = await s.scalar(select(Lesson.homework).where(Lesson.id == lesson.id))
    assert homework == "с. 5, № 3\nи № 4\tустно"  # the line break and the tab stay
    await bot.settle(teacher)


async def test_a_combined_emoji_in_a_name_stays_whole_on_the_roll_call_button(
    bot: Harness, world: World
) -> None:
    astronaut = "\U0001f469\u200d\U0001f680"  # 👩‍🚀: woman + ZWJ + rocket
    async with bot.journal.transaction() as s:
        await s.execute(
            update(Person)
            .where(Person.id == world.people["kolya"])
            .values(full_name=f"Сидоров {astronaut}Николай Андреевич")
        )
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await teacher.send("/today")
    await teacher.wait_reply()
    card = await teacher.press_and_wait(lambda b: "5А Математика" in b.text)
    assert f"▫️ Сидоров {astronaut}." in card.button_texts, card.button_texts
    await bot.settle(teacher)


def test_typed_text_and_names_are_cleaned_by_one_function_each() -> None:
    assert clean_typed("a\x00b\r\nc\td\x1b") == "ab\nc\td"
    assert clean_typed("обычный текст\nвторая строка") == "обычный текст\nвторая строка"
    assert normalise_name(" Иванов\u200b  Пётр\tИванович\u00ad ") == "Иванов Пётр Иванович"
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert normalise_name(f"{family} Семья") == f"{family} Семья"  # the ZWJ of an emoji stays
