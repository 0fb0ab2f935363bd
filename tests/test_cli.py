"""The ``journal`` command as a school admin uses it: import the demo school, print invitation
cards, write a report, revoke an account, back up, verify, restore."""

from __future__ import annotations

import io
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import openpyxl
import pypdfium2
import pytest
from pydantic import SecretStr

from demo import SCHOOL_DIR, SCHOOL_NAME
from journal.cli import build_parser, dispatch
from journal.database import asyncpg_dsn, embedded_server, with_database
from journal.settings import Settings

KEY = "cli-test-backup-key-0123456789"


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=db_url,
        data_dir=tmp_path / "data",
        bot_username="school_journal_bot",
        backup_hmac_key=SecretStr(KEY),
        backup_dirs=f"{tmp_path / 'disk1'},{tmp_path / 'disk2'}",
    )


async def journal_cmd(settings: Settings, *argv: str) -> int:
    return await dispatch(build_parser().parse_args(list(argv)), settings)


@pytest.fixture
async def school(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert await journal_cmd(settings, "import", str(SCHOOL_DIR), "--school", SCHOOL_NAME) == 0
    capsys.readouterr()


def manifests_in(folder: Path) -> list[Path]:
    return sorted(folder.glob("disk*/*.manifest.json"))


async def count(db_url: str, sql: str) -> int:
    conn = await asyncpg.connect(asyncpg_dsn(db_url))
    try:
        return int(await conn.fetchval(sql))
    finally:
        await conn.close()


async def test_import_twice_changes_nothing_the_second_time(
    settings: Settings, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await journal_cmd(settings, "import", str(SCHOOL_DIR), "--school", SCHOOL_NAME) == 0
    pupils = await count(db_url, "SELECT count(*) FROM pupils")
    assert pupils > 50
    first = capsys.readouterr().out
    assert f"Новые ученики ({pupils}):" in first
    assert "journal invite --class 5А --pdf cards-5А.pdf" in first
    assert await journal_cmd(settings, "import", str(SCHOOL_DIR)) == 0
    assert await count(db_url, "SELECT count(*) FROM pupils") == pupils
    out = capsys.readouterr().out
    assert "Ученики: добавлено 0, изменено 0" in out and "Изменений нет." in out
    assert not re.search(r"(добавлено|изменено) [1-9]", out)


async def test_broken_roster_lists_each_problem_with_its_place(
    settings: Settings, school: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in SCHOOL_DIR.glob("*.csv"):
        (broken / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    classes = broken / "classes.csv"
    classes.write_text(classes.read_text(encoding="utf-8").replace(",5,", ",15,"), encoding="utf-8")
    assert await journal_cmd(settings, "import", str(broken)) == 1
    err = capsys.readouterr().err
    assert "лист classes, строка 3, столбец grade" in err and "ничего не изменилось" in err


async def test_r2_invite_writes_printable_cards_and_links(
    settings: Settings, school: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf = tmp_path / "cards.pdf"
    assert (
        await journal_cmd(settings, "invite", "--class", "5А", "--parents", "--pdf", str(pdf)) == 0
    )
    links = [x for x in capsys.readouterr().out.splitlines() if "https://t.me/" in x]
    assert links and all("school_journal_bot?start=" in x for x in links)
    document = pypdfium2.PdfDocument(pdf.read_bytes())
    assert len(document) == -(-len(links) // 8)  # eight cards a page


async def test_r2_invite_again_keeps_the_cards_and_reissue_asks_for_confirmation(
    settings: Settings, school: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await journal_cmd(settings, "invite", "--class", "5А", "--parents") == 0
    first = [x for x in capsys.readouterr().out.splitlines() if "https://t.me/" in x]
    assert first and all("ребёнок: " in x for x in first)  # a parent's line names the child
    assert await journal_cmd(settings, "invite", "--class", "5А", "--parents") == 0
    out = capsys.readouterr()
    assert "https://t.me/" not in out.out
    assert f"Не выданы: {len(first)} — уже есть действующая карточка" in out.err
    assert await journal_cmd(settings, "invite", "--class", "5А", "--parents", "--reissue") == 2
    assert "Чтобы подтвердить, добавьте --yes" in capsys.readouterr().err
    code = await journal_cmd(settings, "invite", "--class", "5А", "--parents", "--reissue", "--yes")
    assert code == 0
    again = [x for x in capsys.readouterr().out.splitlines() if "https://t.me/" in x]
    assert len(again) == len(first) and set(again).isdisjoint(first)


async def test_r21_report_writes_an_xlsx_for_the_class(
    settings: Settings, school: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reports"
    out.mkdir()
    code = await journal_cmd(
        settings,
        "report",
        "attendance-month",
        "--class",
        "5А",
        "--month",
        "2026-11",
        "-o",
        str(out),
    )
    assert code == 0, capsys.readouterr().err
    (written,) = out.iterdir()
    book = openpyxl.load_workbook(io.BytesIO(written.read_bytes()))
    cells = [c for row in book.active.iter_rows(values_only=True) for c in row if c]
    assert any("5А" in str(c) for c in cells)


async def test_r3_revoke_lists_and_cuts_a_binding(
    settings: Settings, school: None, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await journal_cmd(settings, "revoke", "--list") == 0
    assert capsys.readouterr().out == ""  # nobody has bound yet
    assert await journal_cmd(settings, "revoke", "--binding", "999999") == 1
    assert capsys.readouterr().err.strip()
    assert await journal_cmd(settings, "revoke", "--binding", "1", "--since", "вчера") == 2
    assert "ДД.ММ.ГГГГ" in capsys.readouterr().err


async def test_r3_revoke_list_tells_two_phones_of_one_person_apart(
    settings: Settings, school: None, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(db_url))
    try:
        person = await conn.fetchval(
            "SELECT p.id FROM people p JOIN staff_roles r ON r.person_id = p.id"
            " ORDER BY p.id LIMIT 1"
        )
        for tg, name, username, at in (
            (501, "Елена", "elena_k", "2026-11-23 08:00+03"),
            (502, "Lucky", "lucky777", "2026-11-23 09:15+03"),
        ):
            await conn.execute(
                "INSERT INTO bindings (telegram_user_id, person_id, role, created_at,"
                " telegram_name, telegram_username) VALUES ($1, $2, 'staff', $3::text::timestamptz,"
                " $4, $5)",
                tg,
                person,
                at,
                name,
                username,
            )
    finally:
        await conn.close()
    assert await journal_cmd(settings, "revoke", "--list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0] != lines[1]
    assert "вход 23.11.2026 08:00; Telegram: Елена (@elena_k)" in lines[0]
    assert "вход 23.11.2026 09:15; Telegram: Lucky (@lucky777)" in lines[1]
    assert all("последнее использование: не было" in line for line in lines)


async def test_r22_backup_verify_restore_and_tamper(
    settings: Settings,
    school: None,
    db_url: str,
    pg_admin_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await journal_cmd(settings, "backup") == 0
    capsys.readouterr()
    manifests = manifests_in(tmp_path)
    assert len(manifests) == 2
    assert await journal_cmd(settings, "verify-backup", str(manifests[0])) == 0

    name = f"cli_restore_{tmp_path.name}"[:60]
    assert await journal_cmd(settings, "restore", str(manifests[0]), "--database", name) == 0
    restored = with_database(db_url, name)
    sql = "SELECT count(*) FROM pupils"
    assert await count(restored, sql) == await count(db_url, sql)
    # the database is no longer empty: a second restore into it is refused
    assert await journal_cmd(settings, "restore", str(manifests[0]), "--database", name) == 1
    assert name in capsys.readouterr().err

    dump = next(manifests[1].parent.glob("*.dump"))
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    assert await journal_cmd(settings, "verify-backup", str(manifests[1])) == 1
    conn = await asyncpg.connect(asyncpg_dsn(pg_admin_url))
    try:
        await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def test_r22_closing_a_period_archives_its_summary_sheets_once(
    settings: Settings, school: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await journal_cmd(settings, "archive") == 0
    assert "уже в архиве" in capsys.readouterr().out  # nothing closed yet
    conn = await asyncpg.connect(asyncpg_dsn(settings.database_url or ""))
    try:
        await conn.execute("UPDATE periods SET closed_at = now() WHERE name = '1 четверть'")
    finally:
        await conn.close()

    assert await journal_cmd(settings, "archive") == 0
    folders = [line.split(" в ", 1)[1] for line in capsys.readouterr().out.splitlines()]
    assert len(folders) == 2  # one in each backup folder
    for folder in map(Path, folders):
        names = sorted(p.name for p in folder.iterdir() if p.suffix == ".xlsx")
        assert len(names) == 4  # marks and attendance of 1А and 5А
        assert any("5А" in n for n in names)
        book = openpyxl.load_workbook(folder / names[0])
        assert book.sheetnames

    assert await journal_cmd(settings, "archive") == 0
    assert "уже в архиве" in capsys.readouterr().out  # written once


async def test_r7_r8_school_sets_its_deadline_and_edit_window(
    settings: Settings, school: None, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await journal_cmd(settings, "school") == 0
    assert "до 20:00" in capsys.readouterr().out
    assert await journal_cmd(settings, "school", "--deadline", "19:30", "--edit-window", "14") == 0
    assert "до 19:30" in capsys.readouterr().out
    sql = "SELECT extract(hour FROM correction_deadline) * 100 + edit_window_days FROM schools"
    assert await count(db_url, sql) == 1914
    assert await journal_cmd(settings, "school", "--digest-time", "19:00") == 0
    assert "сводка родителям — в 19:00" in capsys.readouterr().out
    assert await journal_cmd(settings, "school", "--deadline", "25:00") == 2
    assert "ЧЧ:ММ" in capsys.readouterr().err
    assert await count(db_url, sql) == 1914  # unchanged


# --- files with personal data are the service's user's only (issue 15) ------------------------


@pytest.fixture(params=[0o022, 0o000], ids=["umask-022", "umask-000"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def modes_under(root: Path) -> dict[str, int]:
    return {
        str(p.relative_to(root)): stat.S_IMODE(p.stat().st_mode) for p in [root, *root.rglob("*")]
    }


async def test_dumps_archives_reports_and_cards_are_readable_by_the_service_user_only(
    settings: Settings, school: None, tmp_path: Path, umask: int
) -> None:
    assert await journal_cmd(settings, "backup") == 0
    conn = await asyncpg.connect(asyncpg_dsn(settings.database_url or ""))
    try:
        await conn.execute("UPDATE periods SET closed_at = now() WHERE name = '1 четверть'")
    finally:
        await conn.close()
    assert await journal_cmd(settings, "archive") == 0
    report = ["report", "attendance-month", "--class", "5А", "--month", "2026-11"]
    assert await journal_cmd(settings, *report, "-o", str(tmp_path / "month.xlsx")) == 0
    cards = tmp_path / "cards.pdf"
    assert await journal_cmd(settings, "invite", "--class", "5А", "--pdf", str(cards)) == 0

    for disk in ("disk1", "disk2"):
        modes = modes_under(tmp_path / disk)
        assert any(name.endswith(".dump") for name in modes)
        assert any(name.endswith(".manifest.json") for name in modes)
        assert any(name.endswith(".xlsx") for name in modes)  # the archive
        for name, mode in modes.items():
            wanted = 0o700 if (tmp_path / disk / name).is_dir() else 0o600
            assert mode == wanted, (disk, name, oct(mode))
    for written in (tmp_path / "month.xlsx", cards):
        assert stat.S_IMODE(written.stat().st_mode) == 0o600, written


def test_the_embedded_database_folder_is_the_service_users_only(tmp_path: Path, umask: int) -> None:
    """As root, the embedded server runs as its own system user, who must pass through the
    data folder: others may then traverse it (0711) but never list or read it."""
    data = tmp_path / "data"
    with embedded_server(data / "postgres"):
        wanted = 0o711 if os.geteuid() == 0 else 0o700
        assert stat.S_IMODE(data.stat().st_mode) == wanted
        assert stat.S_IMODE((data / "postgres").stat().st_mode) == 0o700
