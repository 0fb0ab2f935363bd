"""Tests of the fake MAX Bot API (fakemax), driven with plain HTTP requests as a MAX client
sends them."""

from __future__ import annotations

import asyncio
import graphlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from fakemax import FakeMax, FakeMaxBot, RateLimits
from fakemax.limits import CALLBACK_PAYLOAD_MAX_BYTES, TEXT_MAX_CHARS
from tests.test_layers import imported_modules

TOKEN = "max-test-token"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Client:
    """A bare MAX client: JSON over HTTP with the token in the Authorization header."""

    def __init__(self, fake: FakeMax, session: aiohttp.ClientSession, token: str = TOKEN):
        self.fake = fake
        self.session = session
        self.token = token

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        token: str | None = None,
    ) -> tuple[int, Any]:
        headers = {"Authorization": self.token if token is None else token}
        async with self.session.request(
            method, self.fake.base_url + path, params=params, json=json, headers=headers
        ) as resp:
            return resp.status, await resp.json()

    async def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        status, body = await self.call(method, path, **kwargs)
        assert status == 200, body
        return body

    async def send(self, user_id: int, body: dict[str, Any]) -> tuple[int, Any]:
        return await self.call("POST", "/messages", params={"user_id": user_id}, json=body)

    async def updates(self, **params: Any) -> dict[str, Any]:
        query = {"timeout": 0, **{k: str(v) for k, v in params.items()}}
        return await self.ok("GET", "/updates", params=query)


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeMax]:
    server = FakeMax(clock=Clock(), reply_timeout=2.0, webhook_retry_delay=0.0)
    await server.start()
    server.add_bot(TOKEN, "journal_bot", "Журнал")
    try:
        yield server
    finally:
        await server.stop()


@pytest_asyncio.fixture
async def client(fake: FakeMax) -> AsyncIterator[Client]:
    async with aiohttp.ClientSession() as session:
        yield Client(fake, session)


@pytest.fixture
def bot(fake: FakeMax) -> FakeMaxBot:
    return fake.bot()


