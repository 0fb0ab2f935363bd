"""The class teachers' absence-reason round (R6): per class, the absences of the week
whose reason is not confirmed yet, one entry per pupil and day, with the parents'
suggestions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.friday_round.suggestions import Suggestion, suggestions_for


@dataclass
class RoundEntry:
    """A pupil's unconfirmed absences on one day: one entry however many lessons."""

    pupil_id: int
    full_name: str
    day: date
    lessons: list[int]
    suggestions: list[Suggestion] = field(default_factory=list)


@dataclass
class ClassRound:
    class_id: int
    class_name: str
    class_teacher_id: int
    entries: list[RoundEntry] = field(default_factory=list)


_UNCONFIRMED_SQL = text(
    """
    SELECT k.id, k.name, k.class_teacher_id, a.pupil_id, pe.full_name, l.date,
           array_agg(l.lesson_no ORDER BY l.lesson_no)
    FROM lessons l
    JOIN attendance a ON a.lesson_id = l.id
    JOIN pupils p ON p.person_id = a.pupil_id
    JOIN classes k ON k.id = p.class_id
    JOIN people pe ON pe.id = a.pupil_id
    WHERE l.school_id = :school AND l.date BETWEEN :start AND :end
      AND a.status = 'absent' AND a.reason = 'unconfirmed'
      AND k.class_teacher_id IS NOT NULL
    GROUP BY k.id, k.name, k.class_teacher_id, a.pupil_id, pe.full_name, l.date
    ORDER BY k.name, pe.full_name, a.pupil_id, l.date
    """
)


async def unconfirmed_absences(
    s: AsyncSession, school_id: int, start: date, end: date
) -> list[ClassRound]:
    """Per class (with a class teacher): absences in [start, end] whose reason is not
    confirmed yet, grouped per pupil and day, with the parents' suggestions."""
    classes: dict[int, ClassRound] = {}
    rows = await s.execute(_UNCONFIRMED_SQL, {"school": school_id, "start": start, "end": end})
    for class_id, class_name, teacher_id, pupil_id, name, day, lessons in rows:
        entry = classes.setdefault(class_id, ClassRound(class_id, class_name, teacher_id))
        entry.entries.append(RoundEntry(pupil_id, name, day, list(lessons)))
    suggestions = await suggestions_for(
        s, {(e.pupil_id, e.day) for c in classes.values() for e in c.entries}
    )
    for c in classes.values():
        for e in c.entries:
            e.suggestions = suggestions.get((e.pupil_id, e.day), [])
    return list(classes.values())
