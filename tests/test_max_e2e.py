"""The journal in MAX (issue 12): the same flows as in Telegram through the MAX adapter and
the local fake of the MAX Bot API."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest_asyncio
from openpyxl import load_workbook
from sqlalchemy import select

from core import attendance, invitations, lessons
from core.clock import ManualClock
from core.identity import UserRef
from core.journal import Journal
from core.models import AuditEntry, Binding, BindingRole, Digest, Mark, Period, Presence
from core.models.notifications import outbox_table
from fakegram import FakeUser
from fakemax import FakeMaxUser
from notifications.scheduler import NotificationJobs
from tests.botkit import Harness
from tests.maxkit import MaxHarness, running_max_bot
from tests.test_bot_admin_e2e import pupil_count, world_roster
from tests.test_bot_e2e import statuses
from tests.test_charts_e2e import give_petya_marks, png_size
from tests.test_notifications import FRIDAY, at, school_day_for_5a, week_of_absences
from tests.world import MONDAY, World


@pytest_asyncio.fixture
async def max_bot(journal: Journal, world: World) -> AsyncIterator[MaxHarness]:
    async with running_max_bot(journal) as harness:
        yield harness


async def test_r2_a_teacher_binds_in_max_from_the_deep_link(
    max_bot: MaxHarness, world: World
) -> None:
    issued = await invitations.issue(
        max_bot.journal, world.staff("admin"), world.people["math"], BindingRole.STAFF
    )
    teacher = max_bot.user("Анна", "Петрова")
    await teacher.start(issued.code)
    bound = await teacher.wait_reply()
    assert "Готово" in (bound.text or "")
    menu = await teacher.wait_reply()
    assert menu.button_texts  # the main menu, with buttons
    [binding] = await invitations.bindings_of(max_bot.journal, UserRef.max(teacher.id))
    assert binding.person_id == world.people["math"]
    assert await invitations.bindings_of(max_bot.journal, UserRef.telegram(teacher.id)) == []


async def test_r2_a_code_typed_into_max_binds_too(max_bot: MaxHarness, world: World) -> None:
    issued = await invitations.issue(
        max_bot.journal, world.staff("admin"), world.people["math"], BindingRole.STAFF
    )
    teacher = max_bot.user()
    await teacher.start()
    welcome = await teacher.wait_reply()
    assert "код" in (welcome.text or "").lower()
    await teacher.send(issued.code)
    assert "Готово" in ((await teacher.wait_reply()).text or "")


async def test_r4_teacher_takes_roll_call_in_max_in_four_taps(
    max_bot: MaxHarness, world: World
) -> None:
    teacher = await max_bot.bound_user(
        world.staff("admin"), world.people["math"], BindingRole.STAFF
    )
    await teacher.send("/today")
    day = await teacher.wait_reply()
    assert "5А Математика" in " ".join(day.button_texts)
    # Four taps: the lesson, two absent pupils, «the rest are present».

    card = await teacher.press_and_wait(lambda b: "5А Математика" in b["text"])
    assert "▫️ Иванов П." in card.button_texts
    await teacher.press_and_wait("▫️ Иванов П.")
    await teacher.press_and_wait("▫️ Сидоров Н.")
    final = await teacher.press_and_wait("✅ Остальные присутствуют")

    assert "❌ Иванов П." in final.button_texts and "✅ Иванова М." in final.button_texts
    assert final.mid == card.mid  # one message, redrawn in place
    [lesson] = await lessons.teacher_day(max_bot.journal, world.staff("math"), MONDAY)
    assert await statuses(max_bot.journal, lesson.id) == {
        world.people["petya"]: "absent",
        world.people["kolya"]: "absent",
        world.people["masha"]: "present",
    }


async def test_a_forged_button_in_max_is_refused(max_bot: MaxHarness, world: World) -> None:
    teacher = await max_bot.bound_user(
        world.staff("admin"), world.people["math"], BindingRole.STAFF
    )
    await teacher.send("/today")
    day = await teacher.wait_reply()
    pupil = world.people["petya"]
    # Another lesson's tap, forged into a button of the day's message.
    await teacher.press_forged(day, f"r:999999:{pupil}")
    answer = await teacher.wait_answered()
    assert answer.get("notification")  # refused, in words
    await teacher.press_forged(day, "r:not-a-number")  # no action at all: a stale button
    answer = await teacher.wait_answered()
    assert "больше не действует" in (answer.get("notification") or "")


async def test_r16_r17_a_parent_binds_in_max_and_gets_the_digest_there(
    max_bot: MaxHarness, world: World, clock: ManualClock
) -> None:
    parent = await max_bot.bound_user(
        world.staff("math"), world.people["mother"], BindingRole.PARENT
    )
    await school_day_for_5a(max_bot.journal, world)
    at(clock, MONDAY, 20, 0)
    assert await NotificationJobs(max_bot.journal).digests() == 1
    assert await max_bot.deliver() == 1

    digest = await parent.wait_reply()
    assert "Дневник за пн 23.11" in (digest.text or "")
    assert digest.button_texts == ["Прочитано ✓", "Указать причину пропуска"]
    ask = await parent.press_and_wait("Указать причину пропуска", message=digest)
    assert "Иванов Пётр Алексеевич" in (ask.text or "")
    await parent.press_and_wait("🤒 Болезнь", message=ask)

    await parent.press("Прочитано ✓", message=digest)
    answer = await parent.wait_answered()
    assert "прочитана" in (answer.get("notification") or "")
    await parent.wait_reply()
    assert digest.button_texts == ["✅ Прочитано"]  # the reason was given: not asked again
    async with max_bot.journal.transaction() as s:
        read_at = await s.scalar(select(Digest.read_at).where(Digest.day == MONDAY))
    assert read_at == clock.now()


async def test_r6_the_class_teacher_confirms_a_reason_from_the_friday_round_in_max(
    max_bot: MaxHarness, world: World, clock: ManualClock
) -> None:
    teacher = await max_bot.bound_user(
        world.staff("admin"), world.people["math"], BindingRole.STAFF
    )
    await week_of_absences(max_bot.journal, world, clock)
    at(clock, FRIDAY, 14, 0)
    assert await NotificationJobs(max_bot.journal).friday_round() == 1
    assert await max_bot.deliver() == 1
    round_ = await teacher.wait_reply()
    assert "Причины пропусков: 5А" in (round_.text or "")

    await teacher.press("болезнь (справка)", message=round_)  # Пётр, Tuesday
    answer = await teacher.wait_answered()
    assert "Причина записана (2 ур.)" in (answer.get("notification") or "")
    await teacher.wait_reply()
    assert "✓ 1. Иванов П. 24.11 — болезнь (справка)" in round_.button_texts
    assert "Без подтверждённой причины: 1." in (round_.text or "")


async def test_r11_a_teacher_gives_a_mark_in_max(max_bot: MaxHarness, world: World) -> None:
    teacher = await max_bot.bound_user(
        world.staff("admin"), world.people["math"], BindingRole.STAFF
    )
    await teacher.send("/today")
    await teacher.wait_reply()
    await teacher.press_and_wait(lambda b: "5А Математика" in b["text"])
    grid = await teacher.press_and_wait("📝 Отметки")
    assert "Иванов П." in grid.button_texts
    await teacher.press_and_wait("Иванов П.")
    marked = await teacher.press_and_wait("5")
    async with max_bot.journal.transaction() as s:
        values = list(
            await s.scalars(select(Mark.value).where(Mark.pupil_id == world.people["petya"]))
        )
    assert values == [5] and marked.text


async def test_r16_a_parent_on_both_messengers_keeps_the_digest_where_they_chose(
    bot: Harness, max_bot: MaxHarness, world: World, clock: ManualClock
) -> None:
    """The mother is bound in Telegram and in MAX; in Telegram she switches the digest
    off: the evening's digest comes in MAX only, once."""
    in_telegram = await bot.bound_user(
        world.staff("math"), world.people["mother"], BindingRole.PARENT
    )
    in_max = await max_bot.bound_user(
        world.staff("math"), world.people["mother"], BindingRole.PARENT
    )
    await in_telegram.send("/menu")
    await in_telegram.wait_reply()
    await in_telegram.press_and_wait("⚙️ Уведомления")
    off = await in_telegram.press_and_wait("🔔 Сводка за день: включена")
    assert "🔕 Сводка за день: выключена" in off.button_texts

    await school_day_for_5a(max_bot.journal, world)
    at(clock, MONDAY, 20, 0)
    assert await NotificationJobs(max_bot.journal).digests() == 1
    assert await max_bot.deliver() == 1
    digest = await in_max.wait_reply()
    assert "Дневник за пн 23.11" in (digest.text or "")
    async with max_bot.journal.transaction() as s:
        rows = (await s.execute(select(outbox_table.c.kind, outbox_table.c.channel))).all()
    assert sorted(tuple(r) for r in rows) == [
        ("digest", "max"),  # once, where she keeps it
        ("second_account", "telegram"),  # R3: her Telegram was told of the MAX account
    ]


