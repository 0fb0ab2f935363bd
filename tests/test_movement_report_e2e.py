"""R21: the pupil-movement report (arrivals and leavers of a period) from the bot's
«📊 Отчёты», the same XLSX as `journal report movement` (issue 9, item 10)."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import update

from core.models import BindingRole, Person, Pupil
from fakegram import FakeUser, MessageView
from tests.botkit import Harness
from tests.world import World

REPORT = "Движение учащихся (прибытие и выбытие)"


async def staff_user(bot: Harness, world: World, who: str) -> FakeUser:
    user = await bot.bound_user(world.staff("admin"), world.people[who], BindingRole.STAFF)
    await user.send("/menu")
    await user.wait_reply()
    return user


def is_document(view: MessageView) -> bool:
    return view.document is not None


async def movements(bot: Harness, world: World) -> None:
    """In the second quarter (05.11–28.12): Сидоров Николай left 5А on 20.11, Новикова
    Алиса arrived in 1А on 10.11."""
    async with bot.journal.transaction() as s:
        await s.execute(
            update(Pupil)
            .where(Pupil.person_id == world.people["kolya"])
            .values(left_on=date(2026, 11, 20))
        )
        alice = Person(school_id=world.school_id, full_name="Новикова Алиса Павловна")
        s.add(alice)
        await s.flush()
        s.add(
            Pupil(person_id=alice.id, class_id=world.classes["1А"], admitted_on=date(2026, 11, 10))
        )


def moves_of(data: bytes) -> tuple[list[tuple[Any, ...]], dict[Any, tuple[Any, ...]]]:
    book = load_workbook(io.BytesIO(data))
    moves = [r[1:4] for r in book.worksheets[0].iter_rows(min_row=3, values_only=True)]
    summary = {r[0]: r[1:] for r in book.worksheets[1].iter_rows(min_row=3, values_only=True)}
    return moves, summary


async def test_r21_deputy_gets_the_pupil_movement_of_the_quarter_from_the_bot(
    bot: Harness, world: World
) -> None:
    await movements(bot, world)
    deputy = await staff_user(bot, world, "deputy")
    await deputy.press_and_wait("📊 Отчёты")
    await deputy.press(REPORT)
    report = await deputy.wait_reply(predicate=is_document)
    assert report.document is not None
    assert report.document["file_name"] == "Движение_учащихся_школа_2026-11-05_2026-12-28.xlsx"
    assert "вся школа, 2 четверть" in (report.caption or "")
    assert report.file_bytes is not None
    moves, summary = moves_of(report.file_bytes)
    assert moves == [
        ("прибыл(а)", "1А", "Новикова Алиса Павловна"),
        ("выбыл(а)", "5А", "Сидоров Николай Андреевич"),
    ]
    assert summary["5А"] == (3, 0, 1, 2)  # at the start, arrived, left, at the end
    assert summary["1А"] == (2, 1, 0, 3)
    # Another period is one tap away, as for the other reports by period.
    sent = await deputy.wait_reply(predicate=lambda m: "отправлен" in (m.text or ""))
    assert "• 2 четверть" in sent.button_texts and "1 четверть" in sent.button_texts


async def test_r21_class_teacher_gets_the_movement_of_her_own_class_only(
    bot: Harness, world: World
) -> None:
    await movements(bot, world)
    teacher = await staff_user(bot, world, "math")
    await teacher.press_and_wait("👥 Мой класс 5А")
    await teacher.press_and_wait("📊 Отчёты по классу")
    await teacher.press(REPORT)
    report = await teacher.wait_reply(predicate=is_document)
    assert report.file_bytes is not None
    moves, summary = moves_of(report.file_bytes)
    assert moves == [("выбыл(а)", "5А", "Сидоров Николай Андреевич")]
    assert list(summary) == ["5А"]
