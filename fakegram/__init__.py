"""fakegram: a local fake of the Telegram Bot API for end-to-end tests and a sandbox.

The real aiogram bot talks to it over HTTP through its configurable API base URL::

    fake = FakeTelegram()
    await fake.start()
    fake.add_bot("123456:TEST", "school_journal_bot")
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
    bot = Bot("123456:TEST", session=session)   # poll it with a Dispatcher as usual

    user = fake.user(1001, "Мария", "Иванова")
    await user.open_deep_link("ABC")              # "/start ABC"
    reply = await user.wait_reply()               # next bot message/edit after the action
    await user.press_and_wait("Присутствуют все") # callback_query -> the bot's edit
    fake.assert_all_callbacks_answered()

Limits and failures: ``fake.limits`` (RateLimits), ``fake.faults`` (Faults),
``fake.stats`` / ``bot.stats`` (Stats). Console: ``fakegram.console.run_console`` or
``python -m fakegram``.
"""

from fakegram.errors import ApiError
from fakegram.formatting import EntityParseError, utf16_len
from fakegram.limits import Faults, RateLimits, Stats
from fakegram.parse_mode import parse_html
from fakegram.server import FakeTelegram
from fakegram.state import CallbackQueryRecord, ChatEvent, FakeBot, FakeChat, StoredFile
from fakegram.users import FakeUser, Press
from fakegram.views import Button, MessageView

__all__ = [
    "ApiError",
    "Button",
    "CallbackQueryRecord",
    "ChatEvent",
    "EntityParseError",
    "FakeBot",
    "FakeChat",
    "FakeTelegram",
    "FakeUser",
    "Faults",
    "MessageView",
    "Press",
    "RateLimits",
    "Stats",
    "StoredFile",
    "parse_html",
    "utf16_len",
]
