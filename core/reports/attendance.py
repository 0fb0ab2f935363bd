"""R21: a class's attendance by month, and the summary sheet of attendance for a period:
per pupil the lessons due and missed (by day and by subject), the reasons (R6) and
lateness."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from core.access import Actor
from core.journal import Journal
from core.models import Attendance, Presence
from core.reports.common import (
    AttendanceCounts,
    SubjectRef,
    attends,
    checked_class,
    fetch_group_members,
    fetch_lessons,
    fetch_pupils,
    fetch_subject_names,
    held_until,
    month_bounds,
    subject_refs,
)


@dataclass
class PupilAttendance:
    pupil_id: int
    full_name: str
    counts: AttendanceCounts = field(default_factory=AttendanceCounts)
    missed_by_day: dict[date, int] = field(default_factory=dict)
    late_by_day: dict[date, int] = field(default_factory=dict)
    by_subject: dict[int, AttendanceCounts] = field(default_factory=dict)
    by_day: dict[date, AttendanceCounts] = field(default_factory=dict)  # the days with lessons


@dataclass
class ClassAttendance:
    class_id: int
    class_name: str
    start: date
    end: date
    until: date  # lessons are counted up to this day (today, for a month not over yet)
    days: list[date]  # school days of the class in the range, up to ``until``
    subjects: list[SubjectRef]
    pupils: list[PupilAttendance]
    totals: AttendanceCounts


async def class_attendance_month(
    journal: Journal, actor: Actor, class_id: int, month: date
) -> ClassAttendance:
    """R21: the class's attendance in a month: per pupil, the lessons missed each day,
    excused and unexcused (R6), lateness; and the class's totals."""
    start, end = month_bounds(month)
    return await attendance_summary(journal, actor, class_id, start, end)


async def attendance_summary(
    journal: Journal, actor: Actor, class_id: int, start: date, end: date
) -> ClassAttendance:
    """R21: the summary sheet of attendance for [start, end]: per pupil and subject the
    lessons due and missed, with the reasons and lateness."""
    async with journal.transaction() as s:
        cls = await checked_class(s, actor, class_id)
        _, until = await held_until(s, journal, actor.school_id, start, end)
        pupils = await fetch_pupils(s, [class_id], start, end)
        lessons = await fetch_lessons(s, [class_id], start, until) if until >= start else []
        members = await fetch_group_members(s, [class_id])
        entries_of: dict[tuple[int, int], tuple[str, str]] = {}
        if lessons:
            rows = await s.execute(
                select(
                    Attendance.lesson_id,
                    Attendance.pupil_id,
                    Attendance.status,
                    Attendance.reason,
                ).where(
                    Attendance.lesson_id.in_([x.id for x in lessons]),
                    Attendance.status != Presence.PRESENT,
                )
            )
            entries_of = {(lid, pid): (st, rs) for lid, pid, st, rs in rows}
        subject_names = await fetch_subject_names(s, {x.subject_id for x in lessons})

    result: list[PupilAttendance] = []
    totals = AttendanceCounts()
    for pupil in pupils:
        row = PupilAttendance(pupil.id, pupil.full_name)
        for lesson in lessons:
            entry = entries_of.get((lesson.id, pupil.id))
            # A lesson counts if it is the pupil's, or if they were marked on it anyway
            # (e.g. a subgroup they have left since).
            if not attends(pupil, lesson, members) and entry is None:
                continue
            subject = row.by_subject.setdefault(lesson.subject_id, AttendanceCounts())
            day = row.by_day.setdefault(lesson.date, AttendanceCounts())
            for counts in (subject, day, row.counts):
                counts.lessons += 1
                if entry is not None:
                    counts.count(*entry)
            if entry is None:
                continue
            status, _ = entry
            if status == Presence.ABSENT:
                row.missed_by_day[lesson.date] = row.missed_by_day.get(lesson.date, 0) + 1
            elif status == Presence.LATE:
                row.late_by_day[lesson.date] = row.late_by_day.get(lesson.date, 0) + 1
        totals.add(row.counts)
        result.append(row)
    subjects = subject_refs(subject_names, subject_names)
    return ClassAttendance(
        class_id=cls.id,
        class_name=cls.name,
        start=start,
        end=end,
        until=until,
        days=sorted({x.date for x in lessons}),
        subjects=subjects,
        pupils=result,
        totals=totals,
    )
