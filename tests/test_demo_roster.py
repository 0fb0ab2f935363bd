"""Structural checks of the shipped demo school and of the roster generator."""

from __future__ import annotations

import csv
import random
import re
from collections import Counter, defaultdict
from datetime import date, time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from demo import SCHOOL_DIR
from demo.demo_school import build_demo_school
from demo.generate import (
    Roster,
    class_list,
    generate_school,
    read_csv_folder,
    read_xlsx,
    write_csv_folder,
    write_xlsx,
)
from demo.names import NameGenerator, feminine_surname, patronymics

# The import format, spelled out independently of demo.generate.COLUMNS.
EXPECTED_COLUMNS = {
    "teachers": ["id", "full_name", "roles"],
    "classes": ["id", "name", "grade", "class_teacher"],
    "subjects": ["id", "name"],
    "pupils": ["id", "full_name", "class", "birth_date"],
    "guardians": ["id", "full_name", "pupil", "class", "phone", "consent"],
    "assignments": ["teacher", "subject", "class", "group"],
    "groups": ["class", "subject", "group", "pupil"],
    "bells": ["lesson_no", "start", "end"],
    "timetable": ["class", "group", "weekday", "lesson_no", "subject", "teacher", "room"],
    "periods": ["name", "start", "end"],
}
ROLES = {"admin", "director", "deputy", "teacher"}
CLASS_NAME = re.compile(r"^(\d{1,2})[А-ЯЁ]$")
PHONE = re.compile(r"^\+7\d{10}$")
HHMM = re.compile(r"^\d{2}:\d{2}$")


@pytest.fixture(scope="module")
def demo() -> Roster:
    return read_csv_folder(SCHOOL_DIR)


@pytest.fixture(scope="module")
def big() -> Roster:
    # Every grade, two parallels for a few, a sibling rate high enough to matter.
    classes = [*class_list(13), ("5Б", 5)]
    return generate_school(42, classes, (18, 27), "X-", sibling_rate=0.2)


def unique(values: list[str], what: str) -> None:
    dupes = [v for v, n in Counter(values).items() if n > 1]
    assert not dupes, f"duplicate {what}: {dupes[:5]}"


