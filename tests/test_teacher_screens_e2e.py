"""Issue 11: a teacher's screen is one use-case call in one transaction. The marks grid, a
pupil's marks, bulk mode and the final marks used to read the lesson, the roll call, the
marks, the work types and the period each in a transaction of its own (four for one bulk
or finals screen); each screen is now one read (``core/marks.py``), and says what
it said before."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.journal import Journal
from core.models import BindingRole
from fakegram.users import FakeUser
from tests.botkit import Harness
from tests.world import World


@contextmanager
def transactions(journal: Journal, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The transactions the journal opens meanwhile (one entry each)."""
    opened: list[str] = []
    original = journal.transaction

    @asynccontextmanager
    async def counted() -> AsyncIterator[AsyncSession]:
        opened.append("transaction")
        async with original() as s:
            yield s

    with monkeypatch.context() as patch:
        patch.setattr(journal, "transaction", counted)
        yield opened


async def open_math(bot: Harness, world: World) -> FakeUser:
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await teacher.send("/today")
    await teacher.wait_reply()
    await teacher.press_and_wait(lambda b: "5А Математика" in b.text)
    return teacher


async def test_bulk_mode_is_drawn_from_one_transaction(
    bot: Harness, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    teacher = await open_math(bot, world)
    with transactions(bot.journal, monkeypatch) as opened:
        screen = await teacher.press_and_wait("🧪 Контрольная")
    assert len(opened) == 1
    assert "Иванов П." in screen.button_texts and "• 5" in screen.button_texts
    with transactions(bot.journal, monkeypatch) as opened:
        screen = await teacher.press_and_wait("3")  # another value: the screen again
    assert len(opened) == 1
    assert "• 3" in screen.button_texts


async def test_final_marks_are_drawn_from_one_transaction(
    bot: Harness, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    teacher = await open_math(bot, world)
    with transactions(bot.journal, monkeypatch) as opened:
        screen = await teacher.press_and_wait("🏁 Итоговые")
    assert len(opened) == 1
    assert "Математика" in (screen.text or "") and "Иванов П." in screen.button_texts
    with transactions(bot.journal, monkeypatch) as opened:
        screen = await teacher.press_and_wait("Иванов П.")
    assert len(opened) == 1
    assert "Иванов Пётр Алексеевич" in (screen.text or "") and "осв" in screen.button_texts


async def test_the_marks_grid_and_a_pupils_marks_are_drawn_from_one_transaction(
    bot: Harness, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    teacher = await open_math(bot, world)
    with transactions(bot.journal, monkeypatch) as opened:
        screen = await teacher.press_and_wait("📝 Отметки")
    assert len(opened) == 1
    assert "Иванов П." in screen.button_texts
    with transactions(bot.journal, monkeypatch) as opened:
        screen = await teacher.press_and_wait("Иванов П.")
    assert len(opened) == 1
    assert "Иванов Пётр Алексеевич" in (screen.text or "")
