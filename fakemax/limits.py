"""What the real MAX Bot API enforces, each figure with where it is written, plus the
fake's request-rate limiter.

Sources:
  [schema]  max-messenger/api-schema, schema.yaml (OpenAPI 0.0.33), by component name;
  [kbd]     dev.max.ru/docs-api/use-cases/sending-messages/keyboard/ ("Проектирование
            клавиатуры");
  [maxapi]  love-apples/maxapi 1.2.3, the file named;
  [rps]     green-api.com/max-bot-api/docs/faq (MAX's own figure, quoted: "максимальное
            количество запросов в секунду на platform-api.max.ru — 30 rps").
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fakegram.limits import Clock, FaultRule, Faults, Stats

__all__ = ["Clock", "FaultRule", "Faults", "RateLimiter", "RateLimits", "Stats"]

# [schema] NewMessageBody.text maxLength 4000 (characters). [maxapi] methods/send_message.py
# refuses len(text) >= 4000 client-side, one less than the schema; the fake follows the
# schema (4000 accepted, 4001 refused).
TEXT_MAX_CHARS = 4000

# [kbd] "до 210 кнопок, сгруппированных в 30 рядов — до 7 кнопок в каждом (до 3, если это
# кнопки типа link, open_app, request_geo_location или request_contact)".
KEYBOARD_MAX_BUTTONS = 210
KEYBOARD_MAX_ROWS = 30
KEYBOARD_MAX_PER_ROW = 7
KEYBOARD_MAX_PER_ROW_WIDE = 3
WIDE_BUTTONS = frozenset({"link", "open_app", "request_geo_location", "request_contact"})

# [schema] Button.text minLength 1, maxLength 128.
BUTTON_TEXT_MAX_CHARS = 128
# [schema] CallbackButton.payload maxLength 1024; [maxapi] filters/callback_payload.py
# PAYLOAD_MAX = 1024 compared with len(data.encode()), i.e. bytes of UTF-8.
CALLBACK_PAYLOAD_MAX_BYTES = 1024
# [schema] LinkButton.url maxLength 2048.
LINK_URL_MAX_CHARS = 2048
# [schema] InlineKeyboardAttachmentRequestPayload.buttons minItems 1.
KEYBOARD_MIN_ROWS = 1

# Deep links: [schema] info.description "Deep linking": "up to **128** characters long.
# Longer strings will be omitted and **not** passed to the bot"; [maxapi]
# utils/deep_linking.py DEEPLINK_PAYLOAD_MAX_LENGTH = 128. (BotStartedUpdate.payload says
# maxLength 512, which is the startapp limit, STARTAPP_PAYLOAD_MAX_LENGTH = 512.)
DEEP_LINK_PAYLOAD_MAX_CHARS = 128

# [schema] BotCommandsPatch.commands maxItems 32; BotCommand.name maxLength 64,
# description maxLength 128.
COMMANDS_MAX = 32
COMMAND_NAME_MAX_CHARS = 64
COMMAND_DESCRIPTION_MAX_CHARS = 128

# [schema] paths./updates.get: limit 1..1000 (default 100), timeout 0..90 s (default 30).
UPDATES_LIMIT_MAX = 1000
UPDATES_LIMIT_DEFAULT = 100
UPDATES_TIMEOUT_MAX = 90
UPDATES_TIMEOUT_DEFAULT = 30

# [schema] SubscriptionRequestBody.secret: 5..256 characters of [A-Za-z0-9_-], sent in the
# "X-Max-Bot-Api-Secret" header of every webhook request.
WEBHOOK_SECRET_MIN = 5
WEBHOOK_SECRET_MAX = 256
WEBHOOK_SECRET_HEADER = "X-Max-Bot-Api-Secret"

# [schema] paths./uploads.post: "file ... maximum size for a single file: up to 4 GB",
# "image ... up to 50 MB". The fake keeps bytes in memory, so its own ceiling is lower
# (FakeMax(max_upload_size=...)).
UPLOAD_FILE_MAX_BYTES = 4 * 1024**3
UPLOAD_IMAGE_MAX_BYTES = 50 * 1024**2

# [rps] 30 requests per second per bot (token).
REQUESTS_PER_SECOND = 30


def keyboard_problem(buttons: Any) -> str | None:
    """What is wrong with an inline keyboard's ``buttons`` (None if it is acceptable)."""
    if not isinstance(buttons, list) or len(buttons) < KEYBOARD_MIN_ROWS:
        return "inline_keyboard: buttons must be a non-empty array of rows"
    if len(buttons) > KEYBOARD_MAX_ROWS:
        return f"inline_keyboard: more than {KEYBOARD_MAX_ROWS} rows"
    total = 0
    for row in buttons:
        if not isinstance(row, list) or not row:
            return "inline_keyboard: every row must be a non-empty array of buttons"
        wide = any(isinstance(b, dict) and b.get("type") in WIDE_BUTTONS for b in row)
        per_row = KEYBOARD_MAX_PER_ROW_WIDE if wide else KEYBOARD_MAX_PER_ROW
        if len(row) > per_row:
            return f"inline_keyboard: more than {per_row} buttons in a row"
        total += len(row)
        for button in row:
            problem = button_problem(button)
            if problem is not None:
                return problem
    if total > KEYBOARD_MAX_BUTTONS:
        return f"inline_keyboard: more than {KEYBOARD_MAX_BUTTONS} buttons"
    return None


