"""Reports a deputy prints and files (issue 10): the audit report in words (R9), file names
that say which class they cover, XLSX pages set up for A4."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from core import attendance, audit, lessons, marks, revert
from core.clock import ManualClock
from core.journal import Journal
from core.models import AuditEntry, Binding, BindingRole, Presence
from reports import xlsx
from tests.conftest import MOSCOW
from tests.world import MONDAY, World, build_world
from texts.en import EN
from texts.ru import RU

CODE = re.compile(r"^[a-z_]+\.[a-z_]+$")  # what an action code looks like


@pytest.fixture
async def world(journal: Journal) -> World:
    return await build_world(journal)


def at(clock: ManualClock, hour: int, minute: int = 0, day: date = MONDAY) -> datetime:
    clock.set(datetime(day.year, day.month, day.day, hour, minute, tzinfo=MOSCOW))
    return clock.now()


async def math_lesson(journal: Journal, w: World) -> int:
    day = await lessons.teacher_day(journal, w.staff("math"), MONDAY)
    return next(x.id for x in day if x.lesson_no == 1)


# --- R9: the audit report in words ------------------------------------------------------------


def test_r9_every_action_the_audit_log_can_hold_has_russian_and_english_words() -> None:
    assert len(audit.Action) >= 17
    for action in audit.Action:
        key = f"report.action.{action}"
        assert key in RU and key in EN, action
        assert re.search("[а-яё]", RU[key]), (action, RU[key])
        assert not CODE.match(RU[key]) and not CODE.match(EN[key])


async def test_r9_the_audit_log_refuses_an_action_code_it_has_no_words_for(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    with pytest.raises(ValueError):
        async with journal.transaction() as s:
            await audit.record(
                s,
                school_id=world.school_id,
                at=clock.now(),
                actor_id=None,
                action="mark.teleport",  # type: ignore[arg-type]
                entity="mark",
                key={"mark_id": 1},
                old=None,
                new=None,
            )
    async with journal.transaction() as s:
        assert list(await s.scalars(select(AuditEntry.action))) == []


async def test_r9_audit_report_after_roll_call_marks_and_a_revert_reads_in_words(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    w, p = world, world.people
    math, admin = w.staff("math"), w.staff("admin")
    async with journal.transaction() as s:
        phone = Binding(
            telegram_user_id=101,
            person_id=p["math"],
            role=BindingRole.STAFF.value,
            created_at=datetime(2026, 9, 1, tzinfo=MOSCOW),
        )
        s.add(phone)
        await s.flush()
        binding = phone.id
    m1 = await math_lesson(journal, w)

    at(clock, 9)  # the teacher's morning: roll call, marks, a correction, the topic
    await attendance.set_status(journal, math, m1, p["petya"], Presence.ABSENT)
    await attendance.mark_rest_present(journal, math, m1)
    await marks.add_mark(journal, math, m1, p["masha"], 5, "answer")
    await marks.add_mark(journal, math, m1, p["kolya"], 3, "answer")
    kolya = (await marks.lesson_marks(journal, math, m1))[p["kolya"]][0].id
    await marks.change_mark(journal, math, kolya, 4)
    await lessons.set_topic(journal, math, m1, "Дроби")
    reported = at(clock, 10)  # the phone is stolen
    at(clock, 10, 5)
    await marks.change_mark(journal, math, kolya, 2)
    at(clock, 11)
    await revert.revert(journal, admin, binding, reported, "украден телефон")

    async with journal.transaction() as s:
        written = set(await s.scalars(select(AuditEntry.action)))
    assert written == {
        "attendance.set",
        "mark.add",
        "mark.set",
        "lesson.topic",
        "mark.revert",
    }
    assert written <= set(audit.Action)

    _, data = await xlsx.audit_xlsx(journal, admin)
    ws = load_workbook(io.BytesIO(data)).active
    header = [c.value for c in ws[2]]
    action_col, reason_col = header.index("Действие"), header.index("Основание")
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=3)]
    actions = [r[action_col] for r in rows]
    assert actions == [
        "выставлена",
        "выставлена",
        "исправлена",
        "исправлена",
        "изменение отменено (отключённый аккаунт)",
    ]
    assert not any(CODE.match(str(cell)) for r in rows for cell in r if cell is not None)
    assert rows[-1][reason_col] == "украден телефон"  # not «R3 revert of entry #…»
    assert [r[header.index("Было")] for r in rows][-1] == 2
    assert [r[header.index("Стало")] for r in rows][-1] == 4

    _, data = await xlsx.audit_xlsx(journal, admin, lang="en")
    ws = load_workbook(io.BytesIO(data)).active
    assert ws.cell(row=7, column=action_col + 1).value == "change undone (disconnected account)"
