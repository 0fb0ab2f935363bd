"""Roster import: a school's staff, classes, pupils, parents and timetable from a workbook
or CSV files; all or nothing, idempotent, updates in place."""

from __future__ import annotations

import io
import time as timer
from datetime import date, datetime, time
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select, text, update

from core.clock import ManualClock
from core.errors import ImportFailed
from core.journal import Journal
from core.models import (
    AcademicYear,
    Assignment,
    Bell,
    Group,
    GroupMember,
    Guardianship,
    Period,
    Person,
    Pupil,
    School,
    SchoolClass,
    StaffRoleRow,
    Subject,
    TimetableEntry,
)
from core.roster import (
    ImportSummary,
    import_roster,
    import_roster_bytes,
    read_roster,
    read_roster_bytes,
)
from texts.roster import problem_line, problem_message, summary_lines

SCHOOL = "Школа № 1"

ROSTER: dict[str, str] = {
    "teachers": """\
full_name,roles
Иванова Анна Петровна,директор; учитель
Петров Сергей Иванович,teacher
Сидорова Мария Олеговна,завуч
""",
    "classes": """\
name,grade,class_teacher
5А,5,Петров Сергей Иванович
6Б,6,
""",
    "subjects": """\
name
Математика
Английский язык
""",
    "pupils": """\
full_name,class,birth_date
Алексеев Иван Петрович,5А,2015-03-01
Борисова Ольга Игоревна,5А,02.04.2015
Васильев Пётр Андреевич,6Б,
""",
    "guardians": """\
full_name,pupil,class,phone,consent
Алексеева Мария Ивановна,Алексеев Иван Петрович,5А,+79160000001,да
Иванова Анна Петровна,Борисова Ольга Игоревна,,+79160000002,нет
Алексеева Мария Ивановна,Васильев Пётр Андреевич,6Б,,
""",
    "assignments": """\
teacher,subject,class,group
Петров Сергей Иванович,Математика,5А,
Иванова Анна Петровна,Английский язык,5А,1 группа
Петров Сергей Иванович,Математика,6Б,
""",
    "groups": """\
class,subject,group,pupil
5А,Английский язык,1 группа,Алексеев Иван Петрович
5А,Английский язык,1 группа,Борисова Ольга Игоревна
""",
    "bells": """\
lesson_no,start,end
1,08:30,09:15
2,09:25,10:10
""",
    "timetable": """\
class,group,weekday,lesson_no,subject,teacher,room
5А,,1,1,Математика,Петров Сергей Иванович,201
5А,1 группа,1,2,Английский язык,Иванова Анна Петровна,
6Б,,2,1,Математика,Петров Сергей Иванович,202
""",
    "periods": """\
name,start,end
1 четверть,2026-09-01,2026-10-24
2 четверть,2026-11-05,2026-12-28
""",
}

TABLES = (
    School,
    Person,
    StaffRoleRow,
    SchoolClass,
    Subject,
    Pupil,
    Guardianship,
    Group,
    GroupMember,
    Assignment,
    Bell,
    TimetableEntry,
    AcademicYear,
    Period,
)


def write_csv(folder: Path, sheets: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for sheet, content in sheets.items():
        (folder / f"{sheet}.csv").write_text(content, encoding="utf-8")
    return folder


def edited(**changes: str | None) -> dict[str, str]:
    """The base roster with some sheets replaced (None drops the sheet)."""
    sheets = dict(ROSTER)
    for sheet, content in changes.items():
        if content is None:
            sheets.pop(sheet)
        else:
            sheets[sheet] = content
    return sheets


def replace_line(sheet: str, old: str, new: str) -> dict[str, str]:
    assert old in ROSTER[sheet]
    return edited(**{sheet: ROSTER[sheet].replace(old, new)})


def xlsx_bytes(sheets: dict[str, str]) -> bytes:
    """The roster as a workbook the way a school would keep it: numbers, dates and times
    as typed cells, not text."""
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])
    for sheet, content in sheets.items():
        worksheet = workbook.create_sheet(sheet)
        for n, line in enumerate(content.splitlines()):
            cells: list[object] = []
            for value in line.split(","):
                cells.append(None if value == "" else value if n == 0 else typed(value))
            worksheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def typed(value: str) -> object:
    if value.isdigit() and len(value) < 4:
        return int(value)
    if len(value) == 10 and value[4] == "-":
        return datetime.fromisoformat(value)
    if len(value) == 5 and value[2] == ":":
        return time.fromisoformat(value)
    return value


async def row_counts(journal: Journal) -> dict[str, int]:
    async with journal.transaction() as s:
        return {
            model.__tablename__: (
                await s.execute(select(func.count()).select_from(model))
            ).scalar_one()
            for model in TABLES
        }


