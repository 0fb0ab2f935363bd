"""One ``journal run``, one or both messengers (issue 12): with ``BOT_TOKEN`` it serves
Telegram, with ``MAX_BOT_TOKEN`` MAX, with both both, from one process; each messenger's
outbox sender delivers that messenger's rows."""

from __future__ import annotations

from pathlib import Path

from core.journal import Journal
from fakegram import FakeTelegram
from fakemax import FakeMax
from notifications import outbox
from notifications.outbox import OutboxItem
from tests.botkit import TOKEN, USERNAME
from tests.maxkit import MAX_TOKEN
from tests.test_startup import JournalRun, run_env
from tests.test_workers import wait_until


async def test_one_run_serves_telegram_and_max(
    journal: Journal, db_url: str, tmp_path: Path
) -> None:
    telegram, max_fake = FakeTelegram(), FakeMax(reply_timeout=30.0)
    await telegram.start()
    telegram.add_bot(TOKEN, USERNAME)
    await max_fake.start()
    max_fake.add_bot(MAX_TOKEN, "school_journal_bot", "Журнал")
    env = run_env(
        telegram.base_url,
        db_url,
        tmp_path,
        MAX_BOT_TOKEN=MAX_TOKEN,
        MAX_API_BASE=max_fake.base_url,
    )
    env["NOTIFICATIONS_ENABLED"] = "true"
    run = await JournalRun.start(env, tmp_path)
    try:
        on_telegram = telegram.user(5001, "Мария", "Иванова", language_code="ru")
        on_max = max_fake.user(5001, "Мария", "Иванова")  # the same number, another person
        await wait_until(lambda: telegram.bot(TOKEN).stats.calls["getUpdates"] > 0)
        await on_telegram.send("/start")
        await on_max.start()
        assert "код" in ((await on_telegram.wait_reply(timeout=30)).text or "").lower()
        assert "код" in ((await on_max.wait_reply(timeout=30)).text or "").lower()
        # A notification queued for the MAX chat goes out through MAX's sender.
        chat = on_max.dialog.chat_id
        async with journal.transaction() as s:
            await outbox.enqueue(
                s,
                [
                    OutboxItem(
                        key="test:max:1",
                        chat_id=chat,
                        kind="test",
                        text="<b>Дневник</b>",
                        channel="max",
                    )
                ],
            )
        delivered = await on_max.wait_reply(timeout=30)
        assert delivered.text == "Дневник"
    finally:
        code = await run.finish()
        await telegram.stop()
        await max_fake.stop()
    assert code == 0, run.stderr
    assert "Traceback" not in run.stderr, run.stderr


async def test_max_only_serves_max_and_asks_telegram_nothing(db_url: str, tmp_path: Path) -> None:
    max_fake = FakeMax(reply_timeout=30.0)
    await max_fake.start()
    max_fake.add_bot(MAX_TOKEN, "school_journal_bot", "Журнал")
    env = run_env(
        "http://127.0.0.1:9",
        db_url,
        tmp_path,
        MAX_BOT_TOKEN=MAX_TOKEN,
        MAX_API_BASE=max_fake.base_url,
    )
    env.pop("BOT_TOKEN")
    run = await JournalRun.start(env, tmp_path)
    try:
        user = max_fake.user(7001, "Пётр", "Сидоров")
        await user.start()
        assert "код" in ((await user.wait_reply(timeout=60)).text or "").lower()
        # The menu MAX shows beside the text field: one list for every chat, in Russian.
        menu = max_fake.bot(MAX_TOKEN).commands
        assert [c["name"] for c in menu] == ["start", "menu", "role", "help", "logout"]
        assert menu[0]["description"] == "Начать / ввести код"
    finally:
        code = await run.finish()
        await max_fake.stop()
    assert code == 0, run.stderr
    assert "Traceback" not in run.stderr and "Telegram" not in run.stderr, run.stderr
