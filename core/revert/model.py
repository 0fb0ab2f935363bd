"""What a revert is about: the window it voids, the verdict on each change, the
summary it hands back (plain data; the words are the caller's, see ``core.revert.words``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import and_

from core.models import BindingRole

REVERT_SUFFIX = ".revert"
REASON_PREFIX = "R3 revert of entry #"
REVERTED_ID = re.compile(r"^R3 revert of entry #(\d+)")

# The fields that name an entity in ``audit_log.entity_key``, per kind of entity.
IDENTITY: dict[str, tuple[str, ...]] = {
    "attendance": ("lesson_id", "pupil_id"),
    "mark": ("mark_id",),
    "final_mark": ("period_id", "subject_id", "pupil_id"),
    "lesson": ("lesson_id",),
    "period": ("period_id",),
}
LESSON_FIELDS = frozenset({"teacher_id", "topic", "homework", "room"})
DATETIME_FIELDS = frozenset({"reason_confirmed_at", "created_at", "set_at", "closed_at"})
CHUNK = 300
# A change already under way when the binding was cut still lands a moment later.
CUT_GRACE = timedelta(minutes=1)

State = dict[str, Any] | None
Ident = tuple[str, tuple[int, ...]]


class Verdict(StrEnum):
    REVERT = "revert"  # will be (or was) undone
    CONFLICT = "conflict"  # someone else changed the same entity later: kept, reported
    LOCKED = "locked"  # the entity is in a closed period (R10): kept, reported
    ALREADY = "already"  # undone by an earlier revert
    GONE = "gone"  # the lesson or period no longer exists
    UNSUPPORTED = "unsupported"  # a kind of change this module cannot undo


@dataclass(frozen=True)
class LessonRef:
    id: int
    date: date
    lesson_no: int
    class_name: str
    subject: str


@dataclass(frozen=True)
class RevertItem:
    """One audited change made through the account, and what the revert does with it."""

    entry_id: int
    at: datetime
    action: str
    entity: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    verdict: Verdict
    lesson: LessonRef | None = None
    pupil: str | None = None
    subject: str | None = None
    period: str | None = None
    blocked_by: int | None = None  # CONFLICT: the later entry by someone else
    blocked_by_name: str | None = None
    teachers: tuple[str | None, str | None] = (None, None)  # a substitution: old, new


@dataclass(frozen=True)
class RevertSummary:
    binding_id: int
    account: AccountRef  # the binding as it is after the revert (cut), whose owner is told
    cut_now: bool  # False: the binding had been cut before
    since: datetime  # the window voided: [since, until), clamped to the binding's life
    until: datetime | None
    items: list[RevertItem]
    reverted: dict[str, int]  # per entity kind: changes undone
    requests_declined: int = 0
    invitations_revoked: int = 0
    bindings_revoked: int = 0
    suggestions_removed: int = 0

    @property
    def reverted_total(self) -> int:
        return sum(self.reverted.values())

    @property
    def skipped(self) -> list[RevertItem]:
        kept = (Verdict.CONFLICT, Verdict.LOCKED, Verdict.GONE, Verdict.UNSUPPORTED)
        return [i for i in self.items if i.verdict in kept]


# A binding cut this many days ago can still have its actions voided from the bot (the
# compromise is often found out after the lost phone was cut).
RECENTLY_CUT_DAYS = 30


@dataclass(frozen=True)
class AccountRef:
    """A binding as the admin picks it for a revert."""

    id: int
    full_name: str
    role: BindingRole
    revoked_at: datetime | None
    # What tells two accounts of one person apart: when it was bound, the Telegram
    # profile it was bound from, and its last use of the bot (any update).
    created_at: datetime | None = None
    profile_name: str | None = None
    username: str | None = None
    last_used_at: datetime | None = None

    @property
    def device(self) -> str | None:
        """The Telegram profile in one short phrase: ``Name (@username)``."""
        name = self.profile_name or ""
        username = f"@{self.username}" if self.username else ""
        if name and username:
            return f"{name} ({username})"
        return name or username or None


@dataclass(frozen=True)
class RevertPreview:
    """What the admin reads before a revert: the account and what voiding its actions
    since the moment would do, oldest change first."""

    account: AccountRef
    items: list[RevertItem]


@dataclass(frozen=True)
class AccountBinding:
    id: int
    person_id: int
    role: BindingRole
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime | None  # None: the binding is still active

    def covers(self, column: Any) -> Any:
        if self.end is None:
            return column >= self.start
        return and_(column >= self.start, column < self.end)


def window_of(binding: AccountBinding, since: datetime) -> Window:
    """Nothing before the binding existed or after it was cut came through it (but for
    a request already under way when it was cut: ``CUT_GRACE``)."""
    start = max(since, binding.created_at)
    if binding.revoked_at is None:
        return Window(start, None)
    return Window(start, max(start, binding.revoked_at + CUT_GRACE))
