"""Issue 10: an import says what it skipped, and every sheet name the product shows is one
the importer reads. One table of sheet and column names (``core.roster.format``) serves the
reader, the bot's upload prompt, the README and the blank template (``journal template``,
the bot's «📄 Шаблон таблицы»), which imports as written."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from core.journal import Journal
from core.models import Guardianship, Period, Person, Pupil, SchoolClass, TimetableEntry
from core.roster import read_roster_bytes
from core.roster.format import SHEET_SPECS, SHEETS_SPEC, name_form, sheet_key
from reports.roster_template import roster_template
from school_journal.cli import build_parser, dispatch
from school_journal.settings import Settings
from tests.botkit import Harness
from tests.test_bot_admin_e2e import is_document, staff_user, world_roster
from tests.world import World
from texts import CATALOGUES

ROOT = Path(__file__).resolve().parent.parent
SCHOOL = "Школа № 1"

# A small school in a workbook whose sheets carry the names the bot's upload prompt gave
# them before this issue: «Учебные периоды» was among them, the importer knew «периоды».
AS_THE_BOT_SAYS: dict[str, list[list[object]]] = {
    "Сотрудники": [["ФИО", "Роли"], ["Иванова Анна Петровна", "директор; учитель"]],
    "Классы": [["Название", "Параллель"], ["5А", 5]],
    "Предметы": [["Название"], ["Математика"]],
    "Ученики": [["ФИО", "Класс"], ["Петров Иван Сергеевич", "5А"]],
    "Учебные периоды": [
        ["Название", "Начало", "Конец"],
        ["1 четверть", "01.09.2026", "24.10.2026"],
        ["2 четверть", "05.11.2026", "28.12.2026"],
    ],
}


def workbook(sheets: dict[str, list[list[object]]]) -> bytes:
    wb = Workbook()
    wb.remove(wb.worksheets[0])
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def edited(**changes: list[list[object]] | None) -> dict[str, list[list[object]]]:
    sheets = dict(AS_THE_BOT_SAYS)
    for title, rows in changes.items():
        title = title.replace("_", " ")
        if rows is None:
            sheets.pop(title)
        else:
            sheets[title] = rows
    return sheets


async def count(journal: Journal, model: type[object]) -> int:
    async with journal.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def journal_cmd(settings: Settings, *argv: str) -> int:
    return await dispatch(build_parser().parse_args(list(argv)), settings)


async def cli_import(
    settings: Settings, tmp_path: Path, sheets: dict[str, list[list[object]]]
) -> int:
    path = tmp_path / "школа.xlsx"
    path.write_bytes(workbook(sheets))
    return await journal_cmd(settings, "import", str(path), "--school", SCHOOL)


# --- every name the product shows is read ---------------------------------------------------


async def test_a_workbook_with_the_sheets_named_as_the_bot_says_imports_its_periods(
    settings: Settings, journal: Journal, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await cli_import(settings, tmp_path, AS_THE_BOT_SAYS) == 0
    out = capsys.readouterr().out
    assert "Учебные периоды: добавлено 2" in out
    assert "Пропущено" not in out
    async with journal.transaction() as s:
        names = set(await s.scalars(select(Period.name)))
    assert names == {"1 четверть", "2 четверть"}


def shown_sheet_names() -> set[str]:
    """Every sheet name a user reads: the upload prompt (as the bot renders it), the
    summary's sheet titles and the texts that point to a sheet, in every language, and the
    README's roster table."""
    from core.roster.format import sheet_titles

    names: set[str] = set()
    for catalogue in CATALOGUES.values():
        prompt = catalogue["roster.help"].format(
            required=sheet_titles(required=True), optional=sheet_titles(required=False)
        )
        for listed in re.findall(r"sheets: ([^.]+)\.|листы: ([^.]+)\.", prompt):
            for part in re.split(r"[;,]|по желанию —|optional:", "".join(listed)):
                if part.strip():
                    names.add(part.strip())
        names |= {text for key, text in catalogue.items() if key.startswith("roster.sheet.")}
        for key in ("reports.no_period", "periods.none", "roster.warning.empty_group"):
            text = catalogue[key]
            names |= set(re.findall(r"(?:лист|sheet) [«“]([^»”]+)[»”]", text))
            names |= set(re.findall(r"[«“]([^»”]+)[»”] sheet", text))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Roster format", 1)[1].split("\n## ", 1)[0]
    for line in section.splitlines():
        if line.startswith("| `"):
            names |= set(re.findall(r"`([^`]+)`", line.split("|")[1]))
    return names


