"""The parents' daily digest (R16): its content (``content``, and the marks corrected
since the previous digest, ``mark_corrections``, R9) and its read receipts (R17,
``receipts``). The message is built in ``notifications/digest.py``."""

from core.digest.content import (
    AbsenceLine,
    Child,
    DigestTarget,
    HomeworkLine,
    MarkLine,
    absences_told,
    day_absences,
    digest_targets,
    due_digest_slots,
    due_parents_over,
    fetch,
    groups_of,
    homework_on,
    marks_recorded,
    next_school_days,
    record_digests,
    slice_of,
    waits_for_reason,
)
from core.digest.receipts import (
    Receipt,
    UnreadParent,
    UnreadReport,
    mark_digest_read,
    unread_digests,
)
from core.marks.history import corrections as mark_corrections

__all__ = [
    "AbsenceLine",
    "Child",
    "DigestTarget",
    "HomeworkLine",
    "MarkLine",
    "Receipt",
    "UnreadParent",
    "UnreadReport",
    "absences_told",
    "day_absences",
    "digest_targets",
    "due_digest_slots",
    "due_parents_over",
    "fetch",
    "groups_of",
    "homework_on",
    "mark_corrections",
    "mark_digest_read",
    "marks_recorded",
    "next_school_days",
    "record_digests",
    "slice_of",
    "unread_digests",
    "waits_for_reason",
]