async def import_folder(
    journal: Journal, tmp_path: Path, sheets: dict[str, str], name: str = "roster"
) -> ImportSummary:
    return await import_roster(journal, write_csv(tmp_path / name, sheets), school_name=SCHOOL)


def places(
    error: pytest.ExceptionInfo[ImportFailed],
) -> set[tuple[str | None, int | None, str | None]]:
    return {(p.sheet, p.row, p.column) for p in error.value.problems}


def added(summary: ImportSummary) -> dict[str, int]:
    return {sheet: counts.added for sheet, counts in summary.sheets.items()}


# --- A first import -------------------------------------------------------------------------


async def test_a_small_school_from_csv_files_lands_in_the_journal(
    journal: Journal, tmp_path: Path, clock: ManualClock
) -> None:
    summary = await import_folder(journal, tmp_path, ROSTER)

    assert summary.school_created
    assert added(summary) == {
        "teachers": 3,
        "classes": 2,
        "subjects": 2,
        "pupils": 3,
        "guardians": 3,
        "assignments": 3,
        "groups": 2,
        "bells": 2,
        "timetable": 3,
        "periods": 2,
    }
    assert summary.total.added == 25 and summary.total.updated == 0
    assert summary_lines(summary)[-1].startswith("Всего: добавлено 25")
    counts = await row_counts(journal)
    # The director is also a parent: one person, not two.
    assert counts["people"] == 7
    assert counts["staff_roles"] == 4
    assert counts["group_members"] == 2 and counts["groups"] == 1

    async with journal.transaction() as s:
        people = {p.full_name: p for p in await s.scalars(select(Person))}
        roles = {
            (people_by_id.full_name, role)
            for role, people_by_id in (
                await s.execute(
                    select(StaffRoleRow.role, Person).join(
                        Person, Person.id == StaffRoleRow.person_id
                    )
                )
            ).all()
        }
        assert roles == {
            ("Иванова Анна Петровна", "director"),
            ("Иванова Анна Петровна", "teacher"),
            ("Петров Сергей Иванович", "teacher"),
            ("Сидорова Мария Олеговна", "deputy"),
        }
        classes = {c.name: c for c in await s.scalars(select(SchoolClass))}
        assert classes["5А"].grade == 5
        assert classes["5А"].class_teacher_id == people["Петров Сергей Иванович"].id
        assert classes["6Б"].class_teacher_id is None
        borisova = await s.get(Pupil, people["Борисова Ольга Игоревна"].id)
        assert borisova is not None
        assert borisova.class_id == classes["5А"].id
        assert borisova.birth_date == date(2015, 4, 2)
        links = {(g.guardian_id, g.pupil_id): g for g in await s.scalars(select(Guardianship))}
        mother = people["Алексеева Мария Ивановна"]
        agreed = links[(mother.id, people["Алексеев Иван Петрович"].id)]
        assert agreed.consent is True and agreed.consent_at == clock.now()
        refused = links[(people["Иванова Анна Петровна"].id, borisova.person_id)]
        assert refused.consent is False
        unknown = links[(mother.id, people["Васильев Пётр Андреевич"].id)]
        assert unknown.consent is None and unknown.consent_at is None
        assert mother.phone == "+79160000001"
        year = await s.scalar(select(AcademicYear))
        assert year is not None
        assert (year.name, year.starts_on, year.ends_on) == (
            "2026/2027",
            date(2026, 9, 1),
            date(2026, 12, 28),
        )
        group = await s.scalar(select(Group))
        assert group is not None and group.name == "1 группа"
        english = await s.scalar(select(TimetableEntry).where(TimetableEntry.group_id == group.id))
        assert english is not None and english.room is None
        assert english.teacher_id == people["Иванова Анна Петровна"].id
        assert await s.get(Bell, (summary.school_id, 2)) is not None


async def test_the_same_school_from_an_xlsx_workbook_gives_the_same_journal(
    journal: Journal, tmp_path: Path
) -> None:
    workbook = tmp_path / "школа.xlsx"
    workbook.write_bytes(xlsx_bytes(ROSTER))
    summary = await import_roster(journal, workbook, school_name=SCHOOL)
    assert summary.total.added == 25

    # The CSV spelling of the same roster is the same roster: nothing to change.
    again = await import_folder(journal, tmp_path, ROSTER)
    assert not again.changed, summary_lines(again)
    async with journal.transaction() as s:
        bell = await s.get(Bell, (summary.school_id, 1))
        assert bell is not None and bell.starts_at == time(8, 30)


