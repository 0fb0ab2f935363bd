"""What each of the three speed patches that lean on a library's internals still saves
(``tests/test_speed_patches.py`` checks that each still works):

1. ``KeepResponseTypes``: aiogram reads every answer as ``Response[<type>]``; pydantic
   rebuilds that class once nothing refers to it. Measured: building it after it was
   freed, against looking it up.
2. ``BotSession``: a successful edit is not read back into aiogram's types. Measured:
   reading back an edit's answer with a 35-button roll-call keyboard, against not.
3. BEGIN at checkout instead of ``pool_pre_ping``: measured as a transaction of one
   ``SELECT 1`` on the embedded PostgreSQL, with each engine.

``python3 tasks.py bench patches``."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import time
from collections.abc import Callable
from statistics import median

from benchmarks import embedded_database


def _per_call_ms(fn: Callable[[], object], repeat: int, before: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        before()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return median(times) * 1000


def response_types(repeat: int) -> tuple[float, float]:
    from aiogram.methods.base import Response
    from aiogram.types import Message

    kept: dict[type, object] = {}

    def free() -> None:
        kept.clear()
        gc.collect()

    rebuilt = _per_call_ms(lambda: Response[Message], repeat, free)
    kept[Message] = Response[Message]
    looked_up = _per_call_ms(lambda: kept[Message], repeat, lambda: None)
    return rebuilt, looked_up


def edit_answer(repeat: int) -> tuple[float, float]:
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.methods import EditMessageText

    from bot.telegram.transport import BotSession

    buttons = [
        [{"text": f"✅ {n}. Ученик{n} И.", "callback_data": f"r:123456:{n}"}] for n in range(35)
    ]
    message = {
        "message_id": 10,
        "date": 1_700_000_000,
        "chat": {"id": 1, "type": "private"},
        "text": "5А, математика\n" * 10,
        "reply_markup": {"inline_keyboard": buttons},
    }
    content = json.dumps({"ok": True, "result": message})
    method = EditMessageText(chat_id=1, message_id=10, text="x")
    bot = Bot("123456:BENCH")
    plain, ours = AiohttpSession(), BotSession()
    read_back = _per_call_ms(
        lambda: plain.check_response(bot, method, 200, content), repeat, lambda: None
    )
    skipped = _per_call_ms(
        lambda: ours.check_response(bot, method, 200, content), repeat, lambda: None
    )
    return read_back, skipped


async def checkout(admin_url: str, repeat: int) -> tuple[float, float]:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from school_journal.database import create_engine

    async def per_transaction_ms(engine: object) -> float:
        from sqlalchemy.ext.asyncio import AsyncEngine

        assert isinstance(engine, AsyncEngine)
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            async with engine.begin() as conn:
                await conn.execute(text("SELECT 1"))
            times.append(time.perf_counter() - start)
        await engine.dispose()
        return median(times) * 1000

    url = admin_url
    pinged = await per_transaction_ms(create_async_engine(url, pool_pre_ping=True))
    ours = await per_transaction_ms(create_engine(url))
    return pinged, ours


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks patches", description=__doc__)
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--keep", help="keep the embedded database in this folder")
    args = parser.parse_args(argv)
    rebuilt, looked_up = response_types(max(20, args.repeat // 10))
    print(
        f"1. Response[Message]: rebuilt after being freed {rebuilt:.3f} ms, kept {looked_up:.4f} ms"
    )
    read_back, skipped = edit_answer(args.repeat)
    print(
        f"2. an edit's answer (35 buttons): read back {read_back:.3f} ms, not read {skipped:.3f} ms"
    )
    with embedded_database(args.keep, "patches") as admin_url:
        pinged, ours = asyncio.run(checkout(admin_url, args.repeat))
    print(f"3. one SELECT 1 transaction: pool_pre_ping {pinged:.3f} ms, ours {ours:.3f} ms")
    return 0
