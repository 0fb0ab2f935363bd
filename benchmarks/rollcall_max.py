"""The roll-call benchmark through MAX (``python -m benchmarks rollcall --messenger max``).

The same school, teacher flow, pacing, phases and report as ``benchmarks.rollcall``, but
the bot is the MAX adapter (``bot/max/``: maxapi's Bot, ``MaxDispatcher`` over the same
flows, the ``Poller``'s long polling) and the API is the local fake of MAX (``fakemax``,
rate limits off), as ``tests/maxkit.py`` runs them. During the timed phases the bot has a
process of its own (``rollcall --serve-bot … --messenger max``: :func:`serve_bot`), the
one-teacher trace runs it in this process for the SQL accounting.

Delivery → answer is timed from the moment fakemax hands the update to the bot (its
``GET /updates`` response carrying it is ready: ``FakeMax.add_delivery_listener``) to
the bot's answer for it (``FakeMax.add_listener``): for a press its ``POST /answers``
(delivery → complete: until the redrawn message is there too, in that same request or in
a ``PUT /messages`` after it), for a typed ``/today`` the message it sends. Steps are
keyed by the teacher's user id (a MAX dialog's chat id is another number). ``--workers``
is Telegram's only: the MAX adapter has long polling, no webhook server.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from benchmarks.rollcall import (
    ChildBot,
    InProcessBot,
    LogCounter,
    Recorder,
    bot_process,
)

MAX_TOKEN = "max-bench-token"
MAX_USERNAME = "school_journal_bot"
# fakemax's dialog events, as the recorder's: the bot's message, its edit, its answer
ANSWER_KINDS = {"sent": "sent", "edited": "edited", "answered": "callback_answer"}


@dataclass(frozen=True)
class Answer:
    """A bot's answer in a dialog, as ``Recorder.on_event`` reads it."""

    kind: str
    chat_id: int  # the teacher's user id: the recorder's key


def update_user(update: dict[str, Any]) -> int | None:
    """Whose step a MAX update is (the recorder's key): the writer's or presser's id."""
    kind = update.get("update_type")
    if kind == "message_created":
        return int(update["message"]["sender"]["user_id"])
    if kind == "message_callback":
        return int(update["callback"]["user"]["user_id"])
    return None


def make_fake(recorder: Recorder) -> Any:
    """fakemax, rate limits off, reporting deliveries and answers to ``recorder``."""
    import time

    from fakemax import FakeMax, RateLimits

    fake = FakeMax(limits=RateLimits.unlimited(), reply_timeout=60.0)
    fake.add_delivery_listener(lambda updates: recorder.delivered(updates, time.perf_counter()))

    def on_event(dialog: Any, event: Any) -> None:
        kind = ANSWER_KINDS.get(event.kind)
        if kind is not None:
            recorder.on_event(Answer(kind, dialog.user_id))

    fake.add_listener(on_event)
    return fake


class InProcessMaxBot(InProcessBot):
    """The MAX bot as a task of this process (the trace, ``--in-process``), as
    ``tests/maxkit.py`` runs it."""

    def __init__(self, journal: Any, api_base: str, logs: LogCounter) -> None:
        super().__init__(None, logs)
        self.journal, self.api_base = journal, api_base

    async def start(self) -> None:
        import asyncio

        self.stopping = asyncio.Event()
        self.task = asyncio.create_task(run_max_bot(self.journal, self.api_base, self.stopping))


async def run_max_bot(journal: Any, api_base: str, stop: Any) -> None:
    """The MAX bot on ``journal`` polling ``api_base`` until ``stop`` is set."""
    from bot.flows.features import all_routes
    from bot.max.client import updates_bot
    from bot.max.dispatch import MaxDispatcher
    from bot.max.runner import Poller

    bot = updates_bot(MAX_TOKEN, api_base)  # as journal run builds it
    try:
        await Poller(bot, MaxDispatcher(journal, bot, all_routes())).run(stop)
    finally:
        await bot.close_session()


async def serve_bot(db_url: str, api_base: str) -> None:
    """``rollcall --serve-bot DB_URL API_BASE --messenger max``: only the MAX bot (the
    journal's clock at NOW), until SIGTERM."""
    async with bot_process(db_url, api_base) as (_, _, journal, stop):
        await run_max_bot(journal, api_base, stop)


class MaxSide:
    """The MAX side of the benchmark (see ``rollcall.TelegramSide``): fakemax, its
    simulated teachers, binding by the invitation's deep link, the bot polling."""

    label = " (MAX)"
    update_chat = staticmethod(update_user)

    def __init__(self) -> None:
        self.fake: Any = None

    async def start(self, recorder: Recorder) -> Any:
        self.fake = make_fake(recorder)
        await self.fake.start()
        self.fake.add_bot(MAX_TOKEN, MAX_USERNAME, "Журнал")
        return self.fake

    async def stop(self) -> None:
        await self.fake.stop()

    def users(self, count: int) -> list[Any]:
        return [self.fake.user(500_000 + i, f"Учитель{i}", "Бенчмарк") for i in range(count)]

    async def bind(self, user: Any, code: str) -> None:
        await user.start(code)
        while "Готово" not in ((await user.wait_reply(30.0)).text or ""):
            pass

    def runners(
        self, args: argparse.Namespace, app: Any, db_url: str, logs: LogCounter
    ) -> tuple[InProcessBot, Any]:
        in_process = InProcessMaxBot(app.journal, self.fake.base_url, logs)
        if args.in_process:
            return in_process, in_process
        return in_process, ChildBot(db_url, self.fake.base_url, messenger="max")

    @staticmethod
    def where(args: argparse.Namespace) -> str:
        if args.in_process:
            return "the MAX bot in this process (long polling), with fakemax and the users"
        return (
            "the MAX bot in a process of its own (long polling); fakemax and the users in this one"
        )

    def activity(self) -> int:
        return sum(len(d.events) for d in self.fake.bot().dialogs.values())

    def pending_updates(self) -> int:
        bot = self.fake.bot()
        return len(bot.pending_updates(bot.committed, None))

    def errors_mark(self) -> int:
        return len(self.fake.bot().errors)

    def errors_since(self, mark: int) -> list[str]:
        return [
            f"MAX API error {e['operation']}: {e['status']} {e.get('message')}"
            for e in self.fake.bot().errors[mark:]
        ]

    def unanswered(self) -> set[str]:
        return {c.callback_id for c in self.fake.bot().unanswered_callbacks}
