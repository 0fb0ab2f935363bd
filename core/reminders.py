"""The teachers' evening reminder (R4, R13): today's lessons without a roll call, topic
or homework."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.lessons import materialise


@dataclass(frozen=True)
class IncompleteLesson:
    lesson_id: int
    teacher_id: int
    lesson_no: int
    class_name: str
    subject: str
    no_roll_call: bool
    no_topic: bool
    no_homework: bool


_INCOMPLETE_SQL = text(
    """
    SELECT l.id, l.teacher_id, l.lesson_no, k.name, s.name,
           l.attendance_taken_at IS NULL,
           l.topic IS NULL OR l.topic = '',
           (l.homework IS NULL OR l.homework = '') AND k.grade <> 1
    FROM lessons l
    JOIN classes k ON k.id = l.class_id
    JOIN subjects s ON s.id = l.subject_id
    WHERE l.school_id = :school AND l.date = :day AND NOT l.cancelled
      AND (l.attendance_taken_at IS NULL OR l.topic IS NULL OR l.topic = ''
           OR ((l.homework IS NULL OR l.homework = '') AND k.grade <> 1))
    ORDER BY l.teacher_id, l.lesson_no, k.name
    """
)


async def incomplete_lessons(s: AsyncSession, school_id: int, day: date) -> list[IncompleteLesson]:
    """Lessons of the day lacking roll call, topic or homework (no homework in grade 1,
    R12), with the teacher who actually gives them (R5)."""
    await materialise(s, school_id, day, day)
    rows = await s.execute(_INCOMPLETE_SQL, {"school": school_id, "day": day})
    return [IncompleteLesson(*r) for r in rows]
