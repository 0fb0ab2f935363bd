"""R3 by binding: a person with two Telegram accounts bound (her phone and a stolen one)
is two bindings. Every change records the binding it came through; reverting the stolen
one undoes exactly its changes, and the admin, the owner and the first account are told
what they need (issue 9)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from sqlalchemy import select

from core import invitations, lessons, revert
from core.clock import ManualClock
from core.journal import Journal
from core.models import Attendance, AuditEntry, Binding, BindingRole, Lesson
from fakegram import FakeUser
from tests.botkit import Harness, running_bot
from tests.conftest import MOSCOW
from tests.test_notifications_e2e import deliver
from tests.world import MONDAY, World, build_world


@pytest.fixture
async def world(journal: Journal) -> World:
    return await build_world(journal)


@pytest.fixture
async def bot(journal: Journal, db_url: str, world: World) -> AsyncIterator[Harness]:
    async with running_bot(journal, db_url) as harness:
        yield harness


def at(clock: ManualClock, hour: int, minute: int = 0) -> datetime:
    moment = datetime(2026, 11, 23, hour, minute, tzinfo=MOSCOW)
    clock.set(moment)
    return moment


async def phone(
    bot: Harness, world: World, who: str, name: str = "Тест", username: str | None = None
) -> FakeUser:
    """A Telegram account (with its own profile) bound to ``who`` with a fresh code."""
    bot._next_user += 1
    user = bot.fake.user(bot._next_user, name, None, username=username, language_code="ru")
    issued = await invitations.issue(
        bot.journal, world.staff("admin"), world.people[who], BindingRole.STAFF
    )
    await user.open_deep_link(issued.code)
    assert "Готово" in ((await user.wait_reply()).text or "")
    await bot.settle(user)
    user.reset_counters()
    return user


async def binding_of(journal: Journal, user: FakeUser) -> int:
    async with journal.transaction() as s:
        found = await s.scalar(select(Binding.id).where(Binding.telegram_user_id == user.id))
    assert found is not None
    return found


async def open_lesson(user: FakeUser) -> None:
    await user.send("/today")
    await user.wait_reply()
    await user.press_and_wait(lambda b: "5А Математика" in b.text)


async def set_topic(user: FakeUser, topic: str) -> None:
    await user.press_and_wait("📚 Тема")
    await user.send(topic)
    await user.wait_reply(predicate=lambda m: "Тема:" in (m.text or ""))


async def statuses(journal: Journal, lesson_id: int) -> dict[int, str]:
    async with journal.transaction() as s:
        rows = await s.execute(
            select(Attendance.pupil_id, Attendance.status).where(Attendance.lesson_id == lesson_id)
        )
        return {p: st for p, st in rows}


async def test_r3_revert_keeps_the_owners_other_phone(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    p = world.people
    at(clock, 8, 0)
    own = await phone(bot, world, "math")
    stolen = await phone(bot, world, "math")
    [lesson] = await lessons.teacher_day(bot.journal, world.staff("math"), MONDAY)

    reported = at(clock, 10, 30)
    at(clock, 10, 40)  # the owner takes the roll call and sets the topic from her phone
    await open_lesson(own)
    await own.press_and_wait("▫️ Иванов П.")
    await own.press_and_wait("✅ Остальные присутствуют")
    await set_topic(own, "Дроби")
    owners = await statuses(bot.journal, lesson.id)
    assert owners[p["petya"]] == "absent" and owners[p["kolya"]] == "present"

    at(clock, 10, 45)  # the thief, on the stolen phone, changes the roll call and the topic
    await open_lesson(stolen)
    await stolen.press_and_wait("✅ Сидоров Н.")
    await set_topic(stolen, "Ложная тема")
    assert (await statuses(bot.journal, lesson.id))[p["kolya"]] != "present"

    at(clock, 11, 0)
    summary = await revert.revert(
        bot.journal,
        world.staff("admin"),
        await binding_of(bot.journal, stolen),
        reported,
        "украден телефон",
    )
    assert summary.reverted == {"attendance": 1, "lesson": 1}
    assert await statuses(bot.journal, lesson.id) == owners  # the owner's roll call stays
    async with bot.journal.transaction() as s:
        assert (await s.get(Lesson, lesson.id)).topic == "Дроби"  # type: ignore[union-attr]
        # Every change the owner's phone made is recorded with her binding.
        own_binding = await binding_of(bot.journal, own)
        recorded = set(
            await s.scalars(
                select(AuditEntry.binding_id).where(~AuditEntry.action.like("%.revert"))
            )
        )
    assert own_binding in recorded and None not in recorded
    # The owner's phone still works.
    await own.send("/today")
    assert "5А Математика" in " ".join((await own.wait_reply()).button_texts)


async def test_r3_admin_list_tells_two_phones_apart(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    at(clock, 8, 0)
    await phone(bot, world, "math", "Елена", "elena_k")
    at(clock, 9, 15)
    stolen = await phone(bot, world, "math", "Lucky", "lucky777")
    admin = await phone(bot, world, "admin", "Админ")
    await admin.send("/menu")
    await admin.wait_reply()
    at(clock, 10, 45)
    await open_lesson(stolen)
    await stolen.press_and_wait("▫️ Сидоров Н.")

    await admin.press_and_wait("⛔ Отключить аккаунт")
    screen = await admin.press_and_wait("↩️ Отменить действия с аккаунта")
    text = screen.text or ""
    lines = [line for line in text.splitlines() if "Кузнецова Елена Викторовна" in line]
    assert len(lines) == 2
    own_line, stolen_line = lines
    assert "вход 23.11.2026 08:00" in own_line and "Елена (@elena_k)" in own_line
    assert "последнее изменение: не было" in own_line
    assert "вход 23.11.2026 09:15" in stolen_line and "Lucky (@lucky777)" in stolen_line
    assert "последнее изменение: 23.11.2026 10:45" in stolen_line
    buttons = [b for b in screen.button_texts if "Кузнецова Елена Викторовна" in b]
    assert len(buttons) == 2 and len(set(buttons)) == 2
    assert any("@lucky777" in b for b in buttons)
    ask = await admin.press_and_wait(lambda b: "@lucky777" in b.text)
    assert "закрыт" in (ask.text or "")
    async with bot.journal.transaction() as s:
        cut = await s.scalar(
            select(Binding.revoked_at).where(Binding.telegram_user_id == stolen.id)
        )
    assert cut is not None


async def test_r3_owner_is_told_what_was_reverted(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    at(clock, 8, 0)
    own = await phone(bot, world, "math", "Елена", "elena_k")
    at(clock, 9, 15)
    stolen = await phone(bot, world, "math", "Lucky", "lucky777")
    admin = await phone(bot, world, "admin", "Админ")
    await admin.send("/menu")
    await admin.wait_reply()
    at(clock, 10, 45)
    await open_lesson(stolen)
    await stolen.press_and_wait("▫️ Сидоров Н.")
    await set_topic(stolen, "Ложная тема")
    await bot.settle(own)

    at(clock, 11, 0)
    await admin.press_and_wait("⛔ Отключить аккаунт")
    await admin.press_and_wait("↩️ Отменить действия с аккаунта")
    await admin.press_and_wait(lambda b: "@lucky777" in b.text)
    await admin.press_and_wait("Сегодня с 00:00")
    await admin.press("✅ Отменить эти изменения")
    await admin.wait_reply(predicate=lambda m: "Отменены" in (m.text or ""))

    while await deliver(bot):  # the new-account notice, then the revert notice
        pass
    told = (await own.wait_reply(predicate=lambda m: "отключён" in (m.text or ""))).text or ""
    assert "Аккаунт Telegram Lucky (@lucky777) (вход 23.11.2026 09:15) отключён" in told
    assert "после 23.11.2026 09:15: 2 (посещаемость — 1" in told and "прочее — 1" in told
    # The cut account itself is not written to.
    with pytest.raises(AssertionError):
        await stolen.wait_reply(timeout=0.3)


async def test_r3_a_second_account_binding_tells_the_first_with_a_cut_button(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    at(clock, 8, 0)
    own = await phone(bot, world, "math", "Елена", "elena_k")
    at(clock, 9, 15)
    stolen = await phone(bot, world, "math", "Lucky", "lucky777")

    assert await deliver(bot) == 1  # the first account only, not the new one
    notice = await own.wait_reply()
    assert "В журнал вошли с другого аккаунта" in (notice.text or "")
    assert "Lucky (@lucky777), 23.11.2026 09:15" in (notice.text or "")
    with pytest.raises(AssertionError):
        await stolen.wait_reply(timeout=0.3)

    await own.press("⛔ Отключить этот аккаунт", message=notice)
    done = await own.wait_reply(predicate=lambda m: "Аккаунт отключён" in (m.text or ""))
    assert "администратору" in (done.text or "")
    async with bot.journal.transaction() as s:
        cut = await s.scalar(
            select(Binding.revoked_at).where(Binding.telegram_user_id == stolen.id)
        )
        kept = await s.scalar(select(Binding.revoked_at).where(Binding.telegram_user_id == own.id))
    assert cut is not None and kept is None
    await stolen.send("/today")
    assert "код приглашения" in ((await stolen.wait_reply()).text or "")