def test_every_sheet_name_the_product_shows_is_read() -> None:
    names = shown_sheet_names()
    assert {"Учебные периоды", "Reporting periods", "periods", "Сотрудники"} <= names
    assert len(names) > 30, "the scan found too few names: it is broken"
    assert sorted(n for n in names if sheet_key(n) is None) == []
    # Case, ё/е, spaces, underscores and dashes do not matter.
    for spelling in ("учебные_периоды", "  УЧЕБНЫЕ   ПЕРИОДЫ ", "Учебные-периоды"):
        assert sheet_key(spelling) == "periods"


def test_the_readme_lists_every_sheet_by_each_of_its_names() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Setting up a school", 1)[1].split("\n## ", 1)[0]
    for spec in SHEETS_SPEC:
        rows = [x for x in section.splitlines() if x.startswith("| ")]
        line = next((x for x in rows if f"`{spec.key}`" in x.split("|")[1]), "")
        assert line, f"the README's roster table has no row for {spec.key}"
        listed = set(re.findall(r"`([^`]+)`", line.split("|")[1]))
        assert set(spec.names) == listed, spec.key
        columns = set(re.findall(r"`([^`]+)`", line.split("|")[2]))
        assert {c.key for c in spec.columns} <= columns, spec.key
    assert "journal template" in section and "📄 Шаблон таблицы" in section


def test_every_column_header_the_template_writes_is_read() -> None:
    for spec in SHEETS_SPEC:
        for column in spec.columns:
            for name in column.names:
                assert spec.column(name) == column.key, (spec.key, name)
            assert spec.column(column.title.upper().replace(" ", "_")) == column.key
        assert spec.column("id") == "id"  # every sheet may carry the other system's id
        assert spec.column("Отчество") is None
    assert name_form("Дата  рождения") == name_form("дата_рождения")


# --- what an import skips is said, located ------------------------------------------------


