"""«✅ Остальные присутствуют» and one tap on a pupil take the same path
(``entries.submit_many``): the same audit rows (R9), the same refusal in a locked period
(R10), the same requests for the deputy once the edit window has closed (R8), recorded
with the account they came through (R3). Through the real bot, as the teacher does it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from core import periods
from core.clock import ManualClock
from core.journal import Journal
from core.models import (
    Attendance,
    AuditEntry,
    Binding,
    BindingRole,
    CorrectionRequest,
    School,
)
from fakegram.users import FakeUser
from tests.botkit import Harness
from tests.conftest import MOSCOW
from tests.world import MONDAY, World

REST = "✅ Остальные присутствуют"


async def open_math(bot: Harness, world: World) -> FakeUser:
    """The math teacher, bound through her invitation, with Monday's lesson open."""
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await teacher.send("/today")
    await teacher.wait_reply()
    await teacher.press_and_wait(lambda b: "5А Математика" in b.text)
    return teacher


async def binding_of(journal: Journal, user: FakeUser) -> int:
    async with journal.transaction() as s:
        binding_id = await s.scalar(select(Binding.id).where(Binding.user_id == user.id))
    assert binding_id is not None
    return binding_id


async def audit_rows(journal: Journal) -> list[dict[str, Any]]:
    """Every audit row as stored, ``old`` told apart as SQL NULL or JSON null."""
    async with journal.transaction() as s:
        rows = await s.execute(select(AuditEntry, AuditEntry.old.is_(None)).order_by(AuditEntry.id))
        return [
            {
                "action": e.action,
                "entity": e.entity,
                "key": e.entity_key,
                "actor_id": e.actor_id,
                "binding_id": e.binding_id,
                "old": e.old,
                "old_is_sql_null": old_is_sql_null,
                "new": e.new,
                "reason": e.reason,
                "request_id": e.request_id,
                "at": e.at,
            }
            for e, old_is_sql_null in rows
        ]


async def test_r9_rest_present_audits_each_pupil_as_one_tap_does(
    bot: Harness, world: World
) -> None:
    teacher = await open_math(bot, world)
    binding_id = await binding_of(bot.journal, teacher)
    await teacher.press_and_wait("▫️ Иванов П.")  # one tap: absent
    card = await teacher.press_and_wait(REST)
    assert "❌ Иванов П." in card.button_texts
    assert "✅ Иванова М." in card.button_texts and "✅ Сидоров Н." in card.button_texts

    tap, *rest = await audit_rows(bot.journal)
    assert tap["new"] == {"status": "absent"}
    # In the order of the journal (by name), as the teacher would tap them one by one.
    assert [r["key"]["pupil_id"] for r in rest] == [world.people["masha"], world.people["kolya"]]
    lesson_id = tap["key"]["lesson_id"]
    for row in rest:
        assert row["new"] == {"status": "present"}
        assert row["key"] == {"lesson_id": lesson_id, "pupil_id": row["key"]["pupil_id"]}
        same = {k: v for k, v in row.items() if k not in ("key", "new")}
        assert same == {k: v for k, v in tap.items() if k not in ("key", "new")}
    assert tap["binding_id"] == binding_id and tap["actor_id"] == world.people["math"]
    async with bot.journal.transaction() as s:
        entries = {
            a.pupil_id: (a.status, a.reason, a.author_id)
            for a in await s.scalars(select(Attendance))
        }
    assert entries == {
        world.people["petya"]: ("absent", "unconfirmed", world.people["math"]),
        world.people["masha"]: ("present", "unconfirmed", world.people["math"]),
        world.people["kolya"]: ("present", "unconfirmed", world.people["math"]),
    }


async def test_r10_in_a_locked_period_rest_present_is_refused_as_a_tap_is(
    bot: Harness, world: World
) -> None:
    teacher = await open_math(bot, world)
    await periods.close_period(bot.journal, world.staff("deputy"), world.periods["2 четверть"])

    tap = await (await teacher.press("▫️ Иванов П.")).wait_answered()
    rest = await (await teacher.press(REST)).wait_answered()

    assert "«2 четверть» закрыт" in tap.get("text", "")
    assert rest.get("text") == tap.get("text")
    assert [r["action"] for r in await audit_rows(bot.journal)] == ["period.close"]
    async with bot.journal.transaction() as s:
        assert list(await s.scalars(select(Attendance))) == []
        assert list(await s.scalars(select(CorrectionRequest))) == []


