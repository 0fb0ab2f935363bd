"""R21: teachers' filling of the journal: per teacher, the lessons whose roll call (R4),
topic or homework (R13) was not in the journal by the deadline; and the written works
whose marks are past their day (R14)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from core.access import Actor
from core.clock import at_local, local_today
from core.journal import Journal
from core.lessons import materialise
from core.models import Lesson, Subject
from core.reports.common import checked_classes, fetch_person_names
from core.rules import grade_has_marks
from core.written_work import WrittenWork, overdue_in


@dataclass(frozen=True)
class LessonGap:
    """A lesson whose deadline has passed with something missing."""

    lesson_id: int
    date: date
    lesson_no: int
    class_name: str
    subject: str
    teacher_id: int
    teacher: str
    no_roll_call: bool
    no_topic: bool
    no_homework: bool


@dataclass
class TeacherFilling:
    teacher_id: int
    teacher: str
    lessons: int = 0
    no_roll_call: int = 0
    no_topic: int = 0
    no_homework: int = 0
    with_gaps: int = 0  # lessons missing anything


@dataclass
class FillingReport:
    start: date
    end: date
    teachers: list[TeacherFilling]
    gaps: list[LessonGap]
    # R14: the written works given in the range whose marks' day has passed with marks
    # still missing, by teacher then date.
    overdue: list[WrittenWork] = field(default_factory=list)


def _in_time(value: object, set_at: datetime | None, deadline: datetime) -> bool:
    return value is not None and set_at is not None and set_at <= deadline


async def teacher_filling(
    journal: Journal, actor: Actor, start: date, end: date, class_id: int | None = None
) -> FillingReport:
    """R21: per teacher, the lessons in [start, end] whose roll call (R4), topic or
    homework (R13; none in the first grade, R12) was not in the journal by the deadline,
    20:00 on the lesson day. Only lessons whose deadline has passed are counted; a lesson
    belongs to the teacher who gave it (the substitute, R5). A topic or homework edited
    after the deadline counts as late (only the last change's time is kept). Beside them,
    the written works of [start, end] whose marks are past their day (R14)."""
    async with journal.transaction() as s:
        classes = await checked_classes(s, actor, class_id)
        rules = await journal.school_rules(s, actor.school_id)
        now = journal.clock.now()
        today = local_today(journal.clock, rules.timezone)
        until = min(end, today)
        ids = [c.id for c in classes]
        if until >= start:
            await materialise(s, actor.school_id, start, until)
        rows = list(
            await s.execute(
                select(
                    Lesson.id,
                    Lesson.date,
                    Lesson.lesson_no,
                    Lesson.teacher_id,
                    Lesson.class_id,
                    Subject.name,
                    Lesson.attendance_taken_at,
                    Lesson.topic,
                    Lesson.topic_set_at,
                    Lesson.homework,
                    Lesson.homework_set_at,
                )
                .join(Subject, Subject.id == Lesson.subject_id)
                .where(
                    Lesson.class_id.in_(ids),
                    Lesson.date.between(start, until),
                    Lesson.cancelled.is_(False),  # R25: no lesson to fill
                )
                .order_by(Lesson.date, Lesson.lesson_no, Lesson.class_id)
            )
        )
        teachers = await fetch_person_names(s, {r.teacher_id for r in rows})
        overdue = [
            w
            for w in await overdue_in(s, actor.school_id, start, until, today)
            if w.class_id in ids
        ]

    by_class = {c.id: c for c in classes}
    filling: dict[int, TeacherFilling] = {}
    gaps: list[LessonGap] = []
    for r in rows:
        deadline = at_local(r.date, rules.correction_deadline, rules.timezone)
        if deadline > now:
            continue
        no_roll_call = not _in_time(r.attendance_taken_at, r.attendance_taken_at, deadline)
        no_topic = not _in_time(r.topic, r.topic_set_at, deadline)
        homework_required = grade_has_marks(by_class[r.class_id].grade)  # R12
        no_homework = homework_required and not _in_time(r.homework, r.homework_set_at, deadline)
        entry = filling.setdefault(
            r.teacher_id, TeacherFilling(r.teacher_id, teachers.get(r.teacher_id, "?"))
        )
        entry.lessons += 1
        entry.no_roll_call += no_roll_call
        entry.no_topic += no_topic
        entry.no_homework += no_homework
        if no_roll_call or no_topic or no_homework:
            entry.with_gaps += 1
            gaps.append(
                LessonGap(
                    lesson_id=r.id,
                    date=r.date,
                    lesson_no=r.lesson_no,
                    class_name=by_class[r.class_id].name,
                    subject=r.name,
                    teacher_id=r.teacher_id,
                    teacher=entry.teacher,
                    no_roll_call=no_roll_call,
                    no_topic=no_topic,
                    no_homework=no_homework,
                )
            )
    gaps.sort(key=lambda g: (g.teacher, g.teacher_id, g.date, g.lesson_no, g.class_name))
    return FillingReport(
        start,
        end,
        sorted(filling.values(), key=lambda x: (x.teacher, x.teacher_id)),
        gaps,
        overdue,
    )
