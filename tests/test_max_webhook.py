"""MAX's updates by its webhook (issue 12): the bot subscribes at start, MAX POSTs each
update with the secret, the same flows answer; a POST without the secret is refused."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import aiohttp
import psutil
import pytest

from bot.flows.features import all_routes
from bot.max import webhook
from bot.max.client import updates_bot
from bot.max.dispatch import MaxDispatcher
from bot.max.runner import Poller
from core import invitations
from core.journal import Journal
from core.models import BindingRole
from fakemax import FakeMax
from tests.maxkit import MAX_TOKEN
from tests.test_workers import extra_workers_of, free_port, wait_until
from tests.world import World

SECRET = "max-webhook-secret_1"


@pytest.mark.filterwarnings("ignore:URL вебхука не использует HTTPS")  # the local test's http
async def test_a_teacher_binds_through_the_max_webhook(journal: Journal, world: World) -> None:
    fake = FakeMax(reply_timeout=10.0)
    await fake.start()
    fake.add_bot(MAX_TOKEN, "school_journal_bot", "Журнал")
    bot = updates_bot(MAX_TOKEN, fake.base_url)
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


def listens_on(process: psutil.Process, port: int) -> bool:
    """The process has its own listening socket on ``port`` (SO_REUSEPORT)."""
    return any(
        c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN
        for c in process.net_connections(kind="tcp")
    )


async def test_a_max_only_school_serves_its_webhook_from_two_workers(
    db_url: str, tmp_path: Path
) -> None:
    """``journal run --workers 2`` for a school on MAX only: both processes listen on the
    webhook's port, MAX is subscribed once, people are answered, a killed worker is started
    again and Ctrl+C stops both."""
    fake = FakeMax(reply_timeout=30.0)
    await fake.start()
    fake.add_bot(MAX_TOKEN, "school_journal_bot", "Журнал")
    port = free_port()
    env = dict(os.environ)
    env.update(
        MAX_BOT_TOKEN=MAX_TOKEN,
        MAX_API_BASE=fake.base_url,
        MAX_WEBHOOK_URL=f"http://127.0.0.1:{port}",
        MAX_WEBHOOK_PORT=str(port),
        MAX_WEBHOOK_SECRET=SECRET,
        WEBHOOK_HOST="127.0.0.1",
        DATABASE_URL=db_url,
        DATA_DIR=str(tmp_path / "data"),
        NOTIFICATIONS_ENABLED="false",
        HEALTH_PORT="0",
        LOG_LEVEL="WARNING",
    )
    env.pop("BOT_TOKEN", None)
    main = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "school_journal", "run", "--workers", "2"),
        cwd=tmp_path,
        env=env,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    parent = psutil.Process(main.pid)
    try:
        await wait_until(lambda: fake.bot().subscription is not None)
        [worker] = extra_workers_of(parent)
        assert listens_on(parent, port) and listens_on(worker, port)

        async def everyone_is_answered(first_id: int) -> None:
            users = [fake.user(first_id + i, f"Родитель{i}", "Тестов") for i in range(6)]
            for user in users:
                await user.start()
            replies = await asyncio.gather(*(u.wait_reply(timeout=30) for u in users))
            assert all("код" in (r.text or "").lower() for r in replies)

        await everyone_is_answered(7100)
        worker.send_signal(signal.SIGKILL)
        replaced = lambda: [p.pid for p in extra_workers_of(parent)] not in ([], [worker.pid])  # noqa: E731
        await wait_until(replaced)
        [restarted] = extra_workers_of(parent)
        await wait_until(lambda: listens_on(restarted, port))
        await everyone_is_answered(7200)
    finally:
        if main.returncode is None:
            os.killpg(main.pid, signal.SIGINT)
        _, log = await asyncio.wait_for(main.communicate(), timeout=60)
        await fake.stop()
    assert main.returncode == 0, log
    assert b"Traceback" not in log, log
    assert log.decode().count("starting it again") == 1
