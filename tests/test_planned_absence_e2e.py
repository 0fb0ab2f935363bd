"""A parent warns of an absence in advance (issue 13), through the real bot: the mother of
three children in two classes warns for one; the teacher's roll call shows him
«Н (предупр.)» and «the rest are present» accepts it; no instant alert goes to her (a
second parent is told, and that she warned); the Friday round has her reason waiting for
the class teacher (R6); she withdraws a warning before its first lesson, not after;
forged buttons are refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest_asyncio
from sqlalchemy import select

from bot.actions import PlanCb
from core import lessons, marks
from core.clock import ManualClock
from core.journal import Journal
from core.models import (
    AbsenceSuggestion,
    BindingRole,
    Guardianship,
    Person,
    PlannedAbsence,
)
from fakegram import FakeUser
from notifications.rules import NotificationRules
from notifications.scheduler import NotificationJobs
from tests.botkit import Harness, forge_press
from tests.maxkit import MaxHarness, running_max_bot
from tests.test_bot_e2e import statuses
from tests.test_notifications import FRIDAY, TUESDAY, at, bind, outbox
from tests.world import MONDAY, World

COMMENT = "Справку принесём в среду"


async def _mother(bot: Harness, world: World) -> FakeUser:
    return await bot.bound_user(world.staff("math"), world.people["mother"], BindingRole.PARENT)


async def _open(parent: FakeUser, child: str) -> None:
    """From the menu: «Предупредить об отсутствии», then the child."""
    await parent.send("/menu")
    await parent.wait_reply()
    who = await parent.press_and_wait("🗓 Предупредить об отсутствии")
    assert "Кто из детей" in (who.text or "")
    assert len([t for t in who.button_texts if "(" in t]) == 3  # three children, two classes
    await parent.press_and_wait(lambda b: b.text.startswith(child))


async def _warn_petya_tomorrow(parent: FakeUser, *, twice: bool = False) -> None:
    await _open(parent, "Иванов Пётр")
    await parent.press_and_wait("Завтра")
    summary = await parent.press_and_wait("🤒 Болезнь")
    assert "Не пишите диагнозы" in (summary.text or "")
    again = await parent.send_and_wait(COMMENT)
    assert COMMENT in (again.text or "")
    first = await parent.press("✅ Подтвердить", message=again)
    if twice:  # a double tap: the second press before the first one's answer
        second = await parent.press("✅ Подтвердить", message=again)
        await second.wait_answered()
    await first.wait_answered()
    saved = await parent.wait_reply()
    assert "Предупреждение передано" in (saved.text or "") or "уже сохранено" in (saved.text or "")


async def _plans(journal: Journal) -> list[PlannedAbsence]:
    async with journal.transaction() as s:
        return list(await s.scalars(select(PlannedAbsence).order_by(PlannedAbsence.id)))


async def _suggestions(journal: Journal) -> list[tuple[int, date, str, str | None]]:
    async with journal.transaction() as s:
        rows = await s.execute(
            select(
                AbsenceSuggestion.pupil_id,
                AbsenceSuggestion.day,
                AbsenceSuggestion.reason,
                AbsenceSuggestion.note,
            )
        )
        return [(pupil, day, reason, note) for pupil, day, reason, note in rows]


async def _take_roll_call(teacher: FakeUser, lesson: str) -> None:
    await teacher.send("/today")
    await teacher.wait_reply()
    card = await teacher.press_and_wait(lambda b: lesson in b.text)
    assert "📨 Иванов П." in card.button_texts  # warned: not marked yet, «Н (предупр.)»
    assert "Н (предупр.) — 1" in (card.text or "")
    final = await teacher.press_and_wait("✅ Остальные присутствуют")
    assert "❌ Иванов П." in final.button_texts and "✅ Иванова М." in final.button_texts


async def test_r6_a_mother_of_three_warns_for_one_the_roll_call_accepts_it_without_alerting_her(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    mother = await _mother(bot, world)
    await _warn_petya_tomorrow(mother, twice=True)
    # Tapped twice: still one warning, one suggested reason (for Tuesday, his only day).
    [plan] = await _plans(bot.journal)
    assert (plan.pupil_id, plan.first_day, plan.last_day, plan.lessons) == (
        world.people["petya"],
        TUESDAY,
        TUESDAY,
        None,
    )
    assert (plan.reason, plan.note, plan.withdrawn_at) == ("illness", COMMENT, None)
    assert await _suggestions(bot.journal) == [(world.people["petya"], TUESDAY, "illness", COMMENT)]

    # A father, bound too, who was not the one to warn.
    async with bot.journal.transaction() as s:
        father = Person(school_id=world.school_id, full_name="Иванов Алексей Петрович")
        s.add(father)
        await s.flush()
        s.add(Guardianship(guardian_id=father.id, pupil_id=world.people["petya"]))
    father_binding = await bind(bot.journal, father.id)

    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    # Still Monday: the class teacher's week shows the warning ahead (R6).
    await teacher.send("/menu")
    await teacher.wait_reply()
    await teacher.press_and_wait("👥 Мой класс 5А")
    week = await teacher.press_and_wait("🚫 Пропуски за неделю")
    assert "Родители предупредили заранее" in (week.text or "")
    assert (
        "📨 Иванов Пётр Алексеевич, 24.11 — болезнь (справка) (Иванова Светлана Николаевна)"
        f" — «{COMMENT}»"
    ) in (week.text or "")

    at(clock, TUESDAY, 8, 35)
    await _take_roll_call(teacher, "5А Математика")
    [tuesday_math] = await lessons.teacher_day(bot.journal, world.staff("math"), TUESDAY)
    assert (await statuses(bot.journal, tuesday_math.id))[world.people["petya"]] == "absent"

    at(clock, TUESDAY, 8, 40)
    jobs = NotificationJobs(bot.journal, NotificationRules())
    assert await jobs.absence_alerts() == 1  # the father only
    [alert] = await outbox(bot.journal, "absence_alert")
    assert alert["binding_id"] == father_binding
    assert "предупредил(а): Иванова Светлана Николаевна" in alert["text"]

    # Мария gets a 5 that lesson, so the mother's digest has news to send.
    maths = world.staff("math")
    await marks.add_mark(bot.journal, maths, tuesday_math.id, world.people["masha"], 5, "answer")
    at(clock, TUESDAY, 20, 0)
    assert await jobs.digests() == 2
    # R16: she gave the reason herself, so her digest does not tell her of that absence
    # again, nor that he had none; the father's tells him.
    digests = await outbox(bot.journal, "digest")
    [hers] = [r["text"] for r in digests if r["binding_id"] != father_binding]
    assert "Пропущены уроки" not in hers and "Математика: <b>5</b>" in hers
    petya = hers[hers.index("<b>Иванов Пётр</b>") :]
    petya = petya[: petya.index("\n\n")] if "\n\n" in petya else petya
    assert "Новых отметок нет." in petya and "пропусков нет" not in petya
    [his] = [r for r in digests if r["binding_id"] == father_binding]
    assert "Пропущены уроки: 1 (Математика)" in his["text"]

    at(clock, FRIDAY, 14, 0)
    assert await jobs.friday_round() == 1
    [round_] = await outbox(bot.journal, "friday_round")
    assert "<b>Иванов Пётр</b>, вт 24.11" in round_["text"]
    assert f"Иванова С.: болезнь (справка) — «{COMMENT}»" in round_["text"]


async def test_r6_a_warning_is_withdrawn_before_its_lesson_and_refused_after(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    class_teacher = await bind(bot.journal, world.people["math"], BindingRole.STAFF)
    mother = await _mother(bot, world)
    await _warn_petya_tomorrow(mother)
    [told] = await outbox(bot.journal, "absence_planned")  # the class teacher, at once
    assert told["binding_id"] == class_teacher
    assert "Иванова Светлана Николаевна</b> предупреждает: <b>Иванов Пётр" in told["text"]
    assert "вт 24.11, весь день" in told["text"] and COMMENT in told["text"]
    listed = await mother.press_and_wait("📋 Мои предупреждения")
    assert "вт 24.11, весь день — 🤒 Болезнь" in (listed.text or "")
    after = await mother.press_and_wait("↩️ Отменить (вт 24.11)")
    assert "Предупреждение отменено" in (after.text or "")
    assert "Предупреждений нет" in (after.text or "")
    [plan] = await _plans(bot.journal)
    assert plan.withdrawn_at is not None and await _suggestions(bot.journal) == []
    [withdrawn] = await outbox(bot.journal, "absence_planned_withdrawn")
    assert withdrawn["binding_id"] == class_teacher and "отменил(а)" in withdrawn["text"]

    # Warned again; Tuesday's first lesson has begun when she tries to withdraw it.
    await _warn_petya_tomorrow(mother)
    listed = await mother.press_and_wait("📋 Мои предупреждения")
    at(clock, TUESDAY, 8, 31)
    press = await mother.press("↩️ Отменить (вт 24.11)", message=listed)
    answer = await press.wait_answered()
    assert answer is not None and "Урок уже начался" in (answer.get("text") or "")
    assert [p.withdrawn_at for p in await _plans(bot.journal)][1] is None
    assert len(await _suggestions(bot.journal)) == 1


async def test_a_warning_of_some_lessons_marks_only_those_and_the_teacher_may_mark_present(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    mother = await _mother(bot, world)
    await _open(mother, "Иванова Мария")
    await mother.press_and_wait("🕐 Отдельные уроки…")
    picked = await mother.press_and_wait("вт 24.11")
    assert "Далее →" not in picked.button_texts
    ticked = await mother.press_and_wait("▫️ 2. Английский язык")
    assert "☑️ 2. Английский язык" in ticked.button_texts
    await mother.press_and_wait("Далее →")
    await mother.press_and_wait("🏠 Семейные обстоятельства")
    saved = await mother.press_and_wait("✅ Подтвердить")
    assert "вт 24.11, уроки 2" in (saved.text or "")
    [plan] = await _plans(bot.journal)
    assert plan.lessons == [2] and plan.reason == "parent_statement" and plan.note is None

    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    english = await bot.bound_user(world.staff("admin"), world.people["english"], BindingRole.STAFF)
    at(clock, TUESDAY, 8, 35)
    await teacher.send("/today")
    await teacher.wait_reply()
    card = await teacher.press_and_wait(lambda b: "5А Математика" in b.text)
    assert "▫️ Иванова М." in card.button_texts  # maths is not among the lessons warned of
    await english.send("/today")
    await english.wait_reply()
    card = await english.press_and_wait(lambda b: "Английский" in b.text)
    assert "📨 Иванова М." in card.button_texts
    # She came after all: the teacher's usual taps mark her present.
    await english.press_and_wait("📨 Иванова М.")
    await english.press_and_wait("❌ Иванова М.")
    final = await english.press_and_wait("🕒 Иванова М.")
    assert "✅ Иванова М." in final.button_texts

    # Gone after all: absent at English (warned of) and at maths (not): the alert to her
    # names maths alone.
    await english.press_and_wait("✅ Иванова М.")
    await teacher.press_and_wait("▫️ Иванова М.")
    at(clock, TUESDAY, 9, 40)
    assert await NotificationJobs(bot.journal, NotificationRules()).absence_alerts() == 1
    [alert] = await outbox(bot.journal, "absence_alert")
    assert "Иванова Мария" in alert["text"] or "Мария" in alert["text"]
    assert "1 (Математика)" in alert["text"] and "Английский" not in alert["text"]


async def test_forged_warning_buttons_are_refused(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    mother = await _mother(bot, world)
    sidorov = await bot.bound_user(world.staff("math"), world.people["sidorov"], BindingRole.PARENT)
    await mother.send("/menu")
    menu = await mother.wait_reply()
    tuesday = TUESDAY.toordinal()
    forged = [
        # another family's child
        PlanCb(act="y", pupil=world.people["kolya"], first=tuesday, last=tuesday, reason="i"),
        # past the two weeks ahead, and a day gone by
        PlanCb(
            act="y", pupil=world.people["petya"], first=tuesday + 30, last=tuesday + 30, reason="i"
        ),
        PlanCb(
            act="y", pupil=world.people["petya"], first=tuesday - 7, last=tuesday - 7, reason="i"
        ),
        # no lesson but a stray bit; a lesson the day does not have; a reason not offered
        PlanCb(
            act="y", pupil=world.people["petya"], first=tuesday, last=tuesday, mask=1, reason="i"
        ),
        PlanCb(
            act="y",
            pupil=world.people["petya"],
            first=tuesday,
            last=tuesday,
            mask=1 << 9,
            reason="i",
        ),
        PlanCb(act="y", pupil=world.people["petya"], first=tuesday, last=tuesday, reason="u"),
    ]
    for action in forged:
        press = await forge_press(mother, menu, action.pack())
        answer = await press.wait_answered()
        assert answer is not None and answer.get("text"), action
    assert await _plans(bot.journal) == []

    # Сидоров's warning cannot be withdrawn by her.
    await _open_single(sidorov)
    await sidorov.press_and_wait("Завтра")
    await sidorov.press_and_wait("Другая уважительная причина")
    await sidorov.press_and_wait("✅ Подтвердить")
    [plan] = await _plans(bot.journal)
    press = await forge_press(
        mother, menu, PlanCb(act="x", pupil=plan.pupil_id, plan=plan.id).pack()
    )
    answer = await press.wait_answered()
    assert answer is not None and answer.get("text")
    assert (await _plans(bot.journal))[0].withdrawn_at is None


async def _open_single(parent: FakeUser) -> None:
    """A parent of one child goes straight to the days."""
    await parent.send("/menu")
    await parent.wait_reply()
    days = await parent.press_and_wait("🗓 Предупредить об отсутствии")
    assert "когда ребёнок не придёт" in (days.text or "")


# --- MAX -------------------------------------------------------------------------------------


@pytest_asyncio.fixture
async def max_bot(journal: Journal, world: World) -> AsyncIterator[MaxHarness]:
    async with running_max_bot(journal) as harness:
        yield harness


async def test_a_parent_on_max_warns_and_the_roll_call_shows_it(
    max_bot: MaxHarness, world: World, clock: ManualClock
) -> None:
    parent = await max_bot.bound_user(
        world.staff("math"), world.people["sidorov"], BindingRole.PARENT
    )
    # A person takes a moment between taps: the fake's 30 requests a second (maxapi asks
    # for the chat on every update) start afresh at each pause.
    pause = max_bot.fake.reset_stats
    pause()
    await parent.send("/menu")
    await parent.wait_reply()
    await parent.press_and_wait("🗓 Предупредить об отсутствии")
    await parent.press_and_wait("📅 Несколько дней…")
    await parent.press_and_wait("вт 24.11")
    pause()
    await parent.press_and_wait("чт 26.11")
    await parent.press_and_wait("🤒 Болезнь")
    saved = await parent.press_and_wait("✅ Подтвердить")
    assert "с вт 24.11 по чт 26.11" in (saved.text or "")
    assert len(await _suggestions(max_bot.journal)) == 3  # a suggested reason a school day

    pause()
    teacher = await max_bot.bound_user(
        world.staff("admin"), world.people["math"], BindingRole.STAFF
    )
    at(clock, MONDAY + timedelta(days=2), 8, 35)
    await teacher.send("/today")
    await teacher.wait_reply()
    card = await teacher.press_and_wait(lambda b: "5А Математика" in b["text"])
    assert "📨 Сидоров Н." in card.button_texts


async def test_the_longest_comment_is_taken_a_longer_one_refused_and_a_left_prompt_takes_none(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    mother = await _mother(bot, world)
    await _open(mother, "Иванов Пётр")
    await mother.press_and_wait("Завтра")
    await mother.press_and_wait("🤒 Болезнь")
    refused = await mother.send_and_wait("ы" * 501)
    assert "500" in (refused.text or "")  # too long: said so, typed again
    longest = "ю" * 500
    summary = await mother.send_and_wait(longest)
    assert longest in (summary.text or "")
    await mother.press_and_wait("✅ Подтвердить", message=summary)
    [plan] = await _plans(bot.journal)
    assert plan.note == longest

    # The same days again, with another category: refused while the first stands.
    await _open(mother, "Иванов Пётр")
    await mother.press_and_wait("Завтра")
    await mother.press_and_wait("Другая уважительная причина")
    press = await mother.press("✅ Подтвердить")
    answer = await press.wait_answered()
    assert answer is not None and "уже есть предупреждение" in (answer.get("text") or "")
    assert len(await _plans(bot.journal)) == 1

    # A summary left for the menu: what is typed next is no comment.
    await _open(mother, "Иванова Дарья")
    await mother.press_and_wait("Завтра")
    await mother.press_and_wait("🤒 Болезнь")
    await mother.send("/menu")
    await mother.wait_reply()
    reply = await mother.send_and_wait("температура 38")
    assert "температура" not in (reply.text or "")
    assert len(await _plans(bot.journal)) == 1
