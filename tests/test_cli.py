"""The ``journal`` command as a school admin uses it: import the demo school, print invitation
cards, write a report, revoke an account, back up, verify, restore."""

from __future__ import annotations

import argparse
import io
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import asyncpg
import openpyxl
import pypdfium2
import pytest
from aiogram import Bot
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import async_sessionmaker

from core.clock import ManualClock, SystemClock
from core.journal import Journal
from core.models import BindingRole
from core.rules import Rules
from demo import SCHOOL_DIR, SCHOOL_NAME
from fakegram import FakeTelegram
from notifications.channels.telegram import TelegramChannel
from notifications.rules import NotificationRules
from notifications.scheduler import NotificationJobs
from notifications.sender import Sender
from school_journal.cli import build_parser, dispatch, main
from school_journal.database import (
    EMBEDDED_DATABASE,
    asyncpg_dsn,
    create_engine,
    embedded_server,
    ensure_database,
    with_database,
)
from school_journal.migrate import upgrade
from school_journal.settings import Settings
from tests.test_notifications import absent, at, bind
from tests.world import MONDAY, build_world
from texts.ru import RU


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    """The shared settings, backing up to two folders (two disks)."""
    return settings.model_copy(update={"backup_dirs": f"{tmp_path / 'disk1'},{tmp_path / 'disk2'}"})


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
    assert "файл «classes.csv», строка 3, столбец «grade» (C)" in err
    assert "ничего не изменилось" in err


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
    cells = [c for row in book.worksheets[0].iter_rows(values_only=True) for c in row if c]
    assert any("5А" in str(c) for c in cells)