async def test_an_unknown_sheet_is_a_warning_and_the_import_goes_on(
    settings: Settings, journal: Journal, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheets = edited(Заметки=[["Что", "Кому"], ["купить мел", "завхозу"]], Пустой=[])
    assert await cli_import(settings, tmp_path, sheets) == 0
    out = capsys.readouterr().out
    assert "⚠️ Пропущено при загрузке (1) — загрузке это не помешало:" in out
    assert (
        "• лист «Заметки»: лист не распознан и пропущен, его данные не загружены. Если это "
        "лист списка школы, назовите его одним из имён: «Сотрудники», «Классы»"
    ) in out
    assert "Пустой" not in out  # an empty extra sheet loses nothing
    assert await count(journal, Pupil) == 1


async def test_an_unknown_column_is_a_warning_at_its_letter_and_the_rest_is_read(
    settings: Settings, journal: Journal, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pupils: list[list[object]] = [
        ["ФИО", "Класс", "Отчество матери", None, "Дата рождения", "ФИО"],
        ["Петров Иван Сергеевич", "5А", "Ивановна", "забыл заголовок", "01.03.2015", "Другой"],
        ["Сидоров Пётр Ильич", "5А", None, None, None, None, "за краем заголовка"],
    ]
    assert await cli_import(settings, tmp_path, edited(Ученики=pupils)) == 0
    out = capsys.readouterr().out
    assert "⚠️ Пропущено при загрузке (4)" in out
    assert (
        "• лист «Ученики», строка 1, столбец «Отчество матери» (C): столбец «Отчество матери» "
        "не распознан и "
        "пропущен. Столбцы этого листа: ФИО, Класс, Дата рождения, Дата прибытия, "
        "Дата выбытия, id"
    ) in out
    assert "• лист «Ученики», строка 2, столбец D: у столбца нет заголовка" in out
    assert "• лист «Ученики», строка 1, столбец «ФИО» (F): столбец «ФИО» повторяет столбец A" in out
    assert "• лист «Ученики», строка 3, столбец G: у столбца нет заголовка" in out
    async with journal.transaction() as s:
        rows = await s.execute(select(Person.full_name, Pupil.birth_date).join(Pupil))
        born = {name: day for name, day in rows.all()}
    assert born == {"Петров Иван Сергеевич": date(2015, 3, 1), "Сидоров Пётр Ильич": None}


async def test_a_known_sheet_without_a_required_column_is_an_error_and_nothing_changes(
    settings: Settings, journal: Journal, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    periods: list[list[object]] = [
        ["Название", "Начало", "Окончание дня"],
        ["1 четверть", "01.09.2026", "x"],
    ]
    assert await cli_import(settings, tmp_path, edited(Учебные_периоды=periods)) == 1
    err = capsys.readouterr().err
    assert (
        "лист «Учебные периоды», строка 1, столбец «Конец»: такого столбца в листе нет, а он "
        "обязателен"
    ) in err
    # What would have been skipped besides is said too.
    assert (
        "• лист «Учебные периоды», строка 1, столбец «Окончание дня» (C): столбец «Окончание дня»"
    ) in err
    assert await count(journal, Pupil) == 0 and await count(journal, Period) == 0


async def test_two_sheets_of_one_kind_are_an_error_as_one_would_be_lost(
    settings: Settings, journal: Journal, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheets = edited(periods=[["name", "start", "end"], ["3 четверть", "11.01.2027", "20.03.2027"]])
    assert await cli_import(settings, tmp_path, sheets) == 1
    err = capsys.readouterr().err
    assert "лист «periods»: это тоже лист «Учебные периоды», как и лист «Учебные периоды»" in err
    assert await count(journal, Period) == 0


async def test_r20_lessons_of_a_subgroup_nobody_is_in_are_warned_about(
    settings: Settings, journal: Journal, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    timetable: list[list[object]] = [
        ["Класс", "Подгруппа", "День недели", "Номер урока", "Предмет", "Учитель"],
        ["5А", "1 группа", "пн", 1, "Математика", "Иванова Анна Петровна"],
        ["5А", "1 группа", "вт", 1, "Математика", "Иванова Анна Петровна"],
        ["5А", "", "ср", 1, "Математика", "Иванова Анна Петровна"],
    ]
    assert await cli_import(settings, tmp_path, edited(Расписание=timetable)) == 0
    out = capsys.readouterr().out
    assert (
        "• лист «Расписание», строка 2, столбец «Подгруппа» (B): в подгруппе «1 группа» (5А, "
        "Математика) нет "
        "ни одного ученика, а уроков у неё в расписании — 2: перекличка на них будет пустой. "
        "Укажите состав подгруппы в листе «Подгруппы»"
    ) in out
    assert await count(journal, TimetableEntry) == 3

    # With the subgroup's pupils listed, the warning is gone.
    groups: list[list[object]] = [["Класс", "Предмет", "Подгруппа", "Ученик"]]
    groups.append(["5А", "Математика", "1 группа", "Петров Иван Сергеевич"])
    assert await cli_import(settings, tmp_path, edited(Расписание=timetable, Подгруппы=groups)) == 0
    assert "Пропущено" not in capsys.readouterr().out
    # The journal now holds them: a file without the groups sheet keeps them, no warning.
    assert await cli_import(settings, tmp_path, edited(Расписание=timetable)) == 0
    assert "Пропущено" not in capsys.readouterr().out


# --- the blank template ---------------------------------------------------------------------


async def test_journal_template_writes_every_sheet_and_imports_as_written(
    settings: Settings, journal: Journal, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "roster.xlsx"
    assert await journal_cmd(settings, "template", str(path)) == 0
    assert f"Шаблон списка школы записан в {path}" in capsys.readouterr().out

    wb = load_workbook(path)
    assert wb.sheetnames == [spec.title for spec in SHEETS_SPEC]
    assert "Учебные периоды" in wb.sheetnames
    for spec in SHEETS_SPEC:
        ws = wb[spec.title]
        assert [c.value for c in ws[1]] == [c.title for c in spec.columns]
        assert ws.max_row == 2, spec.key  # one example row
    rules = {
        (ws.title, str(v.sqref).split(":")[0], v.type, v.formula1, v.formula2)
        for ws in wb.worksheets
        for v in ws.data_validations.dataValidation
    }
    assert ("Классы", "B2", "whole", "1", "11") in rules
    assert ("Предметы", "B2", "list", '"да,нет"', None) in rules
    assert ("Родители", "E2", "list", '"да,нет"', None) in rules
    assert ("Расписание", "C2", "list", '"пн,вт,ср,чт,пт,сб,вс"', None) in rules
    assert ("Ученики", "C2", "date", "DATE(2000,1,1)", "DATE(2100,12,31)") in rules
    assert ("Звонки", "A2", "whole", "0", "20") in rules
    prompts = {str(v.sqref): v.prompt for v in wb["Сотрудники"].data_validations.dataValidation}
    assert prompts["B2:B1001"] == (
        "Обязательный столбец. Через точку с запятой: директор; завуч; администратор; учитель."
    )

    read = read_roster_bytes(path.read_bytes(), path.name)
    assert read.problems == [] and read.warnings == []
    assert await journal_cmd(settings, "import", str(path), "--school", SCHOOL) == 0
    out = capsys.readouterr().out
    assert "Пропущено" not in out
    for spec in SHEETS_SPEC:
        title = CATALOGUES["ru"][f"roster.sheet.{spec.key}"]
        assert f"{title}: добавлено 1, изменено 0" in out, spec.key
    async with journal.transaction() as s:
        assert set(await s.scalars(select(Person.full_name))) == {
            "Иванова Анна Петровна",
            "Петров Иван Сергеевич",
            "Петрова Мария Ивановна",
        }
        assert await s.scalar(select(SchoolClass.grade)) == 5
        link = await s.scalar(select(Guardianship))
        assert link is not None and link.consent is True and not link.diary_opt_out
        assert await s.scalar(select(Period.name)) == "1 четверть"
        entry = await s.scalar(select(TimetableEntry))
        assert entry is not None and (entry.weekday, entry.room) == (1, "201")


async def test_journal_template_never_writes_over_a_file(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    filled = tmp_path / "roster.xlsx"
    filled.write_bytes(workbook(AS_THE_BOT_SAYS))  # the school's roster, filled in
    assert await journal_cmd(settings, "template", str(filled)) == 1
    assert "уже есть" in capsys.readouterr().err
    assert load_workbook(filled).sheetnames == list(AS_THE_BOT_SAYS)  # left as it was


async def test_journal_template_into_a_missing_folder_says_so(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "нет такой папки" / "roster"
    assert await journal_cmd(settings, "template", str(path)) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"Не удалось записать шаблон в {path}.xlsx: такой папки нет")
    assert "Traceback" not in err


def test_every_sheet_of_the_table_is_in_the_template_and_back() -> None:
    data = roster_template(date(2027, 3, 1))
    read = read_roster_bytes(data, "t.xlsx")
    assert read.problems == [] and read.warnings == []
    assert read.titles == {key: spec.title for key, spec in SHEET_SPECS.items()}
    assert read.periods is not None and read.periods[0].start == date(2026, 9, 1)


# --- in the bot ------------------------------------------------------------------------------


async def test_the_upload_screen_names_the_sheets_and_sends_the_template(
    bot: Harness, world: World
) -> None:
    admin = await staff_user(bot, world, "admin")
    prompt = await admin.press_and_wait("📥 Загрузить список школы")
    text = prompt.text or ""
    assert "Обязательные листы: Сотрудники, Классы, Предметы, Ученики;" in text
    assert "Звонки, Расписание, Учебные периоды." in text
    assert prompt.button_texts == ["📄 Шаблон таблицы", "☰ Меню"]

    await admin.press("📄 Шаблон таблицы")
    sent = await admin.wait_reply(predicate=is_document)
    assert sent.document is not None and sent.file_bytes is not None
    assert sent.document["file_name"] == "Шаблон_списка_школы.xlsx"
    assert "Шаблон списка школы" in (sent.caption or "")
    # The same workbook as `journal template` writes.
    ours = load_workbook(io.BytesIO(roster_template(date(2026, 11, 23))))
    theirs = load_workbook(io.BytesIO(sent.file_bytes))
    assert theirs.sheetnames == ours.sheetnames
    for ws in ours.worksheets:
        rows = [[c.value for c in row] for row in ws.iter_rows()]
        assert [[c.value for c in row] for row in theirs[ws.title].iter_rows()] == rows


async def test_the_bot_upload_says_what_it_skipped(bot: Harness, world: World) -> None:
    wb = load_workbook(io.BytesIO(world_roster()))
    notes = wb.create_sheet("Заметки")
    notes.append(["купить мел"])
    timetable = wb.create_sheet("Расписание")
    timetable.append(["Класс", "Подгруппа", "День недели", "Номер урока", "Предмет", "Учитель"])
    timetable.append(["5А", "1 группа", "пн", 2, "Английский язык", "Смирнов Павел Олегович"])
    timetable.append(["5А", "3 группа", "пн", 3, "Английский язык", "Орлова Анна Дмитриевна"])
    buffer = io.BytesIO()
    wb.save(buffer)

    admin = await staff_user(bot, world, "admin")
    await admin.send_document(buffer.getvalue(), "школа.xlsx")
    reply = await admin.wait_reply(predicate=lambda m: "загружен:" in (m.text or ""))
    text = reply.text or ""
    assert "⚠️ Пропущено при загрузке (2) — загрузке это не помешало:" in text
    assert "• лист «Заметки»: лист не распознан и пропущен" in text
    assert (
        "• лист «Расписание», строка 3, столбец «Подгруппа» (B): в подгруппе «3 группа» (5А, "
        "Английский язык) "
        "нет ни одного ученика"
    ) in text
    assert "«1 группа»" not in text  # its pupils are in the journal
