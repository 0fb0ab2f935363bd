"""End-to-end harness: the real bot (``run_bot``: real Dispatcher, real HTTP, long
polling) against the local fake of the Bot API, on a real database, with the clock
injected."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from pydantic import SecretStr

from bot.telegram.runner import run_bot
from bot.telegram.transport import build_bot
from core import invitations
from core.access import Actor
from core.journal import Journal
from core.models import BindingRole
from fakegram import Button, CallbackQueryRecord, FakeTelegram, FakeUser, MessageView, Press
from school_journal.app import App
from school_journal.settings import Settings

TOKEN = "123456:TEST-TOKEN"
USERNAME = "school_journal_bot"


@dataclass
class Harness:
    fake: FakeTelegram
    journal: Journal
    waits: list[float]  # what the bot waited before retrying a request (retry_after, backoff)
    _next_user: int = 1000

    def user(self, first_name: str = "Тест", last_name: str = "Пользователь") -> FakeUser:
        self._next_user += 1
        return self.fake.user(self._next_user, first_name, last_name, language_code="ru")

    async def bound_user(
        self, issuer: Actor, person_id: int, role: BindingRole, *, consent: bool = True
    ) -> FakeUser:
        """A user who opened their invitation link (and, as a parent, consented)."""
        user = self.user()
        issued = await invitations.issue(self.journal, issuer, person_id, role)
        await user.open_deep_link(issued.code)
        reply = await user.wait_reply()
        assert "Готово" in (reply.text or ""), reply.text
        if role is BindingRole.PARENT:
            await user.wait_reply()  # the consent question
            if consent:
                await user.press_and_wait("✅ Даю согласие")
                await user.wait_reply()  # the menu
        else:
            await user.wait_reply()  # the menu: waited for, however slow the machine
        await self.settle(user)
        user.reset_counters()
        return user

    async def settle(self, user: FakeUser) -> None:
        """Skip whatever the bot has already said, so the next wait sees only new output."""
        with contextlib.suppress(AssertionError):
            while True:
                await user.wait_reply(timeout=0.3)


class VirtualTime:
    """The fake Bot API's clock, moved on only by the bot's own waits (``virtual_time``):
    a 429 storm of a minute, or a minute of flood control, passes without a minute of
    wall clock, and Telegram's limits (the callback query's 15 s, per-chat pace) hold."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@contextlib.asynccontextmanager
async def running_bot(
    journal: Journal, db_url: str, *, virtual_time: bool = False
) -> AsyncIterator[Harness]:
    clock = VirtualTime() if virtual_time else None
    fake = FakeTelegram(clock=clock) if clock else FakeTelegram()
    await fake.start()
    fake.add_bot(TOKEN, USERNAME)
    settings = Settings(
        _env_file=None,
        bot_token=SecretStr(TOKEN),
        telegram_api_base=fake.base_url,
        database_url=db_url,
    )
    app = App(settings=settings, engine=None, journal=journal, database_url=db_url)  # type: ignore[arg-type]  # App without an engine: the test has its journal
    waits: list[float] = []

    async def recorded_sleep(seconds: float) -> None:
        waits.append(seconds)  # the bot's wait, recorded instead of slept
        if clock is not None:
            clock.now += seconds
        await asyncio.sleep(0)

    bot = build_bot(TOKEN, fake.base_url, sleep=recorded_sleep)
    stop = asyncio.Event()
    task = asyncio.create_task(run_bot(app, handle_signals=False, stop=stop, bot=bot))
    try:
        yield Harness(fake, journal, waits)
        await answers_settled(fake)
        fake.assert_all_callbacks_answered()
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)
        await fake.stop()


async def forge_press(user: FakeUser, message: MessageView, data: str) -> Press:
    """A callback query with data the bot never offered: what a modified client can send."""
    raw = {"text": "forged", "callback_data": data}
    return await user._press_inline(message.stored, raw, Button("forged", data))


async def answers_settled(fake: FakeTelegram, timeout: float = 2.0) -> None:  # noqa: ASYNC109
    """Let the bot finish answering presses a test did not wait for (the answer follows
    the screen's edit by a moment)."""
    bot = fake.bot(TOKEN)
    for query in list(bot.unanswered_callback_queries):
        chat = bot.chats[query.chat_id]

        def answered(q: CallbackQueryRecord = query) -> bool | None:
            return q.answered or None

        await chat.notifier.wait_for(answered, timeout)
