"""Who was warned of in advance (issue 13): the pupils of a lesson a parent said would be
absent (the roll call shows them «Н (предупр.)»), and, for the instant alerts, which
parent warned of which lessons of a pupil's day."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_LESSON_SQL = text(
    """
    SELECT DISTINCT pa.pupil_id
    FROM planned_absences pa
    WHERE pa.pupil_id = ANY(CAST(:pupils AS integer[])) AND pa.withdrawn_at IS NULL
      AND :day BETWEEN pa.first_day AND pa.last_day
      AND (pa.lessons IS NULL OR CAST(:no AS smallint) = ANY(pa.lessons))
    """
)


async def warned_of_lesson(
    s: AsyncSession, pupil_ids: list[int], day: date, lesson_no: int
) -> frozenset[int]:
    """Those of ``pupil_ids`` a parent warned would miss lesson ``lesson_no`` of ``day``."""
    if not pupil_ids:
        return frozenset()
    rows = await s.scalars(_LESSON_SQL, {"pupils": pupil_ids, "day": day, "no": lesson_no})
    return frozenset(rows)


@dataclass(frozen=True)
class Warning:
    """A parent's warning of a pupil's day: who gave it, and which lessons (None: all)."""

    person_id: int
    full_name: str
    lessons: frozenset[int] | None

    def covers(self, lesson_no: int) -> bool:
        return self.lessons is None or lesson_no in self.lessons


_DAYS_SQL = text(
    """
    SELECT x.pupil_id, x.day, pa.reported_by, pe.full_name, pa.lessons
    FROM unnest(CAST(:pupils AS integer[]), CAST(:days AS date[])) AS x(pupil_id, day)
    JOIN planned_absences pa ON pa.pupil_id = x.pupil_id AND pa.withdrawn_at IS NULL
                            AND x.day BETWEEN pa.first_day AND pa.last_day
    JOIN people pe ON pe.id = pa.reported_by
    ORDER BY x.pupil_id, pa.id
    """
)


async def warnings_of_days(
    s: AsyncSession, pupil_days: list[tuple[int, date]]
) -> dict[tuple[int, date], list[Warning]]:
    """The warnings (not withdrawn) that cover these pupil-days."""
    found: dict[tuple[int, date], list[Warning]] = defaultdict(list)
    if not pupil_days:
        return found
    rows = await s.execute(
        _DAYS_SQL, {"pupils": [p for p, _ in pupil_days], "days": [d for _, d in pupil_days]}
    )
    for pupil_id, day, person_id, name, lessons in rows:
        covered = frozenset(lessons) if lessons is not None else None
        found[(pupil_id, day)].append(Warning(person_id, name, covered))
    return found
