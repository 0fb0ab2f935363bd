"""``journal sandbox`` driven as a newcomer types into it: ``press N`` presses the N-th
button shown, and ``time`` moves the sandbox's clock and runs what falls due (issue 10);
``journal sandbox --max`` plays the same people as MAX users (issue 12)."""

from __future__ import annotations

import asyncio
import queue
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from core.clock import ManualClock
from core.models import Attendance, Mark, Messenger, Person, WorkType
from demo import SCHOOL_DIR
from demo.generate import read_csv_folder
from school_journal.database import create_engine
from school_journal.sandbox import clock_target, run_sandbox
from tests.conftest import MOSCOW
from tests.test_workers import wait_until

# A Monday of the second quarter, after the 5А's sixth lesson (Степанова's mathematics).
MONDAY_AFTERNOON = datetime(2026, 11, 23, 15, 0, tzinfo=MOSCOW)


@dataclass
class Console:
    """The sandbox's terminal: what is typed in, what is printed."""

    typed: queue.Queue[str] = field(default_factory=queue.Queue)
    printed: list[str] = field(default_factory=list)

    def read(self, prompt: str) -> str:
        return self.typed.get()

    def type(self, line: str) -> int:
        """Type a line; how much had been printed before it."""
        mark = len(self.printed)
        self.typed.put(line)
        return mark

    async def expect(self, pattern: str, since: int = 0) -> str:
        """The first block printed after ``since`` that matches ``pattern``."""
        found: list[str] = []

        def seen() -> bool:
            found[:] = [b for b in self.printed[since:] if re.search(pattern, b)]
            return bool(found)

        try:
            await wait_until(seen)
        except TimeoutError:
            raise AssertionError(
                f"{pattern!r} not printed; the console shows:\n" + self.shown(since)
            ) from None
        return found[0]

    def shown(self, since: int = 0) -> str:
        return "\n".join(self.printed[since:])

    async def run(self, line: str, pattern: str) -> str:
        return await self.expect(pattern, self.type(line))


def button_number(block: str, text: str, row: str | None = None) -> int:
    """The number the console shows next to a button (``[3] 5``), in the row holding
    ``row`` when given (as a person reads the grid)."""
    lines = [x for x in block.splitlines() if row is None or row in x]
    for line in lines:
        if found := re.search(rf"\[(\d+)\] {re.escape(text)}(?:\s{{3}}|$)", line):
            return int(found[1])
    raise AssertionError(f"no button {text!r} in {block!r}")


@asynccontextmanager
async def running_sandbox(
    db_url: str, tmp_path: Path, messenger: Messenger
) -> AsyncIterator[Console]:
    console = Console()
    task = asyncio.create_task(
        run_sandbox(
            tmp_path,
            messenger=messenger,
            database_url=db_url,
            base_clock=ManualClock(MONDAY_AFTERNOON),
            input_func=console.read,
            output=console.printed.append,
        )
    )
    try:
        await console.expect("Напишите help")
        yield console
    finally:
        console.type("quit")
        await asyncio.wait_for(task, timeout=60)


@pytest.fixture
async def sandbox(db_url: str, tmp_path: Path) -> AsyncIterator[Console]:
    async with running_sandbox(db_url, tmp_path, Messenger.TELEGRAM) as console:
        yield console


@pytest.fixture
async def max_sandbox(db_url: str, tmp_path: Path) -> AsyncIterator[Console]:
    async with running_sandbox(db_url, tmp_path, Messenger.MAX) as console:
        yield console


def parents_child() -> str:
    """The pupil whose parent the sandbox lets you play."""
    guardian = next(g for g in read_csv_folder(SCHOOL_DIR)["guardians"] if g["class"] == "5А")
    return guardian["pupil"]


def short(full_name: str) -> str:
    last, first, *_ = full_name.split()
    return f"{last} {first[0]}."


async def give_a_five_for_a_test(console: Console) -> None:
    """As the teacher: the lesson, its marks, the parent's child, «5» in the test's row."""
    today = await console.run("/today", r"\[\d+\] .*Математика")
    lesson = await console.run(f"press {button_number_like(today, 'Математика')}", "Отметки")
    pupils = await console.run(f"press {button_number(lesson, '📝 Отметки')}", "Выберите ученика")
    child = short(parents_child())
    grid = await console.run(f"press {button_number_like(pupils, child)}", "Выберите вид работы")
    number = button_number(grid, "5", row="Контрольная")
    assert number != button_number(grid, "5")  # not the first «5» (the answer's row)
    await console.run(f"press {number}", "Сохранено")


def button_number_like(block: str, text: str) -> int:
    for found in re.finditer(r"\[(\d+)\] ([^\[]+)", block):
        if text in found[2]:
            return int(found[1])
    raise AssertionError(f"no button like {text!r} in {block!r}")


async def marks_of(db_url: str, full_name: str) -> list[tuple[int, str]]:
    engine = create_engine(db_url)
    try:
        async with async_sessionmaker(engine)() as s:
            rows = await s.execute(
                select(Mark.value, WorkType.code)
                .join(WorkType, WorkType.id == Mark.work_type_id)
                .join(Person, Person.id == Mark.pupil_id)
                .where(Person.full_name == full_name)
            )
            return [(int(v), str(c)) for v, c in rows.all()]
    finally:
        await engine.dispose()


async def test_press_n_presses_the_button_shown_with_that_number(
    sandbox: Console, db_url: str
) -> None:
    await give_a_five_for_a_test(sandbox)
    assert await marks_of(db_url, parents_child()) == [(5, "test")]


