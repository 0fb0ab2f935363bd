"""R22: signed backups on at least two media, verified, restored into an empty database."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import async_sessionmaker

from core import attendance, friday_round, lessons, marks
from core.clock import ManualClock
from core.journal import Journal
from core.models import AbsenceReason, Presence
from core.rules import Rules
from school_journal import backup as bk
from school_journal.backup import BackupError
from school_journal.database import asyncpg_dsn, create_engine, with_database
from tests.world import MONDAY, World
from texts import t

KEY = b"0123456789abcdef-school-secret"


@pytest.fixture
async def world(journal: Journal, clock: ManualClock, world: World) -> World:
    """The shared school with a morning of entries: attendance, a reason, marks, a final
    mark."""
    w = world
    p, math = w.people, w.staff("math")
    lesson_id = next(
        x.id for x in await lessons.teacher_day(journal, math, MONDAY) if x.lesson_no == 1
    )
    await attendance.set_status(journal, math, lesson_id, p["petya"], Presence.ABSENT)
    await attendance.mark_rest_present(journal, math, lesson_id)
    await friday_round.confirm_reason(journal, math, p["petya"], MONDAY, AbsenceReason.ILLNESS)
    await marks.add_mark(journal, math, lesson_id, p["masha"], 5, "answer", comment="у доски")
    await marks.add_mark(journal, math, lesson_id, p["kolya"], 3, "test")
    await marks.set_final_mark(
        journal, math, w.periods["2 четверть"], w.subjects["Математика"], p["masha"], "5"
    )
    return w


@pytest.fixture
def folders(tmp_path: Path) -> list[Path]:
    return [tmp_path / "disk1" / "journal", tmp_path / "disk2" / "journal"]


@pytest.fixture
async def empty_db(pg_admin_url: str) -> AsyncIterator[str]:
    """A new, empty database on the session's embedded server."""
    name = f"restore_{id(object())}"
    conn = await asyncpg.connect(asyncpg_dsn(pg_admin_url))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
        yield with_database(pg_admin_url, name)
        await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def table_counts(url: str) -> dict[str, int]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        return {
            r["tablename"]: await conn.fetchval(f'SELECT count(*) FROM "{r["tablename"]}"')
            for r in tables
        }
    finally:
        await conn.close()


async def test_r22_backup_restores_into_an_empty_database_and_reads_the_same(
    journal: Journal,
    world: World,
    db_url: str,
    empty_db: str,
    folders: list[Path],
    clock: ManualClock,
) -> None:
    result = await bk.backup(db_url, folders, KEY, clock)

    m = result.manifest
    assert m.file == "journal-20261123T070000Z.dump"  # 10:00 in Moscow, named in UTC
    assert m.schema_revision and m.database == make_url(db_url).database
    for folder, path in zip(folders, result.manifest_paths, strict=True):
        assert path == folder.resolve() / "journal-20261123T070000Z.manifest.json"
        assert (folder / m.file).stat().st_size == m.size
        assert bk.verify(path, KEY).ok
        assert json.loads(path.read_text())["sha256"] == m.sha256
    assert "backup.same_device" in result.warnings  # both folders are on this test's disk

    restored = await bk.restore(result.manifest_paths[1], empty_db, KEY)
    assert restored.database == make_url(empty_db).database

    counts = await table_counts(db_url)
    assert counts["marks"] == 2 and counts["audit_log"] > 0
    assert await table_counts(empty_db) == counts
    engine = create_engine(empty_db)
    try:
        copy = Journal(async_sessionmaker(engine, expire_on_commit=False), clock, Rules())
        director = world.staff("director")
        for pupil in ("petya", "masha", "kolya"):
            pid = world.people[pupil]
            args = (pid, MONDAY, MONDAY, world.periods["2 четверть"])
            assert await marks.pupil_marks(copy, director, *args) == await marks.pupil_marks(
                journal, director, *args
            )
            assert await friday_round.pupil_absences(
                copy, director, pid, MONDAY, MONDAY
            ) == await friday_round.pupil_absences(journal, director, pid, MONDAY, MONDAY)
        # The audit log is still append-only in the copy (its trigger came along).
        conn = await asyncpg.connect(asyncpg_dsn(empty_db))
        try:
            with pytest.raises(asyncpg.RaiseError):
                await conn.execute("DELETE FROM audit_log")
        finally:
            await conn.close()
    finally:
        await engine.dispose()


async def test_r22_a_changed_byte_in_the_dump_fails_the_check(
    db_url: str, folders: list[Path], clock: ManualClock
) -> None:
    result = await bk.backup(db_url, folders, KEY, clock)
    dump = folders[1] / result.manifest.file
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0x01
    dump.write_bytes(bytes(data))

    broken = bk.verify(result.manifest_paths[1], KEY)
    assert not broken.ok and broken.problems == ["backup.problem.sha_mismatch"]
    assert bk.verify(result.manifest_paths[0], KEY).ok  # the other medium is intact
    lines = bk.verify_lines(broken, t)
    assert lines[0].startswith("Копия ") and "SHA-256 не совпадает" in lines[1]


