"""The three places that lean on a library's internals for speed, each checked so that an
upgrade which breaks it fails here instead of silently losing the gain:

- ``bot.telegram.transport.KeepResponseTypes`` keeps aiogram's ``Response[<type>]`` classes
  (pydantic rebuilds a freed one, ~7 ms of CPU);
- ``bot.telegram.transport.BotSession`` does not read back a successful edit (~0.2 ms a tap);
- ``school_journal.database.create_engine`` sends BEGIN at checkout through SQLAlchemy's
  asyncpg adapter's private ``_start_transaction`` (instead of ``pool_pre_ping``'s three
  round trips).

``python3 tasks.py bench patches`` measures what each still saves."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.methods import EditMessageText, SendMessage
from sqlalchemy import event, text

from bot.telegram.transport import BotSession, KeepResponseTypes, build_bot
from core.journal import Journal
from fakegram import FakeTelegram, RateLimits

TOKEN = "123456:PATCHES-TEST"


@pytest.fixture
async def bot() -> AsyncIterator[tuple[Bot, FakeTelegram]]:
    async with FakeTelegram(limits=RateLimits.unlimited()) as fake:
        fake.add_bot(TOKEN, "school_journal_bot")
        bot = build_bot(TOKEN, fake.base_url)
        yield bot, fake
        await bot.session.close()


async def test_response_types_are_kept_once_built(bot: tuple[Bot, FakeTelegram]) -> None:
    client, fake = bot
    user = fake.user(7001, "Анна", known=True)
    keeper = next(
        m for m in client.session.middleware._middlewares if isinstance(m, KeepResponseTypes)
    )
    await client.send_message(user.id, "a")
    assert SendMessage.__returning__ in keeper.types  # the hook aiogram calls still exists
    kept = keeper.types[SendMessage.__returning__]
    await client.send_message(user.id, "b")
    assert keeper.types[SendMessage.__returning__] is kept


async def test_a_successful_edit_is_not_read_back(bot: tuple[Bot, FakeTelegram]) -> None:
    client, fake = bot
    user = fake.user(7002, "Борис", known=True)
    sent = await client.send_message(user.id, "до")
    assert isinstance(client.session, BotSession)
    edited = await client(
        EditMessageText(chat_id=user.id, message_id=sent.message_id, text="после")
    )
    assert edited is True  # aiogram still calls check_response, and it is ours
    assert user.bot_messages[-1].text == "после"


async def test_begin_goes_out_when_a_connection_is_checked_out(journal: Journal) -> None:
    engine = journal.sessions.kw["bind"]
    statements: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        async with journal.transaction() as s:
            driver = (await s.connection()).sync_connection.connection.dbapi_connection  # type: ignore[union-attr]  # checked out: not None
            assert driver is not None
            assert callable(getattr(driver, "_start_transaction", None))  # the private hook
            assert driver.driver_connection.is_in_transaction()  # BEGIN sent at checkout
            await s.execute(text("SELECT 1"))
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert statements == ["SELECT 1"]  # no pre-ping round trips
