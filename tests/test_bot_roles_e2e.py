"""End to end for the class teacher, the admin, locked periods and webhook mode."""

from __future__ import annotations

import asyncio
import socket

import aiohttp
from pydantic import SecretStr
from sqlalchemy import select

from bot.telegram.runner import run_bot
from core import attendance, invitations, lessons, periods
from core.journal import Journal
from core.models import AbsenceReason, Attendance, BindingRole, Presence
from fakegram import FakeTelegram
from school_journal.app import App
from school_journal.settings import Settings
from tests.botkit import TOKEN, USERNAME, Harness
from tests.world import MONDAY, World


async def test_r6_class_teacher_confirms_a_reason_from_the_week_view(
    bot: Harness, world: World
) -> None:
    [lesson] = await lessons.teacher_day(bot.journal, world.staff("math"), MONDAY)
    await attendance.set_status(
        bot.journal, world.staff("math"), lesson.id, world.people["kolya"], Presence.ABSENT
    )
    class_teacher = await bot.bound_user(
        world.staff("admin"), world.people["math"], BindingRole.STAFF
    )
    await class_teacher.send("/menu")
    await class_teacher.wait_reply()
    await class_teacher.press_and_wait("👥 Мой класс 5А")
    week = await class_teacher.press_and_wait("🚫 Пропуски за неделю")
    assert "Сидоров Николай Андреевич, 23.11: уроков 1" in (week.text or "")
    await class_teacher.press_and_wait("болезнь (справка)")
    async with bot.journal.transaction() as s:
        reason = await s.scalar(
            select(Attendance.reason).where(Attendance.pupil_id == world.people["kolya"])
        )
    assert reason == AbsenceReason.ILLNESS.value


async def test_r2_class_teacher_gets_codes_for_the_class_parents_and_pupils(
    bot: Harness, world: World
) -> None:
    class_teacher = await bot.bound_user(
        world.staff("admin"), world.people["math"], BindingRole.STAFF
    )
    await class_teacher.send("/menu")
    await class_teacher.wait_reply()
    await class_teacher.press_and_wait("👥 Мой класс 5А")
    await class_teacher.press("🔑 Коды для родителей и учеников")
    codes = await class_teacher.wait_reply(predicate=lambda m: m.document is None)  # after the PDF
    assert "Сидоров Андрей Петрович — родитель: https://t.me/" + USERNAME in (codes.text or "")
    link = next(line for line in (codes.text or "").splitlines() if "Сидоров Андрей" in line)
    code = link.split("start=")[1].split()[0]
    parent = bot.user("Андрей", "Сидоров")
    await parent.open_deep_link(code)
    assert "Готово" in ((await parent.wait_reply()).text or "")


async def test_r3_admin_cuts_a_lost_phone_and_it_can_no_longer_act(
    bot: Harness, world: World
) -> None:
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    admin = await bot.bound_user(world.staff("admin"), world.people["admin"], BindingRole.STAFF)
    await admin.send("/menu")
    await admin.wait_reply()
    await admin.press_and_wait("⛔ Отключить аккаунт")
    ask = await admin.press_and_wait("⛔ Кузнецова Елена Викторовна — сотрудник")
    assert "Отключить от бота: Кузнецова Елена Викторовна — сотрудник?" in (ask.text or "")
    await admin.press_and_wait("⛔ Да, отключить")
    await teacher.send("/today")
    reply = await teacher.wait_reply()
    assert "код приглашения" in (reply.text or "")


async def test_r10_locked_period_refuses_with_a_clear_message(bot: Harness, world: World) -> None:
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await teacher.send("/today")
    await teacher.wait_reply()
    await teacher.press_and_wait(lambda b: "5А Математика" in b.text)
    await periods.close_period(bot.journal, world.staff("director"), world.periods["2 четверть"])
    press = await teacher.press("▫️ Иванов П.")
    answer = await press.wait_answered()
    assert "закрыт" in (answer.get("text") or "") and answer.get("show_alert")
    [lesson] = await lessons.teacher_day(bot.journal, world.staff("math"), MONDAY)
    call = await attendance.roll_call(bot.journal, world.staff("math"), lesson.id)
    assert all(line.status is None for line in call.lines)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_webhook_mode_checks_the_secret_and_answers(
    journal: Journal, db_url: str, world: World
) -> None:
    fake = FakeTelegram()
    await fake.start()
    fake.add_bot(TOKEN, USERNAME)
    port = free_port()
    settings = Settings(
        _env_file=None,
        bot_token=SecretStr(TOKEN),
        telegram_api_base=fake.base_url,
        webhook_url=f"http://127.0.0.1:{port}",
        webhook_secret=SecretStr("s3cret-token"),
        webhook_host="127.0.0.1",
        webhook_port=port,
    )
    app = App(settings=settings, engine=None, journal=journal, database_url=db_url)  # type: ignore[arg-type]  # App without an engine: the test has its journal
    stop = asyncio.Event()
    task = asyncio.create_task(run_bot(app, webhook=True, handle_signals=False, stop=stop))
    try:
        user = fake.user(5005, "Мария", "Иванова")
        issued = await invitations.issue(
            journal, world.staff("admin"), world.people["math"], BindingRole.STAFF
        )
        await user.open_deep_link(issued.code)
        assert "Готово" in ((await user.wait_reply(timeout=10)).text or "")
        webhook = fake.bot(TOKEN).webhook
        assert webhook is not None and webhook.secret_token == "s3cret-token"
        forged = {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 0,
                "text": "/start",
                "chat": {"id": 1, "type": "private"},
            },
        }
        async with aiohttp.ClientSession() as http:
            async with http.post(
                f"http://127.0.0.1:{port}{settings.webhook_path}",
                json=forged,
                headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"},
            ) as response:
                assert response.status == 401
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)
        await fake.stop()


async def test_r1_class_teacher_reads_a_pupils_page(bot: Harness, world: World) -> None:
    [lesson] = await lessons.teacher_day(bot.journal, world.staff("english2"), MONDAY)
    await attendance.set_status(
        bot.journal, world.staff("english2"), lesson.id, world.people["kolya"], Presence.ABSENT
    )
    class_teacher = await bot.bound_user(
        world.staff("admin"), world.people["math"], BindingRole.STAFF
    )
    await class_teacher.send("/menu")
    await class_teacher.wait_reply()
    await class_teacher.press_and_wait("👥 Мой класс 5А")
    pupils = await class_teacher.press_and_wait("👤 Ученики")
    assert pupils.button_texts[:3] == ["Иванов П.", "Иванова М.", "Сидоров Н."]
    await class_teacher.press_and_wait("Сидоров Н.")
    page = await class_teacher.press_and_wait("🚫 Пропуски")
    assert "Сидоров Николай Андреевич" in (page.text or "")
    assert "23.11: не был на уроках (1): 2" in (page.text or "")


async def test_help_does_not_send_the_admin_to_today_which_is_for_teachers(
    bot: Harness, world: World
) -> None:
    """Issue 9: /help told the admin (no lessons) to use /today, which answers «Не понял»."""
    admin = await bot.bound_user(world.staff("director"), world.people["admin"], BindingRole.STAFF)
    await admin.send("/help")
    reply = await admin.wait_reply()
    assert "/today" not in (reply.text or "")
    assert "/menu" in (reply.text or "")