async def test_r3_revoke_lists_and_cuts_a_binding(
    settings: Settings, school: None, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await journal_cmd(settings, "revoke", "--list") == 0
    assert capsys.readouterr().out == (  # nobody has bound yet: said so
        "Действующих привязок нет: никто ещё не вошёл в бот (или все отключены)."
        " Коды-приглашения: journal invite.\n"
    )
    assert await journal_cmd(settings, "revoke", "--binding", "999999") == 1
    assert capsys.readouterr().err == (  # the console's words, not the bot's «Откройте меню»
        "Привязки 999999 в школе нет. Действующие привязки: journal revoke --list\n"
    )
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
                "INSERT INTO bindings (user_id, person_id, role, created_at,"
                " profile_name, username) VALUES ($1, $2, 'staff', $3::text::timestamptz,"
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


# --- journal status (issue 10) ----------------------------------------------------------------


async def status_of(settings: Settings, capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert await journal_cmd(settings, "status") == 0
    return capsys.readouterr().out.splitlines()


def line_with(lines: list[str], start: str) -> str:
    found = [x for x in lines if x.startswith(start)]
    assert len(found) == 1, (start, lines)
    return found[0]


async def test_r16_r6_r22_status_shows_the_outbox_digest_round_backups_and_bindings(
    settings: Settings,
    journal: Journal,
    clock: ManualClock,
    db_url: str,
    fake: FakeTelegram,
    telegram_bot: Bot,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    w = await build_world(journal)
    assert line_with(await status_of(settings, capsys), "Сводки") == (
        "Сводки родителям ещё не составлялись."
    )
    mother = await bind(journal, w.people["mother"])
    sidorov = await bind(journal, w.people["sidorov"])
    await bind(journal, w.people["math"], BindingRole.STAFF)  # 5А's class teacher
    await absent(journal, w, "math", MONDAY, 1, "petya")  # the mother's digest has news
    jobs = NotificationJobs(journal, NotificationRules())
    at(clock, MONDAY, 20)
    assert await jobs.digests() > 0
    # The sender delivers the digests (through the fake Bot API), as the bot would.
    for person in ("mother", "sidorov"):
        fake.user(700_000 + w.people[person], person, known=True)
    sender = Sender(journal.sessions, TelegramChannel(telegram_bot), journal.clock, jitter=0.0)
    while await sender.run_once():
        pass
    at(clock, MONDAY + timedelta(days=4), 14)  # Friday: Пётр's absence has no reason yet
    assert await jobs.friday_round() > 0
    conn = await asyncpg.connect(asyncpg_dsn(db_url))
    try:
        # The round waits (queued 2 h 5 min ago); the other parent blocked the bot
        # afterwards; a teacher's late correction waits for the deputy.
        await conn.execute(
            "UPDATE outbox SET created_at = now() - interval '2 hours 5 minutes 10 seconds'"
            " WHERE kind = 'friday_round'"
        )
        await conn.execute("UPDATE bindings SET unreachable_at = now() WHERE id = $1", sidorov)
        lesson = await conn.fetchval("SELECT min(id) FROM lessons")
        await conn.execute(
            "INSERT INTO correction_requests (school_id, lesson_id, pupil_id, entity, change,"
            " requested_by, requested_at) VALUES ($1, $2, $3, 'mark', '{}', $4, now())",
            w.school_id,
            lesson,
            w.people["petya"],
            w.people["math"],
        )
        digest_messages = await conn.fetchval("SELECT count(*) FROM outbox WHERE kind = 'digest'")
        round_messages = await conn.fetchval(
            "SELECT count(*) FROM outbox WHERE kind = 'friday_round'"
        )
        by_state = dict(await conn.fetch("SELECT status, count(*) FROM outbox GROUP BY status"))
        built = await conn.fetchval("SELECT count(*) FROM digests")
        empty = await conn.fetchval("SELECT count(*) FROM digests WHERE parts = 0")
    finally:
        await conn.close()
    assert digest_messages > 0 and round_messages > 0 and built == 2 and empty == 1
    assert mother != sidorov
    assert await journal_cmd(settings, "backup") == 0
    manifests = manifests_in(tmp_path)
    dump = next(manifests[1].parent.glob("*.dump"))
    dump.write_bytes(dump.read_bytes() + b"x")  # the second copy is damaged
    capsys.readouterr()

    lines = await status_of(settings, capsys)
    assert lines[0].startswith("Состояние журнала: Школа № 1 на ")
    assert line_with(lines, "Очередь сообщений:") == (
        f"Очередь сообщений: ждут отправки {by_state.get('pending', 0)},"
        f" отправлено {by_state.get('sent', 0)}, не доставлено 0, недоступны 0."
    )
    assert line_with(lines, "Дольше всех") == (
        "Дольше всех ждёт отправки сообщение, поставленное 2 ч 5 мин назад."
    )
    assert line_with(lines, "Последняя сводка") == (
        "Последняя сводка родителям: 23.11.2026 20:00; сводок 2 (без новостей, не отправлялись:"
        f" 1); сообщений {digest_messages}: ждут отправки 0, отправлено {digest_messages},"
        " не доставлено 0, недоступны 0."
    )
    assert line_with(lines, "Последний пятничный") == (
        "Последний пятничный обход (причины пропусков): срок 27.11.2026 14:00, выполнен"
        f" 27.11.2026 14:00; сообщений {round_messages}: ждут отправки {round_messages},"
        " отправлено 0, не доставлено 0, недоступны 0."
    )
    first, second = (line_with(lines, f"Резервная копия в {m.parent}") for m in manifests)
    assert first.endswith("— проверена: подпись верна, файл не изменён.")
    assert "(0 мин назад)" in first
    assert second.endswith(
        "— НЕ прошла проверку: размер файла копии не совпадает с описанием;"
        " содержимое файла копии изменено (SHA-256 не совпадает)."
    )
    assert line_with(lines, "Вошли в бот") == (
        "Вошли в бот (действующие привязки): сотрудники — 1, родители — 2, ученики — 0."
    )
    assert line_with(lines, "Из них недоступны") == (
        "Из них недоступны (заблокировали бота или удалили аккаунт): сотрудники — 0,"
        " родители — 1, ученики — 0."
    )
    assert line_with(lines, "Запросы на исправление") == (
        "Запросы на исправление ждут решения заместителя директора: 1."
    )


# --- the console's own words (issue 10) -------------------------------------------------------


async def test_r9_an_unknown_period_or_year_names_those_there_are(
    settings: Settings, journal: Journal, capsys: pytest.CaptureFixture[str]
) -> None:
    await build_world(journal)
    report = ["report", "accumulation", "--period", "3 четверть"]
    assert await journal_cmd(settings, *report) == 1
    err = capsys.readouterr().err
    assert err == "Учебного периода «3 четверть» нет. Есть: 1 четверть, 2 четверть.\n"
    assert await journal_cmd(settings, "report", "audit", "--year", "2025/2026") == 1
    assert capsys.readouterr().err == "Учебного года «2025/2026» нет. Есть: 2026/2027.\n"


@pytest.mark.parametrize("month", ["13", "2026-13", "00.2026", "ноябрь"])
async def test_a_bad_month_is_said_in_russian(
    settings: Settings, journal: Journal, month: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await build_world(journal)
    report = ["report", "attendance-month", "--class", "5А", "--month", month]
    assert await journal_cmd(settings, *report) == 2
    assert capsys.readouterr().err == (
        f"Нет такого месяца «{month}»: укажите --month ГГГГ-ММ (месяц от 01 до 12),"
        " например 2026-11.\n"
    )


async def test_r22_a_backup_key_too_short_is_called_too_short_not_missing(
    settings: Settings, journal: Journal, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await build_world(journal)
    short = settings.model_copy(update={"backup_hmac_key": SecretStr("секрет-12")})
    assert await journal_cmd(short, "backup") == 1
    err = capsys.readouterr().err
    assert "слишком короткий: 15 байт, нужно не меньше 16" in err and "не задан" not in err.lower()
    assert manifests_in(tmp_path) == []
    assert await journal_cmd(settings, "backup") == 0
    (manifest, _) = manifests_in(tmp_path)
    capsys.readouterr()
    assert await journal_cmd(short, "verify-backup", str(manifest)) == 2
    assert "слишком короткий: 15 байт" in capsys.readouterr().err
    assert "слишком короткий: 15 байт" in line_with(
        await status_of(short, capsys), f"Резервная копия в {manifest.parent}"
    )
    none = settings.model_copy(update={"backup_hmac_key": None})
    assert await journal_cmd(none, "backup") == 1
    assert "Не задан ключ подписи" in capsys.readouterr().err


def commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def help_of(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as done:
        main(list(argv))
    assert done.value.code == 0
    return capsys.readouterr().out


def test_help_is_in_russian_for_the_command_and_each_subcommand(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = help_of(capsys, "--help")
    assert out.startswith("использование: journal [-h] КОМАНДА ...")
    assert "параметры:" in out and "показать эту справку и выйти" in out
    assert "команды:" in out and "status       состояние: очередь сообщений" in out
    english = ("usage:", "options:", "positional arguments", "show this help", "{run,")
    assert not [w for w in english if w in out]
    parser = build_parser()
    for name, sub in commands(parser).items():
        out = help_of(capsys, name, "--help")
        assert out.startswith(f"использование: journal {name} [-h]"), name
        assert (sub.description or "") in " ".join(out.split()), name  # the description
        assert not [w for w in english if w in out], (name, out)
        # Every help text is the catalogue's Russian (a new option's English would show).
        for action in sub._actions:
            assert action.help == argparse.SUPPRESS or action.help in RU.values(), (name, action)
        assert sub.description in RU.values(), name
    assert vars(argparse)["_"]("usage: ") == "usage: "  # argparse itself is left as it was


def test_help_in_english_with_the_second_locale(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser("en").parse_args(["report", "--help"])
    out = capsys.readouterr().out
    assert out.startswith("usage: journal report [-h] [--class CLASS]")
    assert "options:" in out and "Report kinds: attendance-month --class CLASS" in out
    assert not [w for w in ("использование", "параметры", "показать", "ГГГГ") if w in out]


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["foo"], "journal: ошибка: неизвестная команда «foo». Команды: run, migrate, import,"),
        ([], "journal: ошибка: не указаны обязательные аргументы: КОМАНДА"),
        (["report"], "journal report: ошибка: не указаны обязательные аргументы: ВИД"),
        (["report", "weekly"], "journal report: ошибка: аргумент ВИД: недопустимое значение"),
        (["invite"], "journal invite: ошибка: нужен один из аргументов: --staff --class --person"),
        (["revoke", "--list", "--binding", "1"], "аргумент --binding: нельзя вместе с --list"),
        (["revoke", "--binding", "один"], "аргумент --binding: «один» — не число"),
        (["status", "--verbose"], "journal: ошибка: неизвестные аргументы: --verbose"),
        (["import"], "journal import: ошибка: не указаны обязательные аргументы: ПУТЬ"),
    ],
)
def test_a_wrong_command_line_is_answered_in_russian(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("использование: journal") and said in err, err


async def test_status_joins_the_running_bots_embedded_database_and_starts_it_when_not(
    tmp_path: Path,
) -> None:
    """With the embedded database, ``journal status`` run beside ``journal run`` joins the
    server the bot started (and leaves it running); with no bot it starts the server and
    stops it again. The command is run as the admin would, in a process of its own."""
    data = tmp_path / "data"
    unset = ("DATABASE_URL", "BACKUP_DIRS", "BACKUP_HMAC_KEY", "BOT_TOKEN")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env |= {"DATA_DIR": str(data), "LOG_LEVEL": "WARNING", "MIGRATE_ON_START": "true"}

    def status() -> list[str]:
        done = subprocess.run(
            [sys.executable, "-m", "school_journal", "status"],
            cwd=tmp_path,  # no .env here
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()

    with embedded_server(data / "postgres") as admin_url:  # the running bot's server
        await ensure_database(admin_url, EMBEDDED_DATABASE)
        url = with_database(admin_url, EMBEDDED_DATABASE)
        engine = create_engine(url)
        try:
            await upgrade(engine)
            journal = Journal(
                async_sessionmaker(engine, expire_on_commit=False), SystemClock(), Rules()
            )
            w = await build_world(journal)
            await bind(journal, w.people["mother"])
        finally:
            await engine.dispose()
        lines = status()
        assert lines[0].startswith("Состояние журнала: Школа № 1 на ")
        assert "родители — 1" in line_with(lines, "Вошли в бот")
        assert await count(url, "SELECT 1") == 1  # the bot's server is still up
    assert not (data / "postgres" / "postmaster.pid").exists()  # stopped with the "bot"
    lines = status()  # no bot running: the command starts the server itself
    assert "родители — 1" in line_with(lines, "Вошли в бот")
    assert not (data / "postgres" / "postmaster.pid").exists()  # and stops it again


async def test_r2_invite_without_bot_username_asks_telegram_for_the_bots_name(
    settings: Settings, school: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from fakegram import FakeTelegram

    fake = FakeTelegram()
    await fake.start()
    try:
        fake.add_bot("123456:CLI-TOKEN", "school_journal_bot")
        asked = settings.model_copy(
            update={
                "bot_username": None,
                "bot_token": SecretStr("123456:CLI-TOKEN"),
                "telegram_api_base": fake.base_url,
            }
        )
        pdf = tmp_path / "staff.pdf"
        assert await journal_cmd(asked, "invite", "--staff", "--pdf", str(pdf)) == 0
    finally:
        await fake.stop()
    out, err = capsys.readouterr()
    assert "BOT_USERNAME" not in err
    links = [x for x in out.splitlines() if "https://t.me/" in x]
    assert links and all("school_journal_bot?start=" in x for x in links)
    document = pypdfium2.PdfDocument(pdf.read_bytes())
    try:
        text = " ".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()
    assert text.count("@school_journal_bot") == 2 * len(links)  # under the QR and in step 1

    # No token and no name: the codes alone, and the admin is told why.
    bare = settings.model_copy(update={"bot_username": None, "bot_token": None})
    assert await journal_cmd(bare, "invite", "--class", "5А", "--parents") == 0
    assert "задайте BOT_USERNAME" in capsys.readouterr().err


async def test_r2_invite_with_a_malformed_token_prints_the_codes_without_the_bots_name(
    settings: Settings, school: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # A BOT_TOKEN with a typo (no «:») and no BOT_USERNAME: the codes, no traceback.
    typo = settings.model_copy(update={"bot_username": None, "bot_token": SecretStr("123456")})
    assert await journal_cmd(typo, "invite", "--class", "5А", "--parents") == 0
    out, err = capsys.readouterr()
    assert "задайте BOT_USERNAME" in err
    assert "Traceback" not in err
    assert any("5А" in line for line in out.splitlines())