def check_roster(r: Roster) -> None:
    assert set(r) == set(EXPECTED_COLUMNS)
    for sheet, rows in r.items():
        for row in rows:
            assert list(row) == EXPECTED_COLUMNS[sheet], sheet
            assert all(isinstance(v, str) for v in row.values())

    # Keys.
    teachers = {t["full_name"]: t for t in r["teachers"]}
    classes = {c["name"]: c for c in r["classes"]}
    subjects = {s["name"] for s in r["subjects"]}
    pupils = {p["full_name"]: p for p in r["pupils"]}
    for sheet, key in (
        ("teachers", "id"),
        ("teachers", "full_name"),
        ("classes", "id"),
        ("classes", "name"),
        ("subjects", "id"),
        ("subjects", "name"),
        ("pupils", "id"),
        ("pupils", "full_name"),
    ):
        unique([row[key] for row in r[sheet]], f"{sheet}.{key}")
        assert all(row[key] for row in r[sheet]), f"empty {sheet}.{key}"

    # Guardians: one id ↔ one name, one row per (guardian, pupil).
    g_name_by_id: dict[str, str] = {}
    g_id_by_name: dict[str, str] = {}
    for g in r["guardians"]:
        assert g_name_by_id.setdefault(g["id"], g["full_name"]) == g["full_name"]
        assert g_id_by_name.setdefault(g["full_name"], g["id"]) == g["id"]
    unique([f"{g['id']}|{g['pupil']}" for g in r["guardians"]], "guardian links")

    # Full names are unambiguous across the whole school.
    unique([*teachers, *pupils, *g_id_by_name], "people names")

    for t in r["teachers"]:
        roles = t["roles"].split(";")
        assert roles and set(roles) <= ROLES, t
        unique(roles, "roles")
    all_roles = Counter(role for t in r["teachers"] for role in t["roles"].split(";"))
    assert all_roles["director"] == 1 and all_roles["deputy"] >= 1 and all_roles["admin"] >= 1

    for c in r["classes"]:
        m = CLASS_NAME.match(c["name"])
        assert m and int(m.group(1)) == int(c["grade"]), c
        assert 1 <= int(c["grade"]) <= 11
        assert "teacher" in teachers[c["class_teacher"]]["roles"].split(";"), c

    for p in r["pupils"]:
        assert p["class"] in classes, p
        if p["birth_date"]:
            born = date.fromisoformat(p["birth_date"])
            age = 2026 - born.year
            assert 6 <= age - int(classes[p["class"]]["grade"]) <= 7, p

    links: dict[str, list[dict[str, str]]] = defaultdict(list)
    for g in r["guardians"]:
        pupil = pupils[g["pupil"]]
        assert pupil["class"] == g["class"], g
        assert g["phone"] == "" or PHONE.match(g["phone"]), g
        assert g["consent"] in ("yes", "no"), g
        links[g["pupil"]].append(g)
    for name in pupils:
        assert 1 <= len(links[name]) <= 2, name
    # The same guardian on every row: same phone and consent.
    by_id: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for g in r["guardians"]:
        by_id[g["id"]].add((g["phone"], g["consent"]))
    assert all(len(v) == 1 for v in by_id.values())
    phones = [next(iter(v))[0] for v in by_id.values()]
    unique([p for p in phones if p], "phones")

    # Subgroups.
    group_members: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for row in r["groups"]:
        assert row["subject"] in subjects and row["group"], row
        assert pupils[row["pupil"]]["class"] == row["class"], row
        group_members[row["class"], row["subject"], row["group"]].add(row["pupil"])
    unique([f"{g['class']}|{g['subject']}|{g['pupil']}" for g in r["groups"]], "group members")
    # A split subject puts every pupil of the class into some group.
    in_groups: dict[tuple[str, str], set[str]] = defaultdict(set)
    for (cls, subject, _), members in group_members.items():
        in_groups[cls, subject] |= members
    for (cls, subject), members in in_groups.items():
        assert members == {p for p, row in pupils.items() if row["class"] == cls}, (cls, subject)

    # Bells and periods.
    bells = {int(b["lesson_no"]): b for b in r["bells"]}
    assert sorted(bells) == list(range(1, len(bells) + 1))
    previous_end = time(0, 0)
    for n in sorted(bells):
        assert HHMM.match(bells[n]["start"]) and HHMM.match(bells[n]["end"])
        start, end = time.fromisoformat(bells[n]["start"]), time.fromisoformat(bells[n]["end"])
        assert previous_end <= start < end
        previous_end = end
    previous = date.min
    for p in r["periods"]:
        first, last = date.fromisoformat(p["start"]), date.fromisoformat(p["end"])
        assert previous < first <= last, p
        previous = last
    unique([p["name"] for p in r["periods"]], "periods")

    # Assignments.
    assigned = set()
    for a in r["assignments"]:
        assert a["teacher"] in teachers and a["subject"] in subjects and a["class"] in classes
        if a["group"]:
            assert (a["class"], a["subject"], a["group"]) in group_members, a
        assigned.add((a["teacher"], a["subject"], a["class"], a["group"]))
    assert len(assigned) == len(r["assignments"]), "duplicate assignments"

    # Timetable.
    taught = set()
    teacher_slots: Counter[tuple[str, str, str]] = Counter()
    class_slots: dict[tuple[str, str, str], list[dict[str, str]]] = defaultdict(list)
    for row in r["timetable"]:
        assert row["class"] in classes and row["subject"] in subjects, row
        assert "teacher" in teachers[row["teacher"]]["roles"].split(";"), row
        assert 1 <= int(row["weekday"]) <= 7 and int(row["lesson_no"]) in bells, row
        if row["group"]:
            assert (row["class"], row["subject"], row["group"]) in group_members, row
        taught.add((row["teacher"], row["subject"], row["class"], row["group"]))
        teacher_slots[row["teacher"], row["weekday"], row["lesson_no"]] += 1
        class_slots[row["class"], row["weekday"], row["lesson_no"]].append(row)
    double = [k for k, n in teacher_slots.items() if n > 1]
    assert not double, f"teachers double-booked: {double[:5]}"
    for slot, rows in class_slots.items():
        if len(rows) > 1:  # only a subgroup split shares a slot, and with distinct groups
            assert len({x["subject"] for x in rows}) == 1, slot
            assert all(x["group"] for x in rows), slot
            unique([x["group"] for x in rows], f"groups at {slot}")
    assert taught == assigned, "timetable and assignments disagree"

    # Every class: Mon-Fri, lessons 1..n without gaps, a sane number a day.
    per_day: dict[tuple[str, str], set[int]] = defaultdict(set)
    for cls, wd, ln in class_slots:
        per_day[cls, wd].add(int(ln))
    for cls, row in classes.items():
        days = {wd for (c2, wd) in per_day if c2 == cls}
        assert days == {"1", "2", "3", "4", "5"}, cls
        for wd in days:
            lessons = per_day[cls, wd]
            assert lessons == set(range(1, len(lessons) + 1)), (cls, wd)
            if row["grade"] == "1":
                assert 4 <= len(lessons) <= 5, (c, wd)
            elif int(row["grade"]) >= 5:
                assert 5 <= len(lessons) <= 7, (c, wd)