async def test_the_bot_can_hand_over_a_workbook_as_bytes(journal: Journal) -> None:
    summary = await import_roster_bytes(
        journal, xlsx_bytes(ROSTER), "roster.xlsx", school_name=SCHOOL
    )
    assert summary.sheets["pupils"].added == 3


async def test_reading_a_roster_needs_no_database(tmp_path: Path) -> None:
    roster = read_roster(write_csv(tmp_path, ROSTER))
    assert not roster.problems
    assert next(p.full_name for p in roster.pupils) == "Алексеев Иван Петрович"
    assert roster.bells is not None and roster.bells[1].start == time(9, 25)


# --- Importing again ------------------------------------------------------------------------


async def test_importing_the_same_file_again_changes_nothing(
    journal: Journal, tmp_path: Path, clock: ManualClock
) -> None:
    await import_folder(journal, tmp_path, ROSTER)
    before = await row_counts(journal)
    clock.advance(datetime(2026, 12, 1) - datetime(2026, 11, 23))

    again = await import_folder(journal, tmp_path, ROSTER)

    assert not again.school_created
    assert not again.changed
    assert again.total.unchanged == 25
    assert summary_lines(again) == [
        "Сотрудники: добавлено 0, изменено 0, без изменений 3",
        "Классы: добавлено 0, изменено 0, без изменений 2",
        "Предметы: добавлено 0, изменено 0, без изменений 2",
        "Ученики: добавлено 0, изменено 0, без изменений 3",
        "Родители (связи с учениками): добавлено 0, изменено 0, без изменений 3",
        "Нагрузка учителей: добавлено 0, изменено 0, без изменений 3",
        "Состав подгрупп: добавлено 0, изменено 0, без изменений 2",
        "Звонки: добавлено 0, изменено 0, без изменений 2",
        "Расписание: добавлено 0, изменено 0, без изменений 3",
        "Учебные периоды: добавлено 0, изменено 0, без изменений 2",
        "Изменений нет.",
    ]
    assert await row_counts(journal) == before
    async with journal.transaction() as s:
        # The consent moment is that of the first import, not of the repeated one.
        assert (
            await s.scalar(
                select(func.count()).where(Guardianship.consent_at > datetime(2026, 11, 24))
            )
            == 0
        )


async def test_an_edited_file_updates_the_school_in_place(journal: Journal, tmp_path: Path) -> None:
    await import_folder(journal, tmp_path, ROSTER, "first")
    async with journal.transaction() as s:
        ids_before = {p.full_name: p.id for p in await s.scalars(select(Person))}
    before = await row_counts(journal)

    sheets = edited(
        teachers=ROSTER["teachers"].replace(
            "Петров Сергей Иванович,teacher", "Петров Сергей Иванович,teacher;deputy"
        )
        + "Новикова Елена Сергеевна,учитель\n",
        pupils=ROSTER["pupils"].replace(
            "Васильев Пётр Андреевич,6Б,", "Васильев Пётр Андреевич,5А,2014-12-31"
        ),
        guardians=ROSTER["guardians"].replace(
            "Алексеева Мария Ивановна,Васильев Пётр Андреевич,6Б,,",
            "Алексеева Мария Ивановна,Васильев Пётр Андреевич,5А,,да",
        ),
        timetable=ROSTER["timetable"].replace(
            "6Б,,2,1,Математика,Петров Сергей Иванович,202",
            "6Б,,2,1,Математика,Новикова Елена Сергеевна,202",
        ),
        assignments=ROSTER["assignments"].replace(
            "Петров Сергей Иванович,Математика,6Б,", "Новикова Елена Сергеевна,Математика,6Б,"
        ),
    )
    summary = await import_folder(journal, tmp_path, sheets, "second")

    assert summary.sheets["teachers"].added == 1
    assert summary.sheets["teachers"].updated == 1
    assert summary.sheets["pupils"].updated == 1
    assert summary.sheets["guardians"].updated == 1
    assert summary.sheets["timetable"].updated == 1
    assert (summary.sheets["assignments"].added, summary.sheets["assignments"].removed) == (1, 1)
    after = await row_counts(journal)
    assert after["people"] == before["people"] + 1
    assert after["pupils"] == before["pupils"]
    assert after["staff_roles"] == before["staff_roles"] + 2
    assert after["timetable"] == before["timetable"]
    async with journal.transaction() as s:
        people = {p.full_name: p.id for p in await s.scalars(select(Person))}
        assert {k: v for k, v in people.items() if k in ids_before} == ids_before
        moved = await s.get(Pupil, people["Васильев Пётр Андреевич"])
        five_a = await s.scalar(select(SchoolClass.id).where(SchoolClass.name == "5А"))
        assert moved is not None and moved.class_id == five_a
        assert moved.birth_date == date(2014, 12, 31)
        petrov_roles = set(
            await s.scalars(
                select(StaffRoleRow.role).where(
                    StaffRoleRow.person_id == people["Петров Сергей Иванович"]
                )
            )
        )
        assert petrov_roles == {"teacher", "deputy"}
        teacher_6b = await s.scalar(
            select(TimetableEntry.teacher_id).where(TimetableEntry.weekday == 2)
        )
        assert teacher_6b == people["Новикова Елена Сергеевна"]

    assert not (await import_folder(journal, tmp_path, sheets, "third")).changed


