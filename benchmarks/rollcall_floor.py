"""The floor of a roll-call update: a bare aiogram bot doing the same visible work.

Issue 14 asks what a tap costs against the least any aiogram bot must spend to show it:
answer the callback query and redraw a 36-button card (30 pupils and six actions), with
no database, no rules, no audit. This bot does exactly that for the benchmark's flow
(``/today`` → the lesson → taps on «▫️» pupils → «✅ Остальные присутствуют»), so the same
simulated teachers drive it through the same fake Bot API, and ``rollcall`` prints the
project's CPU per update (bot and PostgreSQL) as a ratio of this bot's.

It is plain aiogram as its documentation shows it (``Dispatcher``, routers' filters,
``InlineKeyboardBuilder``, long polling), run twice: on aiogram's default aiohttp
session, and on the journal's session (``build_bot``: its retry middleware and the two
response patches ``bench patches`` measures), so the ratio is given against aiogram itself
and against the same transport. The state of a card (who is marked) is a dict in memory.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

from benchmarks.rollcall import REST_BUTTON, TOKEN, ChildBot, person_name

# Six actions under the pupils, as on the lesson card.
ACTIONS = [REST_BUTTON, "✍️ Оценки", "📝 Тема", "📚 Д/з", "◀️ Уроки", "🏠 Меню"]


class BareBot(ChildBot):
    """The bare bot in a process of its own, as the project's bot is in the timed runs."""

    def __init__(self, api_base: str, pupils: int, transport: str) -> None:
        super().__init__("", api_base)
        self.command = ["--serve-bare", api_base, str(pupils), transport]


def card(pupils: int, marked: set[int], done: bool) -> tuple[str, Any]:
    """The lesson card: its text and 30 pupil buttons (▫️ unmarked, ❌ absent) and the
    six actions, three a row."""
    from aiogram.utils.keyboard import InlineKeyboardBuilder

    builder = InlineKeyboardBuilder()
    for n in range(pupils):
        surname, first, _ = person_name(n).split()
        mark = "✅" if done and n not in marked else ("❌" if n in marked else "▫️")
        builder.button(text=f"{mark} {surname} {first[0]}.", callback_data=f"p:{n}")
    for n, text in enumerate(ACTIONS):
        builder.button(text=text, callback_data="rest" if text == REST_BUTTON else f"a:{n}")
    builder.adjust(3)
    state = "Отмечено: все присутствуют, кроме" if done else "Отметьте отсутствующих"
    absent = ", ".join(person_name(n).split()[0] for n in sorted(marked)) or "—"
    text = (
        f"<b>Математика</b>, 5А, урок 1 (08:30–09:15), пн 23.11\n{state}: {absent}\nТема: —\nД/з: —"
    )
    return text, builder.as_markup()


async def serve_bare(api_base: str, pupils: int, transport: str) -> None:
    """``--serve-bare API_BASE PUPILS TRANSPORT``: the bare bot, until SIGTERM, on
    aiogram's own session (``aiogram``) or on the journal's (``journal``:
    ``bot.telegram.transport.build_bot``, its retries and its two speed patches)."""
    from aiogram import Bot, Dispatcher, F
    from aiogram.client.default import DefaultBotProperties
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.enums import ParseMode
    from aiogram.filters import Command
    from aiogram.types import CallbackQuery, Message
    from aiogram.utils.keyboard import InlineKeyboardBuilder

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if transport == "journal":
        from bot.telegram.transport import build_bot

        bot = build_bot(TOKEN, api_base)
    else:
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_base))
        bot = Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    dp = Dispatcher()
    marked: dict[int, set[int]] = {}

    @dp.message(Command("today"))
    async def today(message: Message) -> None:
        lessons = InlineKeyboardBuilder()
        lessons.button(text="1. 08:30 Математика, 5А", callback_data="open")
        await message.answer("Уроки на пн 23.11:", reply_markup=lessons.as_markup())

    async def redraw(query: CallbackQuery, chat: set[int], done: bool = False) -> None:
        await query.answer()
        text, markup = card(pupils, chat, done)
        assert isinstance(query.message, Message)
        await query.message.edit_text(text, reply_markup=markup)

    @dp.callback_query(F.data == "open")
    async def open_lesson(query: CallbackQuery) -> None:
        chat = marked[query.from_user.id] = set()
        await redraw(query, chat)

    @dp.callback_query(F.data.startswith("p:"))
    async def tap(query: CallbackQuery) -> None:
        chat = marked.setdefault(query.from_user.id, set())
        chat ^= {int((query.data or "p:0")[2:])}
        await redraw(query, chat)

    @dp.callback_query(F.data == "rest")
    async def rest(query: CallbackQuery) -> None:
        await redraw(query, marked.setdefault(query.from_user.id, set()), done=True)

    loop = asyncio.get_running_loop()
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False))
    loop.add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(dp.stop_polling()))
    try:
        await polling
    finally:
        await bot.session.close()
