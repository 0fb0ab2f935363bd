"""Each parent chooses what to receive, per child (R16, issue 13 item 4), through the real
bot: marks, absences (all, only without a reason, none), homework, announcements, schedule
changes; quiet hours in which only absence alerts come. The mother of three children in
two classes (Пётр and Мария in 5А, Дарья in 1А) switches things for one child and the
others keep theirs; the evening's jobs run on the injected clock; forged buttons are
refused; on MAX the choice is the same person's one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time

import pytest_asyncio
from sqlalchemy import select, text

from bot.actions import PrefCb
from core import friday_round, lessons, marks
from core.accounts.choices import quiet_end
from core.announcements import Audience, Scope
from core.clock import ManualClock
from core.journal import Journal
from core.models import (
    AbsenceReason,
    BindingRole,
    ChildNotificationChoice,
    Guardianship,
    Mark,
    Person,
    PlannedAbsence,
    QuietHours,
)
from fakegram import FakeUser, MessageView
from notifications.announcements import send_announcement
from notifications.rules import NotificationRules
from notifications.scheduler import NotificationJobs
from tests.botkit import Harness, forge_press
from tests.conftest import MOSCOW
from tests.maxkit import MaxHarness, running_max_bot
from tests.test_notifications import TUESDAY, absent, at, bind, outbox, school_day_for_5a
from tests.test_notifications_e2e import deliver
from tests.test_schedule_parents_e2e import lesson_id
from tests.world import MONDAY, World


@pytest_asyncio.fixture
async def max_bot(journal: Journal, world: World) -> AsyncIterator[MaxHarness]:
    async with running_max_bot(journal) as harness:
        yield harness


async def _mother(bot: Harness, world: World) -> FakeUser:
    return await bot.bound_user(world.staff("math"), world.people["mother"], BindingRole.PARENT)


async def _settings(parent: FakeUser) -> MessageView:
    await parent.send("/menu")
    await parent.wait_reply()
    return await parent.press_and_wait("⚙️ Уведомления")


async def _for_child(parent: FakeUser, screen: MessageView, name: str) -> MessageView:
    """The settings for one child: the child's button, unless it is the one shown."""
    if f"О ребёнке: {name}" in (screen.text or ""):
        return screen
    given = name.split()[1]
    return await parent.press_and_wait(given, message=screen)


async def _choices(journal: Journal) -> dict[int, ChildNotificationChoice]:
    async with journal.transaction() as s:
        return {c.pupil_id: c for c in await s.scalars(select(ChildNotificationChoice))}


def _block(digest: str, name: str) -> str:
    """One child's part of a digest."""
    start = digest.index(f"<b>{name}</b>")
    rest = digest.find("\n\n", start)
    return digest[start : rest if rest != -1 else None]


