"""End-to-end harness for MAX: the real MAX adapter (``bot/max/``: maxapi's Bot, the
dispatcher over the same flows as Telegram, long polling with its marker) against the
local fake of the MAX Bot API (``fakemax``), on a real database, with the clock injected."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from maxapi import Bot

from bot.flows.features import all_routes
from bot.max.dispatch import MaxDispatcher
from bot.max.runner import Poller
from core import invitations
from core.access import Actor
from core.journal import Journal
from core.models import BindingRole
from fakemax import FakeMax, FakeMaxUser

MAX_TOKEN = "max-test-token"


@dataclass
class MaxHarness:
    fake: FakeMax
    journal: Journal
    _next_user: int = 5000

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
        if role is BindingRole.PARENT:
            await user.wait_reply()  # the consent question
            if consent:
                await user.press_and_wait("✅ Даю согласие")
                await user.wait_reply()  # the menu
        else:
            await user.wait_reply()  # the menu: waited for, however slow the machine
        with contextlib.suppress(AssertionError):
            while True:
                await user.wait_reply(timeout=0.3)
        return user


@contextlib.asynccontextmanager
async def running_max_bot(journal: Journal) -> AsyncIterator[MaxHarness]:
    fake = FakeMax(reply_timeout=5.0)
    await fake.start()
    fake.add_bot(MAX_TOKEN, "school_journal_bot", "Журнал")
    bot = Bot(MAX_TOKEN)
    bot.set_api_url(fake.base_url)
    poller = Poller(bot, MaxDispatcher(journal, bot, all_routes()), timeout=1)
    stop = asyncio.Event()
    task = asyncio.create_task(poller.run(stop))
    try:
        yield MaxHarness(fake, journal)
    finally:
        stop.set()
        fake.bot().wake_polls()
        await asyncio.wait_for(task, timeout=15)
        await bot.close_session()
        await fake.stop()