async def test_r7_in_max_a_late_correction_goes_to_the_deputy_who_approves_it(
    max_bot: MaxHarness, world: World, clock: ManualClock
) -> None:
    teacher = await max_bot.bound_user(
        world.staff("admin"), world.people["math"], BindingRole.STAFF
    )
    deputy = await max_bot.bound_user(
        world.staff("admin"), world.people["deputy"], BindingRole.STAFF
    )
    await teacher.send("/today")
    await teacher.wait_reply()
    await teacher.press_and_wait(lambda b: "5А Математика" in b["text"])
    await teacher.press_and_wait("▫️ Иванов П.")  # absent, at 10:00
    await teacher.press_and_wait("✅ Остальные присутствуют")

    clock.set(datetime(2026, 11, 23, 20, 30, tzinfo=ZoneInfo("Europe/Moscow")))
    await teacher.press("❌ Иванов П.")
    answer = await teacher.wait_answered()
    assert "завуча" in (answer.get("notification") or "")
    request = await deputy.wait_reply()
    assert "Иванов Пётр Алексеевич" in (request.text or "") and "Н → опоздал" in (
        request.text or ""
    )
    await deputy.press_and_wait("✅ Подтвердить", message=request)
    told = await teacher.wait_reply()
    while "Завуч подтвердил" not in (told.text or ""):
        told = await teacher.wait_reply()
    [lesson] = await lessons.teacher_day(max_bot.journal, world.staff("math"), MONDAY)
    assert (await statuses(max_bot.journal, lesson.id))[world.people["petya"]] == "late"


