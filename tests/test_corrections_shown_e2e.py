"""End to end: a mark changed or removed is shown openly to the family (R9). The parent's
and the pupil's marks screen says «исправлено 23.11: 3 → 4» (with «с разрешения завуча»
when the deputy approved it after the deadline, R7) and «удалено 23.11: 3»; the next
digest mentions it once. A mark entered and re-tapped within the same minute is no
correction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, datetime, time, timedelta

import pytest_asyncio
from sqlalchemy import select

from bot.screens.family import correction_words
from core import corrections, marks
from core.clock import ManualClock
from core.journal import Journal
from core.marks.history import Approver, Correction
from core.models import BindingRole, Guardianship, Mark, NotificationPrefs
from fakegram.users import FakeUser
from notifications.scheduler import NotificationJobs
from tests.botkit import Harness
from tests.maxkit import MaxHarness, running_max_bot
from tests.test_marks_e2e import give_petya_a_three, open_math
from tests.test_notifications import TUESDAY, WEDNESDAY, at, bind, lesson_of, outbox
from tests.world import MONDAY, World
from texts import Texts


@pytest_asyncio.fixture
async def max_bot(journal: Journal, world: World) -> AsyncIterator[MaxHarness]:
    async with running_max_bot(journal) as harness:
        yield harness


async def mothers_marks(bot: Harness, world: World) -> str:
    mother = await bot.bound_user(world.staff("math"), world.people["mother"], BindingRole.PARENT)
    return await marks_screen(mother)


async def marks_screen(user: FakeUser) -> str:
    await user.send("/marks")
    return (await user.wait_reply()).text or ""


async def digest_texts(bot: Harness) -> list[str]:
    """The digests built so far, oldest first (one a day for the one parent bound)."""
    await NotificationJobs(bot.journal).digests()
    return [row["text"] for row in await outbox(bot.journal, "digest")]


async def test_r9_teacher_sets_3_then_4_and_the_parent_and_the_pupil_see_the_correction(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    teacher = await open_math(bot, world)
    await give_petya_a_three(teacher)
    clock.advance(timedelta(minutes=20))
    await teacher.press_and_wait("→ 4")

    seen = await mothers_marks(bot, world)
    assert "Математика: 4 —" in seen
    assert "✏️ исправлено 23.11: 3 → 4" in seen
    assert "завуча" not in seen  # the teacher, within the deadline
    petya = await bot.bound_user(world.staff("math"), world.people["petya"], BindingRole.PUPIL)
    assert "✏️ исправлено 23.11: 3 → 4" in await marks_screen(petya)

    at(clock, MONDAY, 20, 0)
    [evening] = await digest_texts(bot)
    assert "Математика: исправлено 23.11: 3 → 4" in evening
    assert "Математика: <b>4</b> (Ответ на уроке)" in evening  # the mark itself, as it is now
    at(clock, TUESDAY, 20, 0)
    assert await digest_texts(bot) == [evening]  # nothing new: no digest, no second mention


async def test_r9_the_deputy_approves_after_the_deadline_and_the_next_digest_says_so_once(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    teacher = await open_math(bot, world)
    deputy = await bot.bound_user(world.staff("admin"), world.people["deputy"], BindingRole.STAFF)
    mother = await bot.bound_user(world.staff("math"), world.people["mother"], BindingRole.PARENT)
    await give_petya_a_three(teacher)
    at(clock, MONDAY, 20, 0)
    [monday] = await digest_texts(bot)
    assert "<b>3</b>" in monday and "исправлено" not in monday

    at(clock, MONDAY, 20, 30)
    await teacher.press_and_wait("→ 5")
    await teacher.send("ошибка ввода, в тетради 5")
    await teacher.wait_reply()
    assert "исправлено" not in await marks_screen(mother)  # waiting for the deputy
    request = await deputy.wait_reply()
    await deputy.press_and_wait("✅ Подтвердить", message=request)

    seen = await marks_screen(mother)
    assert "✏️ исправлено 23.11: 3 → 5, с разрешения завуча" in seen
    at(clock, TUESDAY, 20, 0)
    tuesday = (await digest_texts(bot))[-1]
    assert "Дневник за вт 24.11" in tuesday
    assert "✏️ Математика: исправлено 23.11: 3 → 5, с разрешения завуча" in tuesday
    assert "<b>5</b>" not in tuesday  # a correction, not a new mark
    at(clock, WEDNESDAY, 20, 0)
    assert (await digest_texts(bot))[-1] == tuesday  # told once


async def test_r9_a_retap_within_the_same_minute_in_test_mode_is_no_correction(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    teacher = await open_math(bot, world)
    await teacher.press_and_wait("🧪 Контрольная")
    await teacher.press_and_wait("4")
    await teacher.press_and_wait("Иванов П.")
    await teacher.press_and_wait("5")
    clock.advance(timedelta(seconds=20))
    await teacher.press_and_wait("Иванов П. — 4")  # a slip, put right at once

    seen = await mothers_marks(bot, world)
    assert "Математика: 5 —" in seen and "исправлено" not in seen
    at(clock, MONDAY, 20, 0)
    [evening] = await digest_texts(bot)
    assert "Математика: <b>5</b> (Контрольная работа)" in evening
    assert "исправлено" not in evening


async def test_r9_a_removed_mark_is_shown_removed_under_its_subject(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    teacher = await open_math(bot, world)
    await give_petya_a_three(teacher)
    clock.advance(timedelta(minutes=5))
    await teacher.press_and_wait("✖ убрать 3 (Ответ на уроке)")

    seen = await mothers_marks(bot, world)
    assert "Математика: — —" in seen  # no marks left, the subject stays
    assert "✏️ удалено 23.11: 3" in seen
    at(clock, MONDAY, 20, 0)
    [evening] = await digest_texts(bot)
    assert "✏️ Математика: удалено 23.11: 3" in evening


async def petyas_marks_on_monday(bot: Harness, world: World, values: list[int]) -> list[int]:
    lesson = await lesson_of(bot.journal, world, "math", MONDAY, 1)
    for value in values:
        await marks.add_mark(
            bot.journal, world.staff("math"), lesson, world.people["petya"], value, "answer"
        )
    async with bot.journal.transaction() as s:
        return list(await s.scalars(select(Mark.id).order_by(Mark.id)))


async def test_r9_a_mark_changed_3_4_5_shows_the_net_change_and_changed_back_shows_nothing(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    first, second = await petyas_marks_on_monday(bot, world, [3, 3])
    math = world.staff("math")
    clock.advance(timedelta(minutes=10))
    for mark_id, value in ((first, 4), (second, 4), (first, 5), (second, 3)):
        await marks.change_mark(bot.journal, math, mark_id, value)
        clock.advance(timedelta(minutes=10))

    seen = await mothers_marks(bot, world)
    assert "Математика: 5 3 —" in seen
    corrections = [line for line in seen.splitlines() if "✏️" in line]
    assert corrections == ["  ✏️ исправлено 23.11: 3 → 5"]


async def test_r9_many_corrections_show_the_newest_three_and_how_many_more(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    ids = await petyas_marks_on_monday(bot, world, [2, 2, 2, 2, 2, 2, 2])
    clock.advance(timedelta(minutes=10))
    for n, mark_id in enumerate(ids):
        await marks.change_mark(bot.journal, world.staff("math"), mark_id, 3 + n % 3)
        clock.advance(timedelta(minutes=1))

    seen = await mothers_marks(bot, world)
    corrections = [line for line in seen.splitlines() if "✏️" in line]
    assert corrections == [
        "  ✏️ исправлено 23.11: 2 → 3",  # the newest first
        "  ✏️ исправлено 23.11: 2 → 5",
        "  ✏️ исправлено 23.11: 2 → 4",
    ]
    assert "  и ещё 4" in seen.splitlines()


async def test_r9_a_mark_of_an_earlier_lesson_corrected_later_names_its_lesson(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    [mark_id] = await petyas_marks_on_monday(bot, world, [2])
    at(clock, TUESDAY, 10, 0)  # past Monday's deadline: a request, approved by the director
    director = world.staff("director")
    await marks.change_mark(bot.journal, world.staff("math"), mark_id, 4, reason="пересдача")
    [request] = await corrections.pending(bot.journal, director)
    await corrections.decide(bot.journal, director, request.id, approve=True)

    seen = await mothers_marks(bot, world)
    assert "✏️ исправлено 24.11: 2 → 4, с разрешения директора (за урок 23.11)" in seen


async def test_r9_a_mother_of_three_sees_the_correction_only_on_the_child_it_was_for(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    [mark_id] = await petyas_marks_on_monday(bot, world, [3])
    clock.advance(timedelta(minutes=10))
    await marks.change_mark(bot.journal, world.staff("math"), mark_id, 4)
    mother = await bot.bound_user(world.staff("math"), world.people["mother"], BindingRole.PARENT)
    assert "✏️ исправлено 23.11: 3 → 4" in await marks_screen(mother)
    masha = await mother.press_and_wait("Мария")
    assert "Иванова Мария Алексеевна" in (masha.text or "")
    assert "исправлено" not in (masha.text or "")
    dasha = await mother.press_and_wait("Дарья")  # 1А: no marks at all (R12)
    assert "исправлено" not in (dasha.text or "")


async def test_r9_a_parent_in_max_sees_the_correction_too(
    max_bot: MaxHarness, world: World, clock: ManualClock
) -> None:
    lesson = await lesson_of(max_bot.journal, world, "math", MONDAY, 1)
    math = world.staff("math")
    await marks.add_mark(max_bot.journal, math, lesson, world.people["petya"], 3, "answer")
    async with max_bot.journal.transaction() as s:
        mark_id = await s.scalar(select(Mark.id))
    assert mark_id is not None
    clock.advance(timedelta(minutes=10))
    await marks.change_mark(max_bot.journal, math, mark_id, None)
    parent = await max_bot.bound_user(
        world.staff("math"), world.people["mother"], BindingRole.PARENT
    )
    await parent.send("/marks")
    assert "✏️ удалено 23.11: 3" in ((await parent.wait_reply()).text or "")


def test_r9_the_words_in_english() -> None:
    tx = Texts("en")
    changed = Correction(
        pupil_id=1,
        mark_id=2,
        subject_id=3,
        subject="Maths",
        lesson_date=date(2026, 11, 20),
        day=date(2026, 11, 25),
        at=datetime(2026, 11, 25, 9, 0),
        old=3,
        new=4,
        approved_by=Approver.DEPUTY,
    )
    assert correction_words(tx, changed) == (
        "corrected 25.11: 3 → 4, approved by the deputy head (for the lesson of 20.11)"
    )
    removed = replace(changed, new=None, approved_by=None)
    assert correction_words(Texts("ru"), removed) == "удалено 25.11: 3 (за урок 20.11)"


async def test_r9_two_parents_told_at_different_hours_each_get_the_change_they_were_not_told(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    """The mother's digest came at 18:00 on Monday, the father's at 20:00; on Tuesday
    both come at 20:00, and each says what changed since their own."""
    [mark_id] = await petyas_marks_on_monday(bot, world, [3])
    journal, math, director = bot.journal, world.staff("math"), world.staff("director")
    async with journal.transaction() as s:
        s.add(Guardianship(guardian_id=world.people["sidorov"], pupil_id=world.people["petya"]))
    mother, father = (
        await bind(journal, world.people["mother"]),
        await bind(journal, world.people["sidorov"]),
    )
    async with journal.transaction() as s:
        s.add(NotificationPrefs(binding_id=mother, digest_time=time(18, 0)))
    jobs = NotificationJobs(journal)

    at(clock, MONDAY, 17, 0)
    await marks.change_mark(journal, math, mark_id, 4)
    at(clock, MONDAY, 18, 0)
    await jobs.digests()  # the mother: 3 → 4
    at(clock, MONDAY, 19, 0)
    await marks.change_mark(journal, math, mark_id, 5)
    at(clock, MONDAY, 20, 0)
    await jobs.digests()  # the father: 3 → 5
    async with journal.transaction() as s:
        prefs = await s.get(NotificationPrefs, mother)
        assert prefs is not None
        prefs.digest_time = None  # from Tuesday the mother's comes at the school's 20:00
    at(clock, TUESDAY, 10, 0)  # past Monday's deadline: the director approves it
    await marks.change_mark(journal, math, mark_id, 2, reason="списал")
    [request] = await corrections.pending(journal, director)
    await corrections.decide(journal, director, request.id, approve=True)
    at(clock, TUESDAY, 20, 0)
    await jobs.digests()

    told = {(r["binding_id"], r["key"][-5:]): r["text"] for r in await outbox(journal, "digest")}
    assert "исправлено 23.11: 3 → 4" in told[(mother, "11-23")]
    assert "исправлено 23.11: 3 → 5" in told[(father, "11-23")]
    assert "исправлено 24.11: 4 → 2, с разрешения директора" in told[(mother, "11-24")]
    assert "исправлено 24.11: 5 → 2, с разрешения директора" in told[(father, "11-24")]
