"""End-to-end harness for MAX: the real MAX adapter (``bot/max/``: maxapi's Bot, the
dispatcher over the same flows as Telegram, long polling with its marker) against the
local fake of the MAX Bot API (``fakemax``), on a real database, with the clock injected."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from bot.flows.features import all_routes
from bot.max.client import sender_bot, updates_bot
from bot.max.dispatch import MaxDispatcher
from bot.max.runner import Poller
from core import invitations
from core.access import Actor
from core.journal import Journal
from core.metrics import Metrics
from core.models import BindingRole
from fakemax import FakeMax, FakeMaxUser
from notifications.channels.max import MaxChannel
from notifications.sender import Sender

MAX_TOKEN = "max-test-token"


@dataclass
class MaxHarness:
    fake: FakeMax
    journal: Journal
    metrics: Metrics  # the dispatcher's and the poller's (GET /metrics)
    _next_user: int = 5000

    async def deliver(self) -> int:
        """One pass of the MAX outbox sender, as the running app would make."""
        bot = sender_bot(MAX_TOKEN, self.fake.base_url)
        try:
            sender = Sender(
                self.journal.sessions,
                MaxChannel(bot),
                self.journal.clock,
                rate=1000.0,
                per_chat_interval=0.0,
                jitter=0.0,
            )
            return await sender.run_once()
        finally:
            await bot.close_session()

    def user(self, first_name: str = "Тест", last_name: str = "Пользователь") -> FakeMaxUser:
        self._next_user += 1
        return self.fake.user(self._next_user, first_name, last_name)

    async def bound_user(
        self, issuer: Actor, person_id: int, role: BindingRole, *, consent: bool = True
    ) -> FakeMaxUser:
        """A MAX user who opened their invitation's deep link (and, as a parent, consented)."""
        user = self.user()
        issued = await invitations.issue(self.journal, issuer, person_id, role)
        await user.start(issued.code)
        reply = await user.wait_reply()
        assert "Готово" in (reply.text or ""), reply.text
        # The menu (waited for, however slow the machine), or first the consent question
        # of a parent who has not given it yet (on another messenger, say).
        after = await user.wait_reply()
        if consent and "✅ Даю согласие" in after.button_texts:
            await user.press_and_wait("✅ Даю согласие")
            await user.wait_reply()  # the menu
        with contextlib.suppress(AssertionError):
            while True:
                await user.wait_reply(timeout=0.3)
        return user


@contextlib.asynccontextmanager
async def running_max_bot(journal: Journal) -> AsyncIterator[MaxHarness]:
    fake = FakeMax(reply_timeout=5.0)
    await fake.start()
    fake.add_bot(MAX_TOKEN, "school_journal_bot", "Журнал")
    bot = updates_bot(MAX_TOKEN, fake.base_url)  # as journal run builds it
    metrics = Metrics()
    poller = Poller(bot, MaxDispatcher(journal, bot, all_routes(), metrics=metrics), timeout=1)
    stop = asyncio.Event()
    task = asyncio.create_task(poller.run(stop))
    try:
        yield MaxHarness(fake, journal, metrics)
    finally:
        stop.set()
        fake.bot().wake_polls()
        await asyncio.wait_for(task, timeout=15)
        await bot.close_session()
        await fake.stop()