async def test_r22_an_edited_manifest_or_another_key_fails_the_check(
    db_url: str, folders: list[Path], clock: ManualClock
) -> None:
    result = await bk.backup(db_url, folders, KEY, clock)
    path = result.manifest_paths[0]
    data = json.loads(path.read_text())
    data["created_at"] = "2026-11-30T07:00:00+00:00"  # pretend it is a newer backup
    path.write_text(json.dumps(data))
    assert bk.verify(path, KEY).problems == ["backup.problem.bad_signature"]

    other = bk.verify(result.manifest_paths[1], b"another-key-of-16-bytes")
    assert other.problems == ["backup.problem.other_key"]
    (folders[1] / result.manifest.file).unlink()
    assert bk.verify(result.manifest_paths[1], KEY).problems == ["backup.problem.missing_file"]
    path.write_text("{not json")
    assert bk.verify(path, KEY).problems == ["backup.problem.bad_manifest"]


async def test_r22_fewer_than_two_destinations_or_no_key_is_refused(
    db_url: str, folders: list[Path], clock: ManualClock
) -> None:
    for destinations in ([], [folders[0]], [folders[0], folders[0] / ".." / "journal"]):
        with pytest.raises(BackupError) as refused:
            await bk.backup(db_url, destinations, KEY, clock)
        assert refused.value.key == "backup.two_destinations"
        message = t(refused.value.key, **refused.value.params)
        assert "как минимум 2 папки" in message and "BACKUP_DIRS" in message
    with pytest.raises(BackupError) as no_key:
        await bk.backup(db_url, folders, b"", clock)
    assert no_key.value.key == "backup.no_key"
    assert not folders[0].exists()  # nothing was written


async def test_r22_restore_refuses_a_non_empty_database_and_a_tampered_backup(
    db_url: str, empty_db: str, folders: list[Path], clock: ManualClock
) -> None:
    result = await bk.backup(db_url, folders, KEY, clock)
    with pytest.raises(BackupError) as refused:
        await bk.restore(result.manifest_paths[0], db_url, KEY)
    assert refused.value.key == "backup.target_not_empty"
    assert "не пуста" in t(refused.value.key, **refused.value.params)

    (folders[0] / result.manifest.file).write_bytes(b"PGDMP tampered")
    with pytest.raises(BackupError) as unverified:
        await bk.restore(result.manifest_paths[0], empty_db, KEY)
    assert unverified.value.key == "backup.restore_unverified"
    assert unverified.value.problems == [
        "backup.problem.size_mismatch",
        "backup.problem.sha_mismatch",
    ]
    assert await table_counts(empty_db) == {}  # nothing was restored

    missing = with_database(empty_db, "no_such_database")
    with pytest.raises(BackupError) as absent:
        await bk.restore(result.manifest_paths[1], missing, KEY)
    assert absent.value.key == "backup.target_missing"


async def test_r22_backup_is_due_every_n_days_and_the_newest_are_kept(
    db_url: str, folders: list[Path], clock: ManualClock
) -> None:
    assert await bk.backup_due(folders, 7, clock)
    made = []
    for _ in range(3):
        made.append(await bk.backup(db_url, folders, KEY, clock, keep=2))
        assert not await bk.backup_due(folders, 7, clock)
        clock.advance(timedelta(days=6))
        assert not await bk.backup_due(folders, 7, clock)
        clock.advance(timedelta(days=1))
        assert await bk.backup_due(folders, 7, clock)
    assert [len(r.removed) for r in made] == [0, 0, 4]  # the oldest pair, in both folders
    for folder in folders:
        names = sorted(p.name for p in folder.iterdir())
        assert names == sorted(
            name for r in made[1:] for name in (r.manifest.file, r.manifest_paths[0].name)
        )
    # A medium replaced (emptied) makes a backup due at once.
    clock.advance(timedelta(days=-6))
    assert not await bk.backup_due(folders, 7, clock)
    for p in folders[1].iterdir():
        p.unlink()
    assert await bk.backup_due(folders, 7, clock)


async def test_r22_scheduled_backup_runs_when_due_and_once_across_instances(
    db_url: str, folders: list[Path], clock: ManualClock
) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(db_url))
    try:  # another instance holds the backup lock: this one does nothing
        await conn.execute("SELECT pg_advisory_lock($1, $2)", bk.LOCK_NAMESPACE, bk.LOCK_KEY)
        assert await bk.scheduled_backup(db_url, folders, KEY, clock) is None
    finally:
        await conn.close()
    done = await bk.scheduled_backup(db_url, folders, KEY, clock, every_days=7)
    assert done is not None and all(p.exists() for p in done.manifest_paths)
    assert await bk.scheduled_backup(db_url, folders, KEY, clock, every_days=7) is None
    assert await bk.scheduled_backup(db_url, folders[:1], KEY, clock) is None  # not configured
    lines = bk.backup_lines(done, t)
    assert lines[0].startswith("Резервная копия journal-") and len(lines) == 4


def test_r22_connection_details_reach_pg_tools_without_the_password_in_argv() -> None:
    info, env = bk.conninfo("postgresql+asyncpg://school:s3cr'et@db.local:5433/journal?ssl=true")
    assert info == "dbname='journal' user='school' host='db.local' port='5433' sslmode='require'"
    assert env["PGPASSWORD"] == "s3cr'et" and "s3cr" not in info
    info, _ = bk.conninfo("postgresql+asyncpg://postgres@/journal?host=/tmp/pg sock")
    assert info == "dbname='journal' user='postgres' host='/tmp/pg sock'"
    assert bk.parse_dirs(" /mnt/a, /mnt/b ,") == [Path("/mnt/a"), Path("/mnt/b")]
