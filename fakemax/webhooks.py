"""Webhook delivery: while a bot has a subscription, each new update is POSTed to its url
(one at a time, in order), with the secret in X-Max-Bot-Api-Secret; a non-200 answer or
a network error is retried after ``retry_delay`` (MAX retries "until get 200 OK", up to 8
hours: schema.yaml info.description "Webhook")."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

import aiohttp

from fakemax.limits import WEBHOOK_SECRET_HEADER
from fakemax.state import FakeMaxBot

log = logging.getLogger("fakemax")


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


class Webhooks:
    def __init__(self, *, retry_delay: float, timeout: float) -> None:
        self.retry_delay = retry_delay
        self.timeout = timeout
        self._queues: dict[str, deque[dict[str, Any]]] = {}
        self._wakeups: dict[str, asyncio.Event] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._http: aiohttp.ClientSession | None = None
        self.listeners: list[Callable[[list[dict[str, Any]]], None]] = []

    def push(self, bot: FakeMaxBot, update: dict[str, Any]) -> None:
        self._queues.setdefault(bot.token, deque()).append(update)
        self._wakeups.setdefault(bot.token, asyncio.Event()).set()
        task = self._tasks.get(bot.token)
        if task is None or task.done():
            self._tasks[bot.token] = asyncio.create_task(
                self._loop(bot), name=f"fakemax-webhook-{bot.username}"
            )

    def pending(self, bot: FakeMaxBot) -> list[dict[str, Any]]:
        return list(self._queues.get(bot.token, ()))

    def stop(self, bot: FakeMaxBot) -> list[dict[str, Any]]:
        """Stop delivering; returns the updates not delivered yet."""
        task = self._tasks.pop(bot.token, None)
        if task is not None and not task.done():
            task.cancel()
        return list(self._queues.pop(bot.token, ()))

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def _loop(self, bot: FakeMaxBot) -> None:
        queue = self._queues[bot.token]
        wakeup = self._wakeups[bot.token]
        while True:
            if not queue:
                wakeup.clear()
                await wakeup.wait()
                continue
            subscription = bot.subscription
            if subscription is None:
                return
            if await self._post(subscription.url, subscription.secret, queue[0]):
                bot.webhook_deliveries.append(queue.popleft())
            else:
                await asyncio.sleep(self.retry_delay)

    async def _post(self, url: str, secret: str | None, update: dict[str, Any]) -> bool:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        headers = {"Content-Type": "application/json"}
        if secret:
            headers[WEBHOOK_SECRET_HEADER] = secret
        for listener in list(self.listeners):
            listener([update])
        try:
            async with self._http.post(url, data=dumps(update), headers=headers) as resp:
                await resp.read()
                return resp.status == 200
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.info("fakemax: webhook %s failed: %s", url, exc)
            return False
