"""MAX's updates by its webhook (issue 12): the bot subscribes at start, MAX POSTs each
update with the secret, the same flows answer; a POST without the secret is refused."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from maxapi import Bot

from bot.flows.features import all_routes
from bot.max import webhook
from bot.max.dispatch import MaxDispatcher
from bot.max.runner import Poller
from core import invitations
from core.journal import Journal
from core.models import BindingRole
from fakemax import FakeMax
from tests.maxkit import MAX_TOKEN
from tests.test_workers import free_port, wait_until
from tests.world import World

SECRET = "max-webhook-secret_1"


@pytest.mark.filterwarnings("ignore:URL вебхука не использует HTTPS")  # the local test's http
async def test_a_teacher_binds_through_the_max_webhook(journal: Journal, world: World) -> None:
    fake = FakeMax(reply_timeout=10.0)
    await fake.start()
    fake.add_bot(MAX_TOKEN, "school_journal_bot", "Журнал")
    bot = Bot(MAX_TOKEN)
    bot.set_api_url(fake.base_url)
    poller = Poller(bot, MaxDispatcher(journal, bot, all_routes()))
    port, stop = free_port(), asyncio.Event()
    task = asyncio.create_task(
        webhook.serve(
            bot,
            poller,
            url=f"http://127.0.0.1:{port}",
            path="/max/webhook",
            host="127.0.0.1",
            port=port,
            secret=SECRET,
            stop=stop,
        )
    )
    try:
        await wait_until(lambda: fake.bot().subscription is not None)  # subscribed at start
        issued = await invitations.issue(
            journal, world.staff("admin"), world.people["math"], BindingRole.STAFF
        )
        teacher = fake.user(6001, "Анна", "Петрова")
        await teacher.start(issued.code)
        assert "Готово" in ((await teacher.wait_reply()).text or "")

        url = f"http://127.0.0.1:{port}/max/webhook"
        async with aiohttp.ClientSession() as session:
            async with session.post(url, json={"update_type": "bot_started"}) as refused:
                assert refused.status == 401  # no secret: not MAX
            headers = {webhook.SECRET_HEADER: SECRET}
            async with session.post(url, data=b"{not json", headers=headers) as broken:
                assert broken.status == 400
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)
        await bot.close_session()
        await fake.stop()
