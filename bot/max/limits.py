"""MAX's limits on one message, from the official Bot API schema (max-messenger/api-schema,
``schema.yaml``): ``NewMessageBody.text`` has ``maxLength: 4000`` (characters); an inline
keyboard holds at most 210 buttons in 30 rows of at most 7; a callback button's payload
is at most 1024 characters, a button's text 1–128. The text is counted as sent, tags
included. Kept apart so that notifications read them without the
adapter's library."""

from __future__ import annotations

from bot.screen import Limits, TextUnit

MAX_LIMITS = Limits(
    text=3999,  # maxapi refuses a text of 4000 itself (methods/send_message.py: >= 4000)
    text_safe=3800,  # a part's header and the «(2/3)» fit in the rest
    buttons=210,
    rows=30,
    buttons_per_row=7,
    action_bytes=1024,
    unit=TextUnit.CHARS,
)
