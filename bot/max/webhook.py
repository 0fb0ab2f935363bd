"""The MAX bot's webhook: MAX POSTs each update to ``MAX_WEBHOOK_URL`` (subscribed with
``POST /subscriptions`` at start, its secret in ``X-Max-Bot-Api-Secret``), and the updates
go to the same dispatcher as long polling's, a chat's in order (``Poller.feed``). An
update is acknowledged at once and handled after: MAX waits for no handler."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging

from aiohttp import web
from maxapi import Bot
from maxapi.methods.types.getted_updates import process_update_webhook

from bot.max.runner import Poller
from bot.max.updates import incoming

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Max-Bot-Api-Secret"


def webhook_app(bot: Bot, poller: Poller, path: str, secret: str | None) -> web.Application:
    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if secret is not None and not hmac.compare_digest(given, secret):
            return web.Response(status=401)
        try:
            event = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.Response(status=400)
        update = await process_update_webhook(event, bot) if isinstance(event, dict) else None
        found = incoming(update) if update is not None else None
        if found is not None:
            poller.feed(found)
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post(path, receive)
    return app


async def serve(
    bot: Bot,
    poller: Poller,
    *,
    url: str,
    path: str,
    host: str,
    port: int,
    secret: str | None,
    stop: asyncio.Event,
    subscribe: bool = True,
    shared_port: bool = False,
) -> None:
    """Serve the webhook until ``stop``, subscribed to MAX at ``url`` + ``path`` (unless
    ``subscribe`` is off: an extra worker, whose first process subscribed); ``shared_port``:
    the port opened with SO_REUSEPORT, the kernel spreading MAX's connections over the
    workers. The updates in hand are finished before it returns."""
    runner = web.AppRunner(webhook_app(bot, poller, path, secret))
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_port=True if shared_port else None)
    await site.start()
    try:
        if subscribe:
            await bot.subscribe_webhook(url.rstrip("/") + path, secret=secret)
        log.info("MAX webhook on %s:%s", host, port)
        await stop.wait()
    finally:
        await runner.cleanup()
        await poller.drain()