async def test_a_lesson_dropped_from_the_file_leaves_the_timetable(
    journal: Journal, tmp_path: Path
) -> None:
    await import_folder(journal, tmp_path, ROSTER, "first")
    sheets = edited(
        timetable=ROSTER["timetable"].replace(
            "6Б,,2,1,Математика,Петров Сергей Иванович,202\n", ""
        ),
        bells="lesson_no,start,end\n1,08:30,09:10\n",
    )
    summary = await import_folder(journal, tmp_path, sheets, "second")
    assert summary.sheets["timetable"].removed == 1
    assert (summary.sheets["bells"].updated, summary.sheets["bells"].removed) == (1, 1)
    counts = await row_counts(journal)
    assert counts["timetable"] == 2 and counts["bells"] == 1


async def test_a_pupil_moved_to_another_class_leaves_the_old_subgroup(
    journal: Journal, tmp_path: Path
) -> None:
    await import_folder(journal, tmp_path, ROSTER, "first")
    sheets = edited(
        pupils=ROSTER["pupils"].replace("Алексеев Иван Петрович,5А", "Алексеев Иван Петрович,6Б"),
        guardians=ROSTER["guardians"].replace(
            "Алексеев Иван Петрович,5А", "Алексеев Иван Петрович,"
        ),
        groups=None,
    )
    summary = await import_folder(journal, tmp_path, sheets, "second")
    assert summary.sheets["pupils"].updated == 1
    assert (await row_counts(journal))["group_members"] == 1


async def test_dates_of_a_closed_period_cannot_be_changed(
    journal: Journal, tmp_path: Path, clock: ManualClock
) -> None:
    await import_folder(journal, tmp_path, ROSTER, "first")
    async with journal.transaction() as s:
        await s.execute(
            update(Period).where(Period.name == "1 четверть").values(closed_at=clock.now())
        )
    sheets = replace_line("periods", "2026-10-24", "2026-10-25")
    with pytest.raises(ImportFailed) as error:
        await import_folder(journal, tmp_path, sheets, "second")
    assert places(error) == {("periods", 2, "start")}
    assert (
        problem_message(error.value.problems[0])
        == "период «1 четверть» уже закрыт — его даты менять нельзя"
    )


async def test_sheets_left_out_of_the_file_are_left_alone(journal: Journal, tmp_path: Path) -> None:
    await import_folder(journal, tmp_path, ROSTER, "first")
    before = await row_counts(journal)
    summary = await import_folder(
        journal,
        tmp_path,
        edited(
            guardians=None, assignments=None, groups=None, bells=None, timetable=None, periods=None
        ),
        "second",
    )
    assert set(summary.sheets) == {"teachers", "classes", "subjects", "pupils"}
    assert not summary.changed
    assert await row_counts(journal) == before


async def test_a_new_school_year_renames_classes_by_their_ids(
    journal: Journal, tmp_path: Path
) -> None:
    def school(five: str, four: str) -> dict[str, str]:
        return edited(
            classes=f"id,name,grade\nC1,{five},{five[0]}\nC2,{four},{four[0]}\n",
            pupils=(
                "id,full_name,class\nP1,Алексеев Иван Петрович,C1\nP2,Борисова Ольга Игоревна,C2\n"
            ),
            guardians=None,
            assignments=None,
            groups=None,
            timetable=None,
        )

    await import_folder(journal, tmp_path, school("5А", "4А"), "spring")
    summary = await import_folder(journal, tmp_path, school("6А", "5А"), "autumn")

    assert summary.sheets["classes"].updated == 2
    async with journal.transaction() as s:
        rows = (
            await s.execute(select(SchoolClass.external_id, SchoolClass.name, SchoolClass.grade))
        ).all()
        assert sorted(rows) == [("C1", "6А", 6), ("C2", "5А", 5)]
    assert (await row_counts(journal))["classes"] == 2


