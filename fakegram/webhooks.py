"""Webhook delivery: a bot's pending updates pushed to its URL, one at a time per chat
and at most ``max_connections`` at once, as Telegram does; a method in the reply's body
is run as if the bot had called it."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from fakegram.calls import UploadedFile
from fakegram.state import FakeBot, Hub, WebhookState

log = logging.getLogger("fakegram")

Dispatch = Callable[
    [FakeBot, str, dict[str, Any], dict[str, UploadedFile] | None], Awaitable[tuple[int, Any]]
]


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _update_chat_key(update: dict[str, Any]) -> int | None:
    for key, payload in update.items():
        if key == "update_id" or not isinstance(payload, dict):
            continue
        chat = payload.get("chat") or (payload.get("message") or {}).get("chat")
        if isinstance(chat, dict) and "id" in chat:
            return int(chat["id"])
        sender = payload.get("from")
        if isinstance(sender, dict) and "id" in sender:
            return int(sender["id"])
    return None


class Webhooks:
    """The webhook side of the fake server (one per ``FakeTelegram``)."""

    def __init__(
        self,
        fake: Hub,
        dispatch: Dispatch,
        method_name: Callable[[str], str],
        *,
        timeout: float,
        retry_delay: float,
    ) -> None:
        self.fake = fake
        self.dispatch = dispatch
        self.method_name = method_name
        self.timeout = timeout
        self.retry_delay = retry_delay
        self.listeners: list[Callable[[dict[str, Any]], None]] = []
        self._http: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    def start(self, bot: FakeBot) -> None:
        if bot._webhook_task is None or bot._webhook_task.done():
            bot._webhook_task = asyncio.create_task(
                self._loop(bot), name=f"fakegram-webhook-{bot.username}"
            )

    def stop(self, bot: FakeBot) -> None:
        bot.webhook = None
        task = bot._webhook_task
        bot._webhook_task = None
        if task is not None and not task.done():
            task.cancel()
        bot.update_notifier.notify()

    async def _loop(self, bot: FakeBot) -> None:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
        busy_chats: set[int] = set()
        tasks: set[asyncio.Task[None]] = set()
        try:
            while bot.webhook is not None and not self.fake.closing:
                hook = bot.webhook

                def pick(hook: WebhookState = hook) -> Any:
                    if bot.webhook is not hook or self.fake.closing:
                        return "changed"
                    if len(bot._inflight) >= hook.max_connections:
                        return None
                    for update in bot.updates:
                        if update["update_id"] in bot._inflight:
                            continue
                        key = _update_chat_key(update)
                        if key is not None and key in busy_chats:
                            continue
                        return update
                    return None

                update = await bot.update_notifier.wait_for(pick, None)
                if update == "changed" or update is None:
                    continue  # re-check: deleted, replaced by a new URL, or shutting down
                key = _update_chat_key(update)
                bot._inflight.add(update["update_id"])
                if key is not None:
                    busy_chats.add(key)
                task = asyncio.create_task(self._deliver(bot, hook, update, key, busy_chats))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        finally:
            for task in list(tasks):
                task.cancel()

    async def _deliver(
        self,
        bot: FakeBot,
        hook: Any,
        update: dict[str, Any],
        key: int | None,
        busy_chats: set[int],
    ) -> None:
        for listener in list(self.listeners):
            listener(update)
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        error: str | None = None
        try:
            assert self._http is not None
            async with self._http.post(
                hook.url,
                data=dumps(update).encode("utf-8"),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as resp:
                if 200 <= resp.status < 300:
                    bot.updates = [u for u in bot.updates if u is not update]
                    hook.delivered += 1
                    await self._run_reply(bot, resp)
                else:
                    error = f"Wrong response from the webhook: {resp.status} {resp.reason}"
        except asyncio.CancelledError:
            raise
        except TimeoutError:
            error = "Read timeout expired"
        except aiohttp.ClientConnectorError:
            error = "Connection refused"
        except Exception as exc:
            error = f"Connection error: {exc!r}"
        finally:
            bot._inflight.discard(update["update_id"])
        try:
            if error is not None:
                hook.last_error_date = int(self.fake.wall_clock())
                hook.last_error_message = error
                hook.failures += 1
                log.info("fakegram webhook delivery failed: %s", error)
                await asyncio.sleep(self.retry_delay)
        finally:
            if key is not None:
                busy_chats.discard(key)
            bot.update_notifier.notify()

    async def _run_reply(self, bot: FakeBot, resp: aiohttp.ClientResponse) -> None:
        """Execute a method returned in the webhook response body (Telegram allows this)."""
        ctype = resp.content_type
        raw: dict[str, Any] = {}
        files: dict[str, UploadedFile] = {}
        if ctype == "application/json":
            try:
                body = await resp.json(content_type=None)
            except ValueError:
                return
            if isinstance(body, dict):
                raw = body
        elif ctype == "multipart/form-data":
            reader = aiohttp.MultipartReader.from_response(resp)
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                    continue
                if part.filename:
                    files[part.name] = UploadedFile(part.filename, bytes(await part.read()))
                else:
                    raw[part.name] = await part.text()
        else:
            return
        method = raw.pop("method", None)
        if not method:
            return
        name = self.method_name(str(method))
        status, body = await self.dispatch(bot, name, raw, files)
        if status != 200:
            log.info("fakegram: method %s from webhook reply failed: %s", name, body)
