"""The bot keeps working when Telegram or the database misbehave, keeps conversations
across a restart, and keeps secrets out of its logs."""

from __future__ import annotations

import logging

import asyncpg
import pytest
from sqlalchemy import select

from bot.actions import LessonAct, LessonActCb
from core import lessons
from core.journal import Journal
from core.models import BindingRole, Lesson
from school_journal.database import asyncpg_dsn
from tests.botkit import TOKEN, Harness, forge_press, running_bot
from tests.world import MONDAY, World


async def test_429_is_retried_after_retry_after(bot: Harness, world: World) -> None:
    user = bot.user()
    bot.fake.faults.flood_next("sendMessage", times=1, retry_after=3)
    await user.send("/help")
    reply = await user.wait_reply()
    assert "код приглашения" in (reply.text or "")
    assert 3 in bot.waits


async def test_blocked_user_does_not_break_the_bot(bot: Harness, world: World) -> None:
    blocked = bot.user()
    blocked.block_bot()
    await blocked.send("/help")  # the reply fails with 403
    other = bot.user()
    await other.send("/help")
    assert "код приглашения" in ((await other.wait_reply()).text or "")


async def test_bot_survives_the_bot_api_being_unreachable_for_a_while(
    bot: Harness, world: World
) -> None:
    bot.fake.set_unreachable(True)
    user = bot.user()
    await user.send("/help")  # queued at "Telegram" while the bot cannot reach it
    bot.fake.set_unreachable(False)
    assert "код приглашения" in ((await user.wait_reply(timeout=15)).text or "")


async def test_bot_survives_database_connections_being_cut(
    bot: Harness, world: World, db_url: str
) -> None:
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    conn = await asyncpg.connect(asyncpg_dsn(db_url))
    try:  # what a database restart does to the app's pooled connections
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await conn.close()
    await teacher.send("/today")
    assert "Уроки" in ((await teacher.wait_reply()).text or "")


async def test_conversation_state_survives_a_restart(
    journal: Journal, db_url: str, world: World
) -> None:
    """The teacher pressed «Тема»; the bot restarted; the typed topic is still saved."""
    async with running_bot(journal, db_url) as first:
        teacher = await first.bound_user(
            world.staff("admin"), world.people["math"], BindingRole.STAFF
        )
        await teacher.send("/today")
        await teacher.wait_reply()
        await teacher.press_and_wait(lambda b: "5А Математика" in b.text)
        await (await teacher.press("📚 Тема")).wait_answered()
        prompt = await teacher.wait_reply()
        assert "тему урока" in (prompt.text or "")
    async with running_bot(journal, db_url) as second:
        again = second.fake.user(teacher.id, teacher.first_name, teacher.last_name)
        await again.send("Дроби: сложение")
        assert "Сохранено" in ((await again.wait_reply()).text or "")
    [lesson] = await lessons.teacher_day(journal, world.staff("math"), MONDAY)
    async with journal.transaction() as s:
        assert await s.scalar(select(Lesson.topic).where(Lesson.id == lesson.id)) == (
            "Дроби: сложение"
        )