async def test_ids_can_be_added_to_a_school_imported_by_names(
    journal: Journal, tmp_path: Path
) -> None:
    await import_folder(journal, tmp_path, ROSTER, "names")
    before = await row_counts(journal)
    pupils = "id,full_name,class,birth_date\n" + "".join(
        f"P{n},{line}\n" for n, line in enumerate(ROSTER["pupils"].splitlines()[1:], start=1)
    )
    summary = await import_folder(journal, tmp_path, edited(pupils=pupils), "ids")
    assert summary.sheets["pupils"].updated == 3
    assert await row_counts(journal) == before
    async with journal.transaction() as s:
        assert set(
            await s.scalars(select(Person.external_id).where(Person.external_id.is_not(None)))
        ) == {"P1", "P2", "P3"}


async def test_a_dry_run_counts_but_writes_nothing(journal: Journal, tmp_path: Path) -> None:
    before = await row_counts(journal)
    summary = await import_roster(
        journal, write_csv(tmp_path, ROSTER), school_name=SCHOOL, dry_run=True
    )
    assert summary.dry_run and summary.school_created and summary.total.added == 25
    assert await row_counts(journal) == before


# --- Mistakes -------------------------------------------------------------------------------


async def test_a_file_with_mistakes_in_several_sheets_is_rejected_whole(
    journal: Journal, tmp_path: Path
) -> None:
    await import_folder(journal, tmp_path, ROSTER, "good")
    before = await row_counts(journal)
    sheets = edited(
        teachers=ROSTER["teachers"].replace(
            "Сидорова Мария Олеговна,завуч", "Сидорова Мария Олеговна,учит"
        ),
        pupils=ROSTER["pupils"]
        .replace("Алексеев Иван Петрович,5А", "Алексеев Иван Петрович,5Б")
        .replace("02.04.2015", "31.02.2015"),
        guardians=ROSTER["guardians"].replace("Алексеева Мария Ивановна,Васильев", ",Васильев"),
        timetable=ROSTER["timetable"].replace("6Б,,2,1", "6Б,,8,1"),
        bells=ROSTER["bells"] + "3,11:00,10:30\n",
        assignments=ROSTER["assignments"] + "Кузнецов Олег Петрович,Математика,6Б,\n",
    )

    with pytest.raises(ImportFailed) as error:
        await import_folder(journal, tmp_path, sheets, "broken")

    assert places(error) == {
        ("teachers", 4, "roles"),
        ("pupils", 2, "class"),
        ("pupils", 3, "birth_date"),
        ("guardians", 4, "full_name"),
        ("assignments", 5, "teacher"),
        ("bells", 4, "end"),
        ("timetable", 4, "weekday"),
    }
    messages = {(p.sheet, p.row): problem_message(p) for p in error.value.problems}
    assert messages[("teachers", 4)] == "неизвестная роль «учит»"
    assert messages[("pupils", 2)] == "класс «5Б» не найден в листе «Классы»"
    assert messages[("pupils", 3)] == "дата должна быть в виде ГГГГ-ММ-ДД или ДД.ММ.ГГГГ"
    assert messages[("guardians", 4)] == "не указано ФИО"
    assert messages[("assignments", 5)] == (
        "учитель «Кузнецов Олег Петрович» не найден в листе «Сотрудники»"
    )
    # Problems come in the order of the sheets and rows, as the user reads the file.
    assert [p.sheet for p in error.value.problems][:3] == ["teachers", "pupils", "pupils"]
    assert problem_line(error.value.problems[0]) == (
        "файл «teachers.csv», строка 4, столбец «roles» (B): неизвестная роль «учит»"
    )
    assert await row_counts(journal) == before


async def test_a_rejected_file_does_not_even_create_the_school(
    journal: Journal, tmp_path: Path
) -> None:
    sheets = replace_line("pupils", "Алексеев Иван Петрович,5А", "Алексеев Иван Петрович,5Б")
    with pytest.raises(ImportFailed):
        await import_folder(journal, tmp_path, sheets)
    assert (await row_counts(journal))["schools"] == 0


async def test_two_pupils_with_the_same_name_and_no_ids_are_an_error(
    journal: Journal, tmp_path: Path
) -> None:
    sheets = edited(pupils=ROSTER["pupils"] + "Алексеев Иван Петрович,6Б,\n")
    with pytest.raises(ImportFailed) as error:
        await import_folder(journal, tmp_path, sheets)
    assert next((p.sheet, p.row, p.column, problem_message(p)) for p in error.value.problems) == (
        "pupils",
        5,
        "full_name",
        "повторяется ФИО без id (строка 2)",
    )


