"""The outbox is messenger-neutral: each row names its channel and keeps its buttons as
{text, data | url}; a sender delivers only through the channels it has."""

from __future__ import annotations

import asyncpg
from aiogram import Bot
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.screen import Button
from core.clock import ManualClock
from core.journal import Journal
from core.models import outbox_table
from core.rules import Rules
from fakegram import FakeTelegram
from notifications.channels.telegram import TelegramChannel
from notifications.outbox import DeliveryStats, OutboxItem, delivery_stats, enqueue
from notifications.sender import Sender
from school_journal.database import asyncpg_dsn, create_engine, with_database
from school_journal.migrate import upgrade


def sender(journal: Journal, bot: Bot) -> Sender:
    return Sender(
        journal.sessions, TelegramChannel(bot), journal.clock, rate=1000.0, per_chat_interval=0.0
    )


async def test_a_telegram_sender_leaves_the_rows_of_another_messenger(
    journal: Journal, fake: FakeTelegram, telegram_bot: Bot
) -> None:
    anna = fake.user(5001, "Анна", known=True)
    async with journal.transaction() as s:
        await enqueue(
            s,
            [
                OutboxItem("t:1", anna.id, "digest", "в Telegram", buttons=[[Button("✓", "x:1")]]),
                OutboxItem("m:1", anna.id, "digest", "в MAX", channel="max"),
            ],
        )
    assert await sender(journal, telegram_bot).run_once() == 1
    assert [m.text for m in anna.bot_messages] == ["в Telegram"]
    assert anna.bot_messages[0].button_texts == ["✓"]
    async with journal.transaction() as s:
        rows = (await s.execute(select(outbox_table).order_by(outbox_table.c.key))).all()
    assert [(r.key, r.channel, r.status, r.attempts) for r in rows] == [
        ("m:1", "max", "pending", 0),
        ("t:1", "telegram", "sent", 1),
    ]
    assert rows[1].buttons == [[{"text": "✓", "data": "x:1"}]]


async def test_a_message_queued_before_the_upgrade_goes_out_with_its_buttons(
    pg_admin_url: str, clock: ManualClock, fake: FakeTelegram, telegram_bot: Bot
) -> None:
    """A digest queued by the old version (a Telegram inline keyboard in the row) while
    the bot is upgraded is delivered afterwards, buttons and all."""
    name = "outbox_upgrade"
    conn = await asyncpg.connect(asyncpg_dsn(pg_admin_url))
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = with_database(pg_admin_url, name)
    engine = create_engine(url)
    try:
        await upgrade(engine, "0011")
        anna = fake.user(5002, "Анна", known=True)
        old = '{"inline_keyboard": [[{"text": "Прочитано ✓", "callback_data": "dgr:1:739000"}],'
        old += ' [{"text": "Сайт", "url": "https://school.example"}]]}'
        async with engine.begin() as c:
            await c.exec_driver_sql(
                "INSERT INTO outbox (key, kind, chat_id, text, reply_markup)"
                f" VALUES ('digest:1', 'digest', {anna.id}, 'Дневник', '{old}'::jsonb)"
            )
        await upgrade(engine)
        journal = Journal(async_sessionmaker(engine, expire_on_commit=False), clock, Rules())
        async with journal.transaction() as s:
            stored = (await s.execute(select(outbox_table))).one()
        assert stored.channel == "telegram"
        assert stored.buttons == [
            [{"text": "Прочитано ✓", "data": "dgr:1:739000"}],
            [{"text": "Сайт", "url": "https://school.example"}],
        ]
        assert await sender(journal, telegram_bot).run_once() == 1
        message = anna.bot_messages[0]
        assert message.text == "Дневник"
        assert message.button_texts == ["Прочитано ✓", "Сайт"]
    finally:
        await engine.dispose()


async def test_an_upgraded_outbox_counts_the_messages_sent_before_and_after(
    pg_admin_url: str, clock: ManualClock, fake: FakeTelegram, telegram_bot: Bot
) -> None:
    """The closed rows' counts (migration 0030) start from what the outbox held: an
    upgraded deployment's /metrics goes on from its history, not from zero."""
    name = "outbox_counted_upgrade"
    conn = await asyncpg.connect(asyncpg_dsn(pg_admin_url))
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    engine = create_engine(with_database(pg_admin_url, name))
    try:
        await upgrade(engine, "0029")
        anna = fake.user(5002, "Анна", known=True)
        async with engine.begin() as c:
            await c.exec_driver_sql(
                "INSERT INTO outbox (key, kind, chat_id, text, status)"
                f" SELECT 'old:' || i, 'digest', {anna.id}, 'Дневник', s"
                " FROM unnest(ARRAY['sent', 'sent', 'sent', 'failed', 'unreachable', 'pending'])"
                " WITH ORDINALITY AS x(s, i)"
            )
        await upgrade(engine)
        journal = Journal(async_sessionmaker(engine, expire_on_commit=False), clock, Rules())
        assert await delivery_stats(journal) == DeliveryStats(
            pending=1, sent=3, failed=1, unreachable=1
        )
        assert await sender(journal, telegram_bot).run_once() == 1
        assert [m.text for m in anna.bot_messages] == ["Дневник"]
        assert await delivery_stats(journal) == DeliveryStats(sent=4, failed=1, unreachable=1)
    finally:
        await engine.dispose()
