"""Reports for the school's staff (R21), the monthly statement for parents who opted out
of the electronic diary (R18) and the mark-change audit (R9): the SQL and the arithmetic,
one module per report, each with its query and its data classes side by side.

Every report takes the acting person and checks what they may see: the school's
overseers (admin, director, deputy) every class, a class teacher their own class, nobody
else (``common.checked_classes``). Each returns plain dataclasses with local dates and
times and renders no text; rendering (XLSX, PDF) lives in the top-level ``reports/``.
All of it is read-only SQLAlchemy (ORM entities in Core-style ``select``), one
transaction per report.
"""

from core.reports.accumulation import Accumulation, AccumulationRow, mark_accumulation
from core.reports.attendance import (
    ClassAttendance,
    PupilAttendance,
    attendance_summary,
    class_attendance_month,
)
from core.reports.audit import MarkAudit, MarkChange, mark_audit
from core.reports.common import (
    AttendanceCounts,
    MarkEntry,
    PeriodRef,
    SubjectRef,
    month_bounds,
    percent,
)
from core.reports.filling import FillingReport, LessonGap, TeacherFilling, teacher_filling
from core.reports.marks import MarksSummary, PupilResults, SubjectResult, marks_summary
from core.reports.movement import ClassMovement, PupilMove, PupilMovement, pupil_movement
from core.reports.parents import (
    READING_WINDOW_DAYS,
    DigestReading,
    ParentActivity,
    ParentsActivity,
    digest_reading,
    parents_activity,
)
from core.reports.scope import (
    ReportScope,
    find_period,
    find_year,
    report_classes,
    report_scope,
    school_name,
)
from core.reports.statement import (
    PupilStatement,
    StatementLesson,
    StatementSubject,
    opted_out_pupils,
    opted_out_statements,
    pupil_statement,
)

__all__ = [
    "READING_WINDOW_DAYS",
    "Accumulation",
    "AccumulationRow",
    "AttendanceCounts",
    "ClassAttendance",
    "ClassMovement",
    "DigestReading",
    "FillingReport",
    "LessonGap",
    "MarkAudit",
    "MarkChange",
    "MarkEntry",
    "MarksSummary",
    "ParentActivity",
    "ParentsActivity",
    "PeriodRef",
    "PupilAttendance",
    "PupilMove",
    "PupilMovement",
    "PupilResults",
    "PupilStatement",
    "ReportScope",
    "StatementLesson",
    "StatementSubject",
    "SubjectRef",
    "SubjectResult",
    "TeacherFilling",
    "attendance_summary",
    "class_attendance_month",
    "digest_reading",
    "find_period",
    "find_year",
    "mark_accumulation",
    "mark_audit",
    "marks_summary",
    "month_bounds",
    "opted_out_pupils",
    "opted_out_statements",
    "parents_activity",
    "percent",
    "pupil_movement",
    "pupil_statement",
    "report_classes",
    "report_scope",
    "school_name",
    "teacher_filling",
]
