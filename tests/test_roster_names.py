"""Issue 10 follow-up: a roster error names the sheet and the column in the admin's own
words — the sheet as the file spells it, the column by its header in the file and its
letter, a sheet the file lacks by its title — never by the importer's English keys
(«лист pupils, столбец class»). Through `journal import` and the bot's upload alike."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from core.journal import Journal
from core.models import Bell, Pupil
from core.roster import read_roster_bytes
from core.roster.format import SHEETS_SPEC, sheet_key
from school_journal.settings import Settings
from tests.botkit import Harness
from tests.test_bot_admin_e2e import pupil_count, staff_user, world_roster
from tests.test_roster_sheets import cli_import, count, edited
from tests.world import World
from texts import CATALOGUES
from texts.roster import problem_line

WRONG_CLASS = "класс «7В» не найден в листе «Классы»"
NO_END = "такого столбца в листе нет, а он обязателен"
OLD_WORDS = ("лист pupils", "столбец class", "лист bells", "(end)", "листе classes")


async def test_journal_import_names_sheets_and_columns_as_the_file_does(
    settings: Settings, journal: Journal, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheets = edited(
        Ученики=[["ФИО", "Класс"], ["Петров Иван Сергеевич", "7В"]],
        Звонки=[["Номер урока", "Начало"], [1, "08:30"]],  # no «Конец»
    )
    assert await cli_import(settings, tmp_path, sheets) == 1
    err = capsys.readouterr().err
    lines = [line.strip() for line in err.splitlines()]
    assert f"лист «Ученики», строка 2, столбец «Класс» (B): {WRONG_CLASS}" in lines, err
    assert f"лист «Звонки», строка 1, столбец «Конец»: {NO_END}" in lines, err
    assert not any(old in err for old in OLD_WORDS), err
    assert "Traceback" not in err
    assert await count(journal, Pupil) == 0 and await count(journal, Bell) == 0


async def test_the_bot_upload_names_sheets_and_columns_as_the_file_does(
    bot: Harness, world: World
) -> None:
    wb = load_workbook(io.BytesIO(world_roster()))
    pupils = wb["Ученики"]
    pupils.cell(row=2, column=2, value="7В")
    bells = wb.create_sheet("Звонки")
    bells.append(["Номер урока", "Начало"])  # no «Конец»
    bells.append([1, "08:30"])
    buffer = io.BytesIO()
    wb.save(buffer)
    before = await pupil_count(bot.journal)

    admin = await staff_user(bot, world, "admin")
    await admin.send_document(buffer.getvalue(), "школа.xlsx")
    reply = await admin.wait_reply(predicate=lambda m: "не загружен" in (m.text or ""))
    text = reply.text or ""
    assert f"• лист «Ученики», строка 2, столбец «Класс» (B): {WRONG_CLASS}" in text, text
    assert f"• лист «Звонки», строка 1, столбец «Конец»: {NO_END}" in text, text
    assert not any(old in text for old in OLD_WORDS), text
    assert await pupil_count(bot.journal) == before


def test_csv_files_in_a_zip_are_named_by_their_file() -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("teachers.csv", "ФИО,Роли\nИванова Анна Петровна,учитель\n")
        z.writestr("classes.csv", "Название\n5А\n")
        z.writestr("Ученики.csv", "ФИО\nПетров Иван Сергеевич\n")  # no «Класс»
    roster = read_roster_bytes(archive.getvalue(), "школа.zip")
    assert [problem_line(p) for p in roster.problems] == [
        "файл «subjects.csv»: такого файла нет, а он обязателен",
        f"файл «Ученики.csv», строка 1, столбец «Класс»: {NO_END}",
    ]
    assert [problem_line(p, "en") for p in roster.problems] == [
        "file “subjects.csv”: there is no such file, and it is required",
        "file “Ученики.csv”, row 1, column “Class”: the sheet has no such column, and it is "
        "required",
    ]


def test_every_column_is_named_by_its_template_title_and_its_english_title_is_read() -> None:
    for spec in SHEETS_SPEC:
        for column in spec.columns:
            assert CATALOGUES["ru"][f"roster.column.{column.key}"] == column.title, spec.key
            assert spec.column(CATALOGUES["en"][f"roster.column.{column.key}"]) == column.key
        assert sheet_key(CATALOGUES["en"][f"roster.sheet.{spec.key}"]) == spec.key
