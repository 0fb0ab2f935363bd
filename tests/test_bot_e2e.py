"""End to end: people use the real bot through the local Bot API, as on their phones."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from bot.actions import TapCb
from core import invitations, lessons
from core.clock import ManualClock
from core.identity import UserRef
from core.journal import Journal
from core.models import Attendance, BindingRole, Mark, Presence
from tests.botkit import Harness, forge_press
from tests.conftest import MOSCOW
from tests.world import MONDAY, World


async def statuses(journal: Journal, lesson_id: int) -> dict[int, str]:
    async with journal.transaction() as s:
        rows = await s.execute(
            select(Attendance.pupil_id, Attendance.status).where(Attendance.lesson_id == lesson_id)
        )
        return dict(rows.all())


async def test_r2_parent_binds_with_code_consents_and_sees_only_own_child(
    bot: Harness, world: World
) -> None:
    parent = bot.user("Андрей", "Сидоров")
    issued = await invitations.issue(
        bot.journal, world.staff("math"), world.people["sidorov"], BindingRole.PARENT
    )
    await parent.open_deep_link(issued.code)
    bound = await parent.wait_reply()
    assert "Сидоров Андрей Петрович" in (bound.text or "")
    consent = await parent.wait_reply()
    assert "согласие" in (consent.text or "")
    await parent.press("✅ Даю согласие")
    await bot.settle(parent)
    await parent.send("/marks")
    marks = await parent.wait_reply()
    assert "Сидоров Николай Андреевич" in (marks.text or "")
    assert "Иванов" not in (marks.text or "")


async def test_r2_a_parent_types_the_code_from_the_paper_card_in_lower_case_with_spaces(
    bot: Harness, world: World
) -> None:
    issued = await invitations.issue(
        bot.journal, world.staff("math"), world.people["sidorov"], BindingRole.PARENT
    )
    printed = invitations.grouped(issued.code)  # as on the card: ABCD-EFGH-…
    typed = "  " + " ".join(printed.lower().split("-")) + " "
    parent = bot.user("Андрей", "Сидоров")
    await parent.send(typed)
    bound = await parent.wait_reply()
    assert "Сидоров Андрей Петрович" in (bound.text or "")
    await parent.wait_reply()  # the consent question follows


async def test_r19_parent_sees_nothing_before_consent(bot: Harness, world: World) -> None:
    parent = await bot.bound_user(
        world.staff("math"), world.people["sidorov"], BindingRole.PARENT, consent=False
    )
    await parent.send("/marks")
    reply = await parent.wait_reply()
    assert "согласие" in (reply.text or "")
    assert "Сидоров Николай" not in (reply.text or "")


async def test_r2_expired_code_is_refused_with_what_to_do(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    issued = await invitations.issue(
        bot.journal, world.staff("admin"), world.people["math"], BindingRole.STAFF
    )
    clock.advance(timedelta(days=15))
    user = bot.user()
    await user.open_deep_link(issued.code)
    reply = await user.wait_reply()
    assert "Срок действия кода истёк" in (reply.text or "")
    assert await invitations.bindings_of(bot.journal, UserRef.telegram(user.id)) == []


async def test_r4_teacher_takes_roll_call_in_four_taps(bot: Harness, world: World) -> None:
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await teacher.send("/today")
    day = await teacher.wait_reply()
    assert "5А Математика" in " ".join(day.button_texts)
    teacher.reset_counters()

    card = await teacher.press_and_wait(lambda b: "5А Математика" in b.text)
    assert "▫️ Иванов П." in card.button_texts  # not taken yet, distinct from present
    await teacher.press_and_wait("▫️ Иванов П.")
    await teacher.press_and_wait("▫️ Сидоров Н.")
    final = await teacher.press_and_wait("✅ Остальные присутствуют")

    assert teacher.taps == 4
    assert "❌ Иванов П." in final.button_texts and "✅ Иванова М." in final.button_texts
    assert final.edits >= 3  # one message, edited in place
    [lesson] = await lessons.teacher_day(bot.journal, world.staff("math"), MONDAY)
    assert await statuses(bot.journal, lesson.id) == {
        world.people["petya"]: "absent",
        world.people["kolya"]: "absent",
        world.people["masha"]: "present",
    }


async def test_teacher_marks_a_class_test_in_bulk_mode(bot: Harness, world: World) -> None:
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await teacher.send("/today")
    await teacher.wait_reply()
    await teacher.press_and_wait(lambda b: "5А Математика" in b.text)
    screen = await teacher.press_and_wait("🧪 Контрольная")
    assert "Контрольная работа" in (screen.text or "")
    await teacher.press_and_wait("4")
    await teacher.press_and_wait("Иванов П.")
    await teacher.press_and_wait("Иванова М.")
    await teacher.press_and_wait("5")
    last = await teacher.press_and_wait("Сидоров Н.")
    assert "Иванов П. — 4" in last.button_texts and "Сидоров Н. — 5" in last.button_texts
    async with bot.journal.transaction() as s:
        values = dict((await s.execute(select(Mark.pupil_id, Mark.value))).all())
    assert values == {world.people["petya"]: 4, world.people["masha"]: 4, world.people["kolya"]: 5}


async def test_r1_forged_callback_for_another_teachers_lesson_is_refused(
    bot: Harness, world: World
) -> None:
    english = await bot.bound_user(world.staff("admin"), world.people["english"], BindingRole.STAFF)
    [math_lesson] = await lessons.teacher_day(bot.journal, world.staff("math"), MONDAY)
    await english.send("/today")
    screen = await english.wait_reply()
    forged = TapCb(lesson=math_lesson.id, pupil=world.people["petya"]).pack()
    press = await forge_press(english, screen, forged)
    answer = await press.wait_answered()
    assert answer is not None and "не ваш урок" in (answer.get("text") or "")
    assert await statuses(bot.journal, math_lesson.id) == {}


async def test_r7_correction_after_20_goes_to_deputy_and_teacher_learns_outcome(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    deputy = await bot.bound_user(world.staff("admin"), world.people["deputy"], BindingRole.STAFF)
    await teacher.send("/today")
    await teacher.wait_reply()
    await teacher.press_and_wait(lambda b: "5А Математика" in b.text)
    await teacher.press_and_wait("▫️ Иванов П.")  # absent, at 10:00
    await teacher.press_and_wait("✅ Остальные присутствуют")

    clock.set(datetime(2026, 11, 23, 20, 30, tzinfo=MOSCOW))
    press = await teacher.press("❌ Иванов П.")
    answer = await press.wait_answered()
    assert answer is not None and "завуча" in (answer.get("text") or "")
    [lesson] = await lessons.teacher_day(bot.journal, world.staff("math"), MONDAY)
    assert (await statuses(bot.journal, lesson.id))[world.people["petya"]] == "absent"

    request = await deputy.wait_reply()
    assert "Иванов Пётр Алексеевич" in (request.text or "") and "Н → опоздал" in (
        request.text or ""
    )
    await deputy.press_and_wait("✅ Подтвердить", message=request)
    told = await teacher.wait_reply(predicate=lambda m: "Завуч подтвердил" in (m.text or ""))
    assert "Иванов Пётр" in (told.text or "")
    assert (await statuses(bot.journal, lesson.id))[world.people["petya"]] == Presence.LATE.value


async def test_pupil_only_views_and_cannot_open_teacher_screens(bot: Harness, world: World) -> None:
    pupil = await bot.bound_user(world.staff("math"), world.people["petya"], BindingRole.PUPIL)
    await pupil.send("/today")
    reply = await pupil.wait_reply()
    assert "Не понял" in (reply.text or "")
    await pupil.send("/homework")
    homework = await pupil.wait_reply()
    assert "Иванов Пётр Алексеевич" in (homework.text or "")
    async with bot.journal.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Attendance)) == 0
