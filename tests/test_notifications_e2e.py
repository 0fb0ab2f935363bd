"""End to end: notifications built by the jobs, delivered by the outbox sender through the
local Bot API fake, and the buttons under them pressed by people on their phones."""

from __future__ import annotations

from pydantic import SecretStr
from sqlalchemy import func, select

from bot.actions import UnreadCb
from bot.telegram.transport import build_bot
from core import digest, friday_round
from core.clock import ManualClock
from core.identity import UserRef
from core.models import (
    AbsenceReason,
    AbsenceSuggestion,
    Attendance,
    AuditEntry,
    BindingRole,
    Digest,
    Lesson,
)
from notifications.channels.telegram import TelegramChannel
from notifications.scheduler import NotificationJobs
from notifications.sender import Sender
from school_journal.app import App
from school_journal.service import background
from school_journal.settings import Settings
from tests.botkit import TOKEN, Harness, forge_press
from tests.test_notifications import (
    FRIDAY,
    TUESDAY,
    WEDNESDAY,
    absent,
    at,
    bind,
    school_day_for_5a,
    week_of_absences,
)
from tests.world import MONDAY, World


async def deliver(harness: Harness) -> int:
    """One pass of the outbox sender, as the running app would make."""
    client = build_bot(TOKEN, harness.fake.base_url)
    try:
        sender = Sender(
            harness.journal.sessions,
            TelegramChannel(client),
            harness.journal.clock,
            rate=1000.0,
            per_chat_interval=0.0,
            jitter=0.0,
        )
        return await sender.run_once()
    finally:
        await client.session.close()


