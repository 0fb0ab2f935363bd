"""The parents' daily digest (R16): its content (``content``) and its read receipts (R17,
``receipts``). The message is built in ``notifications/digest.py``."""

from core.digest.content import (
    AbsenceLine,
    Child,
    DigestTarget,
    HomeworkLine,
    MarkLine,
    day_absences,
    digest_targets,
    due_digest_slots,
    fetch,
    groups_of,
    homework_on,
    marks_recorded,
    next_school_days,
    record_digests,
)
from core.digest.receipts import UnreadParent, UnreadReport, mark_digest_read, unread_digests

__all__ = [
    "AbsenceLine",
    "Child",
    "DigestTarget",
    "HomeworkLine",
    "MarkLine",
    "UnreadParent",
    "UnreadReport",
    "day_absences",
    "digest_targets",
    "due_digest_slots",
    "fetch",
    "groups_of",
    "homework_on",
    "mark_digest_read",
    "marks_recorded",
    "next_school_days",
    "record_digests",
    "unread_digests",
]
