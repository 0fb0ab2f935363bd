"""Flood limits, call statistics and fault injection for the fake Bot API."""

from __future__ import annotations

import asyncio
import json
import math
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Clock = Callable[[], float]

# Telegram's limits on an inline keyboard beyond its 100 buttons (checked in methods.py):
INLINE_ROW_LIMIT = 8  # buttons in one row
INLINE_MARKUP_BYTES = 10_000  # "reply markup is too long" past about 10 kB of JSON


def inline_keyboard_problem(rows: list[list[dict[str, Any]]]) -> str | None:
    """Telegram's description of what is wrong with an inline keyboard's size, if any."""
    if any(len(row) > INLINE_ROW_LIMIT for row in rows):
        return "REPLY_MARKUP_TOO_LONG"
    size = len(json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    if size > INLINE_MARKUP_BYTES:
        return "reply markup is too long"
    return None


@dataclass
class RateLimits:
    """Flood-control settings (per bot, like Telegram's).

    * global: at most ``global_limit`` messages within any rolling ``global_window`` seconds
      across all chats (Telegram: about 30 messages per second);
    * per chat: a token bucket refilled at ``per_chat_rate`` messages per second holding at
      most ``per_chat_burst`` tokens (Telegram: about one message per second per chat, short
      bursts tolerated). The default bucket is permissive so ordinary tests are not throttled;
      ``RateLimits.realistic()`` is strict.

    ``count_edits`` makes edits count like sends.
    """

    enabled: bool = True
    global_limit: int = 30
    global_window: float = 1.0
    per_chat_rate: float = 20.0
    per_chat_burst: int = 20
    count_edits: bool = False

    @classmethod
    def realistic(cls) -> RateLimits:
        return cls(global_limit=30, global_window=1.0, per_chat_rate=1.0, per_chat_burst=3)

    @classmethod
    def unlimited(cls) -> RateLimits:
        return cls(enabled=False)


class FloodError(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too Many Requests: retry after {retry_after}")
        self.retry_after = retry_after


class RateLimiter:
    """Sliding-window global limit + per-chat token buckets, driven by an injectable clock.

    It also counts the sends that ignored a ``retry_after`` (``retry_after_ignored``): a
    send that arrives while a 429 it answered still holds, the bot's (a 429 of the global
    limit) or the chat's (of the chat's bucket). Such a send is judged as any other.
    """

    def __init__(self, limits: Callable[[], RateLimits], clock: Clock) -> None:
        self._limits = limits
        self._clock = clock
        self._global: deque[float] = deque()
        self._buckets: dict[int, tuple[float, float]] = {}  # chat -> (tokens, updated at)
        self._bot_held_until = -math.inf  # the last global 429's retry_after ends
        self._chat_held_until: dict[int, float] = {}  # the last chat 429's retry_after ends
        self.retry_after_ignored = 0

    def reset(self) -> None:
        self._global.clear()
        self._buckets.clear()
        self._bot_held_until = -math.inf
        self._chat_held_until.clear()
        self.retry_after_ignored = 0

    def acquire(self, chat_id: int) -> None:
        """Consume one message slot for ``chat_id`` or raise FloodError (nothing consumed)."""
        limits = self._limits()
        if not limits.enabled:
            return
        now = self._clock()
        if now < self._bot_held_until or now < self._chat_held_until.get(chat_id, -math.inf):
            self.retry_after_ignored += 1
        window = limits.global_window
        while self._global and self._global[0] <= now - window:
            self._global.popleft()
        if limits.global_limit > 0 and len(self._global) >= limits.global_limit:
            free_at = self._global[len(self._global) - limits.global_limit] + window
            retry_after = max(1, math.ceil(free_at - now))
            self._bot_held_until = max(self._bot_held_until, now + retry_after)
            raise FloodError(retry_after)
        burst = max(1, limits.per_chat_burst)
        tokens, updated = self._buckets.get(chat_id, (float(burst), now))
        if limits.per_chat_rate > 0:
            tokens = min(float(burst), tokens + (now - updated) * limits.per_chat_rate)
        if tokens < 1.0:
            if limits.per_chat_rate <= 0:
                retry_after = 60
            else:
                retry_after = max(1, math.ceil((1.0 - tokens) / limits.per_chat_rate))
            self._chat_held_until[chat_id] = now + retry_after
            raise FloodError(retry_after)
        self._buckets[chat_id] = (tokens - 1.0, now)
        self._global.append(now)


@dataclass
class Stats:
    """What the fake saw. Timestamps come from the fake's (injectable) clock."""

    calls: Counter[str] = field(default_factory=Counter)
    errors: Counter[tuple[str, int]] = field(default_factory=Counter)
    too_many_requests: int = 0
    send_times: list[float] = field(default_factory=list)
    edit_times: list[float] = field(default_factory=list)

    def reset(self) -> None:
        self.calls.clear()
        self.errors.clear()
        self.too_many_requests = 0
        self.send_times.clear()
        self.edit_times.clear()

    @property
    def sends(self) -> int:
        return len(self.send_times)

    def send_rate(self, start: float | None = None, end: float | None = None) -> float:
        """Average successful sends per second between ``start`` and ``end``.

        Defaults to the span from the first to the last send (so N sends spread over
        exactly (N-1)/30 s report 30 msg/s).
        """
        times = self.send_times
        if start is None and end is None:
            if len(times) < 2:
                return float(len(times))
            span = times[-1] - times[0]
            return (len(times) - 1) / span if span > 0 else math.inf
        lo = times[0] if start is None and times else (start or 0.0)
        hi = times[-1] if end is None and times else (end or 0.0)
        count = sum(1 for t in times if lo <= t <= hi)
        return count / (hi - lo) if hi > lo else float(count)

    def max_sends_in_window(self, window: float = 1.0) -> int:
        """The largest number of sends inside any rolling ``window`` seconds."""
        best = 0
        left = 0
        times = self.send_times
        for right, t in enumerate(times):
            while times[left] <= t - window:
                left += 1
            best = max(best, right - left + 1)
        return best


@dataclass
class FaultRule:
    method: str  # lower-case method name or "*"
    remaining: int
    kind: str  # "error" | "drop" | "delay" | "hold"
    error_code: int = 500
    description: str = ""
    retry_after: int | None = None
    delay: float = 0.0
    html_body: bool = False
    until: float | None = None  # a storm: every call until this time of the fake's clock
    token: str | None = None  # only this bot's calls (None: every bot's)
    held: int = 0  # a hold: how many calls it has held so far
    _released: asyncio.Event | None = field(default=None, repr=False)

    async def hold(self) -> None:
        """A held call waits here until :meth:`release`."""
        if self._released is None:
            self._released = asyncio.Event()
        self.held += 1
        await self._released.wait()

    def release(self) -> None:
        """Let the held calls (and any later one this rule takes) go on."""
        if self._released is None:
            self._released = asyncio.Event()
        self._released.set()


class Faults:
    """Fault injection: force the next K calls of a method to fail, be dropped or delayed.

    ``unreachable = True`` makes the fake close every connection without answering (the
    client sees a network error) until it is set back to False.
    """

    def __init__(self, clock: Clock | None = None) -> None:
        self.rules: list[FaultRule] = []
        self.unreachable = False
        self.clock: Clock = clock or (lambda: 0.0)

    def clear(self) -> None:
        self.rules.clear()
        self.unreachable = False

    def _add(self, rule: FaultRule) -> FaultRule:
        rule.method = rule.method.lower()
        self.rules.append(rule)
        return rule

    def fail_next(
        self,
        method: str = "*",
        times: int = 1,
        *,
        error_code: int = 500,
        description: str | None = None,
        retry_after: int | None = None,
    ) -> FaultRule:
        """Answer the next ``times`` calls of ``method`` with an error."""
        if description is None:
            description = _default_description(error_code, retry_after)
        return self._add(
            FaultRule(method, times, "error", error_code, description, retry_after=retry_after)
        )

    def flood_next(self, method: str = "*", times: int = 1, retry_after: int = 5) -> FaultRule:
        """429 "Too Many Requests: retry after N" with parameters.retry_after=N."""
        return self.fail_next(method, times, error_code=429, retry_after=retry_after)

    def server_error_next(
        self, method: str = "*", times: int = 1, error_code: int = 502, *, html: bool = False
    ) -> FaultRule:
        """A 5xx answer; ``html=True`` returns an nginx-style HTML page like the real outage."""
        rule = self.fail_next(method, times, error_code=error_code)
        rule.html_body = html
        return rule

    def flood_storm(
        self, *methods: str, seconds: float, retry_after: int = 5, html: bool = False
    ) -> list[FaultRule]:
        """A 429 storm: every call of ``methods`` (all, if none given) for the next
        ``seconds`` of the fake's clock is answered 429 with ``retry_after`` (or, with
        ``html``, a 502 HTML page, as Telegram's front sends in a bad minute)."""
        until = self.clock() + seconds
        rules = []
        for method in methods or ("*",):
            if html:
                rule = self.server_error_next(method, 1 << 30, html=True)
            else:
                rule = self.flood_next(method, 1 << 30, retry_after=retry_after)
            rule.until = until
            rules.append(rule)
        return rules

    def drop_next(self, method: str = "*", times: int = 1) -> FaultRule:
        """Close the connection without an answer for the next calls."""
        return self._add(FaultRule(method, times, "drop"))

    def delay_next(self, method: str = "*", times: int = 1, seconds: float = 1.0) -> FaultRule:
        """Hold the next calls for ``seconds`` before processing them normally."""
        return self._add(FaultRule(method, times, "delay", delay=seconds))

    def hold_next(
        self, method: str = "*", times: int = 1, *, token: str | None = None
    ) -> FaultRule:
        """Hold the next calls (of the bot with ``token`` only, if given) until the rule's
        ``release()``: a Telegram that takes its time, for as long as a test needs (the
        rule's ``held`` says how many calls wait)."""
        return self._add(FaultRule(method, times, "hold", token=token))

    def take(self, method: str, token: str | None = None) -> FaultRule | None:
        name = method.lower()
        now = self.clock()
        self.rules = [r for r in self.rules if r.until is None or now < r.until]
        for rule in self.rules:
            if rule.token is not None and rule.token != token:
                continue
            if rule.remaining > 0 and rule.method in ("*", name):
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self.rules.remove(rule)
                return rule
        return None


_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def _default_description(code: int, retry_after: int | None) -> str:
    if code == 429:
        return f"Too Many Requests: retry after {retry_after or 1}"
    return _REASONS.get(code, "Internal Server Error")