# --- The shipped demo school ------------------------------------------------------------


def test_demo_files_have_exact_columns() -> None:
    files = sorted(p.name for p in SCHOOL_DIR.glob("*.csv"))
    assert files == sorted(f"{name}.csv" for name in EXPECTED_COLUMNS)
    for name, columns in EXPECTED_COLUMNS.items():
        with (SCHOOL_DIR / f"{name}.csv").open(encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            assert next(reader) == columns, name
            widths = {len(row) for row in reader}
        assert widths == {len(columns)}, name


def test_demo_roster_is_consistent(demo: Roster) -> None:
    check_roster(demo)


def test_demo_school_shape(demo: Roster) -> None:
    assert [(c["name"], c["grade"]) for c in demo["classes"]] == [("1А", "1"), ("5А", "5")]
    sizes = Counter(p["class"] for p in demo["pupils"])
    assert 24 <= sizes["1А"] <= 28 and 26 <= sizes["5А"] <= 30
    assert 7 <= len(demo["teachers"]) <= 8
    roles = Counter(t["roles"] for t in demo["teachers"])
    assert roles["director;teacher"] == 1 and roles["deputy;teacher"] == 1
    assert roles["admin"] == 1
    assert [p["name"] for p in demo["periods"]] == [f"{n} четверть" for n in (1, 2, 3, 4)]
    assert demo["periods"][0]["start"] == "2026-09-01"
    assert demo["periods"][-1]["end"] == "2027-05-26"
    assert len(demo["bells"]) == 7

    # 5А English in two subgroups, taught by different teachers at the same slots.
    eng = [t for t in demo["timetable"] if t["class"] == "5А" and t["subject"] == "Английский язык"]
    by_slot: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for row in eng:
        by_slot[row["weekday"], row["lesson_no"]][row["group"]] = row["teacher"]
    assert by_slot and all(set(g) == {"1 группа", "2 группа"} for g in by_slot.values())
    assert all(len(set(g.values())) == 2 for g in by_slot.values())
    groups = Counter(g["group"] for g in demo["groups"] if g["class"] == "5А")
    assert set(groups) == {"1 группа", "2 группа"} and sum(groups.values()) == sizes["5А"]
    assert {g["class"] for g in demo["groups"]} == {"5А"}

    # 1А: the class teacher teaches most lessons; music and PE by specialists.
    ct = next(c["class_teacher"] for c in demo["classes"] if c["name"] == "1А")
    first = [t for t in demo["timetable"] if t["class"] == "1А"]
    specialists = {t["subject"] for t in first if t["teacher"] != ct}
    assert specialists == {"Музыка", "Физическая культура"}
    assert "Английский язык" not in {t["subject"] for t in first}


def test_demo_guardian_cases(demo: Roster) -> None:
    consent = {g["id"]: g["consent"] for g in demo["guardians"]}
    assert 1 <= Counter(consent.values())["no"] <= 2
    children: dict[str, set[str]] = defaultdict(set)
    for g in demo["guardians"]:
        children[g["id"]].add(g["pupil"])
    families = [kids for kids in children.values() if len(kids) >= 2]
    assert families, "no guardian with two children"
    for kids in families:  # siblings share a surname (modulo gender)
        stems = {k.split()[0].removesuffix("а") for k in kids}
        assert len(stems) == 1, kids
    counts = Counter(g["pupil"] for g in demo["guardians"])
    assert set(counts.values()) == {1, 2}


def test_shipped_files_match_generator(demo: Roster) -> None:
    assert build_demo_school() == demo, "demo/school is stale: run python -m demo"


# --- The generator ----------------------------------------------------------------------


def test_generated_school_is_consistent(big: Roster) -> None:
    check_roster(big)
    assert all(row["id"].startswith("X-") for sheet in ("teachers", "pupils") for row in big[sheet])
    split_classes = {g["class"] for g in big["groups"]}
    assert split_classes == {c["name"] for c in big["classes"] if int(c["grade"]) >= 5}


def test_generator_is_deterministic() -> None:
    classes = class_list(6)
    one = generate_school(7, classes, (20, 25), "A-")
    assert generate_school(7, classes, (20, 25), "A-") == one
    assert generate_school(8, classes, (20, 25), "A-") != one


@pytest.mark.parametrize("classes", [[("11А", 11)], [("1А", 1)], class_list(11), class_list(40)])
def test_generator_shapes(classes: list[tuple[str, int]]) -> None:
    roster = generate_school(3, classes, (25, 25))
    check_roster(roster)
    assert len(roster["pupils"]) == 25 * len(classes)


def test_class_list() -> None:
    classes = class_list(40)
    assert len(classes) == 40 and len({n for n, _ in classes}) == 40
    assert classes[:2] == [("1А", 1), ("1Б", 1)] and classes[-1] == ("11В", 11)


def test_names_agree_in_gender() -> None:
    assert feminine_surname("Иванов") == "Иванова"
    assert feminine_surname("Островский") == "Островская"
    assert feminine_surname("Шевченко") == "Шевченко"
    assert patronymics("Пётр") == ("Петрович", "Петровна")
    assert patronymics("Юрий") == ("Юрьевич", "Юрьевна")
    assert patronymics("Дмитрий") == ("Дмитриевич", "Дмитриевна")
    assert patronymics("Сергей") == ("Сергеевич", "Сергеевна")
    assert patronymics("Игорь") == ("Игоревич", "Игоревна")
    assert patronymics("Илья") == ("Ильич", "Ильинична")
    names = NameGenerator(random.Random(1))
    for _ in range(300):
        female = names.person(female=True, adult=False)
        male = names.person(female=False, adult=True)
        assert female.split()[2].endswith("на"), female
        assert male.split()[2].endswith("ич"), male
    assert len(names) == 600


# --- Files ------------------------------------------------------------------------------


def test_csv_round_trip(tmp_path: Path, demo: Roster) -> None:
    write_csv_folder(demo, tmp_path / "out")
    assert read_csv_folder(tmp_path / "out") == demo
    for name in EXPECTED_COLUMNS:
        assert (tmp_path / "out" / f"{name}.csv").read_bytes() == (
            SCHOOL_DIR / f"{name}.csv"
        ).read_bytes()


def test_xlsx_reads_back_equal_with_openpyxl(tmp_path: Path, demo: Roster) -> None:
    path = tmp_path / "school.xlsx"
    write_xlsx(demo, path)
    wb = load_workbook(path)
    assert wb.sheetnames == list(EXPECTED_COLUMNS)
    for name, columns in EXPECTED_COLUMNS.items():
        rows = list(wb[name].iter_rows(values_only=True))
        assert list(rows[0]) == columns
        back = [{c: v or "" for c, v in zip(columns, row, strict=True)} for row in rows[1:]]
        assert back == demo[name], name
    assert read_xlsx(path) == demo


def test_typed_xlsx_normalises_back(tmp_path: Path, demo: Roster) -> None:
    path = tmp_path / "typed.xlsx"
    write_xlsx(demo, path, typed=True)
    wb = load_workbook(path, read_only=True)
    first_bell = next(wb["bells"].iter_rows(min_row=2, values_only=True))
    assert first_bell[0] == 1 and first_bell[1] == time(8, 30)
    wb.close()
    assert read_xlsx(path) == demo
