"""Errors a user can cause. Each carries a message key of the texts catalogue and its
parameters; the bot and the CLI turn them into a short reply in the user's language."""

from __future__ import annotations

from typing import Any


class JournalError(Exception):
    key = "error.generic"

    def __init__(self, key: str | None = None, **params: Any) -> None:
        self.key = key or type(self).key
        self.params = params
        super().__init__(self.key, params)


class NotAllowed(JournalError):
    key = "error.not_allowed"


class NotFound(JournalError):
    key = "error.not_found"


class PeriodLocked(JournalError):
    key = "error.period_locked"


class InvalidValue(JournalError):
    key = "error.invalid_value"


class CodeRejected(JournalError):
    """An invitation code that cannot be redeemed (unknown, used, expired or revoked)."""

    key = "code.unknown"


class TooManyAttempts(JournalError):
    key = "code.too_many_attempts"


class ImportFailed(JournalError):
    """A roster file with errors; nothing was imported. ``problems`` lists them all."""

    key = "import.failed"

    def __init__(self, problems: list[Any], warnings: list[Any] | None = None) -> None:
        super().__init__(count=len(problems))
        self.problems = problems
        self.warnings = warnings or []  # what would have been skipped besides
