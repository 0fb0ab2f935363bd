"""Marks on lessons, averages, and final (period) marks (R7, R11, R12, R15): the use
cases on a lesson's marks (``lesson``), a pupil's marks (``pupil``), final marks
(``finals``), and what they read (``queries``).

Database style: the ORM, here and where ``entries`` writes a mark."""

from core.marks.finals import FINAL_VALUES, final_marks_for, set_final_mark
from core.marks.lesson import (
    add_mark,
    add_marks_bulk,
    bulk_mark,
    change_mark,
    change_needs_reason,
    get_mark,
    lesson_marks,
    set_bulk_mark,
    work_types,
)
from core.marks.pupil import pupil_marks
from core.marks.queries import MARK_VALUES, MarkRef, MarkView, SubjectMarks, WorkTypeView
from core.marks.views import (
    FinalsSheet,
    LessonPeriod,
    MarksSheet,
    finals_sheet,
    lesson_period,
    marks_sheet,
)

__all__ = [
    "FINAL_VALUES",
    "MARK_VALUES",
    "FinalsSheet",
    "LessonPeriod",
    "MarkRef",
    "MarkView",
    "MarksSheet",
    "SubjectMarks",
    "WorkTypeView",
    "add_mark",
    "add_marks_bulk",
    "bulk_mark",
    "change_mark",
    "change_needs_reason",
    "final_marks_for",
    "finals_sheet",
    "get_mark",
    "lesson_marks",
    "lesson_period",
    "marks_sheet",
    "pupil_marks",
    "set_bulk_mark",
    "set_final_mark",
    "work_types",
]