async def until(condition: Callable[[], bool], timeout: float = 2.0) -> None:  # noqa: ASYNC109
    """Let the event loop run until ``condition()`` holds (the server side has caught up)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not reached"
        await asyncio.sleep(0.001)


def keyboard(*rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "inline_keyboard", "payload": {"buttons": list(rows)}}


def callback(text: str, payload: str | None = None) -> dict[str, Any]:
    return {"type": "callback", "text": text, "payload": payload or text}


# ------------------------------------------------------------------ auth, /me


async def test_a_wrong_token_gets_401_in_max_error_shape(client: Client) -> None:
    status, body = await client.call("GET", "/me", token="wrong")
    assert status == 401
    assert set(body) == {"code", "message"}
    assert body["code"] == "verify.token"


async def test_me_by_header_and_by_the_legacy_query_token(client: Client, bot: FakeMaxBot) -> None:
    me = await client.ok("GET", "/me")
    assert me["user_id"] == bot.user_id and me["is_bot"] is True
    assert me["username"] == "journal_bot"
    async with client.session.get(
        client.fake.base_url + "/me", params={"access_token": TOKEN}
    ) as r:
        assert r.status == 200
        assert (await r.json())["user_id"] == bot.user_id


async def test_the_query_token_can_be_refused_as_max_now_does(client: Client) -> None:
    client.fake.accept_query_token = False
    async with client.session.get(
        client.fake.base_url + "/me", params={"access_token": TOKEN}
    ) as r:
        assert r.status == 403
        assert (await r.json())["code"] == "deprecated.token"


async def test_patch_me_sets_the_commands(client: Client) -> None:
    commands = [{"name": "start", "description": "Главное меню"}]
    await client.ok("PATCH", "/me", json={"commands": commands})
    assert (await client.ok("GET", "/me"))["commands"] == commands
    status, body = await client.call("PATCH", "/me/commands", json={"commands": [{"name": ""}]})
    assert status == 400 and body["code"] == "proto.payload"


# -------------------------------------------------------------------- updates


async def test_updates_after_the_marker_and_commit_by_passing_it(
    fake: FakeMax, client: Client
) -> None:
    user = fake.user(1001, "Мария")
    await user.start("ABC")
    await user.send("привет")
    first = await client.updates()
    assert [u["update_type"] for u in first["updates"]] == ["bot_started", "message_created"]
    started, created = first["updates"]
    assert started["payload"] == "ABC" and started["user"]["user_id"] == 1001
    assert created["message"]["body"]["text"] == "привет"
    assert isinstance(created["message"]["body"]["mid"], str)
    again = await client.updates()
    assert len(again["updates"]) == 2, "without a marker nothing is committed"
    marker = first["marker"]
    assert (await client.updates(marker=marker))["updates"] == []
    await user.send("ещё")
    later = await client.updates(marker=marker)
    assert [u["message"]["body"]["text"] for u in later["updates"]] == ["ещё"]
    assert len((await client.updates())["updates"]) == 1, "before the marker is committed"


async def test_updates_limit_and_types(fake: FakeMax, client: Client) -> None:
    user = fake.user(1001)
    await user.start()
    for n in range(3):
        await user.send(str(n))
    page = await client.updates(limit=2)
    assert len(page["updates"]) == 2
    rest = await client.updates(marker=page["marker"])
    assert [u["message"]["body"]["text"] for u in rest["updates"]] == ["1", "2"]
    only = await client.updates(types="bot_started")
    assert [u["update_type"] for u in only["updates"]] == []
    status, body = await client.call("GET", "/updates", params={"limit": "1001"})
    assert status == 400 and body["code"] == "proto.payload"


async def test_a_long_poll_waits_for_the_next_update(
    fake: FakeMax, client: Client, bot: FakeMaxBot
) -> None:
    poll = asyncio.create_task(client.updates(timeout=30))
    await until(
        lambda: fake.stats.calls["get /updates"] == 1 and bool(bot.update_notifier._futures)
    )
    assert not poll.done()
    await fake.user(1001).send("вот")
    result = await asyncio.wait_for(poll, 2)
    assert [u["message"]["body"]["text"] for u in result["updates"]] == ["вот"]


async def test_a_test_can_wake_a_long_poll(fake: FakeMax, client: Client, bot: FakeMaxBot) -> None:
    poll = asyncio.create_task(client.updates(timeout=30))
    await until(lambda: bool(bot.update_notifier._futures))
    bot.wake_polls()
    assert (await asyncio.wait_for(poll, 2))["updates"] == []


async def test_a_deep_link_payload_over_128_characters_is_not_passed(
    fake: FakeMax, client: Client
) -> None:
    await fake.user(1001).start("x" * 129)
    assert (await client.updates())["updates"][0]["payload"] is None


# ------------------------------------------------------------------- messages


async def test_send_a_message_the_user_sees(fake: FakeMax, client: Client) -> None:
    user = fake.user(1001)
    await user.start()
    status, body = await client.send(
        1001,
        {
            "text": "Привет, <b>Мария</b>",
            "format": "html",
            "attachments": [
                keyboard([callback("Да"), {"type": "link", "text": "Сайт", "url": "https://e.ru"}])
            ],
        },
    )
    assert status == 200, body
    message = body["message"]
    assert isinstance(message["body"]["mid"], str)
    assert message["recipient"] == {
        "chat_id": user.dialog.chat_id,
        "chat_type": "dialog",
        "user_id": 1001,
    }
    reply = await user.wait_reply()
    assert reply.text == "Привет, Мария"
    assert reply.markup == [{"type": "strong", "from": 8, "length": 5}]
    assert reply.button_texts == ["Да", "Сайт"]
    by_chat = await client.call(
        "POST", "/messages", params={"chat_id": user.dialog.chat_id}, json={"text": "2"}
    )
    assert by_chat[0] == 200
    got = await client.ok("GET", f"/messages/{message['body']['mid']}")
    assert got["body"]["text"] == "Привет, Мария"


async def test_sending_to_a_stranger_is_404(client: Client) -> None:
    status, body = await client.send(4242, {"text": "hi"})
    assert status == 404 and body["code"] == "not.found"


@pytest.mark.parametrize(
    "text",
    ["<b>unclosed", "<blink>x</blink>", "<b>x</i>", '<a name="x">link</a>', "x</b>"],
)
async def test_bad_html_is_400(fake: FakeMax, client: Client, text: str) -> None:
    await fake.user(1001).start()
    status, body = await client.send(1001, {"text": text, "format": "html"})
    assert status == 400 and body["code"] == "proto.payload", body


async def test_edit_keeps_or_drops_attachments_and_delete(fake: FakeMax, client: Client) -> None:
    user = fake.user(1001)
    await user.start()
    sent = (await client.send(1001, {"text": "a", "attachments": [keyboard([callback("X")])]}))[1]
    mid = sent["message"]["body"]["mid"]
    await client.ok("PUT", "/messages", params={"message_id": mid}, json={"text": "b"})
    view = user.last_message
    assert view is not None and view.text == "b" and view.button_texts == ["X"]
    assert view.edits == 1
    await client.ok(
        "PUT", "/messages", params={"message_id": mid}, json={"text": "c", "attachments": []}
    )
    assert view.button_texts == []
    only_keyboard = {"attachments": [keyboard([callback("Y")])]}
    await client.ok("PUT", "/messages", params={"message_id": mid}, json=only_keyboard)
    assert view.text == "c" and view.button_texts == ["Y"], "no text key keeps the text"
    await client.ok("DELETE", "/messages", params={"message_id": mid})
    assert view.deleted and user.last_message is None
    status, _ = await client.call(
        "PUT", "/messages", params={"message_id": mid}, json={"text": "d"}
    )
    assert status == 404


# --------------------------------------------------------------------- limits


def _rows(rows: int, per_row: int, kind: str = "callback") -> list[list[dict[str, Any]]]:
    def button(r: int, c: int) -> dict[str, Any]:
        if kind == "link":
            return {"type": "link", "text": f"{r}.{c}", "url": "https://e.ru"}
        return callback(f"{r}.{c}")

    return [[button(r, c) for c in range(per_row)] for r in range(rows)]


@pytest.mark.parametrize(
    ("body", "accepted"),
    [
        ({"text": "я" * TEXT_MAX_CHARS}, True),
        ({"text": "я" * (TEXT_MAX_CHARS + 1)}, False),
        ({"text": "k", "attachments": [keyboard(*_rows(30, 7))]}, True),
        ({"text": "k", "attachments": [keyboard(*_rows(31, 1))]}, False),
        ({"text": "k", "attachments": [keyboard(*_rows(1, 8))]}, False),
        ({"text": "k", "attachments": [keyboard(*_rows(1, 3, "link"))]}, True),
        ({"text": "k", "attachments": [keyboard(*_rows(1, 4, "link"))]}, False),
        ({"text": "k", "attachments": [keyboard([callback("t" * 129, "p")])]}, False),
        ({"text": "k", "attachments": [keyboard([callback("t", "я" * 512)])]}, True),
        ({"text": "k", "attachments": [keyboard([callback("t", "я" * 513)])]}, False),
        (
            {
                "text": "k",
                "attachments": [
                    keyboard([{"type": "link", "text": "t", "url": "https://e.ru/" + "a" * 2036}])
                ],
            },
            False,
        ),
        ({"text": "k", "attachments": [keyboard()]}, False),
    ],
)
async def test_limits(fake: FakeMax, client: Client, body: dict[str, Any], accepted: bool) -> None:
    await fake.user(1001).start()
    status, answer = await client.send(1001, body)
    if accepted:
        assert status == 200, answer
    else:
        assert status == 400 and answer["code"] == "proto.payload", answer
        assert fake.user(1001).messages == []
    assert len(("я" * 513).encode()) > CALLBACK_PAYLOAD_MAX_BYTES


async def test_more_than_30_requests_a_second_get_429(fake: FakeMax, client: Client) -> None:
    clock = fake.clock
    assert isinstance(clock, Clock)
    for _ in range(30):
        assert (await client.call("GET", "/me"))[0] == 200
    status, body = await client.call("GET", "/me")
    assert status == 429 and body["code"] == "too.many.requests"
    clock.now += 1.0
    assert (await client.call("GET", "/me"))[0] == 200
    fake.limits = RateLimits.unlimited()
    for _ in range(40):
        assert (await client.call("GET", "/me"))[0] == 200


# -------------------------------------------------------------------- blocked


async def test_a_user_who_blocked_the_bot(fake: FakeMax, client: Client) -> None:
    user = fake.user(1001)
    await user.start()
    user.block_bot()
    update = (await client.updates())["updates"][-1]
    assert update["update_type"] == "bot_stopped" and update["user"]["user_id"] == 1001
    status, body = await client.send(1001, {"text": "hi"})
    assert status == 403 and body["code"] == "chat.denied"
    await user.start()
    assert (await client.send(1001, {"text": "hi"}))[0] == 200


# ------------------------------------------------------------------- callbacks


async def test_a_press_and_the_answer_that_edits_the_message(fake: FakeMax, client: Client) -> None:
    user = fake.user(1001)
    await user.start()
    await client.send(
        1001, {"text": "Все здесь?", "attachments": [keyboard([callback("Да", "y")])]}
    )
    press = await user.press("Да")
    update = (await client.updates())["updates"][-1]
    assert update["update_type"] == "message_callback"
    assert update["callback"]["payload"] == "y"
    assert update["callback"]["user"]["user_id"] == 1001
    assert update["message"]["body"]["mid"] == press.message.mid
    callback_id = update["callback"]["callback_id"]
    answer = {"message": {"text": "Отмечено", "attachments": []}, "notification": "Готово"}
    await client.ok("POST", "/answers", params={"callback_id": callback_id}, json=answer)
    assert (await press.wait_answered())["notification"] == "Готово"
    assert (await user.wait_answered())["notification"] == "Готово"
    assert press.message.text == "Отмечено" and press.message.button_texts == []
    assert (await user.wait_reply()).text == "Отмечено"
    status, body = await client.call(
        "POST", "/answers", params={"callback_id": callback_id}, json={"notification": "x"}
    )
    assert status == 400 and body["code"] == "proto.payload"
    status, _ = await client.call(
        "POST", "/answers", params={"callback_id": "nope"}, json={"notification": "x"}
    )
    assert status == 400
    assert user.unanswered_callbacks == []


# -------------------------------------------------------------------- webhook


async def test_webhook_delivery_with_secret_and_retry(fake: FakeMax, client: Client) -> None:
    received: list[tuple[dict[str, Any], str | None]] = []
    answers = [500, 200, 200]

    async def hook(request: web.Request) -> web.Response:
        received.append((await request.json(), request.headers.get("X-Max-Bot-Api-Secret")))
        return web.Response(status=answers.pop(0) if answers else 200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}/hook"
    try:
        await client.ok("POST", "/subscriptions", json={"url": url, "secret": "s3cret_"})
        subs = await client.ok("GET", "/subscriptions")
        assert [s["url"] for s in subs["subscriptions"]] == [url]
        user = fake.user(1001)
        await user.send("через вебхук")
        await user.send("второе")
        await until(lambda: len(fake.bot().webhook_deliveries) == 2)
        texts = [u["message"]["body"]["text"] for u, _ in received]
        assert texts == ["через вебхук", "через вебхук", "второе"], "the 500 is retried"
        assert {secret for _, secret in received} == {"s3cret_"}
        status, _ = await client.call("GET", "/updates", params={"timeout": "0"})
        assert status == 405
        await client.ok("DELETE", "/subscriptions", params={"url": url})
        await user.send("снова опрос")
        assert [u["message"]["body"]["text"] for u in (await client.updates())["updates"]] == [
            "снова опрос"
        ]
    finally:
        await runner.cleanup()


# -------------------------------------------------------------------- uploads


async def _upload(client: Client, kind: str, data: bytes, name: str) -> dict[str, Any]:
    endpoint = await client.ok("POST", "/uploads", params={"type": kind})
    form = aiohttp.FormData()
    form.add_field("data", data, filename=name, content_type="application/pdf")
    async with client.session.post(endpoint["url"], data=form) as resp:
        assert resp.status == 200
        return await resp.json()


async def test_upload_a_file_and_send_it(fake: FakeMax, client: Client) -> None:
    user = fake.user(1001)
    await user.start()
    status, body = await client.send(
        1001, {"attachments": [{"type": "file", "payload": {"token": "unknown"}}]}
    )
    assert status == 400 and body["code"] == "proto.payload"
    token = (await _upload(client, "file", b"%PDF-1.4 report", "report.pdf"))["token"]
    fake.attachments_not_ready = 1
    attachment = {"type": "file", "payload": {"token": token}}
    status, body = await client.send(1001, {"text": "Отчёт", "attachments": [attachment]})
    assert status == 400 and body["code"] == "attachment.not.ready"
    status, body = await client.send(1001, {"text": "Отчёт", "attachments": [attachment]})
    assert status == 200, body
    reply = await user.wait_reply()
    assert [(f["filename"], f["size"]) for f in reply.files] == [("report.pdf", 15)]
    assert reply.file_bytes() == b"%PDF-1.4 report"
    async with client.session.get(reply.files[0]["payload"]["url"]) as resp:
        assert await resp.read() == b"%PDF-1.4 report"
    image = await _upload(client, "image", b"\x89PNG", "a.png")
    assert next(iter(image["photos"].values()))["token"]
    assert (await client.call("POST", "/uploads", params={"type": "photo"}))[0] == 400


# --------------------------------------------------------------------- faults


async def test_faults_5xx_and_a_dropped_connection(fake: FakeMax, client: Client) -> None:
    await fake.user(1001).start()
    fake.faults.server_error_next("post /messages", 2, error_code=502)
    for _ in range(2):
        status, _ = await client.send(1001, {"text": "x"})
        assert status == 502
    assert (await client.send(1001, {"text": "x"}))[0] == 200
    fake.faults.drop_next("post /messages")
    with pytest.raises(aiohttp.ClientError):
        await client.send(1001, {"text": "lost"})
    assert (await client.send(1001, {"text": "x"}))[0] == 200
    assert [m.text for m in fake.user(1001).messages] == ["x", "x"]


async def test_a_flood_fault_and_an_unreachable_server(fake: FakeMax, client: Client) -> None:
    fake.faults.flood_next("get /me")
    status, body = await client.call("GET", "/me")
    assert status == 429 and body["code"] == "too.many.requests"
    fake.set_unreachable()
    with pytest.raises(aiohttp.ClientError):
        await client.send(1001, {"text": "x"})
    fake.set_unreachable(False)
    assert (await client.call("GET", "/me"))[0] == 200


async def test_chat_info_and_sender_actions(fake: FakeMax, client: Client) -> None:
    user = fake.user(1001, "Мария")
    await user.start()
    chat_id = user.dialog.chat_id
    chat = await client.ok("GET", f"/chats/{chat_id}")
    assert chat["type"] == "dialog" and chat["status"] == "active"
    assert chat["dialog_with_user"]["user_id"] == 1001
    await client.ok("POST", f"/chats/{chat_id}/actions", json={"action": "typing_on"})
    assert user.dialog.events[-1].detail == {"action": "typing_on"}
    assert (await client.call("GET", "/chats/1"))[0] == 404
    assert (await client.call("GET", "/nowhere"))[0] == 404
    assert (await client.call("PATCH", "/messages"))[0] == 405


async def test_unanswered_presses_are_reported(fake: FakeMax, client: Client) -> None:
    user = fake.user(1001)
    await user.start()
    await client.send(1001, {"text": "?", "attachments": [keyboard([callback("Да")])]})
    await user.press("Да")
    with pytest.raises(AssertionError, match="1 callbacks were never answered"):
        fake.assert_all_callbacks_answered()


def test_fakemax_imports_go_one_way() -> None:
    """``server`` is on top; the rest see it through the ``Hub`` protocol of state.py."""
    root = Path(__file__).resolve().parent.parent / "fakemax"
    modules = {path.stem: path for path in root.glob("*.py") if path.stem != "__init__"}
    graph = {
        name: {
            m.split(".")[1]
            for m in imported_modules(path)
            if m.startswith("fakemax.") and m.split(".")[1] in modules
        }
        - {name}
        for name, path in modules.items()
    }
    order = list(graphlib.TopologicalSorter(graph).static_order())  # CycleError on a circle
    assert order[-1] == "server"


async def test_a_user_sends_a_file_the_bot_downloads(fake: FakeMax, client: Client) -> None:
    user = fake.user(1001)
    await user.send_file(b"PK\x03\x04 roster", "roster.xlsx", "Список")
    update = (await client.updates())["updates"][0]
    message = update["message"]
    assert message["body"]["text"] == "Список"
    (attachment,) = message["body"]["attachments"]
    assert attachment["type"] == "file"
    assert (attachment["filename"], attachment["size"]) == ("roster.xlsx", 11)
    async with client.session.get(attachment["payload"]["url"]) as resp:
        assert await resp.read() == b"PK\x03\x04 roster"


async def test_link_and_message_buttons(fake: FakeMax, client: Client) -> None:
    user = fake.user(1001)
    await user.start()
    link = {"type": "link", "text": "Сайт", "url": "https://e.ru"}
    await client.send(
        1001, {"text": "?", "attachments": [keyboard([link, {"type": "message", "text": "Меню"}])]}
    )
    await client.updates(marker=(await client.updates())["marker"])
    assert (await user.press("Сайт")).url == "https://e.ru"
    await user.press("Меню")
    (update,) = (await client.updates())["updates"]
    assert update["update_type"] == "message_created"
    assert update["message"]["body"]["text"] == "Меню"
