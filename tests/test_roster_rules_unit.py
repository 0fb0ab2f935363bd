"""The roster's matching and format rules, without a database: names and classes match as
a school types them, each cell is read as the template says, and an import plan resolves
the file against the school's rows (held in memory here, as :class:`Snapshot` loads them).
What the user reads of a problem is rendered outside core (``texts.roster``)."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from core.models import StaffRole
from core.roster import Problem, Roster, SheetCounts, read_roster_bytes
from core.roster.cells import ROW_READERS, Row
from core.roster.format import SHEET_SPECS, SHEETS_SPEC, sheet_key
from core.roster.plan import Plan
from core.roster.rows import (
    ClassRow,
    GuardianRow,
    PeriodRow,
    PupilRow,
    SubjectRow,
    TeacherRow,
    TimetableRow,
    class_key,
    clean,
    name_key,
)
from core.roster.sheets.guardians import Guardians
from core.roster.sheets.periods import school_year
from core.roster.snapshot import DbClass, DbPerson, DbPupil, Snapshot
from texts.roster import problem_line, problem_message

NOW = datetime(2025, 10, 6, 6, 0, tzinfo=UTC)
TODAY = date(2025, 10, 6)
EARLIER = datetime(2025, 9, 1, 6, 0, tzinfo=UTC)

TEACHER = frozenset({StaffRole.TEACHER})


def planned(roster: Roster, db: Snapshot | None = None) -> Plan:
    plan = Plan(roster, db or Snapshot(), NOW, TODAY)
    plan.resolve()
    return plan


def keys(problems: list[Problem]) -> list[tuple[str | None, int | None, str | None, str]]:
    return [(p.sheet, p.row, p.column, p.key) for p in problems]


def read_row(sheet: str, **cells: Any) -> tuple[Any, list[Problem]]:
    problems: list[Problem] = []
    return ROW_READERS[sheet](Row(sheet, 2, cells, problems)), problems


# --- Names and classes match as a school types them ---------------------------------------


def test_names_match_regardless_of_case_spacing_yo_and_invisible_characters() -> None:
    assert clean("  Иван\u200bов   Пётр ") == "Иванов Пётр"
    assert name_key("ИВАНОВ  пётр") == name_key("иванов петр") == "иванов петр"


def test_a_class_typed_with_latin_letters_or_spaces_is_the_same_class() -> None:
    assert class_key("5А") == class_key("5A") == class_key("5 а") == class_key(" 5а ")
    assert class_key("5А") != class_key("5Б")


def test_sheet_and_column_names_are_read_in_any_accepted_spelling() -> None:
    assert sheet_key("УЧЕБНЫЕ_ПЕРИОДЫ") == sheet_key("учебные-периоды") == "periods"
    assert sheet_key("Родители (связи с учениками)") == "guardians"
    assert sheet_key("pupils") == sheet_key("Ученики") == "pupils"
    assert sheet_key("Лист1") is None
    assert SHEET_SPECS["pupils"].column("дата  ВЫБЫТИЯ") == "left_on"
    assert SHEET_SPECS["guardians"].column("Отказ от дневника") == "diary_opt_out"
    assert SHEET_SPECS["pupils"].column("Отчество") is None
    # Every sheet may carry the other system's id.
    assert all(spec.column("ID") == "id" for spec in SHEETS_SPEC)


# --- Cells ---------------------------------------------------------------------------------


def test_dates_are_read_as_iso_russian_or_a_spreadsheet_date() -> None:
    for typed in ("2015-04-02", "02.04.2015", datetime(2015, 4, 2), "2015-04-02 00:00"):
        row, problems = read_row(
            "pupils", full_name="Петров Иван", **{"class": "5А"}, birth_date=typed
        )
        assert (row.birth_date, problems) == (date(2015, 4, 2), [])
    row, problems = read_row(
        "pupils", full_name="Петров Иван", **{"class": "5А"}, birth_date="31.02.2015"
    )
    assert row.birth_date is None
    assert keys(problems) == [("pupils", 2, "birth_date", "roster.invalid.date")]


def test_a_leaving_date_before_the_arrival_is_a_problem() -> None:
    cells = {"full_name": "Петров Иван", "class": "5А", "admitted_on": "2025-09-10"}
    _, problems = read_row("pupils", **cells, left_on="2025-09-01")
    assert keys(problems) == [("pupils", 2, "left_on", "roster.invalid.left_before_admitted")]


def test_bell_times_are_read_as_typed_or_as_a_spreadsheet_fraction_of_a_day() -> None:
    row, problems = read_row("bells", lesson_no=1, start=0.375, end="9.45")
    assert (row.start, row.end, problems) == (time(9, 0), time(9, 45), [])
    row, problems = read_row("bells", lesson_no=1, start="10:00", end="09:15")
    assert row is None
    assert keys(problems) == [("bells", 2, "end", "roster.invalid.bell_order")]


def test_weekdays_are_numbers_or_russian_and_english_names() -> None:
    cells = {"class": "5А", "lesson_no": 1, "subject": "Математика", "teacher": "Петров"}
    for typed, weekday in (("Пн.", 1), ("четверг", 4), ("sun", 7), (7, 7)):
        row, problems = read_row("timetable", **cells, weekday=typed)
        assert (row.weekday, problems) == (weekday, [])
    row, problems = read_row("timetable", **cells, weekday="8")
    assert row is None
    assert keys(problems) == [("timetable", 2, "weekday", "roster.invalid.weekday")]


def test_staff_roles_have_russian_and_english_names_and_default_to_teacher() -> None:
    row, problems = read_row("teachers", full_name="Иванова Анна", roles="Директор; учитель")
    assert (row.roles, problems) == (frozenset({StaffRole.DIRECTOR, StaffRole.TEACHER}), [])
    row, _ = read_row("teachers", full_name="Иванова Анна", roles="")
    assert row.roles == TEACHER
    _, problems = read_row("teachers", full_name="Иванова Анна", roles="охранник")
    assert [(p.key, p.params) for p in problems] == [("roster.unknown_role", {"role": "охранник"})]


def test_a_class_grade_comes_from_its_name_unless_given() -> None:
    row, problems = read_row("classes", name="10Б")
    assert (row.grade, problems) == (10, [])
    row, problems = read_row("classes", name="Подготовительный", grade="1")
    assert (row.grade, problems) == (1, [])
    _, problems = read_row("classes", name="Подготовительный")
    assert keys(problems) == [("classes", 2, "grade", "roster.required.grade_range")]


def test_r19_consent_and_r18_opt_out_are_yes_or_no_and_a_phone_has_digits() -> None:
    cells = {"full_name": "Петрова Мария", "pupil": "Петров Иван"}
    row, problems = read_row(
        "guardians", **cells, consent="Да", diary_opt_out="нет", phone="+7 (916) 000-00-01"
    )
    assert (row.consent, row.opt_out, row.phone, problems) == (
        True,
        False,
        "+7 (916) 000-00-01",
        [],
    )
    row, problems = read_row("guardians", **cells, consent="может быть", phone="12")
    assert (row.consent, row.phone) == (None, None)
    assert keys(problems) == [
        ("guardians", 2, "phone", "roster.invalid.phone"),
        ("guardians", 2, "consent", "roster.invalid.consent"),
    ]


# --- Reading a file ------------------------------------------------------------------------


def csv_zip(**files: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(f"{name}.csv", content)
    return buffer.getvalue()


MINIMAL = {
    "teachers": "ФИО,Роли\nИванова Анна Петровна,учитель\n",
    "classes": "Название\n5А\n",
    "subjects": "Название\nМатематика\n",
}


def test_the_same_pupil_twice_without_an_id_is_a_problem_at_the_second_row() -> None:
    pupils = "ФИО,Класс\nПетров Иван,5А\nпетров  иван,5А\n"
    roster = read_roster_bytes(csv_zip(**MINIMAL, pupils=pupils), "school.zip")
    assert keys(roster.problems) == [("pupils", 3, "full_name", "roster.duplicate.full_name")]
    assert problem_line(roster.problems[0]) == (
        "файл «pupils.csv», строка 3, столбец «ФИО» (A): повторяется ФИО без id (строка 2)"
    )


def test_an_unknown_column_is_a_warning_at_its_letter_and_the_rest_is_read() -> None:
    pupils = "ФИО,Класс,Отчество\nПетров Иван,5А,Сергеевич\n"
    roster = read_roster_bytes(csv_zip(**MINIMAL, pupils=pupils), "school.zip")
    assert roster.problems == [] and not roster.broken
    assert [p.full_name for p in roster.pupils] == ["Петров Иван"]
    [warning] = roster.warnings
    assert (warning.key, warning.header, warning.letter) == (
        "roster.warning.unknown_column",
        "Отчество",
        "C",
    )


def test_a_problem_is_placed_by_the_sheets_title_when_the_file_does_not_name_it() -> None:
    problem = Problem("pupils", 2, "class", "roster.class_not_found", {"ref": "5Б"})
    assert problem_message(problem) == "класс «5Б» не найден в листе «Классы»"
    assert problem_line(problem) == (
        "лист «Ученики», строка 2, столбец «Класс»: класс «5Б» не найден в листе «Классы»"
    )
    assert problem_line(problem, "en").endswith("class “5Б” is not found in the “Classes” sheet")


# --- An import plan against the school's rows ---------------------------------------------


def roster(**sheets: Any) -> Roster:
    return Roster(**sheets)


def test_a_row_with_an_id_is_the_journals_row_of_that_id_even_renamed() -> None:
    db = Snapshot(
        people={7: DbPerson(7, "Иванова Анна Петровна", "T1", None)}, roles={7: {"teacher"}}
    )
    plan = planned(roster(teachers=[TeacherRow(2, "T1", "Смирнова Анна Петровна", TEACHER)]), db)
    assert plan.problems == []
    assert plan.counts["teachers"] == SheetCounts(updated=1)
    assert plan.ctx.people[0].id == 7


def test_a_person_imported_before_without_an_id_adopts_the_files_id() -> None:
    db = Snapshot(
        people={7: DbPerson(7, "Иванова Анна Петровна", None, None)}, roles={7: {"teacher"}}
    )
    plan = planned(roster(teachers=[TeacherRow(2, "T1", "иванова анна петровна", TEACHER)]), db)
    [node] = plan.ctx.people
    assert (node.id, plan.problems) == (7, [])
    assert plan.counts["teachers"] == SheetCounts(updated=1)  # the id and the spelling


def test_a_name_the_journal_holds_twice_needs_an_id() -> None:
    db = Snapshot(
        people={
            7: DbPerson(7, "Иванова Анна Петровна", "A", None),
            8: DbPerson(8, "Иванова Анна Петровна", "B", None),
        },
        roles={7: {"teacher"}, 8: {"teacher"}},
    )
    plan = planned(roster(teachers=[TeacherRow(2, None, "Иванова Анна Петровна", TEACHER)]), db)
    assert keys(plan.problems) == [("teachers", 2, "full_name", "roster.name_ambiguous_in_journal")]


def test_one_id_for_two_different_people_is_a_problem_naming_the_first() -> None:
    plan = planned(
        roster(
            teachers=[TeacherRow(2, "1", "Иванова Анна Петровна", TEACHER)],
            guardians=[GuardianRow(2, "1", "Петрова Мария", "Петров Иван", None, None, None)],
            pupils=[PupilRow(2, None, "Петров Иван", "5А", None)],
            classes=[ClassRow(2, None, "5А", 5, None)],
        )
    )
    [problem] = plan.problems
    assert (problem.sheet, problem.row, problem.column, problem.key) == (
        "guardians",
        2,
        "id",
        "roster.id_taken",
    )
    assert problem.params == {
        "id": "1",
        "name": "Иванова Анна Петровна",
        "sheet": "teachers",
        "row": 2,
    }


def test_a_pupils_class_typed_in_latin_letters_is_the_journals_class() -> None:
    db = Snapshot(classes={3: DbClass(3, "5А", 5, None, None)})
    plan = planned(roster(pupils=[PupilRow(2, None, "Петров Иван", "5 a", None)]), db)
    [node] = plan.ctx.people
    assert (plan.problems, node.klass is not None and node.klass.id) == ([], 3)
    assert plan.counts["pupils"] == SheetCounts(added=1)


def test_a_class_of_no_sheet_and_no_journal_row_is_a_problem_at_the_reference() -> None:
    plan = planned(roster(pupils=[PupilRow(2, None, "Петров Иван", "5Б", None)]))
    assert keys(plan.problems) == [("pupils", 2, "class", "roster.class_not_found")]
    assert plan.counts == {}  # a file with problems is not counted


def test_a_leaving_date_after_today_is_a_problem() -> None:
    classes = [ClassRow(2, None, "5А", 5, None)]
    pupil = PupilRow(2, None, "Петров Иван", "5А", None, left_on=date(2025, 10, 7))
    plan = planned(roster(classes=classes, pupils=[pupil]))
    assert [(p.key, p.params) for p in plan.problems] == [
        ("roster.left_in_future", {"day": "07.10.2025"})
    ]


def family(consent: bool | None, opt_out: bool | None = None) -> tuple[Roster, Snapshot]:
    db = Snapshot(
        people={
            1: DbPerson(1, "Петров Иван", None, None),
            2: DbPerson(2, "Петрова Мария", None, None),
        },
        classes={3: DbClass(3, "5А", 5, None, None)},
        pupils={1: DbPupil(3, None)},
        guardianships={(2, 1): (True, EARLIER)},
        opt_outs={(2, 1): (False, None)},
    )
    file = roster(
        classes=[ClassRow(2, None, "5А", 5, None)],
        pupils=[PupilRow(2, None, "Петров Иван", "5А", None)],
        guardians=[
            GuardianRow(2, None, "Петрова Мария", "Петров Иван", "5А", None, consent, opt_out)
        ],
    )
    return file, db


def guardians_of(plan: Plan) -> Guardians:
    [sheet] = [s for s in plan.sheets if isinstance(s, Guardians)]
    return sheet


def test_r19_a_consent_given_again_keeps_the_time_it_was_registered() -> None:
    plan = planned(*family(consent=True))
    assert plan.counts["guardians"] == SheetCounts(unchanged=1)
    sheet = guardians_of(plan)
    [((guardian, pupil), wanted)] = sheet.links.items()
    current = sheet.current_link(guardian, pupil)
    assert (wanted, current) == (True, (True, EARLIER))
    assert sheet.consent_after(wanted, current) == (True, EARLIER)


def test_r19_a_refusal_is_registered_now() -> None:
    plan = planned(*family(consent=False))
    assert plan.counts["guardians"] == SheetCounts(updated=1)
    assert guardians_of(plan).consent_after(False, (True, EARLIER)) == (False, NOW)


def test_r18_an_opt_out_is_dated_now_and_a_blank_cell_leaves_it_as_it_is() -> None:
    plan = planned(*family(consent=None, opt_out=True))
    sheet = guardians_of(plan)
    [(guardian, pupil)] = sheet.links
    assert sheet.opt_out_after(guardian, pupil) == ((False, None), (True, NOW))
    assert plan.counts["guardians"] == SheetCounts(updated=1)
    plan = planned(*family(consent=None, opt_out=None))
    assert plan.counts["guardians"] == SheetCounts(unchanged=1)


def test_r20_a_subgroup_with_lessons_and_no_pupils_is_a_warning_at_its_first_lesson() -> None:
    plan = planned(
        roster(
            teachers=[TeacherRow(2, None, "Иванова Анна Петровна", TEACHER)],
            classes=[ClassRow(2, None, "5А", 5, None)],
            subjects=[SubjectRow(2, None, "Английский язык", None)],
            timetable=[
                TimetableRow(
                    3, "5А", "1 группа", 2, 1, "Английский язык", "Иванова Анна Петровна", None
                ),
                TimetableRow(
                    2, "5А", "1 группа", 1, 1, "Английский язык", "Иванова Анна Петровна", None
                ),
            ],
        )
    )
    assert plan.problems == []
    [warning] = plan.warnings
    assert (warning.sheet, warning.row, warning.column) == ("timetable", 2, "group")
    assert (warning.key, warning.params) == (
        "roster.warning.empty_group",
        {"group": "1 группа", "cls": "5А", "subject": "Английский язык", "count": 2},
    )


@pytest.mark.parametrize(
    ("first", "year"),
    [(date(2025, 9, 1), 2025), (date(2026, 1, 12), 2025), (date(2026, 7, 1), 2026)],
)
def test_a_school_year_starts_in_july_or_later(first: date, year: int) -> None:
    assert school_year(first) == year


def test_periods_of_one_file_must_lie_in_one_school_year() -> None:
    periods = [
        PeriodRow(2, "1 четверть", date(2025, 9, 1), date(2025, 10, 26)),
        PeriodRow(3, "4 четверть", date(2026, 3, 30), date(2026, 9, 15)),
    ]
    plan = planned(roster(periods=periods))
    assert [(p.row, p.key, p.params) for p in plan.problems] == [
        (3, "roster.periods_one_year", {"year": "2025/2026"})
    ]
