"""The Turn's files (issue 12): a flow reads the document a person sent (its name and
size first, then its bytes) and sends a file back, through the real bot and the fake
Telegram API. The route here is the test's own, put before the bot's."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import bot.telegram.runner as runner
from bot.flows.routes import Routes, staff
from bot.flows.turn import Turn
from bot.telegram.turn import router_of
from core.journal import Journal
from core.models import BindingRole
from tests.botkit import Harness, running_bot
from tests.world import World


async def echo(turn: Turn) -> None:
    sent = turn.document
    assert sent is not None
    await turn.sending_file()
    data = await turn.download()
    await turn.send_file("echo.bin", data[::-1], f"{sent.name} {sent.size}")


@pytest.fixture
async def echo_bot(
    monkeypatch: pytest.MonkeyPatch, journal: Journal, db_url: str, world: World
) -> AsyncIterator[Harness]:
    routes = Routes()
    routes.document(echo, who=staff())
    bot_routers = runner.routers
    monkeypatch.setattr(runner, "routers", lambda: [router_of("echo", routes), *bot_routers()])
    async with running_bot(journal, db_url) as harness:
        yield harness


async def test_a_flow_reads_the_sent_document_and_sends_a_file(
    echo_bot: Harness, world: World
) -> None:
    admin = await echo_bot.bound_user(
        world.staff("admin"), world.people["admin"], BindingRole.STAFF
    )
    await admin.send_document(b"roster bytes", "school.xlsx")
    reply = await admin.wait_reply(predicate=lambda m: m.document is not None)
    assert reply.document is not None and reply.document["file_name"] == "echo.bin"
    assert reply.file_bytes == b"setyb retsor"
    assert reply.caption == "school.xlsx 12"