async def test_a_pupil_in_max_sees_their_homework_and_no_teacher_screen(
    max_bot: MaxHarness, world: World
) -> None:
    pupil = await max_bot.bound_user(world.staff("math"), world.people["petya"], BindingRole.PUPIL)
    await pupil.send("/today")
    assert "Не понял" in ((await pupil.wait_reply()).text or "")
    await pupil.send("/homework")
    assert "Иванов Пётр Алексеевич" in ((await pupil.wait_reply()).text or "")


async def test_a_pupil_in_max_presses_the_chart_and_gets_a_1080_px_png(
    max_bot: MaxHarness, world: World, clock: ManualClock
) -> None:
    await give_petya_marks(max_bot.journal, world, clock)
    pupil = await max_bot.bound_user(world.staff("math"), world.people["petya"], BindingRole.PUPIL)
    await pupil.send("/marks")
    screen = await pupil.wait_reply()
    await pupil.press("📈 График", screen)
    sent = await pupil.wait_reply()
    while not sent.files:
        sent = await pupil.wait_reply()
    assert sent.files[0]["filename"] == "Отметки_Иванов_Пётр_Алексеевич_2026-11-23.png"
    assert "Отметки по предметам: Иванов Пётр Алексеевич, 5А" in (sent.text or "")
    assert png_size(sent.file_bytes())[0] == 1080


