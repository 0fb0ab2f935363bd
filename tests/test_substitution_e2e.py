"""Substitution (R5) as people live it: a teacher takes a colleague's lesson and the
colleague is told; the deputy assigns a substitute from the bot or the console."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from core import lessons
from core.journal import Journal
from core.models import BindingRole, Lesson
from school_journal.cli import build_parser, dispatch
from school_journal.settings import Settings
from tests.botkit import Harness
from tests.test_notifications_e2e import deliver
from tests.world import MONDAY, World


async def english_lessons(journal: Journal, world: World, day: date) -> dict[str, int]:
    """5А's second lesson, one per English group: group name → lesson id."""
    rows = await lessons.class_day(journal, world.staff("admin"), world.classes["5А"], day)
    groups = {v: k for k, v in world.groups.items()}
    return {groups[x.group_id]: x.id for x in rows if x.group_id is not None}


async def teacher_of(journal: Journal, lesson_id: int) -> int:
    async with journal.transaction() as s:
        return int(await s.scalar(select(Lesson.teacher_id).where(Lesson.id == lesson_id)) or 0)


async def test_r5_regular_teacher_is_told_of_a_substitute(bot: Harness, world: World) -> None:
    regular = await bot.bound_user(world.staff("admin"), world.people["english"], BindingRole.STAFF)
    math = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await math.send("/today")
    await math.wait_reply()
    listing = await math.press_and_wait("🔁 Взять урок на замену")
    # Two «5А Английский язык» lessons at the same hour read apart: group and teacher.
    assert "2. 09:25 5А Английский язык (1 группа) — Смирнов П." in listing.button_texts
    assert "2. 09:25 5А Английский язык (2 группа) — Орлова А." in listing.button_texts
    card = await math.press_and_wait("2. 09:25 5А Английский язык (1 группа) — Смирнов П.")
    assert "Замена" in (card.text or "")
    english = await english_lessons(bot.journal, world, MONDAY)
    assert await teacher_of(bot.journal, english["1 группа"]) == world.people["math"]
    await deliver(bot)
    notice = await regular.wait_reply()
    assert "ваш урок 23.11.2026, 2-й урок, 09:25, 5А Английский язык (1 группа)" in (
        notice.text or ""
    )
    assert "ведёт Кузнецова Елена Викторовна" in (notice.text or "")
    await bot.settle(math)
    assert not [m for m in math.pending_replies() if "ваш урок" in (m.text or "")]


async def test_r5_deputy_assigns_a_substitute_from_the_bot(bot: Harness, world: World) -> None:
    regular = await bot.bound_user(world.staff("admin"), world.people["english"], BindingRole.STAFF)
    substitute = await bot.bound_user(
        world.staff("admin"), world.people["english2"], BindingRole.STAFF
    )
    deputy = await bot.bound_user(world.staff("admin"), world.people["deputy"], BindingRole.STAFF)
    await deputy.send("/menu")
    await deputy.wait_reply()
    day = await deputy.press_and_wait("🗓 Замены и изменения расписания")
    assert "Замены: Пн, 23.11.2026" in (day.text or "") or "23.11.2026" in (day.text or "")
    # Tomorrow's lesson: a substitution is recorded ahead, for any day.
    day = await deputy.press_and_wait("24.11 ▶")
    menu = await deputy.press_and_wait("2. 09:25 5А Английский язык (1 группа) — Смирнов П.")
    assert "Ведёт: Смирнов П." in (menu.text or "")  # R25: the lesson's changes, one a substitute
    pick = await deputy.press_and_wait("🔁 Заменить учителя")
    assert "Сейчас: Смирнов П." in (pick.text or "")
    done = await deputy.press_and_wait("Орлова А.")
    assert "ведёт Орлова А." in (done.text or "")
    assert "🔁 2. 09:25 5А Английский язык (1 группа) — Орлова А." in done.button_texts
    english = await english_lessons(bot.journal, world, MONDAY.replace(day=24))
    assert await teacher_of(bot.journal, english["1 группа"]) == world.people["english2"]
    await deliver(bot)
    told = await regular.wait_reply()
    assert "ваш урок 24.11.2026, 2-й урок" in (told.text or "")
    assert "ведёт Орлова Анна Дмитриевна" in (told.text or "")
    assigned = await substitute.wait_reply()
    assert "Вам назначена замена: 24.11.2026, 2-й урок" in (assigned.text or "")
    assert "вместо: Смирнов П." in (assigned.text or "")
    # Announcing again (a retry, a second instance) queues nothing new.
    from notifications.substitutions import announce_substitution

    assert await announce_substitution(bot.journal, english["1 группа"]) == 0


async def test_r5_the_console_records_a_substitution(
    journal: Journal,
    world: World,
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = Settings(
        _env_file=None,
        database_url=db_url,
        data_dir=tmp_path / "data",
    )

    async def journal_cmd(*argv: str) -> int:
        return await dispatch(build_parser().parse_args(list(argv)), settings)

    common = ("substitute", "--date", "24.11.2026", "--class", "5А", "--lesson", "2")
    assert await journal_cmd(*common, "--teacher", "Кузнецова Елена Викторовна") == 1
    assert "--group" in capsys.readouterr().err  # two groups at that hour: which one?
    assert (
        await journal_cmd(*common, "--group", "2 группа", "--teacher", "Смирнов Павел Олегович")
        == 0
    )
    assert "ведёт Смирнов Павел Олегович" in capsys.readouterr().out
    english = await english_lessons(journal, world, MONDAY.replace(day=24))
    assert await teacher_of(journal, english["2 группа"]) == world.people["english"]
    assert await journal_cmd(*common, "--group", "2 группа", "--teacher", "Никто Такой") == 1
    assert "Никто Такой" in capsys.readouterr().err