async def test_r16_r17_parent_gets_the_digest_and_marks_it_read(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    parent = await bot.bound_user(world.staff("math"), world.people["mother"], BindingRole.PARENT)
    await school_day_for_5a(bot.journal, world)
    at(clock, MONDAY, 20, 0)
    assert await NotificationJobs(bot.journal).digests() == 1
    assert await deliver(bot) == 1

    digest = await parent.wait_reply()
    assert "Дневник за пн 23.11" in (digest.text or "")
    assert "Иванов Пётр" in (digest.text or "") and "Иванова Мария" in (digest.text or "")
    assert digest.button_texts == ["Прочитано ✓", "Указать причину пропуска"]

    press = await parent.press("Прочитано ✓", message=digest)
    answer = await press.wait_answered()
    assert "прочитана" in (answer.get("text") or "")
    await parent.wait_reply()  # the button shows it is done
    assert digest.button_texts == ["✅ Прочитано", "Указать причину пропуска"]
    async with bot.journal.transaction() as s:
        read_at = await s.scalar(select(Digest.read_at).where(Digest.day == MONDAY))
    assert read_at == clock.now()


async def test_r17_reading_the_digest_after_giving_the_reason_drops_the_reason_button(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    """The parent answers the digest's question first (the reason), then taps «Прочитано»:
    the digest's buttons are drawn again from the journal, so the question is not asked
    again (the old redraw kept the message's own buttons and asked it twice)."""
    parent = await bot.bound_user(world.staff("math"), world.people["mother"], BindingRole.PARENT)
    await school_day_for_5a(bot.journal, world)
    at(clock, MONDAY, 20, 0)
    await NotificationJobs(bot.journal).digests()
    await deliver(bot)
    digest = await parent.wait_reply()
    ask = await parent.press_and_wait("Указать причину пропуска", message=digest)
    await parent.press_and_wait("🤒 Болезнь", message=ask)

    await parent.press("Прочитано ✓", message=digest)
    await parent.wait_reply()
    assert digest.button_texts == ["✅ Прочитано"]
    await parent.press("✅ Прочитано", message=digest)  # a second tap: the same, no error
    assert digest.button_texts == ["✅ Прочитано"]


async def test_r6_parent_suggests_the_reason_with_a_comment_from_the_digest(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    parent = await bot.bound_user(world.staff("math"), world.people["mother"], BindingRole.PARENT)
    await school_day_for_5a(bot.journal, world)
    at(clock, MONDAY, 20, 0)
    await NotificationJobs(bot.journal).digests()
    await deliver(bot)
    digest = await parent.wait_reply()

    ask = await parent.press_and_wait("Указать причину пропуска", message=digest)
    assert "Иванов Пётр Алексеевич" in (ask.text or "") and "23.11.2026" in (ask.text or "")
    saved = await parent.press_and_wait("🤒 Болезнь", message=ask)
    assert "Передано классному руководителю" in (saved.text or "")
    await parent.send("Температура, справку принесём в среду")
    thanks = await parent.wait_reply()
    assert "Комментарий передан" in (thanks.text or "")

    async with bot.journal.transaction() as s:
        suggestion = (await s.execute(select(AbsenceSuggestion))).scalar_one()
        reasons = set(await s.scalars(select(Attendance.reason)))
    assert (suggestion.pupil_id, suggestion.day, suggestion.reason) == (
        world.people["petya"],
        MONDAY,
        "illness",
    )
    assert suggestion.note == "Температура, справку принесём в среду"
    assert reasons == {"unconfirmed"}  # a suggestion, not a confirmation


async def test_r6_class_teacher_confirms_illness_from_the_friday_round(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await week_of_absences(bot.journal, world, clock)
    at(clock, FRIDAY, 14, 0)
    assert await NotificationJobs(bot.journal).friday_round() == 1
    assert await deliver(bot) == 1

    round_ = await teacher.wait_reply()
    assert "Причины пропусков: 5А" in (round_.text or "")
    assert "Иванова С.: болезнь (справка) — «температура»" in (round_.text or "")
    press = await teacher.press("болезнь (справка)", message=round_)  # Пётр, Tuesday
    answer = await press.wait_answered()
    assert "Причина записана (2 ур.)" in (answer.get("text") or "")
    await teacher.wait_reply()
    assert "✓ 1. Иванов П. 24.11 — болезнь (справка)" in round_.button_texts
    assert round_.button_texts.count("болезнь (справка)") == 1  # Коля's entry is left

    async with bot.journal.transaction() as s:
        rows = (
            await s.execute(
                select(Attendance.reason, Attendance.reason_confirmed_by)
                .join(Lesson, Lesson.id == Attendance.lesson_id)
                .where(Attendance.pupil_id == world.people["petya"], Lesson.date == TUESDAY)
            )
        ).all()
        audited = list(
            await s.scalars(
                select(AuditEntry.actor_id).where(AuditEntry.action == "attendance.reason")
            )
        )
    assert rows == [("illness", world.people["math"])] * 2
    assert audited == [world.people["math"]] * 2


async def test_r6_a_tap_on_the_round_redraws_it_from_the_journal(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    """The class teacher records Коля's Wednesday from her week screen after the round
    came, then taps Пётр's reason on the round: the round shows both days done and
    nothing left, not the buttons it was sent with (the old redraw kept Коля's)."""
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await week_of_absences(bot.journal, world, clock)
    at(clock, FRIDAY, 14, 0)
    await NotificationJobs(bot.journal).friday_round()
    await deliver(bot)
    round_ = await teacher.wait_reply()
    assert "Без подтверждённой причины: 2." in (round_.text or "")
    await friday_round.confirm_reason(
        bot.journal, world.staff("math"), world.people["kolya"], WEDNESDAY, AbsenceReason.UNEXCUSED
    )

    await teacher.press("болезнь (справка)", message=round_)  # Пётр, Tuesday
    await teacher.wait_reply()
    assert round_.button_texts == [
        "✓ 1. Иванов П. 24.11 — болезнь (справка)",
        "✓ 2. Сидоров Н. 25.11 — неуважительная",
    ]
    assert "Без подтверждённой причины: 0." in (round_.text or "")


async def test_r17_class_teacher_opens_the_list_of_parents_who_have_not_read(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    mother = await bind(bot.journal, world.people["mother"])
    await bind(bot.journal, world.people["sidorov"])
    await school_day_for_5a(bot.journal, world)
    at(clock, MONDAY, 20, 0)
    assert await NotificationJobs(bot.journal).digests() == 2
    await digest.mark_digest_read(
        bot.journal, UserRef.telegram(700_000 + world.people["mother"]), mother, MONDAY
    )

    await teacher.send("/menu")
    menu = await teacher.wait_reply()
    # The class teacher's screen links here (the lead wires the button): UnreadCb(cls=…).
    await forge_press(teacher, menu, UnreadCb(cls=world.classes["5А"]).pack())
    screen = await teacher.wait_reply()
    assert "Не прочитали сводки: 5А, 23.11–29.11" in (screen.text or "")
    assert "Сидоров Андрей Петрович (Николай): прочитано 0 из 1" in (screen.text or "")
    assert "Иванова Светлана" not in (screen.text or "")


async def test_r16_the_running_app_builds_and_delivers_the_digest_by_itself(
    bot: Harness, world: World, clock: ManualClock, db_url: str
) -> None:
    """What ``journal run`` starts beside the bot (school_journal.service.background): the
    scheduler's start-up sweep builds the day's digests, the outbox sender delivers them."""
    parent = await bot.bound_user(world.staff("math"), world.people["mother"], BindingRole.PARENT)
    await school_day_for_5a(bot.journal, world)
    at(clock, MONDAY, 21, 30)  # the app was down at 20:00 and comes up at 21:30
    settings = Settings(
        _env_file=None,
        bot_token=SecretStr(TOKEN),
        telegram_api_base=bot.fake.base_url,
        database_url=db_url,
        send_rate=1000,
        send_per_chat_interval=0,
        send_idle_poll=0.05,
    )
    app = App(settings=settings, engine=None, journal=bot.journal, database_url=db_url)  # type: ignore[arg-type]  # App without an engine: the test has its journal
    client = build_bot(TOKEN, bot.fake.base_url)
    try:
        async with background(app, client):
            digest = await parent.wait_reply(timeout=10)
    finally:
        await client.session.close()
    assert "Дневник за пн 23.11" in (digest.text or "")
    async with bot.journal.transaction() as s:
        sent = await s.scalar(select(func.count()).select_from(Digest).where(Digest.day == MONDAY))
    assert sent == 1


async def test_parents_digest_says_reason_given_awaiting_confirmation(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    """Issue 9.5: a parent who gave the reason from the morning alert is not told in the
    evening that the reason is unconfirmed, nor asked for it again."""
    parent = await bot.bound_user(world.staff("math"), world.people["mother"], BindingRole.PARENT)
    await school_day_for_5a(bot.journal, world)
    at(clock, MONDAY, 9, 0)
    assert await NotificationJobs(bot.journal).absence_alerts() >= 1
    await deliver(bot)
    alert = await parent.wait_reply()
    ask = await parent.press_and_wait("Указать причину пропуска", message=alert)
    await parent.press_and_wait("🤒 Болезнь", message=ask)
    await parent.press_and_wait("Без комментария")

    at(clock, MONDAY, 20, 0)
    assert await NotificationJobs(bot.journal).digests() == 1
    await deliver(bot)
    digest = await parent.wait_reply()
    assert "указана вами, ждёт подтверждения" in (digest.text or "")
    assert "причина не подтверждена" not in (digest.text or "")
    assert digest.button_texts == ["Прочитано ✓"]


async def _parent_gives_illness(bot: Harness, world: World, clock: ManualClock) -> tuple:
    """The class teacher and a parent are in the bot; Пётр misses Monday's lessons and his
    mother gives «Болезнь» from the morning alert."""
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    parent = await bot.bound_user(world.staff("math"), world.people["mother"], BindingRole.PARENT)
    await school_day_for_5a(bot.journal, world)
    at(clock, MONDAY, 9, 0)
    assert await NotificationJobs(bot.journal).absence_alerts() >= 1
    await deliver(bot)
    alert = await parent.wait_reply()
    ask = await parent.press_and_wait("Указать причину пропуска", message=alert)
    # Issue 9: the question read «не был(а)»; it is worded for a boy and a girl alike.
    assert "пропуск уроков 23.11.2026" in (ask.text or "")
    assert "(а)" not in (ask.text or "")
    await parent.press_and_wait("🤒 Болезнь", message=ask)
    return teacher, parent


async def test_parent_reason_reaches_the_class_teacher_at_once_and_confirm_tells_the_parent(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    """Issue 9.5: «Передано классному руководителю» is true at once, not on Friday."""
    teacher, parent = await _parent_gives_illness(bot, world, clock)
    assert await deliver(bot) == 1  # through the outbox, at once
    news = await teacher.wait_reply()
    assert "сообщает причину пропуска" in (news.text or "")
    assert "Иванов Пётр" in (news.text or "") and "23.11.2026" in (news.text or "")
    assert "Болезнь" in (news.text or "")
    assert "✖ Отклонить" in news.button_texts
    await parent.send("Температура, справку принесём в среду")
    await parent.wait_reply()
    assert await deliver(bot) == 1
    comment = await teacher.wait_reply()
    assert "Температура, справку принесём в среду" in (comment.text or "")
    await teacher.send("/menu")
    await teacher.wait_reply()
    await teacher.press_and_wait("👥 Мой класс 5А")
    week = await teacher.press_and_wait("🚫 Пропуски за неделю")
    assert "Иванова Светлана" in (week.text or "") and "болезнь (справка)" in (week.text or "")

    press = await teacher.press("болезнь (справка)", message=news)
    answer = await press.wait_answered()
    assert "Причина записана" in (answer.get("text") or "")
    await teacher.wait_reply()  # the buttons show it is done
    assert await deliver(bot) == 1
    told = await parent.wait_reply()
    assert "подтвердил причину пропуска" in (told.text or "")
    assert "болезнь (справка)" in (told.text or "")
    assert "✖ Отклонить" not in news.button_texts
    async with bot.journal.transaction() as s:
        reasons = set(
            await s.scalars(
                select(Attendance.reason).where(
                    Attendance.pupil_id == world.people["petya"], Attendance.status == "absent"
                )
            )
        )
    assert reasons == {"illness"}


async def test_class_teacher_rejects_a_parent_reason_with_an_explanation(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    teacher, parent = await _parent_gives_illness(bot, world, clock)
    await parent.press_and_wait("Без комментария")
    await deliver(bot)
    news = await teacher.wait_reply()
    ask = await teacher.press_and_wait("✖ Отклонить", message=news)
    assert "почему причина не принята" in (ask.text or "")
    await teacher.send("Пётр был на экскурсии без заявления")
    done = await teacher.wait_reply()
    assert "Причина отклонена" in (done.text or "")
    assert await deliver(bot) == 1
    told = await parent.wait_reply()
    assert "не принял причину пропуска" in (told.text or "")
    assert "Пётр был на экскурсии без заявления" in (told.text or "")

    async with bot.journal.transaction() as s:
        left = await s.scalar(select(func.count()).select_from(AbsenceSuggestion))
        reasons = set(await s.scalars(select(Attendance.reason)))
    assert left == 0  # the parent may give another reason
    assert reasons == {"unconfirmed"}


async def test_the_parents_alert_is_updated_when_the_pupil_misses_more_lessons_that_morning(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    """Issue 9: the instant alert said «1 (Математика)»; Пётр misses English too, and the
    parent's latest message says so rather than a stale count."""
    parent = await bot.bound_user(world.staff("math"), world.people["mother"], BindingRole.PARENT)
    at(clock, MONDAY, 8, 40)
    await absent(bot.journal, world, "math", MONDAY, 1, "petya")
    assert await NotificationJobs(bot.journal).absence_alerts() == 1
    await deliver(bot)
    first = await parent.wait_reply()
    assert "1 (Математика)" in (first.text or "")
    at(clock, MONDAY, 9, 30)
    await absent(bot.journal, world, "english", MONDAY, 2, "petya")
    assert await NotificationJobs(bot.journal).absence_alerts() == 1
    await deliver(bot)
    update = await parent.wait_reply()
    assert "1 (Математика), 2 (Английский язык)" in (update.text or "")
    assert update.button_texts == ["Указать причину пропуска"]


async def test_the_rounds_header_counts_down_as_the_class_teacher_confirms_and_explains_its_numbers(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    """Issue 9: the header kept «Без подтверждённой причины: 2» after taps, and an entry read
    «уроков 1 (2)» with nothing to say the 2 is the lesson's number."""
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await week_of_absences(bot.journal, world, clock)
    at(clock, FRIDAY, 14, 0)
    assert await NotificationJobs(bot.journal).friday_round() == 1
    await deliver(bot)
    round_ = await teacher.wait_reply()
    assert "Без подтверждённой причины: 2." in (round_.text or "")
    assert "Сидоров Николай, ср 25.11: пропущено уроков: 1 (№ 2 по расписанию)" in (
        round_.text or ""
    )
    press = await teacher.press("болезнь (справка)", message=round_)
    await press.wait_answered()
    await teacher.wait_reply()
    assert "Без подтверждённой причины: 1." in (round_.text or "")
    press = await teacher.press("неуважительная", message=round_)
    await press.wait_answered()
    await teacher.wait_reply()
    assert "Без подтверждённой причины: 0." in (round_.text or "")
    assert "✓ 2. Сидоров Н. 25.11 — неуважительная" in round_.button_texts


async def test_a_reason_confirmed_from_the_week_view_tells_the_parent_too(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    teacher, parent = await _parent_gives_illness(bot, world, clock)
    await parent.press_and_wait("Без комментария")
    await deliver(bot)
    await teacher.wait_reply()
    await teacher.send("/menu")
    await teacher.wait_reply()
    await teacher.press_and_wait("👥 Мой класс 5А")
    week = await teacher.press_and_wait("🚫 Пропуски за неделю")
    await teacher.press_and_wait("заявление родителей", message=week)
    assert await deliver(bot) == 1
    told = await parent.wait_reply()
    assert "подтвердил причину пропуска" in (told.text or "")
    assert "заявление родителей" in (told.text or "")