async def test_namesakes_with_ids_are_two_pupils(journal: Journal, tmp_path: Path) -> None:
    sheets = edited(
        pupils="id,full_name,class\n1,Алексеев Иван Петрович,5А\n2,Алексеев Иван Петрович,6Б\n",
        guardians="full_name,pupil,class\nАлексеева Мария Ивановна,Алексеев Иван Петрович,6Б\n",
        groups="class,subject,group,pupil\n5А,Английский язык,1 группа,1\n",
    )
    summary = await import_folder(journal, tmp_path, sheets)
    assert summary.sheets["pupils"].added == 2

    # Without the class, the parent's child is ambiguous.
    ambiguous = edited(
        pupils=sheets["pupils"],
        groups=sheets["groups"],
        guardians="full_name,pupil\nАлексеева Мария Ивановна,Алексеев Иван Петрович\n",
    )
    with pytest.raises(ImportFailed) as error:
        await import_folder(journal, tmp_path, ambiguous, "again")
    assert [(p.sheet, p.row, p.column) for p in error.value.problems] == [("guardians", 2, "pupil")]
    assert "укажите класс или id" in problem_message(error.value.problems[0])


async def test_a_pupil_in_an_unknown_class_is_an_error(journal: Journal, tmp_path: Path) -> None:
    sheets = replace_line("pupils", "Васильев Пётр Андреевич,6Б", "Васильев Пётр Андреевич,7В")
    with pytest.raises(ImportFailed) as error:
        await import_folder(journal, tmp_path, sheets)
    assert [(p.sheet, p.row, p.column, problem_message(p)) for p in error.value.problems] == [
        ("pupils", 4, "class", "класс «7В» не найден в листе «Классы»")
    ]


async def test_a_parent_row_naming_the_wrong_class_of_the_child_is_an_error(
    journal: Journal, tmp_path: Path
) -> None:
    sheets = replace_line("guardians", "Васильев Пётр Андреевич,6Б", "Васильев Пётр Андреевич,5А")
    with pytest.raises(ImportFailed) as error:
        await import_folder(journal, tmp_path, sheets)
    assert [(p.sheet, p.row, p.column, problem_message(p)) for p in error.value.problems] == [
        (
            "guardians",
            4,
            "class",
            "ученик «Васильев Пётр Андреевич» в листе «Ученики» указан в другом классе",
        )
    ]


async def test_a_class_already_in_the_journal_may_be_referred_to(
    journal: Journal, tmp_path: Path
) -> None:
    await import_folder(journal, tmp_path, ROSTER, "first")
    sheets = edited(classes="name,grade\n5А,5\n")  # 6Б is only in the journal now
    summary = await import_folder(journal, tmp_path, sheets, "second")
    assert not summary.changed


async def test_a_missing_required_column_is_reported(journal: Journal, tmp_path: Path) -> None:
    sheets = edited(
        pupils="full_name,birth_date\nАлексеев Иван Петрович,2015-03-01\n",
        bells="lesson_no,start\n1,08:30\n",
    )
    with pytest.raises(ImportFailed) as error:
        await import_folder(journal, tmp_path, sheets)
    assert [(p.sheet, p.row, p.column, problem_message(p)) for p in error.value.problems] == [
        ("pupils", 1, "class", "такого столбца в листе нет, а он обязателен"),
        ("bells", 1, "end", "такого столбца в листе нет, а он обязателен"),
    ]
    # Named by its title, as the template writes it: the file has no header for it.
    assert [problem_line(p) for p in error.value.problems] == [
        "файл «pupils.csv», строка 1, столбец «Класс»: такого столбца в листе нет, а он обязателен",
        "файл «bells.csv», строка 1, столбец «Конец»: такого столбца в листе нет, а он обязателен",
    ]
    assert (await row_counts(journal))["schools"] == 0


async def test_a_missing_required_sheet_is_reported(tmp_path: Path) -> None:
    roster = read_roster(write_csv(tmp_path, edited(subjects=None)))
    assert roster.broken
    assert [(p.sheet, p.key) for p in roster.problems] == [("subjects", "roster.no_file")]
    assert (
        problem_line(roster.problems[0]) == "файл «subjects.csv»: такого файла нет, а он обязателен"
    )


async def test_a_file_that_is_not_a_workbook_is_a_problem_not_a_crash(
    journal: Journal, tmp_path: Path
) -> None:
    fake = tmp_path / "roster.xlsx"
    fake.write_text("это не Excel", encoding="utf-8")
    with pytest.raises(ImportFailed) as error:
        await import_roster(journal, fake, school_name=SCHOOL)
    assert [problem_message(p) for p in error.value.problems] == [
        "файл не читается как книга Excel (.xlsx)"
    ]

    broken_zip = xlsx_bytes(ROSTER)[:300]
    for data, name in ((broken_zip, "roster.xlsx"), (b"", "roster.xlsx"), (b"x", "a.csv")):
        roster = read_roster_bytes(data, name)
        assert roster.broken and len(roster.problems) == 1
        assert roster.problems[0].sheet is None


