"""R3 by binding: a person with two Telegram accounts bound (her phone and a stolen one)
is two bindings. Every change records the binding it came through; reverting the stolen
one undoes exactly its changes, and the admin, the owner and the first account are told
what they need (issue 9)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from sqlalchemy import select

from core import invitations, lessons, marks, revert
from core.clock import ManualClock
from core.journal import Journal
from core.models import (
    Attendance,
    AuditEntry,
    Binding,
    BindingRole,
    CorrectionRequest,
    Invitation,
    Lesson,
)
from fakegram import FakeUser
from tests.botkit import Harness
from tests.conftest import MOSCOW
from tests.test_notifications_e2e import deliver
from tests.world import MONDAY, World


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
        found = await s.scalar(select(Binding.id).where(Binding.user_id == user.id))
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
        assert (await s.get(Lesson, lesson.id)).topic == "Дроби"  # type: ignore[union-attr]  # the row exists
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
    assert "последнее использование: 23.11.2026 08:00" in own_line  # bound, then idle
    assert "вход 23.11.2026 09:15" in stolen_line and "Lucky (@lucky777)" in stolen_line
    assert "последнее использование: 23.11.2026 10:45" in stolen_line
    buttons = [b for b in screen.button_texts if "Кузнецова Елена Викторовна" in b]
    assert len(buttons) == 2 and len(set(buttons)) == 2
    assert any("@lucky777" in b for b in buttons)
    ask = await admin.press_and_wait(lambda b: "@lucky777" in b.text)
    assert "закрыт" in (ask.text or "")
    async with bot.journal.transaction() as s:
        cut = await s.scalar(select(Binding.revoked_at).where(Binding.user_id == stolen.id))
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
        cut = await s.scalar(select(Binding.revoked_at).where(Binding.user_id == stolen.id))
        kept = await s.scalar(select(Binding.revoked_at).where(Binding.user_id == own.id))
    assert cut is not None and kept is None
    await stolen.send("/today")
    assert "код приглашения" in ((await stolen.wait_reply()).text or "")


def request_line(screen_text: str, name: str) -> str:
    return next(line for line in screen_text.splitlines() if name in line)


async def change_mark(user: FakeUser, pupil: str, to: int, reason: str) -> None:
    """After the deadline: the pupil's mark → ``to``, with the reason typed (a request)."""
    await open_lesson(user)
    await user.press_and_wait("📝 Отметки")
    await user.press_and_wait(lambda b: b.text.startswith(pupil))
    await user.press_and_wait(f"→ {to}")
    await user.send(reason)
    await user.wait_reply(predicate=lambda m: "завуча" in (m.text or ""))


async def test_r3_revert_cancels_the_stolen_phones_request_and_keeps_the_owners(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    """Issue 9.2: correction requests are the binding's, not the person's whole window."""
    p = world.people
    at(clock, 8, 0)
    own = await phone(bot, world, "math", "Елена", "elena_k")
    stolen = await phone(bot, world, "math", "Lucky", "lucky777")
    [lesson] = await lessons.teacher_day(bot.journal, world.staff("math"), MONDAY)
    for pupil in ("petya", "masha"):
        await marks.add_mark(bot.journal, world.staff("math"), lesson.id, p[pupil], 3, "answer")

    reported = at(clock, 20, 30)
    await change_mark(own, "Иванов П.", 5, "в тетради 5")  # the owner, from her phone
    at(clock, 20, 40)
    await change_mark(stolen, "Иванова М.", 2, "списала")  # the thief
    async with bot.journal.transaction() as s:
        filed = {r.pupil_id: r.binding_id for r in await s.scalars(select(CorrectionRequest))}
    assert filed == {
        p["petya"]: await binding_of(bot.journal, own),
        p["masha"]: await binding_of(bot.journal, stolen),
    }

    at(clock, 21, 0)
    summary = await revert.revert(
        bot.journal,
        world.staff("admin"),
        await binding_of(bot.journal, stolen),
        reported,
        "украден телефон",
    )
    assert summary.requests_declined == 1
    async with bot.journal.transaction() as s:
        left = {r.pupil_id: r.status for r in await s.scalars(select(CorrectionRequest))}
    assert left == {p["petya"]: "pending", p["masha"]: "declined"}

    deputy = await phone(bot, world, "deputy", "Андрей")
    await deputy.send("/menu")
    menu = await deputy.wait_reply()
    queue = await deputy.press_and_wait(lambda b: "Запросы" in b.text, message=menu)
    shown = queue.text or ""
    assert "Иванов Пётр" in shown and "Иванова Мария" not in shown


async def test_r3_admin_list_shows_last_used_moving_when_the_second_phone_only_opens_the_menu(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    """«Last used» is the account's last interaction with the bot, not its last change."""
    at(clock, 8, 0)
    await phone(bot, world, "math", "Елена", "elena_k")
    at(clock, 9, 15)
    await phone(bot, world, "math", "Lucky", "lucky777")
    second = bot.fake.user(bot._next_user)
    admin = await phone(bot, world, "admin", "Админ")

    async def lines() -> tuple[str, str]:
        await admin.send("/menu")
        await admin.wait_reply()
        await admin.press_and_wait("⛔ Отключить аккаунт")
        screen = await admin.press_and_wait("↩️ Отменить действия с аккаунта")
        text = screen.text or ""
        found = [line for line in text.splitlines() if "Кузнецова Елена Викторовна" in line]
        assert len(found) == 2
        return found[0], found[1]

    at(clock, 10, 0)
    own_line, second_line = await lines()
    assert "последнее использование: 23.11.2026 08:00" in own_line
    assert "последнее использование: 23.11.2026 09:15" in second_line

    at(clock, 10, 50)
    await second.send("/menu")  # only opens the menu: no change in the journal
    await second.wait_reply()
    at(clock, 11, 0)
    own_line, second_line = await lines()
    assert "последнее использование: 23.11.2026 10:50" in second_line
    assert "последнее использование: 23.11.2026 08:00" in own_line
    async with bot.journal.transaction() as s:
        assert not (await s.scalars(select(AuditEntry))).all()  # nothing was changed


async def test_r3_an_invitation_issued_from_the_stolen_phone_is_revoked_the_owners_kept(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    at(clock, 8, 0)
    own = await phone(bot, world, "admin", "Ольга", "olga_b")
    stolen = await phone(bot, world, "admin", "Lucky", "lucky777")
    reported = at(clock, 9, 0)
    at(clock, 10, 0)
    issued = {}
    for user, who in ((own, "english"), (stolen, "english2")):
        binding = await binding_of(bot.journal, user)
        actor = replace(world.staff("admin"), binding_id=binding)
        issued[who] = await invitations.issue(
            bot.journal, actor, world.people[who], BindingRole.STAFF
        )
    at(clock, 11, 0)
    summary = await revert.revert(
        bot.journal,
        world.staff("director"),
        await binding_of(bot.journal, stolen),
        reported,
        "украден телефон",
    )
    assert summary.invitations_revoked == 1
    async with bot.journal.transaction() as s:
        rows = {
            i.id: (i.issued_by_binding_id, i.revoked_at is not None)
            for i in await s.scalars(select(Invitation))
        }
    assert rows[issued["english"].invitation_id] == (await binding_of(bot.journal, own), False)
    assert rows[issued["english2"].invitation_id] == (await binding_of(bot.journal, stolen), True)