async def test_r2_the_admin_gets_the_staff_cards_in_max_with_both_bots_on_them(
    max_bot: MaxHarness, world: World
) -> None:
    admin = await max_bot.bound_user(
        world.staff("director"), world.people["admin"], BindingRole.STAFF
    )
    await admin.send("/menu")
    await admin.wait_reply()
    await admin.press("🔑 Коды сотрудников")
    reply = await admin.wait_reply()
    while not reply.files:
        reply = await admin.wait_reply()
    assert reply.files[0]["filename"] == "Коды_приглашения_сотрудники.pdf"
    links = await admin.wait_reply()  # then the links, to the MAX bot
    assert "https://max.ru/school_journal_bot?start=" in (links.text or "")


async def test_r21_the_admin_gets_a_report_in_max_as_an_xlsx_file(
    max_bot: MaxHarness, world: World
) -> None:
    """The workbook keeps its name and type in MAX (not the «docx» a guess would give)."""
    [lesson] = await lessons.teacher_day(max_bot.journal, world.staff("math"), MONDAY)
    await attendance.set_status(
        max_bot.journal, world.staff("math"), lesson.id, world.people["kolya"], Presence.ABSENT
    )
    admin = await max_bot.bound_user(
        world.staff("director"), world.people["admin"], BindingRole.STAFF
    )
    await admin.send("/menu")
    await admin.wait_reply()
    await admin.press_and_wait("📊 Отчёты")
    await admin.press_and_wait("Посещаемость за месяц")
    await admin.press("5А")
    report = await admin.wait_reply()
    while not report.files:
        report = await admin.wait_reply()
    assert report.files[0]["filename"] == "Посещаемость_5А_2026-11.xlsx"
    data = report.file_bytes()
    assert data is not None
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None and "Посещаемость класса 5А" in str(sheet["A1"].value)


async def test_roster_upload_in_max_ends_its_progress_message_with_the_summary(
    max_bot: MaxHarness, world: World
) -> None:
    admin = await max_bot.bound_user(
        world.staff("director"), world.people["admin"], BindingRole.STAFF
    )
    before = await pupil_count(max_bot.journal)
    progress = None
    await admin.send_file(world_roster(extra_pupil="Новикова Алиса Павловна"), "школа.xlsx")
    reply = await admin.wait_reply()
    while "загружен:" not in (reply.text or ""):
        progress = progress or reply
        reply = await admin.wait_reply()
    assert progress is None or progress.mid == reply.mid  # one message, edited to the result
    assert await pupil_count(max_bot.journal) == before + 1
    await admin.send_file(b"just some notes", "notes.txt")
    assert "не книга Excel" in ((await admin.wait_reply()).text or "")


async def _digest_channels(journal: Journal) -> list[str]:
    async with journal.transaction() as s:
        rows = await s.scalars(
            select(outbox_table.c.channel).where(outbox_table.c.kind == "digest")
        )
        return sorted(rows)


async def _mother_keeps_max_only(
    bot: Harness, max_bot: MaxHarness, world: World
) -> tuple[FakeUser, FakeMaxUser]:
    """The mother, bound in both, opens her settings in MAX: «Куда присылать» names both
    messengers; she switches Telegram off (and on, and off again: back and forth)."""
    in_telegram = await bot.bound_user(
        world.staff("math"), world.people["mother"], BindingRole.PARENT
    )
    in_max = await max_bot.bound_user(
        world.staff("math"), world.people["mother"], BindingRole.PARENT
    )
    await in_max.send("/menu")
    await in_max.wait_reply()
    prefs = await in_max.press_and_wait("⚙️ Уведомления")
    assert "Куда присылать" in (prefs.text or "")
    assert {"✅ Telegram", "✅ MAX (здесь)"} <= set(prefs.button_texts)
    only_max = await in_max.press_and_wait("✅ Telegram")
    assert {"⬜ Telegram", "✅ MAX (здесь)"} <= set(only_max.button_texts)
    again = await in_max.press_and_wait("⬜ Telegram")
    assert "✅ Telegram" in again.button_texts
    await in_max.press_and_wait("✅ Telegram")
    return in_telegram, in_max