async def test_time_runs_the_evening_digest_and_announces_it_to_the_parent(
    sandbox: Console,
) -> None:
    await give_a_five_for_a_test(sandbox)
    mark = sandbox.type("time 20:00")
    await sandbox.expect(r"Часы песочницы переведены: пн 23\.11\.2026 20:00", mark)
    await sandbox.expect("сводки родителям — 1", mark)
    await sandbox.expect(r"🔔 у родителя новое сообщение \(as parent — прочитать\)", mark)
    await sandbox.run("as parent", "теперь вы")
    digest = await sandbox.run("show 1", "🤖")
    assert "5" in digest and short(parents_child()).split()[0] in digest


async def test_time_on_a_weekday_moves_to_friday_and_runs_what_fell_due(
    sandbox: Console,
) -> None:
    now = await sandbox.run("time", "Часы песочницы:")
    assert now == "Часы песочницы: пн 23.11.2026 15:00."
    mark = sandbox.type("time пт 15:00")
    await sandbox.expect(r"Часы песочницы переведены: пт 27\.11\.2026 15:00", mark)
    done = await sandbox.expect("По расписанию", mark)
    assert "напоминания учителям" in done  # Monday to Thursday's 18:30, on the way
    help_text = await sandbox.run("help", "press <N")
    assert "time [ЧЧ:ММ | пн…вс ЧЧ:ММ]" in help_text
    bad = await sandbox.run("time вечером", "Не понял время")
    assert bad == "Не понял время «вечером». Напишите time 20:00 или time пт 15:00."


async def attendance_of(db_url: str, full_name: str) -> list[str]:
    engine = create_engine(db_url)
    try:
        async with async_sessionmaker(engine)() as s:
            rows = await s.execute(
                select(Attendance.status)
                .join(Person, Person.id == Attendance.pupil_id)
                .where(Person.full_name == full_name)
            )
            return [str(status) for status in rows.scalars()]
    finally:
        await engine.dispose()


async def take_the_roll_call(console: Console) -> str:
    """As the teacher: /today, the lesson, the parent's child absent, the rest present;
    the card as last printed."""
    today = await console.run("/today", r"\[\d+\] .*Математика")
    card = await console.run(
        f"press {button_number_like(today, 'Математика')}", "Остальные присутствуют"
    )
    child = short(parents_child())
    header = re.match(r"🤖 (?:✎ изменено )?#(\d+): ", card)  # the day's message, redrawn
    assert header is not None, card
    assert f"▫️ {child}" in card and re.search(r"\[\d+\] ✅ Остальные присутствуют", card)
    absent = button_number(card, f"▫️ {child}")
    marked = await console.run(f"press {absent}", rf"✎ изменено #{header[1]}: .*")
    assert f"[{absent}] ❌ {child}" in marked
    pupils = re.search(r"▫️ не отмечено (\d+)", card)
    assert pupils is not None, card
    rest = button_number(marked, "✅ Остальные присутствуют")
    summary = rf"✅ {int(pupils[1]) - 1} · ❌ Н 1"
    return await console.run(f"press {rest}", rf"✎ изменено #{header[1]}: [\s\S]*{summary}")


async def test_max_a_teacher_takes_the_roll_call_from_the_console(
    max_sandbox: Console, db_url: str
) -> None:
    """``--max``: the teacher is a MAX user bound by the deep link; /today, the lesson,
    one pupil absent, the rest present: the card is printed with its numbered buttons and
    redrawn in place."""
    users = await max_sandbox.run("users", r"teacher: Мария Степанова")
    assert "бот @school_journal_sandbox_bot" in users
    final = await take_the_roll_call(max_sandbox)
    assert "Посещаемость отмечена" in final and f"❌ {short(parents_child())}" in final
    assert not re.search(r"\[\d+\] ▫️", final)  # every pupil is marked
    assert await attendance_of(db_url, parents_child()) == ["absent"]
    assert "! " not in max_sandbox.shown()  # no error, no missing answer
    count = len(re.findall(r"\[\d+\] ", final))
    assert await max_sandbox.run("press 99", "нет кнопки") == f"! нет кнопки 99; кнопок {count}"
    contact = await max_sandbox.run("contact", "contact")
    assert contact == "! «contact» — такого в этом мессенджере нет"  # not sent to the bot


async def test_max_time_delivers_the_absence_to_the_parent_through_max(
    max_sandbox: Console,
) -> None:
    """The jobs run as in the Telegram sandbox, and the outbox's MAX channel delivers."""
    await take_the_roll_call(max_sandbox)
    mark = max_sandbox.type("time 20:00")
    await max_sandbox.expect("сообщения о пропусках — 1", mark)
    await max_sandbox.expect(r"🔔 у родителя новое сообщение \(as parent — прочитать\)", mark)
    await max_sandbox.run("as parent", "теперь вы")
    shown = await max_sandbox.run("show 3", short(parents_child()).split()[0])
    assert shown.startswith("🤖 #")


def test_clock_target_only_moves_forward() -> None:
    now = MONDAY_AFTERNOON
    assert clock_target("20:00", now) == now.replace(hour=20)
    assert clock_target("10:00", now) == datetime(2026, 11, 24, 10, 0, tzinfo=MOSCOW)
    assert clock_target("fri 15:00", now) == datetime(2026, 11, 27, 15, 0, tzinfo=MOSCOW)
    assert clock_target("Пт 15:00", now) == datetime(2026, 11, 27, 15, 0, tzinfo=MOSCOW)
    assert clock_target("пн 15:00", now) == datetime(2026, 11, 30, 15, 0, tzinfo=MOSCOW)
    for bad in ("", "25:00", "пятница 15:00", "fri", "20:00 fri"):
        assert clock_target(bad, now) is None, bad
