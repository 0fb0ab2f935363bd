"""The journal itself: lessons, attendance, work types, marks and final marks."""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import AbsenceReason, Base, ChangeKind, Presence, _enum_check


class Lesson(Base):
    """A lesson on a date, materialised from the timetable (or added by hand)."""

    __tablename__ = "lessons"
    __table_args__ = (
        UniqueConstraint(
            "class_id", "group_id", "date", "lesson_no", postgresql_nulls_not_distinct=True
        ),
        Index("ix_lessons_teacher_date", "teacher_id", "date"),
        Index("ix_lessons_school_date", "school_id", "date"),
        Index("ix_lessons_class_homework_due", "class_id", "homework_due"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    date: Mapped[date] = mapped_column(Date)
    lesson_no: Mapped[int] = mapped_column(SmallInteger)
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    # R5: the teacher who actually gives the lesson; the planned one when substituted.
    teacher_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    planned_teacher_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    room: Mapped[str | None] = mapped_column(String(20))
    topic: Mapped[str | None] = mapped_column(Text)
    homework: Mapped[str | None] = mapped_column(Text)
    # Homework is given at this lesson and due at the next lesson of the subject for the
    # class or group (NULL: due on this lesson's own date, homework stored before 0009).
    homework_due: Mapped[dt.date | None] = mapped_column(Date)
    topic_set_at: Mapped[datetime | None]
    homework_set_at: Mapped[datetime | None]
    # Set when the roll call is complete, so "not taken yet" differs from "all present".
    attendance_taken_at: Mapped[datetime | None]
    # R14: the written or control work the lesson is (set by its teacher); its marks are
    # due within the rules' working days. NULL: an ordinary lesson.
    work_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("work_types.id", ondelete="SET NULL")
    )
    # R25: not given at its date and number: cancelled, or moved to another lesson
    # (``schedule_changes`` says which). The row keeps the timetable's slot taken, so the
    # timetable does not bring the lesson back.
    cancelled: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))


class ScheduleChange(Base):
    """A change of a day's timetable (R25): a lesson cancelled, moved to another day or
    number (``new_lesson_id``: the lesson given instead), its room or its teacher changed.
    Teachers and parents are told from these rows."""

    __tablename__ = "schedule_changes"
    __table_args__ = (
        CheckConstraint(_enum_check("kind", ChangeKind), name="kind"),
        Index("ix_schedule_changes_school_day", "school_id", "day"),
        Index("ix_schedule_changes_school_new_day", "school_id", "new_day"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))
    day: Mapped[date] = mapped_column(Date)  # the lesson's date before the change
    lesson_no: Mapped[int] = mapped_column(SmallInteger)  # ... and its number
    new_lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id", ondelete="SET NULL"))
    new_day: Mapped[dt.date | None] = mapped_column(Date)  # a move: where to
    new_lesson_no: Mapped[int | None] = mapped_column(SmallInteger)
    old_room: Mapped[str | None] = mapped_column(String(20))
    new_room: Mapped[str | None] = mapped_column(String(20))
    old_teacher_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    new_teacher_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]


class Attendance(Base):
    """No row means "not taken yet" for that pupil."""

    __tablename__ = "attendance"
    __table_args__ = (
        CheckConstraint(_enum_check("status", Presence), name="status"),
        CheckConstraint(_enum_check("reason", AbsenceReason), name="reason"),
    )

    lesson_id: Mapped[int] = mapped_column(
        ForeignKey("lessons.id", ondelete="CASCADE"), primary_key=True
    )
    pupil_id: Mapped[int] = mapped_column(
        ForeignKey("pupils.person_id", ondelete="CASCADE"), primary_key=True, index=True
    )
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(20), server_default=text("'unconfirmed'"))
    reason_note: Mapped[str | None] = mapped_column(Text)
    reason_confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    reason_confirmed_at: Mapped[datetime | None]
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    updated_at: Mapped[datetime]


class WorkType(Base):
    __tablename__ = "work_types"
    __table_args__ = (
        UniqueConstraint("school_id", "code"),
        CheckConstraint("weight > 0", name="weight"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(60))
    weight: Mapped[Decimal] = mapped_column(Numeric(4, 2))
    # R14: a written or control work, whose marks are due within a few working days.
    written: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))


class Mark(Base):
    """A mark on a lesson. A mark and an absence may coexist for a make-up (R15)."""

    __tablename__ = "marks"
    __table_args__ = (
        CheckConstraint("value BETWEEN 1 AND 5", name="value"),
        Index("ix_marks_pupil_lesson", "pupil_id", "lesson_id"),
        Index("ix_marks_lesson", "lesson_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"))
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.person_id", ondelete="CASCADE"))
    value: Mapped[int] = mapped_column(SmallInteger)
    work_type_id: Mapped[int] = mapped_column(ForeignKey("work_types.id"))
    comment: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class FinalMark(Base):
    """A period mark (R11): 1–5 or осв / н/а / безотм; changed only by the director (R7)."""

    __tablename__ = "final_marks"
    __table_args__ = (
        UniqueConstraint("period_id", "subject_id", "pupil_id"),
        CheckConstraint("value IN ('1','2','3','4','5','осв','н/а','безотм')", name="value"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("periods.id", ondelete="CASCADE"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.person_id", ondelete="CASCADE"))
    value: Mapped[str] = mapped_column(String(10))
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    set_at: Mapped[datetime]


# Digests gather the marks recorded since the previous digest.
Index("ix_marks_updated_at", Mark.__table__.c.updated_at)
# R14: the school's written works (few of its lessons), found by date.
Index(
    "ix_lessons_written_work",
    Lesson.__table__.c.school_id,
    Lesson.__table__.c.date,
    postgresql_where=Lesson.__table__.c.work_type_id.is_not(None),
)
