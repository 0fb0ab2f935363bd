"""fakemax: a local fake of the MAX Bot API (platform-api2.max.ru) for tests.

The bot under test talks to it over HTTP through its configurable API URL::

    fake = FakeMax()
    await fake.start()
    fake.add_bot("max-token", "school_journal_bot")
    # the client: base URL fake.base_url, header "Authorization: max-token"

    user = fake.user(1001, "Мария", "Иванова")
    await user.start("ABC")                       # bot_started, payload "ABC"
    reply = await user.wait_reply()               # the bot's next message or edit
    press = await user.press("Присутствуют все")  # message_callback
    await press.wait_answered()                   # the bot's POST /answers

Limits (each figure with its source) are in ``fakemax.limits``; ``fake.limits`` is the
request rate (30/s), ``fake.faults`` injects failures. For timing
(``benchmarks/rollcall_max.py``), ``fake.add_delivery_listener(f)`` calls ``f(updates)``
when updates are handed to the bot and ``fake.add_listener(f)`` calls ``f(dialog, event)``
for every dialog event. It is test-only: production code never imports it, and it
imports nothing of the bot.
"""

from fakemax.errors import MaxError
from fakemax.html import HtmlError, parse_html
from fakemax.limits import Faults, RateLimits, Stats
from fakemax.server import FakeMax
from fakemax.state import CallbackRecord, Dialog, FakeMaxBot, StoredMessage, Upload
from fakemax.users import FakeMaxUser, MessageView, Press

__all__ = [
    "CallbackRecord",
    "Dialog",
    "FakeMax",
    "FakeMaxBot",
    "FakeMaxUser",
    "Faults",
    "HtmlError",
    "MaxError",
    "MessageView",
    "Press",
    "RateLimits",
    "Stats",
    "StoredMessage",
    "Upload",
    "parse_html",
]
