"""What became of pupils' marks (R9): the corrections and removals the audit log holds,
shown openly to the family — on the marks screen for the period, in the digest for the
day. Read straight from ``audit_log`` (the log is append-only: a history parents can
trust), one statement for one pupil or for every due parent at once.

How a mark's rows become one correction (:func:`fold`):

- a mark first entered is no correction, and neither is the teacher's re-tap within
  ``SLIP`` of entering it (the audit log records it as ``mark.add`` then ``mark.set`` by
  the same person seconds apart: a slip of the finger nobody has read yet);
- a mark changed 3 → 4 → 5 is shown as its net change, 3 → 5, on the day of the last
  change: a parent asks «what was it, what is it now, who allowed it», and a chain of
  values in a one-line message reads as noise; the audit report keeps every step;
- changed back to where it was (3 → 4 → 3) is nothing to tell;
- «с разрешения завуча» when a step was the deputy's (or the director's) approval of a
  request after the deadline (R7: the audit row carries the request); otherwise the
  teacher changed it within the deadline.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

SLIP = timedelta(minutes=1)


class Approver(StrEnum):
    DEPUTY = "deputy"
    DIRECTOR = "director"


@dataclass(frozen=True)
class Correction:
    """One mark's net change: ``new`` None when the mark was removed."""

    pupil_id: int
    mark_id: int
    subject_id: int
    subject: str
    lesson_date: date
    day: date  # the last change's date, in the school's time zone
    at: datetime
    old: int
    new: int | None
    approved_by: Approver | None  # None: the teacher, within the deadline


@dataclass(frozen=True)
class _Row:
    at: datetime
    action: str
    actor_id: int | None
    old: int | None
    new: int | None
    approved_by: Approver | None


# The pupils' marks changed or removed in [since, until), by
# ``ix_audit_log_mark_change`` (a digest run asks for every pupil of a district, and
# changes are few beside entries).
_WINDOW = "a.at >= :since AND (CAST(:until AS timestamptz) IS NULL OR a.at < :until)"
_CHANGED_SQL = text(
    f"""
    SELECT DISTINCT CAST(a.entity_key ->> 'mark_id' AS bigint)
    FROM audit_log a
    WHERE a.entity = 'mark' AND a.action <> 'mark.add'
      AND CAST(a.entity_key ->> 'pupil_id' AS integer) = ANY(CAST(:pupils AS integer[]))
      AND {_WINDOW}
    """
)
# Those marks' rows in the window, the entry among them (for the re-tap, see ``fold``),
# each mark's together, oldest first, by ``ix_audit_log_mark``. A removed mark has no row
# in ``marks`` any more: its lesson (and subject) comes from the audit key.
_ROWS_SQL = text(
    f"""
    SELECT CAST(a.entity_key ->> 'pupil_id' AS integer) AS pupil_id,
           CAST(a.entity_key ->> 'mark_id' AS bigint) AS mark_id,
           a.at, a.action, a.actor_id,
           CAST(a.old ->> 'value' AS integer) AS old, CAST(a.new ->> 'value' AS integer) AS new,
           l.date AS lesson_date, s.id AS subject_id, s.name AS subject,
           CAST(timezone(COALESCE(sc.timezone, :tz), a.at) AS date) AS day,
           CASE WHEN a.request_id IS NULL THEN NULL
                WHEN EXISTS (SELECT 1 FROM staff_roles r
                             WHERE r.person_id = a.actor_id AND r.role = 'deputy')
                THEN 'deputy' ELSE 'director' END AS approver
    FROM audit_log a
    JOIN lessons l ON l.id = CAST(a.entity_key ->> 'lesson_id' AS bigint)
    JOIN subjects s ON s.id = l.subject_id
    JOIN schools sc ON sc.id = a.school_id
    WHERE a.entity = 'mark'
      AND CAST(a.entity_key ->> 'mark_id' AS bigint) = ANY(CAST(:marks AS bigint[]))
      AND {_WINDOW} AND l.date BETWEEN :first AND :last
    ORDER BY mark_id, a.at, a.id
    """
)


async def corrections(
    s: AsyncSession,
    pupil_ids: Sequence[int],
    since: datetime,
    until: datetime | None,
    default_tz: ZoneInfo,
    lessons: tuple[date, date] = (date.min, date.max),
) -> dict[int, list[Correction]]:
    """Per pupil, the marks changed or removed in [since, until) (``until`` None: up to
    now) of lessons dated within ``lessons``, newest change first."""
    found: dict[int, list[Correction]] = defaultdict(list)
    if not pupil_ids:
        return found
    window = {"pupils": list(pupil_ids), "since": since, "until": until}
    changed = list(await s.scalars(_CHANGED_SQL, window))
    if not changed:
        return found
    rows = await s.execute(
        _ROWS_SQL,
        {
            **window,
            "marks": changed,
            "tz": default_tz.key,
            "first": lessons[0],
            "last": lessons[1],
        },
    )
    by_mark: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        by_mark[row.mark_id].append(row)
    for mark_rows in by_mark.values():
        folded = fold(
            [
                _Row(r.at, r.action, r.actor_id, r.old, r.new, _approver(r.approver))
                for r in mark_rows
            ]
        )
        if folded is not None:
            last = mark_rows[-1]
            found[last.pupil_id].append(
                Correction(
                    pupil_id=last.pupil_id,
                    mark_id=last.mark_id,
                    subject_id=last.subject_id,
                    subject=last.subject,
                    lesson_date=last.lesson_date,
                    day=last.day,
                    at=last.at,
                    old=folded[0],
                    new=folded[1],
                    approved_by=folded[2],
                )
            )
    for lines in found.values():
        lines.sort(key=lambda c: (c.at, c.mark_id), reverse=True)
    return found


def _approver(value: str | None) -> Approver | None:
    return Approver(value) if value else None


def fold(rows: Sequence[_Row]) -> tuple[int, int | None, Approver | None] | None:
    """A mark's rows (oldest first) as one net change (old, new, approver), or None when
    the family has nothing to be told (see the module's notes)."""
    first, changes = rows[0], list(rows)
    start = first.old
    if first.action == "mark.add":
        start, changes = first.new, changes[1:]
        while (
            changes
            and changes[0].action == "mark.set"
            and changes[0].actor_id == first.actor_id
            and changes[0].at - first.at <= SLIP
        ):
            start, changes = changes[0].new, changes[1:]
    if not changes or start is None:  # nothing after the entry; or a mark brought back (R3)
        return None
    end = changes[-1].new
    if end == start:
        return None
    approver = next((r.approved_by for r in reversed(changes) if r.approved_by), None)
    return start, end, approver