async def test_a_zip_of_csv_files_is_a_roster_too() -> None:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for sheet, content in ROSTER.items():
            archive.writestr(f"school/{sheet}.csv", content)
    roster = read_roster_bytes(buffer.getvalue(), "school.zip")
    assert not roster.problems and len(roster.pupils) == 3


async def test_excel_style_csv_with_semicolons_bom_and_russian_words_is_understood(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "excel"
    write_csv(folder, ROSTER)
    (folder / "teachers.csv").write_bytes(
        "\ufeffFull Name;Roles\nИванова Анна Петровна;Директор, учитель\n".encode()
    )
    (folder / "timetable.csv").write_text(
        "class;weekday;lesson_no;subject;teacher\n5a;пн;1;математика;иванова анна петровна\n",
        encoding="cp1251",
    )
    roster = read_roster(folder)
    assert not roster.problems
    assert roster.teachers[0].roles == {"director", "teacher"}
    assert roster.timetable is not None and roster.timetable[0].weekday == 1


async def test_a_workbook_with_russian_sheet_and_column_names_is_understood() -> None:
    russian = {
        "Сотрудники": "ФИО,Роли\nИванова Анна Петровна,учитель\n",
        "Классы": "Название,Параллель,Классный руководитель\n5А,5,Иванова Анна Петровна\n",
        "Предметы": "Название\nМатематика\n",
        "Ученики": "ФИО,Класс,Дата рождения\nАлексеев Иван Петрович,5А,2015-03-01\n",
        "Расписание": "Класс,День недели,Урок,Предмет,Учитель,Кабинет\n"
        "5А,вт,1,Математика,Иванова Анна Петровна,201\n",
    }
    roster = read_roster_bytes(xlsx_bytes(russian), "школа.xlsx")
    assert not roster.problems
    assert roster.classes[0].class_teacher == "Иванова Анна Петровна"
    assert roster.timetable is not None and roster.timetable[0].weekday == 2


async def test_cell_mistakes_are_explained_in_russian(tmp_path: Path) -> None:
    sheets = edited(
        classes="name,grade\n5А,12\nБез номера,\n",
        guardians=(
            "full_name,pupil,phone,consent\n"
            "Алексеева Мария Ивановна,Алексеев Иван Петрович,звонить вечером,может быть\n"
        ),
        periods="name,start,end\n1 четверть,2026-10-24,2026-09-01\n",
    )
    roster = read_roster(write_csv(tmp_path, sheets))
    assert [(p.sheet, p.row, p.column, problem_message(p)) for p in roster.problems] == [
        ("classes", 2, "grade", "параллель — число от 1 до 11"),
        ("classes", 3, "grade", "не указана параллель (1–11)"),
        ("guardians", 2, "phone", "телефон должен состоять из цифр, например +79161234567"),
        ("guardians", 2, "consent", "согласие: укажите «да» или «нет»"),
        ("periods", 2, "end", "период должен заканчиваться не раньше, чем начинается"),
    ]


async def test_problems_and_the_summary_read_in_english_too(
    journal: Journal, tmp_path: Path
) -> None:
    sheets = replace_line("pupils", "Алексеев Иван Петрович,5А", "Алексеев Иван Петрович,5Б")
    with pytest.raises(ImportFailed) as error:
        await import_folder(journal, tmp_path, sheets, "broken")
    [problem] = error.value.problems
    assert problem.key == "roster.class_not_found" and problem.params == {"ref": "5Б"}
    assert problem_line(problem) == (
        "файл «pupils.csv», строка 2, столбец «class» (B): класс «5Б» не найден в листе «Классы»"
    )
    assert problem_message(problem, "en") == "class “5Б” is not found in the “Classes” sheet"
    assert problem_line(problem, "en") == (
        "file “pupils.csv”, row 2, column “class” (B): "
        "class “5Б” is not found in the “Classes” sheet"
    )
    unreadable = read_roster_bytes(b"x", "roster.xlsx").problems[0]
    assert problem_line(unreadable, "en") == "the file cannot be read as an Excel workbook (.xlsx)"

    summary = await import_folder(journal, tmp_path, ROSTER, "good")
    english = summary_lines(summary, "en")
    assert english[0] == f"New school “{SCHOOL}”."
    assert english[1] == "Staff: added 3, changed 0, unchanged 0"
    assert english[-1] == "Total: added 25, changed 0, unchanged 0"
    assert summary_lines(summary)[1] == "Сотрудники: добавлено 3, изменено 0, без изменений 0"
    again = await import_folder(journal, tmp_path, ROSTER, "again")
    assert summary_lines(again, "en")[-1] == "No changes."


def test_every_roster_text_key_in_the_importer_is_in_the_catalogue() -> None:
    import re

    from core.roster import SHEET_TITLES
    from texts.ru import RU

    root = Path(__file__).resolve().parent.parent
    used = set(SHEET_TITLES.values())
    for path in [*sorted((root / "core" / "roster").rglob("*.py")), root / "texts" / "roster.py"]:
        used |= set(re.findall(r'"(roster\.[a-z0-9_.]+)"', path.read_text()))
    for what in ("class", "subject"):
        used |= {f"roster.{what}_taken_by_id", f"roster.{what}_name_taken"}
    assert len(used) > 60, "the scan found too few keys: it is broken"
    assert sorted(used - set(RU)) == []


async def test_the_same_lesson_slot_twice_is_an_error(journal: Journal, tmp_path: Path) -> None:
    sheets = edited(
        timetable=ROSTER["timetable"] + "5А,,1,1,Английский язык,Иванова Анна Петровна,\n"
    )
    with pytest.raises(ImportFailed) as error:
        await import_folder(journal, tmp_path, sheets)
    [problem] = error.value.problems
    assert (problem.sheet, problem.row, problem.column) == ("timetable", 5, "lesson_no")
    assert "строка 2" in problem_message(problem)


async def test_a_parent_id_taken_by_someone_else_is_an_error(
    journal: Journal, tmp_path: Path
) -> None:
    sheets = edited(
        teachers="id,full_name,roles\n1,Иванова Анна Петровна,директор\n",
        guardians="id,full_name,pupil\n1,Алексеева Мария Ивановна,Алексеев Иван Петрович\n",
        classes="name,grade\n5А,5\n6Б,6\n",
        assignments=None,
        timetable=None,
    )
    with pytest.raises(ImportFailed) as error:
        await import_folder(journal, tmp_path, sheets)
    assert [(p.sheet, p.row, p.column) for p in error.value.problems] == [("guardians", 2, "id")]
    assert "уже указан для «Иванова Анна Петровна»" in problem_message(error.value.problems[0])


# --- The shipped demo school and a big one --------------------------------------------------


def demo_school_dir() -> Path | None:
    try:
        from demo import SCHOOL_DIR
    except ImportError:
        return None
    return SCHOOL_DIR if (SCHOOL_DIR / "pupils.csv").exists() else None


@pytest.mark.skipif(demo_school_dir() is None, reason="the demo school is not there")
async def test_the_demo_school_imports_cleanly_and_again_unchanged(journal: Journal) -> None:
    folder = demo_school_dir()
    assert folder is not None
    first = await import_roster(journal, folder, school_name="Демо")
    assert first.total.added > 0 and first.total.updated == 0
    before = await row_counts(journal)
    again = await import_roster(journal, folder, school_name="Демо")
    assert not again.changed, summary_lines(again)
    assert await row_counts(journal) == before


@pytest.mark.skipif(demo_school_dir() is None, reason="the demo school is not there")
async def test_the_demo_school_as_a_typed_workbook_is_the_same_school(
    journal: Journal, tmp_path: Path
) -> None:
    generate = pytest.importorskip("demo.generate")
    folder = demo_school_dir()
    assert folder is not None
    await import_roster(journal, folder, school_name="Демо")
    workbook = tmp_path / "demo.xlsx"
    generate.write_xlsx(generate.read_csv_folder(folder), workbook, typed=True)
    again = await import_roster(journal, workbook, school_name="Демо")
    assert not again.changed, summary_lines(again)


async def test_a_school_of_a_thousand_pupils_imports_quickly(
    journal: Journal, tmp_path: Path
) -> None:
    generate = pytest.importorskip("demo.generate")
    roster = generate.generate_school(7, generate.class_list(40), (25, 25), "S7-")
    generate.write_csv_folder(roster, tmp_path / "big")

    started = timer.perf_counter()
    summary = await import_roster(journal, tmp_path / "big", school_name="Большая")
    first = timer.perf_counter() - started
    assert summary.sheets["pupils"].added == 1000
    started = timer.perf_counter()
    again = await import_roster(journal, tmp_path / "big", school_name="Большая")
    second = timer.perf_counter() - started
    assert not again.changed
    # Generous bounds: the benchmark has the real target; this catches per-row round trips.
    assert first < 10 and second < 10
    async with journal.transaction() as s:
        assert await s.scalar(text("SELECT count(*) FROM pupils")) == 1000
