"""Lessons: materialised per date from the timetable, with the actual teacher (R5),
topic and homework (R13), and the lists a teacher works from. Use cases per module
(``days``, ``substitutions``, ``topic_homework``), what they read in ``queries``.

Database style: the ORM (mapped classes in selects and updates); the one insert that
materialises the timetable is on the table, since it inserts from a select."""

from core.lessons.days import (
    SchoolLesson,
    class_day,
    get_lesson,
    next_school_day_lessons,
    school_day,
    substitutable_lessons,
    teacher_day,
)
from core.lessons.queries import (
    HOMEWORK_DUE_HORIZON_DAYS,
    LessonCounts,
    LessonSummary,
    PupilOfLesson,
    lesson_counts,
    lesson_summary,
    lessons_ahead,
    materialise,
    next_lesson_dates,
    pupil_lessons_query,
    pupils_of_lesson,
    summary_query,
)
from core.lessons.substitutions import (
    SubstitutionNotice,
    assign_substitute,
    school_teachers,
    substitution_notice,
    take_as_substitute,
)
from core.lessons.topic_homework import (
    HOMEWORK_DUE_CHOICES,
    MAX_TEXT,
    HomeworkDue,
    ensure_text_allowed,
    homework_due_choices,
    set_homework,
    set_homework_due,
    set_topic,
)

__all__ = [
    "HOMEWORK_DUE_CHOICES",
    "HOMEWORK_DUE_HORIZON_DAYS",
    "MAX_TEXT",
    "HomeworkDue",
    "LessonCounts",
    "LessonSummary",
    "PupilOfLesson",
    "SchoolLesson",
    "SubstitutionNotice",
    "assign_substitute",
    "class_day",
    "ensure_text_allowed",
    "get_lesson",
    "homework_due_choices",
    "lesson_counts",
    "lesson_summary",
    "lessons_ahead",
    "materialise",
    "next_lesson_dates",
    "next_school_day_lessons",
    "pupil_lessons_query",
    "pupils_of_lesson",
    "school_day",
    "school_teachers",
    "set_homework",
    "set_homework_due",
    "set_topic",
    "substitutable_lessons",
    "substitution_notice",
    "summary_query",
    "take_as_substitute",
    "teacher_day",
]