async def test_r8_r3_after_the_edit_window_rest_present_asks_the_deputy_as_a_tap_does(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    """Past the edit window a tap and «rest present» both become requests, told to the
    teacher in an alert and sent to the deputy; Petya, whose tap is already waiting, is
    left to that request (not given a second, contradicting one)."""
    deputy = await bot.bound_user(world.staff("admin"), world.people["deputy"], BindingRole.STAFF)
    teacher = await open_math(bot, world)
    binding_id = await binding_of(bot.journal, teacher)
    async with bot.journal.transaction() as s:
        await s.execute(update(School).values(edit_window_days=7))
    clock.set(datetime.combine(MONDAY + timedelta(days=8), datetime.min.time(), MOSCOW))

    tap = await (await teacher.press("▫️ Иванов П.")).wait_answered()
    told = await deputy.wait_reply()
    rest = await (await teacher.press(REST)).wait_answered()

    assert "Запрос отправлен" in tap.get("text", "") and tap.get("show_alert")
    assert "Запрос отправлен" in rest.get("text", "") and rest.get("show_alert")
    assert "Иванов" in (told.text or "")
    assert "Иванов" not in ((await deputy.wait_reply()).text or "")  # the rest's newest
    async with bot.journal.transaction() as s:
        requests = list(await s.scalars(select(CorrectionRequest).order_by(CorrectionRequest.id)))
        assert list(await s.scalars(select(Attendance))) == []
    assert await audit_rows(bot.journal) == []
    by_tap, *by_rest = requests
    assert by_tap.pupil_id == world.people["petya"] and by_tap.change == {"status": "absent"}
    assert [r.pupil_id for r in by_rest] == [world.people[k] for k in ("masha", "kolya")]
    for r in by_rest:
        assert r.change == {"status": "present"}
        assert (r.entity, r.old, r.reason, r.status, r.requested_by, r.requested_at) == (
            by_tap.entity,
            by_tap.old,
            by_tap.reason,
            by_tap.status,
            by_tap.requested_by,
            by_tap.requested_at,
        )
        # R3: the account the request came through, so reverting a stolen phone cancels it.
        assert r.binding_id == by_tap.binding_id == binding_id


async def test_r8_pressing_rest_present_twice_after_the_edit_window_files_each_request_once(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    teacher = await open_math(bot, world)
    async with bot.journal.transaction() as s:
        await s.execute(update(School).values(edit_window_days=7))
    clock.set(datetime.combine(MONDAY + timedelta(days=8), datetime.min.time(), MOSCOW))

    first = await (await teacher.press(REST)).wait_answered()
    again = await (await teacher.press(REST)).wait_answered()

    assert "Запрос отправлен" in first.get("text", "")
    assert "Запрос отправлен" not in (again.get("text") or "")
    async with bot.journal.transaction() as s:
        pupils = list(await s.scalars(select(CorrectionRequest.pupil_id)))
    assert sorted(pupils) == sorted(world.people[k] for k in ("petya", "masha", "kolya"))


async def test_r7_after_the_deadline_rest_present_adds_new_entries_as_a_tap_on_a_new_pupil_does(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    """After 20:00 a change to an entry is a request (R7); a new entry is not, until the
    edit window closes (R8). «Rest present» only adds new entries: they are made at once,
    as a tap on a pupil not yet marked is, while changing Petya's becomes a request."""
    teacher = await open_math(bot, world)
    await teacher.press_and_wait("▫️ Иванов П.")  # absent, before the deadline
    clock.set(datetime(2026, 11, 23, 20, 30, tzinfo=MOSCOW))

    change = await teacher.press("❌ Иванов П.")
    assert "Запрос отправлен" in (await change.wait_answered()).get("text", "")
    new = await teacher.press("▫️ Иванова М.")
    await teacher.wait_reply()
    card = await teacher.press_and_wait(REST)

    assert (await new.wait_answered()).get("text") == "Сохранено ✓"
    assert "✅ Сидоров Н." in card.button_texts and "❌ Иванов П." in card.button_texts
    rows = await audit_rows(bot.journal)
    assert [(r["key"]["pupil_id"], r["new"]) for r in rows] == [
        (world.people["petya"], {"status": "absent"}),
        (world.people["masha"], {"status": "absent"}),
        (world.people["kolya"], {"status": "present"}),
    ]
    async with bot.journal.transaction() as s:
        requests = list(await s.scalars(select(CorrectionRequest)))
    assert [(r.pupil_id, r.change, r.old) for r in requests] == [
        (world.people["petya"], {"status": "late"}, {"status": "absent"})
    ]