async def test_r16_mother_turns_off_marks_for_one_child_digest_keeps_the_other(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    mother = await _mother(bot, world)
    screen = await _settings(mother)
    assert "✅ Оценки" in screen.button_texts and "✅ Пропуски: все" in screen.button_texts
    assert {"Пётр", "Мария", "Дарья"} <= {b.removeprefix("• ") for b in screen.button_texts}
    petya = await _for_child(mother, screen, "Иванов Пётр Алексеевич")
    assert "О ребёнке: Иванов Пётр Алексеевич, 5А" in (petya.text or "")
    # A double tap on «✅ Оценки»: each tap carries «off», so it stays off.
    first = await mother.press("✅ Оценки", message=petya)
    second = await mother.press("✅ Оценки", message=petya)
    await first.wait_answered()
    await second.wait_answered()
    await bot.settle(mother)
    off = await _settings(mother)
    off = await _for_child(mother, off, "Иванов Пётр Алексеевич")
    assert "▫️ Оценки" in off.button_texts
    # Дарья (1А): absences cycle from «все» to «только без причины» to «не присылать».
    dasha = await _for_child(mother, off, "Иванова Дарья Алексеевна")
    assert "✅ Оценки" in dasha.button_texts  # Пётр's choice is his alone
    dasha = await mother.press_and_wait("✅ Пропуски: все", message=dasha)
    dasha = await mother.press_and_wait("☑️ Пропуски: только без причины", message=dasha)
    assert "▫️ Пропуски: не присылать" in dasha.button_texts
    masha = await _for_child(mother, dasha, "Иванова Мария Алексеевна")
    assert {"✅ Оценки", "✅ Пропуски: все"} <= set(masha.button_texts)
    p = world.people
    chosen = await _choices(bot.journal)
    assert set(chosen) == {p["petya"], p["dasha"]}  # one row each; Мария never chose
    assert (chosen[p["petya"]].marks, chosen[p["petya"]].absences) == (False, "all")
    assert (chosen[p["dasha"]].marks, chosen[p["dasha"]].absences) == (True, "off")

    # Her digest at 18:00, before the teachers' 20:00 deadline, so marks can still change.
    await mother.press_and_wait("18:00", message=masha)
    # Monday: Пётр and Мария get a mark each, Пётр and Дарья miss a lesson.
    lesson = await school_day_for_5a(bot.journal, world)
    math = world.staff("math")
    await marks.add_mark(bot.journal, math, lesson["math"], p["petya"], 3, "answer")
    await absent(bot.journal, world, "primary", MONDAY, 1, "dasha")
    jobs = NotificationJobs(bot.journal, NotificationRules())
    at(clock, MONDAY, 18, 0)
    assert await jobs.digests() == 1
    [digest] = await outbox(bot.journal, "digest")
    body = digest["text"]
    assert "Математика: <b>5</b>" in _block(body, "Иванова Мария")  # her marks stay
    petya_part = _block(body, "Иванов Пётр")
    assert "Математика: <b>" not in petya_part  # his marks are off
    assert "Пропущены уроки: 1 (Математика)" in petya_part  # his absences are still on
    assert "Задано на вт 24.11" in petya_part  # and his homework
    assert "Пропущены" not in _block(body, "Иванова Дарья")  # her absences: none

    # 19:00: both marks are corrected; Tuesday's digest tells Мария's correction only.
    at(clock, MONDAY, 19, 0)
    async with bot.journal.transaction() as s:
        ids = dict((await s.execute(select(Mark.pupil_id, Mark.id))).all())
    await marks.change_mark(bot.journal, math, ids[p["petya"]], 4)
    await marks.change_mark(bot.journal, math, ids[p["masha"]], 4)
    at(clock, TUESDAY, 18, 0)
    assert await jobs.digests() == 1
    tuesday = (await outbox(bot.journal, "digest"))[-1]["text"]
    assert "исправлено 23.11: 5 → 4" in _block(tuesday, "Иванова Мария")
    assert "исправлено" not in _block(tuesday, "Иванов Пётр")  # a correction is a mark


async def test_r16_absences_only_without_a_reason_in_the_alert_and_the_digest(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    """«Только без причины»: an absence the class teacher excused, or one the father warned
    of, is not told; one still without a reason is. The father who warned is not told
    of it either (in the alert or the digest): he gave the reason."""
    p = world.people
    mother = await _mother(bot, world)
    petya = await _for_child(mother, await _settings(mother), "Иванов Пётр Алексеевич")
    await mother.press_and_wait("✅ Пропуски: все", message=petya)
    async with bot.journal.transaction() as s:
        father = Person(school_id=world.school_id, full_name="Иванов Алексей Петрович")
        s.add(father)
        await s.flush()
        s.add(Guardianship(guardian_id=father.id, pupil_id=p["petya"]))
        s.add(
            PlannedAbsence(
                pupil_id=p["petya"],
                first_day=TUESDAY,
                last_day=TUESDAY,
                reason="illness",
                reported_by=father.id,
                created_at=clock.now(),
            )
        )
    father_binding = await bind(bot.journal, father.id)
    jobs = NotificationJobs(bot.journal, NotificationRules())

    # Monday: no reason yet, so both are told at once.
    at(clock, MONDAY, 8, 35)
    await absent(bot.journal, world, "math", MONDAY, 1, "petya")
    at(clock, MONDAY, 8, 40)
    assert await jobs.absence_alerts() == 2
    # The class teacher then excuses the day: the digest does not list it for her.
    await friday_round.confirm_reason(
        bot.journal, world.staff("math"), p["petya"], MONDAY, AbsenceReason.ILLNESS
    )
    at(clock, MONDAY, 20, 0)
    await jobs.digests()
    digests = {r["binding_id"]: r["text"] for r in await outbox(bot.journal, "digest")}
    mine = [t for b, t in digests.items() if b != father_binding]
    assert all("Пропущены уроки: 1 (Математика)" not in _block(t, "Иванов Пётр") for t in mine)
    assert "Пропущены уроки: 1 (Математика) — болезнь" in digests[father_binding]  # all: told

    # Tuesday: Пётр warned of by the father (for her, a reason; he warned himself), and
    # Мария absent too (all of hers are told): one alert, about Мария.
    at(clock, TUESDAY, 8, 35)
    await absent(bot.journal, world, "math", TUESDAY, 1, "petya", "masha")
    at(clock, TUESDAY, 8, 40)
    assert await jobs.absence_alerts() == 1
    [alert] = [r for r in await outbox(bot.journal, "absence_alert") if "вт 24.11" in r["text"]]
    assert "Мария" in alert["text"] and "Пётр" not in alert["text"]
    at(clock, TUESDAY, 20, 0)
    await jobs.digests()
    [hers] = [r for r in await outbox(bot.journal, "digest") if "Дневник за вт 24.11" in r["text"]]
    assert hers["binding_id"] != father_binding  # his: nothing new, so none
    assert "Пропущены уроки: 1 (Математика)" in _block(hers["text"], "Иванова Мария")
    assert "Пропущены" not in _block(hers["text"], "Иванов Пётр")


async def test_r16_quiet_hours_hold_an_announcement_until_seven_but_an_absence_alert_arrives(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    mother = await _mother(bot, world)
    screen = await _settings(mother)
    assert "Тихие часы</b>: нет" in screen.html and "• Без тихих часов" in screen.button_texts
    screen = await mother.press_and_wait("22–7", message=screen)
    assert "• 22–7" in screen.button_texts
    assert "Тихие часы</b>: 22:00–07:00" in screen.html
    async with bot.journal.transaction() as s:
        [quiet] = list(await s.scalars(select(QuietHours)))
    assert (quiet.starts, quiet.ends) == (time(22), time(7))
    screen = await mother.press_and_wait("21–7", message=screen)
    screen = await mother.press_and_wait("21:00", message=screen)  # a digest inside them
    assert "сводка придёт в 07:00" in (screen.text or "")
    await bot.settle(mother)

    # 21:00: the digest is built, and held until 07:00.
    await school_day_for_5a(bot.journal, world)
    jobs = NotificationJobs(bot.journal, NotificationRules())
    at(clock, MONDAY, 21, 0)
    assert await jobs.digests() == 1
    # 22:10: the class teacher writes to 5А's parents: held too.
    at(clock, MONDAY, 22, 10)
    await send_announcement(
        bot.journal,
        world.staff("math"),
        (Scope.CLASS, world.classes["5А"], Audience.PARENTS, "Завтра экскурсия, форма свободная"),
        "token-1",
    )
    # 22:30: a lesson's roll call filled in late (Пётр absent): the alert comes at once.
    await absent(bot.journal, world, "english", MONDAY, 2, "petya")
    at(clock, MONDAY, 22, 30)
    assert await jobs.absence_alerts() == 1
    assert await deliver(bot) == 1
    alert = await mother.wait_reply()
    assert "Иванов Пётр" in (alert.text or "") and "отсутствует на уроках" in (alert.text or "")
    at(clock, TUESDAY, 6, 59)
    assert await deliver(bot) == 0
    at(clock, TUESDAY, 7, 0)
    assert await deliver(bot) + await deliver(bot) == 2  # a chat's one at a time
    got = [(await mother.wait_reply()).text or "" for _ in range(2)]
    assert any("Дневник за пн 23.11" in t for t in got)
    assert any("Завтра экскурсия" in t for t in got)
    held_sql = text("SELECT kind, not_before FROM outbox WHERE kind <> 'absence_alert'")
    async with bot.journal.transaction() as s:
        held: dict[str, datetime] = {k: at for k, at in (await s.execute(held_sql)).all()}
    seven = datetime(2026, 11, 24, 7, 0, tzinfo=MOSCOW)
    assert held == {"digest": seven, "announcement": seven}


async def test_r16_announcements_off_for_both_5a_children_the_school_wide_one_still_comes(
    bot: Harness, world: World
) -> None:
    mother = await _mother(bot, world)
    screen = await _settings(mother)
    for name in ("Иванов Пётр Алексеевич", "Иванова Мария Алексеевна"):
        screen = await _for_child(mother, screen, name)
        screen = await mother.press_and_wait("✅ Объявления", message=screen)
        assert "▫️ Объявления" in screen.button_texts
    sidorov = await bind(bot.journal, world.people["sidorov"])
    for author, scope, target in (
        ("math", Scope.CLASS, world.classes["5А"]),  # the class teacher of 5А
        ("director", Scope.SCHOOL, 0),  # Дарья in 1А: announcements on
    ):
        draft = (scope, target, Audience.PARENTS, "Текст")
        await send_announcement(bot.journal, world.staff(author), draft, author)
    rows = await outbox(bot.journal, "announcement")
    ids = sorted({int(r["key"].split(":")[1]) for r in rows})
    assert len(ids) == 2  # the class's, then the school's
    by_parent = {
        who: [int(r["key"].split(":")[1]) for r in rows if (r["binding_id"] == sidorov) == who]
        for who in (True, False)
    }
    assert by_parent == {True: ids, False: [ids[1]]}  # she gets the school's only


async def test_r16_a_forged_button_for_another_familys_child_is_refused_in_words(
    bot: Harness, world: World
) -> None:
    mother = await _mother(bot, world)
    screen = await _settings(mother)
    kolya = world.people["kolya"]
    for forged in (
        PrefCb(what="k", pupil=kolya, kind="m", value=0),
        PrefCb(what="b", pupil=kolya, value=2),
    ):
        press = await forge_press(mother, screen, forged.pack())
        answer = await press.wait_answered()
        assert "Это не ваш ребёнок" in (answer.get("text") or ""), answer
    for stale in (
        PrefCb(what="k", pupil=world.people["petya"], kind="x", value=0),
        PrefCb(what="q", hour=20, end=6),
    ):
        press = await forge_press(mother, screen, stale.pack())
        answer = await press.wait_answered()
        assert "больше не действует" in (answer.get("text") or ""), answer
    assert await _choices(bot.journal) == {}
    async with bot.journal.transaction() as s:
        assert list(await s.scalars(select(QuietHours))) == []


async def test_r16_on_max_and_telegram_a_mother_has_one_choice_per_child(
    bot: Harness, max_bot: MaxHarness, world: World, clock: ManualClock
) -> None:
    """She switches Пётр's homework off in MAX; Telegram's screen shows it; the digest on
    both has no homework for him, and Мария's stays."""
    in_telegram = await _mother(bot, world)
    in_max = await max_bot.bound_user(
        world.staff("math"), world.people["mother"], BindingRole.PARENT
    )
    await in_max.send("/menu")
    await in_max.wait_reply()
    screen = await in_max.press_and_wait("⚙️ Уведомления")
    if "О ребёнке: Иванов Пётр" not in (screen.text or ""):
        screen = await in_max.press_and_wait("Пётр")
    off = await in_max.press_and_wait("✅ Домашние задания")
    assert "▫️ Домашние задания" in off.button_texts
    seen = await _for_child(in_telegram, await _settings(in_telegram), "Иванов Пётр Алексеевич")
    assert "▫️ Домашние задания" in seen.button_texts
    assert len(await _choices(bot.journal)) == 1  # the person's, not a binding's

    await school_day_for_5a(bot.journal, world)
    at(clock, MONDAY, 20, 0)
    assert await NotificationJobs(bot.journal, NotificationRules()).digests() == 2
    for row in await outbox(bot.journal, "digest"):
        assert "Задано" not in _block(row["text"], "Иванов Пётр")
        assert "Задано на вт 24.11" in _block(row["text"], "Иванова Мария")


async def test_r16_r25_schedule_changes_off_for_dasha_her_mother_hears_of_5a_only(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    """The mother turns «Изменения расписания» off for Дарья (1А): a cancel in 1А tells
    her nothing, a cancel in 5А the same morning names Пётр and Мария only."""
    mother = await _mother(bot, world)
    screen = await _settings(mother)
    dasha = await _for_child(mother, screen, "Иванова Дарья Алексеевна")
    dasha = await mother.press_and_wait("✅ Изменения расписания", message=dasha)
    assert "▫️ Изменения расписания" in dasha.button_texts
    deputy, journal = world.staff("deputy"), bot.journal
    russian_1a = await lesson_id(journal, world, "1А", "Русский язык", TUESDAY, 1)
    maths_5a = await lesson_id(journal, world, "5А", "Математика", TUESDAY, 1)
    await lessons.cancel_lesson(journal, deputy, russian_1a)
    jobs = NotificationJobs(journal)
    at(clock, TUESDAY, 7, 0)
    assert await jobs.schedule_morning() == 0  # Дарья's change only: nothing for her mother
    at(clock, TUESDAY, 9, 0)
    await lessons.cancel_lesson(journal, deputy, maths_5a)
    at(clock, TUESDAY, 9, 1)
    assert await jobs.schedule_changes() == 1
    assert await deliver(bot) == 1
    told = (await mother.wait_reply()).text or ""
    assert "Иванов Пётр" in told and "Иванова Мария" in told and "Дарья" not in told


def test_r16_quiet_hours_end_in_the_morning_and_only_inside_them() -> None:
    def end(day: date, hour: int, minute: int, starts: int, ends: int) -> datetime | None:
        moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=MOSCOW)
        return quiet_end(moment.astimezone(UTC), time(starts), time(ends), MOSCOW)

    seven_tuesday = datetime(2026, 11, 24, 7, 0, tzinfo=MOSCOW)
    assert end(MONDAY, 22, 30, 22, 7) == seven_tuesday
    assert end(TUESDAY, 6, 59, 22, 7) == seven_tuesday
    assert end(TUESDAY, 7, 0, 22, 7) is None
    assert end(MONDAY, 21, 59, 22, 7) is None
    assert end(MONDAY, 23, 59, 23, 8) == datetime(2026, 11, 24, 8, 0, tzinfo=MOSCOW)
    assert end(MONDAY, 13, 0, 12, 14) == datetime(2026, 11, 23, 14, 0, tzinfo=MOSCOW)
    assert end(MONDAY, 14, 0, 12, 14) is None


async def test_r16_a_father_of_one_sees_his_sons_choices_without_a_switch(
    bot: Harness, world: World
) -> None:
    sidorov = await bot.bound_user(world.staff("math"), world.people["sidorov"], BindingRole.PARENT)
    screen = await _settings(sidorov)
    assert "О ребёнке: Сидоров Николай Андреевич, 5А" in (screen.text or "")
    assert "У каждого ребёнка" not in (screen.text or "")
    assert "Николай" not in " ".join(screen.button_texts)  # no switch for one child
    assert screen.button_texts[-1] == "☰ Меню"