async def test_logs_never_contain_the_bot_token(
    bot: Harness, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    user = bot.user()
    bot.fake.faults.server_error_next("sendMessage", times=1)
    await user.send("/help")
    await user.wait_reply()
    assert caplog.records, "nothing was logged: the check would prove nothing"
    assert all(TOKEN not in record.getMessage() for record in caplog.records)


async def test_an_edit_is_not_read_back_but_its_errors_still_are() -> None:
    """BotSession skips building the edited message into aiogram's types; Telegram's
    refusals of an edit (not modified, too long, no such message) are raised as always."""
    from aiogram.exceptions import TelegramBadRequest

    from bot.telegram.transport import build_bot
    from fakegram import FakeTelegram

    fake = FakeTelegram()
    await fake.start()
    fake.add_bot(TOKEN, "school_journal_bot")
    bot = build_bot(TOKEN, fake.base_url)
    try:
        user = fake.user(9001, "Анна", "Тестова")
        await user.send("/start")  # the chat must exist before the bot can write to it
        sent = await bot.send_message(user.id, "Перекличка")
        assert sent.message_id > 0  # a sent message is read: the bot keeps its id
        assert (
            await bot.edit_message_text("Перекличка ✓", chat_id=user.id, message_id=sent.message_id)
            is True
        )
        assert fake.bot(TOKEN).chats[user.id].messages[sent.message_id].text == "Перекличка ✓"
        with pytest.raises(TelegramBadRequest, match="message is not modified"):
            await bot.edit_message_text("Перекличка ✓", chat_id=user.id, message_id=sent.message_id)
        with pytest.raises(TelegramBadRequest, match="message to edit not found"):
            await bot.edit_message_text("x", chat_id=user.id, message_id=999_999)
    finally:
        await bot.session.close()
        await fake.stop()


async def _topic_of_mondays_lesson(journal: Journal, world: World) -> str | None:
    [lesson] = await lessons.teacher_day(journal, world.staff("math"), MONDAY)
    async with journal.transaction() as s:
        return await s.scalar(select(Lesson.topic).where(Lesson.id == lesson.id))


async def test_a_message_after_pressing_today_does_not_become_the_topic(
    bot: Harness, world: World, journal: Journal
) -> None:
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await teacher.send("/today")
    await teacher.wait_reply()
    await teacher.press_and_wait(lambda b: "5А Математика" in b.text)
    await (await teacher.press("📚 Тема")).wait_answered()
    assert "тему урока" in ((await teacher.wait_reply()).text or "")
    await teacher.send("/today")  # the teacher moved on
    assert "Уроки" in ((await teacher.wait_reply()).text or "")
    await teacher.send("привет")
    await teacher.wait_reply()
    assert await _topic_of_mondays_lesson(journal, world) is None


async def test_cancel_on_the_topic_prompt_keeps_the_old_topic(
    bot: Harness, world: World, journal: Journal
) -> None:
    [lesson] = await lessons.teacher_day(journal, world.staff("math"), MONDAY)
    await lessons.set_topic(journal, world.staff("math"), lesson.id, "Дроби")
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await teacher.send("/today")
    await teacher.wait_reply()
    await teacher.press_and_wait(lambda b: "5А Математика" in b.text)
    await (await teacher.press("📚 Тема")).wait_answered()
    prompt = await teacher.wait_reply()
    assert "Сейчас: Дроби" in (prompt.text or "")
    await (await teacher.press("✖️ Отмена")).wait_answered()
    await teacher.send("привет")
    await teacher.wait_reply()
    assert await _topic_of_mondays_lesson(journal, world) == "Дроби"


async def test_r12_first_grade_homework_is_refused_before_asking(
    bot: Harness, world: World, journal: Journal
) -> None:
    teacher = await bot.bound_user(world.staff("admin"), world.people["primary"], BindingRole.STAFF)
    await teacher.send("/today")
    await teacher.wait_reply()
    card = await teacher.press_and_wait(lambda b: b.text.startswith("1."))
    lesson_id = (await lessons.teacher_day(journal, world.staff("primary"), MONDAY))[0].id
    press = await forge_press(
        teacher, card, LessonActCb(lesson=lesson_id, act=LessonAct.HOMEWORK).pack()
    )
    answer = await press.wait_answered()
    assert "В 1 классе домашние задания не задаются" in (answer.get("text") or "")
    await teacher.send("с. 5")  # no prompt was opened: this is not saved as homework
    await teacher.wait_reply()
    async with journal.transaction() as s:
        assert await s.scalar(select(Lesson.homework).where(Lesson.id == lesson_id)) is None


async def test_r13_a_topic_six_lessons_ahead_is_refused_before_asking(
    bot: Harness, world: World
) -> None:
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await teacher.send("/today")
    await teacher.wait_reply()
    for _ in range(8):  # Monday → the Tuesday after next: the 6th maths lesson ahead
        await teacher.press_and_wait(lambda b: b.text.endswith("▶"))
    await teacher.press_and_wait(lambda b: "5А Математика" in b.text)
    answer = await (await teacher.press("📚 Тема")).wait_answered()
    assert "не больше чем на 5 уроков вперёд" in (answer.get("text") or "")


async def test_next_weeks_wednesday_is_one_tap_from_today_and_its_card_says_what_can_be_done_ahead(
    bot: Harness, world: World
) -> None:
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await teacher.send("/today")  # Monday 23.11
    await teacher.wait_reply()
    day = await teacher.press_and_wait("Ср 2")  # Wednesday 02.12, next week
    assert "02.12" in (day.text or "")
    card = await teacher.press_and_wait(lambda b: "5А Математика" in b.text)
    assert "Урок ещё впереди" in (card.text or "")
    assert "отметить присутствие" in (card.text or "")
