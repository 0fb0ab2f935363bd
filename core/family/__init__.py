"""What a parent or a pupil reads about the pupil (R1, R16, R19): the family's screens'
read models (``views``), each one transaction."""

from core.family.views import (
    AbsencesPage,
    HomeworkPage,
    MarksPage,
    absences_in,
    homework_page,
    marks_in,
    pupil_absences_page,
    pupil_marks_of_period,
    pupil_marks_page,
)

__all__ = [
    "AbsencesPage",
    "HomeworkPage",
    "MarksPage",
    "absences_in",
    "homework_page",
    "marks_in",
    "pupil_absences_page",
    "pupil_marks_of_period",
    "pupil_marks_page",
]
