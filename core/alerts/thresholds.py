"""Absence thresholds for the class teacher: days missed this week, share this month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class ThresholdPupil:
    pupil_id: int
    full_name: str
    class_name: str
    class_teacher_id: int
    days: list[date]  # week: the days with an absence not excused
    absent: int  # month: lessons missed …
    total: int  # … of the lessons with a roll call


_WEEK_DAYS_SQL = text(
    """
    SELECT a.pupil_id, pe.full_name, k.name, k.class_teacher_id,
           array_agg(DISTINCT l.date ORDER BY l.date)
    FROM lessons l
    JOIN attendance a ON a.lesson_id = l.id
    JOIN pupils p ON p.person_id = a.pupil_id
    JOIN classes k ON k.id = p.class_id
    JOIN people pe ON pe.id = a.pupil_id
    WHERE l.school_id = :school AND l.date BETWEEN :start AND :end
      AND a.status = 'absent' AND a.reason IN ('unconfirmed', 'unexcused')
      AND k.class_teacher_id IS NOT NULL
    GROUP BY a.pupil_id, pe.full_name, k.name, k.class_teacher_id
    HAVING count(DISTINCT l.date) >= :days
    ORDER BY k.name, pe.full_name
    """
)

_MONTH_SHARE_SQL = text(
    """
    SELECT t.pupil_id, pe.full_name, k.name, k.class_teacher_id, t.absent, t.total
    FROM (
        SELECT a.pupil_id, count(*) FILTER (WHERE a.status = 'absent') AS absent,
               count(*) AS total
        FROM lessons l
        JOIN attendance a ON a.lesson_id = l.id
        WHERE l.school_id = :school AND l.date BETWEEN :start AND :end
        GROUP BY a.pupil_id
    ) AS t
    JOIN pupils p ON p.person_id = t.pupil_id
    JOIN classes k ON k.id = p.class_id
    JOIN people pe ON pe.id = t.pupil_id
    WHERE t.total >= :min_lessons AND t.absent >= :share * t.total
      AND k.class_teacher_id IS NOT NULL
    ORDER BY k.name, pe.full_name
    """
)


async def week_absence_days(
    s: AsyncSession, school_id: int, start: date, end: date, min_days: int
) -> list[ThresholdPupil]:
    """Pupils with at least ``min_days`` days in [start, end] with an absence that is not
    excused (unconfirmed or unexcused)."""
    rows = await s.execute(
        _WEEK_DAYS_SQL, {"school": school_id, "start": start, "end": end, "days": min_days}
    )
    return [ThresholdPupil(p, n, c, t, list(days), 0, 0) for p, n, c, t, days in rows]


async def month_absence_share(
    s: AsyncSession, school_id: int, start: date, end: date, share: float, min_lessons: int
) -> list[ThresholdPupil]:
    """Pupils who missed at least ``share`` of their lessons with a roll call in
    [start, end], once there are at least ``min_lessons`` of them."""
    rows = await s.execute(
        _MONTH_SHARE_SQL,
        {
            "school": school_id,
            "start": start,
            "end": end,
            "share": share,
            "min_lessons": min_lessons,
        },
    )
    return [ThresholdPupil(p, n, c, t, [], a, total) for p, n, c, t, a, total in rows]