# schema.yaml, Intent: "Intent of button" (default, positive, negative).
INTENTS = frozenset({"default", "positive", "negative"})


def button_problem(button: Any) -> str | None:
    if not isinstance(button, dict):
        return "inline_keyboard: a button must be an object"
    text = button.get("text")
    if not isinstance(text, str) or not text:
        return "button.text: must not be empty"
    if len(text) > BUTTON_TEXT_MAX_CHARS:
        return f"button.text: longer than {BUTTON_TEXT_MAX_CHARS} characters"
    kind = button.get("type")
    if kind == "callback":
        payload = button.get("payload")
        if not isinstance(payload, str):
            return "callback button: payload is required"
        intent = button.get("intent")
        if intent is not None and intent not in INTENTS:
            return f"callback button: intent must be one of {', '.join(sorted(INTENTS))}"
        if len(payload.encode("utf-8")) > CALLBACK_PAYLOAD_MAX_BYTES:
            return f"callback button: payload longer than {CALLBACK_PAYLOAD_MAX_BYTES} bytes"
    elif kind == "link":
        url = button.get("url")
        if not isinstance(url, str) or not url:
            return "link button: url is required"
        if len(url) > LINK_URL_MAX_CHARS:
            return f"link button: url longer than {LINK_URL_MAX_CHARS} characters"
    elif not isinstance(kind, str):
        return "button.type is required"
    return None


@dataclass
class RateLimits:
    """Request-rate settings: at most ``requests`` calls of one token within any rolling
    ``window`` seconds, the rest answered 429 (the real figure is 30 per second)."""

    enabled: bool = True
    requests: int = REQUESTS_PER_SECOND
    window: float = 1.0

    @classmethod
    def unlimited(cls) -> RateLimits:
        return cls(enabled=False)


class RateLimiter:
    """A sliding window of one token's requests, driven by the fake's clock."""

    def __init__(self, limits: Callable[[], RateLimits], clock: Clock) -> None:
        self._limits = limits
        self._clock = clock
        self._times: deque[float] = deque()

    def reset(self) -> None:
        self._times.clear()

    def acquire(self) -> float | None:
        """Count one request; None if allowed, else seconds until a slot frees up."""
        limits = self._limits()
        if not limits.enabled or limits.requests <= 0:
            return None
        now = self._clock()
        while self._times and self._times[0] <= now - limits.window:
            self._times.popleft()
        if len(self._times) >= limits.requests:
            free_at = self._times[len(self._times) - limits.requests] + limits.window
            return max(0.001, free_at - now)
        self._times.append(now)
        return None


def retry_after_seconds(wait: float) -> int:
    return max(1, math.ceil(wait))
