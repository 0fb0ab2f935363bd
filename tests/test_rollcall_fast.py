"""The fast roll call keeps the rules: «rest present» in one statement still refuses a
locked period (R10) and a future lesson, turns into requests once the edit window has
closed (R8) and audits every pupil it marks (R9); the spinner stops before the card is
redrawn; a connection the database dropped is replaced without an error."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import asyncpg
import pytest
from sqlalchemy import func, select, update

from core import attendance, lessons, periods
from core.clock import ManualClock
from core.errors import InvalidValue, PeriodLocked
from core.journal import Journal
from core.models import (
    Attendance,
    AuditEntry,
    BindingRole,
    ConversationState,
    CorrectionRequest,
    Presence,
    School,
)
from school_journal.database import asyncpg_dsn
from tests.botkit import Harness
from tests.conftest import MOSCOW
from tests.world import MONDAY, World


async def math_lesson(journal: Journal, w: World, day: date = MONDAY) -> int:
    [lesson] = await lessons.teacher_day(journal, w.staff("math"), day)
    return lesson.id


async def rows(journal: Journal, model: type) -> list:
    async with journal.transaction() as s:
        return list(await s.scalars(select(model)))


async def test_rest_present_marks_the_rest_and_audits_each_like_a_tap(
    journal: Journal, world: World
) -> None:
    teacher, petya = world.staff("math"), world.people["petya"]
    lesson_id = await math_lesson(journal, world)
    await attendance.set_status(journal, teacher, lesson_id, petya, Presence.ABSENT)

    _, call = await attendance.mark_rest_present(journal, teacher, lesson_id)

    assert call.taken and call.lesson.attendance_taken and call.counts.not_taken == 0
    assert {x.pupil.id: x.status for x in call.lines} == {
        petya: Presence.ABSENT,  # marked before: kept
        world.people["masha"]: Presence.PRESENT,
        world.people["kolya"]: Presence.PRESENT,
    }
    async with journal.transaction() as s:
        audit = list(await s.execute(select(AuditEntry).order_by(AuditEntry.id)))
        null_old = await s.scalar(
            select(func.count()).where(AuditEntry.old.is_(None))  # SQL NULL, not JSON null
        )
    entries = [a for (a,) in audit]
    assert [(e.action, e.entity, e.old, e.new, e.reason, e.request_id) for e in entries] == [
        ("attendance.set", "attendance", None, {"status": s}, None, None)
        for s in ("absent", "present", "present")
    ]
    assert {e.entity_key["pupil_id"] for e in entries[1:]} == {
        world.people["masha"],
        world.people["kolya"],
    }
    assert all(e.entity_key["lesson_id"] == lesson_id for e in entries)
    assert all(e.actor_id == world.people["math"] for e in entries)
    assert null_old == 0  # stored exactly as a single tap stores it
    attendance_rows = await rows(journal, Attendance)
    assert {(a.status, a.reason, a.author_id) for a in attendance_rows if a.pupil_id != petya} == {
        ("present", "unconfirmed", world.people["math"])
    }


async def test_rest_present_twice_changes_nothing_more(journal: Journal, world: World) -> None:
    teacher = world.staff("math")
    lesson_id = await math_lesson(journal, world)
    await attendance.mark_rest_present(journal, teacher, lesson_id)
    _, again = await attendance.mark_rest_present(journal, teacher, lesson_id)
    assert again.taken
    assert len(await rows(journal, AuditEntry)) == 3


async def test_rest_present_after_the_edit_window_asks_the_deputy(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    lesson_id = await math_lesson(journal, world)
    async with journal.transaction() as s:
        await s.execute(update(School).values(edit_window_days=7))
    clock.set(datetime.combine(MONDAY + timedelta(days=8), datetime.min.time(), MOSCOW))

    _, call = await attendance.mark_rest_present(journal, world.staff("math"), lesson_id)

    assert not call.taken and call.counts.not_taken == 3
    assert await rows(journal, Attendance) == [] and await rows(journal, AuditEntry) == []
    requests = await rows(journal, CorrectionRequest)
    assert sorted(r.pupil_id for r in requests) == sorted(
        world.people[k] for k in ("petya", "masha", "kolya")
    )
    assert all(
        (r.entity, r.change, r.old, r.status, r.requested_by)
        == ("attendance", {"status": "present"}, None, "pending", world.people["math"])
        for r in requests
    )


async def test_rest_present_in_a_closed_period_is_refused(journal: Journal, world: World) -> None:
    lesson_id = await math_lesson(journal, world)
    await periods.close_period(journal, world.staff("deputy"), world.periods["2 четверть"])
    with pytest.raises(PeriodLocked):
        await attendance.mark_rest_present(journal, world.staff("math"), lesson_id)
    assert await rows(journal, Attendance) == []


async def test_rest_present_for_a_future_lesson_is_refused(journal: Journal, world: World) -> None:
    lesson_id = await math_lesson(journal, world, MONDAY + timedelta(days=1))
    with pytest.raises(InvalidValue):
        await attendance.mark_rest_present(journal, world.staff("math"), lesson_id)
    assert await rows(journal, Attendance) == []


async def test_a_connection_the_server_dropped_is_replaced_before_use(
    journal: Journal, world: World, db_url: str
) -> None:
    lesson_id = await math_lesson(journal, world)  # the pool now holds a connection
    conn = await asyncpg.connect(asyncpg_dsn(db_url))
    try:  # what a restart does to the pooled connections
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await conn.close()
    call = await attendance.roll_call(journal, world.staff("math"), lesson_id)
    assert len(call.lines) == 3


async def test_a_tap_is_answered_before_the_card_is_redrawn(bot: Harness, world: World) -> None:
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await teacher.send("/today")
    await teacher.wait_reply()
    await teacher.press_and_wait(lambda b: "5А Математика" in b.text)
    start = len(teacher.chat.events)

    press = await teacher.press("▫️ Иванов П.")
    card = await teacher.wait_reply()

    assert (await press.wait_answered()).get("text") == "Сохранено ✓"
    kinds = [e.kind for e in teacher.chat.events[start:] if e.from_bot]
    assert kinds[:2] == ["callback_answer", "edited"], kinds
    assert "❌ Иванов П." in card.button_texts
    # Opening a lesson with no conversation under way writes no FSM state.
    assert await rows(bot.journal, ConversationState) == []