async def test_r16_a_parent_on_both_chooses_where_notifications_go_on_one_screen(
    bot: Harness, max_bot: MaxHarness, world: World, clock: ManualClock
) -> None:
    """She keeps MAX only; she cannot switch off the last one; Telegram's screen shows her
    choice; the evening's digest comes in MAX alone."""
    in_telegram, in_max = await _mother_keeps_max_only(bot, max_bot, world)
    refused = await in_max.press("✅ MAX (здесь)")  # the last one
    assert "хотя бы в один" in ((await refused.wait_answered()).get("notification") or "")

    await in_telegram.send("/menu")
    await in_telegram.wait_reply()
    seen = await in_telegram.press_and_wait("⚙️ Уведомления")
    assert {"⬜ Telegram (здесь)", "✅ MAX"} <= set(seen.button_texts)

    await school_day_for_5a(max_bot.journal, world)
    at(clock, MONDAY, 20, 0)
    assert await NotificationJobs(max_bot.journal).digests() == 1
    assert await _digest_channels(max_bot.journal) == ["max"]
    assert await max_bot.deliver() >= 1
    assert "Дневник за пн 23.11" in ((await in_max.wait_reply()).text or "")


async def test_r16_a_parent_who_blocks_the_chosen_bot_gets_the_digest_on_the_other(
    bot: Harness, max_bot: MaxHarness, world: World, clock: ManualClock
) -> None:
    """She keeps MAX only, then blocks the MAX bot: the evening's digest goes to Telegram
    after all rather than nowhere."""
    _, in_max = await _mother_keeps_max_only(bot, max_bot, world)
    in_max.block_bot()  # MAX tells the bot: bot_stopped
    async with asyncio.timeout(10):
        while not await _unreachable(max_bot.journal, UserRef.max(in_max.id)):  # noqa: ASYNC110 (the bot writes it)
            await asyncio.sleep(0.05)
    await school_day_for_5a(max_bot.journal, world)
    at(clock, MONDAY, 20, 0)
    assert await NotificationJobs(max_bot.journal).digests() == 1
    assert await _digest_channels(max_bot.journal) == ["telegram"]


async def _unreachable(journal: Journal, user: UserRef) -> bool:
    async with journal.transaction() as s:
        since = await s.scalar(
            select(Binding.unreachable_at).where(
                Binding.messenger == user.messenger.value, Binding.user_id == user.id
            )
        )
    return since is not None


async def test_r10_in_max_the_admin_closes_a_period_and_the_director_reopens_it_with_a_reason(
    max_bot: MaxHarness, world: World
) -> None:
    """The director's main flow in MAX: a period the admin closed is reopened only by the
    director, with the order's number typed as the reason (the audit keeps it)."""
    q2 = world.periods["2 четверть"]
    admin = await max_bot.bound_user(world.staff("admin"), world.people["admin"], BindingRole.STAFF)
    await admin.send("/menu")
    await admin.wait_reply()
    await admin.press_and_wait("🔒 Учебные периоды")
    await admin.press_and_wait(lambda b: b["text"].startswith("🔓 2 четверть"))
    await admin.press_and_wait("🔒 Закрыть период")
    closed = await admin.press_and_wait("🔒 Да, закрыть досрочно")
    assert "закрыт" in (closed.text or "") and "🔓 Открыть период" not in closed.button_texts

    director = await max_bot.bound_user(
        world.staff("admin"), world.people["director"], BindingRole.STAFF
    )
    await director.send("/menu")
    await director.wait_reply()
    await director.press_and_wait("🔒 Учебные периоды")
    await director.press_and_wait(lambda b: b["text"].startswith("🔒 2 четверть"))
    ask = await director.press_and_wait("🔓 Открыть период")
    assert "основание" in (ask.text or "")
    await director.send("Приказ № 45 от 23.11.2026")
    assert "открыт" in ((await director.wait_reply()).text or "")
    async with max_bot.journal.transaction() as s:
        assert await s.scalar(select(Period.closed_at).where(Period.id == q2)) is None
        reason = await s.scalar(
            select(AuditEntry.reason).where(AuditEntry.action == "period.reopen")
        )
    assert reason == "Приказ № 45 от 23.11.2026"
