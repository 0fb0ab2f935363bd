"""Lessons: materialised per date from the timetable, with the actual teacher (R5),
topic and homework (R13), and the lists a teacher works from."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, periods
from core.access import (
    Actor,
    ensure_can_view_class,
    ensure_can_view_lesson,
    ensure_can_view_pupil,
    ensure_staff,
    lesson_for_edit,
    load_lesson,
)
from core.clock import local_today
from core.errors import InvalidValue, NotAllowed
from core.journal import Journal
from core.models import (
    Attendance,
    AuditEntry,
    Bell,
    Group,
    GroupMember,
    Lesson,
    Mark,
    Person,
    Pupil,
    SchoolClass,
    StaffRole,
    StaffRoleRow,
    Subject,
)
from core.people import short_name
from core.rules import TOPIC_LESSONS_AHEAD, grade_has_marks

MAX_TEXT = 1000


@dataclass(frozen=True)
class LessonSummary:
    id: int
    date: date
    lesson_no: int
    starts_at: time | None
    ends_at: time | None
    class_id: int
    class_name: str
    grade: int
    group_id: int | None
    subject_id: int
    subject: str
    teacher_id: int
    substituted: bool
    room: str | None
    topic: str | None
    homework: str | None
    attendance_taken: bool
    homework_due: dt.date | None = None  # the lesson the homework is for (next of the subject)


@dataclass(frozen=True)
class PupilOfLesson:
    id: int
    full_name: str
    short_name: str


MATERIALISE_SQL = text(
    """
    INSERT INTO lessons (school_id, date, lesson_no, class_id, group_id, subject_id,
                         teacher_id, planned_teacher_id, room)
    SELECT t.school_id, d.day, t.lesson_no, t.class_id, t.group_id, t.subject_id,
           t.teacher_id, t.teacher_id, t.room
    FROM periods p
    CROSS JOIN LATERAL generate_series(
        GREATEST(p.starts_on, CAST(:start AS date)),
        LEAST(p.ends_on, CAST(:end AS date)), interval '1 day') AS d(day)
    JOIN timetable t ON t.school_id = p.school_id
                    AND t.weekday = EXTRACT(ISODOW FROM d.day)
    WHERE p.school_id = :school_id
    ON CONFLICT ON CONSTRAINT uq_lessons_class_id_group_id_date_lesson_no DO NOTHING
    """
)


async def materialise(session: AsyncSession, school_id: int, start: date, end: date) -> None:
    """Create the lessons of the timetable for school days in [start, end] (idempotent).
    Only dates inside a reporting period are school days; holidays have no lessons."""
    await session.execute(MATERIALISE_SQL, {"school_id": school_id, "start": start, "end": end})


def _summary_query() -> Select[*tuple[Any, ...]]:
    return (
        select(
            Lesson,
            SchoolClass.name,
            SchoolClass.grade,
            Subject.name,
            Bell.starts_at,
            Bell.ends_at,
        )
        .join(SchoolClass, SchoolClass.id == Lesson.class_id)
        .join(Subject, Subject.id == Lesson.subject_id)
        .outerjoin(
            Bell, and_(Bell.school_id == Lesson.school_id, Bell.lesson_no == Lesson.lesson_no)
        )
    )


def _summary(row: Sequence[Any]) -> LessonSummary:
    lesson, class_name, grade, subject, starts_at, ends_at = row
    return LessonSummary(
        id=lesson.id,
        date=lesson.date,
        lesson_no=lesson.lesson_no,
        starts_at=starts_at,
        ends_at=ends_at,
        class_id=lesson.class_id,
        class_name=class_name,
        grade=grade,
        group_id=lesson.group_id,
        subject_id=lesson.subject_id,
        subject=subject,
        teacher_id=lesson.teacher_id,
        substituted=lesson.teacher_id != lesson.planned_teacher_id,
        room=lesson.room,
        topic=lesson.topic,
        homework=lesson.homework,
        attendance_taken=lesson.attendance_taken_at is not None,
        homework_due=lesson.homework_due,
    )


async def teacher_day(journal: Journal, actor: Actor, day: date) -> list[LessonSummary]:
    """The lessons the teacher gives on a day, substitutions included (R5)."""
    ensure_staff(actor, StaffRole.TEACHER)
    async with journal.transaction() as s:
        await materialise(s, actor.school_id, day, day)
        rows = await s.execute(
            _summary_query()
            .where(Lesson.teacher_id == actor.person_id, Lesson.date == day)
            .order_by(Lesson.lesson_no)
        )
        return [_summary(r) for r in rows]


async def class_day(
    journal: Journal, actor: Actor, class_id: int, day: date
) -> list[LessonSummary]:
    """A class's lessons on a day (every subgroup), for whoever may view the class."""
    async with journal.transaction() as s:
        await ensure_can_view_class(s, actor, class_id)
        await materialise(s, actor.school_id, day, day)
        rows = await s.execute(
            _summary_query()
            .where(Lesson.class_id == class_id, Lesson.date == day)
            .order_by(Lesson.lesson_no, Lesson.group_id)
        )
        return [_summary(r) for r in rows]


@dataclass(frozen=True)
class SchoolLesson:
    """A lesson of the school's day as a substitution is chosen from: who gives it and
    which subgroup it is for, so two «7В Английский язык» lessons read apart (R5, R20)."""

    lesson: LessonSummary
    teacher: str
    group: str | None
    planned_teacher: str


async def _school_lessons(
    s: AsyncSession, school_id: int, day: date, *, not_by: int | None = None
) -> list[SchoolLesson]:
    await materialise(s, school_id, day, day)
    query = _summary_query().where(Lesson.school_id == school_id, Lesson.date == day)
    if not_by is not None:
        query = query.where(Lesson.teacher_id != not_by)
    rows = [
        _summary(r)
        for r in await s.execute(query.order_by(Lesson.lesson_no, SchoolClass.name, Lesson.id))
    ]
    people = {r.teacher_id for r in rows}
    lesson_ids = [r.id for r in rows]
    planned = (
        dict(
            (
                await s.execute(
                    select(Lesson.id, Lesson.planned_teacher_id).where(Lesson.id.in_(lesson_ids))
                )
            ).all()
        )
        if lesson_ids
        else {}
    )
    people |= set(planned.values())
    names = (
        dict(
            (
                await s.execute(select(Person.id, Person.full_name).where(Person.id.in_(people)))
            ).all()
        )
        if people
        else {}
    )
    group_ids = {r.group_id for r in rows if r.group_id is not None}
    groups = (
        dict((await s.execute(select(Group.id, Group.name).where(Group.id.in_(group_ids)))).all())
        if group_ids
        else {}
    )
    return [
        SchoolLesson(
            r,
            short_name(names.get(r.teacher_id, "")),
            groups.get(r.group_id) if r.group_id is not None else None,
            short_name(names.get(planned.get(r.id, r.teacher_id), "")),
        )
        for r in rows
    ]


async def substitutable_lessons(journal: Journal, actor: Actor, day: date) -> list[SchoolLesson]:
    """Other teachers' lessons of the day, which a teacher may take as a substitute, each
    with its teacher and subgroup."""
    ensure_staff(actor, StaffRole.TEACHER)
    async with journal.transaction() as s:
        return await _school_lessons(s, actor.school_id, day, not_by=actor.person_id)


async def school_day(journal: Journal, actor: Actor, day: date) -> list[SchoolLesson]:
    """Every lesson of the school's day, for the deputy who assigns substitutes (R5, R25)."""
    ensure_staff(actor, StaffRole.DEPUTY, StaffRole.DIRECTOR, StaffRole.ADMIN)
    async with journal.transaction() as s:
        return await _school_lessons(s, actor.school_id, day)


async def school_teachers(journal: Journal, actor: Actor) -> list[tuple[int, str]]:
    """The school's teachers (id, full name), by name: who may be made a substitute."""
    ensure_staff(actor, StaffRole.DEPUTY, StaffRole.DIRECTOR, StaffRole.ADMIN)
    async with journal.transaction() as s:
        rows = await s.execute(
            select(Person.id, Person.full_name)
            .join(StaffRoleRow, StaffRoleRow.person_id == Person.id)
            .where(
                Person.school_id == actor.school_id, StaffRoleRow.role == StaffRole.TEACHER.value
            )
            .order_by(Person.full_name, Person.id)
        )
        return [(pid, name) for pid, name in rows]


async def get_lesson(journal: Journal, actor: Actor, lesson_id: int) -> LessonSummary:
    async with journal.transaction() as s:
        await ensure_can_view_lesson(s, actor, lesson_id)
        row = (await s.execute(_summary_query().where(Lesson.id == lesson_id))).one()
        return _summary(row)


async def pupils_of_lesson(session: AsyncSession, lesson: Lesson) -> list[PupilOfLesson]:
    """The pupils a lesson is for: its subgroup (R20) or the whole class, as enrolled on
    the lesson's date, sorted as in a paper journal. Looked up once per transaction."""
    cache_key = ("pupils_of_lesson", lesson.id)
    if cache_key in session.info:
        return session.info[cache_key]
    query = (
        select(Pupil.person_id, Person.full_name)
        .join(Person, Person.id == Pupil.person_id)
        .where(
            Pupil.class_id == lesson.class_id,
            or_(Pupil.admitted_on.is_(None), Pupil.admitted_on <= lesson.date),
            or_(Pupil.left_on.is_(None), Pupil.left_on > lesson.date),
        )
        .order_by(Person.full_name, Pupil.person_id)
    )
    if lesson.group_id is not None:
        query = query.join(
            GroupMember,
            and_(GroupMember.pupil_id == Pupil.person_id, GroupMember.group_id == lesson.group_id),
        )
    rows = await session.execute(query)
    pupils = [PupilOfLesson(pid, name, short_name(name)) for pid, name in rows]
    session.info[cache_key] = pupils
    return pupils


async def take_as_substitute(journal: Journal, actor: Actor, lesson_id: int) -> LessonSummary:
    """R5: a teacher records that they give another teacher's lesson today; the lesson
    then shows them as its teacher and they may fill it."""
    ensure_staff(actor, StaffRole.TEACHER)
    async with journal.transaction() as s:
        lesson = await load_lesson(s, actor, lesson_id)
        rules = await journal.school_rules(s, actor.school_id)
        if lesson.date != local_today(journal.clock, rules.timezone):
            raise NotAllowed("error.substitute_today_only")
        await periods.ensure_open(s, actor.school_id, lesson.date)
        await _set_teacher(s, journal, actor, lesson, actor.person_id)  # type: ignore[arg-type]  # a teacher has a person
    return await get_lesson(journal, actor, lesson_id)


async def assign_substitute(
    journal: Journal, actor: Actor, lesson_id: int, teacher_id: int
) -> None:
    """R5, R25: the deputy (or director, admin) records a substitution for any day."""
    ensure_staff(actor, StaffRole.DEPUTY, StaffRole.DIRECTOR, StaffRole.ADMIN)
    async with journal.transaction() as s:
        lesson = await load_lesson(s, actor, lesson_id)
        await periods.ensure_open(s, actor.school_id, lesson.date)
        teacher = await s.get(Person, teacher_id)
        if teacher is None or teacher.school_id != actor.school_id:
            raise InvalidValue("error.substitute_not_teacher")
        is_teacher = await s.scalar(
            select(func.count())
            .select_from(StaffRoleRow)
            .where(
                StaffRoleRow.person_id == teacher_id,
                StaffRoleRow.role == StaffRole.TEACHER.value,
            )
        )
        if not is_teacher:
            raise InvalidValue("error.substitute_not_teacher")
        await _set_teacher(s, journal, actor, lesson, teacher_id)


@dataclass(frozen=True)
class SubstitutionNotice:
    """The lesson's latest change of teacher, as the teachers concerned are told of it."""

    change_id: int  # the audit entry
    lesson: LessonSummary
    group: str | None
    old_teacher_id: int
    new_teacher_id: int
    new_teacher: str
    old_teacher: str
    by_id: int | None


async def substitution_notice(journal: Journal, lesson_id: int) -> SubstitutionNotice | None:
    """What the latest substitution on a lesson was (from the audit log, R9), for telling
    the regular teacher (R5); None if its teacher was never changed."""
    async with journal.transaction() as s:
        school_id = await s.scalar(select(Lesson.school_id).where(Lesson.id == lesson_id))
        entry = await s.scalar(
            select(AuditEntry)
            .where(
                # The change was just made: the recent entries of the school (indexed).
                AuditEntry.school_id == school_id,
                AuditEntry.at >= journal.clock.now() - timedelta(days=1),
                AuditEntry.entity == "lesson",
                AuditEntry.action == audit.Action.LESSON_SUBSTITUTE.value,
                AuditEntry.entity_key["lesson_id"].as_integer() == lesson_id,
            )
            .order_by(AuditEntry.id.desc())
            .limit(1)
        )
        if entry is None or not entry.old or not entry.new:
            return None
        row = (await s.execute(_summary_query().where(Lesson.id == lesson_id))).one()
        summary = _summary(row)
        old_id, new_id = int(entry.old["teacher_id"]), int(entry.new["teacher_id"])
        names = dict(
            (
                await s.execute(
                    select(Person.id, Person.full_name).where(Person.id.in_([old_id, new_id]))
                )
            ).all()
        )
        group = (
            await s.scalar(select(Group.name).where(Group.id == summary.group_id))
            if summary.group_id is not None
            else None
        )
        return SubstitutionNotice(
            entry.id,
            summary,
            group,
            old_id,
            new_id,
            names.get(new_id, ""),
            names.get(old_id, ""),
            entry.actor_id,
        )


async def _set_teacher(
    s: AsyncSession, journal: Journal, actor: Actor, lesson: Lesson, teacher_id: int
) -> None:
    old = lesson.teacher_id
    if old == teacher_id:
        return
    lesson.teacher_id = teacher_id
    await audit.record(
        s,
        school_id=lesson.school_id,
        at=journal.clock.now(),
        actor_id=actor.person_id,
        binding_id=actor.binding_id,
        action=audit.Action.LESSON_SUBSTITUTE,
        entity="lesson",
        key={"lesson_id": lesson.id},
        old={"teacher_id": old},
        new={"teacher_id": teacher_id},
    )


async def set_topic(journal: Journal, actor: Actor, lesson_id: int, topic: str) -> None:
    await _set_text(journal, actor, lesson_id, "topic", topic)


async def set_homework(journal: Journal, actor: Actor, lesson_id: int, homework: str) -> None:
    await _set_text(journal, actor, lesson_id, "homework", homework)


async def ensure_text_allowed(journal: Journal, actor: Actor, lesson_id: int, field: str) -> None:
    """Check R10, R12 and R13 for a topic or homework before the teacher is asked to type
    it, so that a refusal comes before the typing, not after."""
    async with journal.transaction() as s:
        lesson = await lesson_for_edit(s, actor, lesson_id)
        await _check_text_rules(s, journal, actor, lesson, field)


async def _check_text_rules(
    s: AsyncSession, journal: Journal, actor: Actor, lesson: Lesson, field: str
) -> None:
    await periods.ensure_open(s, actor.school_id, lesson.date)  # R10
    if field == "homework":
        grade = await s.scalar(select(SchoolClass.grade).where(SchoolClass.id == lesson.class_id))
        if not grade_has_marks(grade or 0):
            raise NotAllowed("error.grade1_no_homework")  # R12
    rules = await journal.school_rules(s, actor.school_id)
    today = local_today(journal.clock, rules.timezone)
    if lesson.date > today and await _lessons_ahead(s, lesson, today) > TOPIC_LESSONS_AHEAD:
        raise NotAllowed("error.too_far_ahead", limit=TOPIC_LESSONS_AHEAD)  # R13


async def _set_text(journal: Journal, actor: Actor, lesson_id: int, field: str, value: str) -> None:
    value = value.strip()
    if not value or len(value) > MAX_TEXT:
        raise InvalidValue("error.text_length", limit=MAX_TEXT)
    async with journal.transaction() as s:
        lesson = await lesson_for_edit(s, actor, lesson_id, lock=True)
        await _check_text_rules(s, journal, actor, lesson, field)
        now = journal.clock.now()
        old = getattr(lesson, field)
        values: dict[str, object] = {field: value, f"{field}_set_at": now}
        if field == "homework":  # due at the next lesson, or the one the teacher picked
            choices = await next_lesson_dates(s, lesson, HOMEWORK_DUE_CHOICES)
            kept = lesson.homework and lesson.homework_due in choices
            values["homework_due"] = (
                lesson.homework_due
                if kept
                else choices[0]
                if choices
                else lesson.date + timedelta(days=1)
            )
        await s.execute(update(Lesson).where(Lesson.id == lesson.id).values(values))
        if old != value:  # audited, so a revert (R3) can restore it
            await audit.record(
                s,
                school_id=lesson.school_id,
                at=now,
                actor_id=actor.person_id,
                binding_id=actor.binding_id,
                action=audit.Action(f"lesson.{field}"),
                entity="lesson",
                key={"lesson_id": lesson.id},
                old={field: old},
                new={field: value},
            )


HOMEWORK_DUE_HORIZON_DAYS = 21


_NEXT_LESSONS_SQL = text(
    """
    SELECT day FROM (
        SELECT CAST(d.day AS date) AS day
        FROM generate_series(CAST(:start AS date), CAST(:end AS date), interval '1 day')
             AS d(day)
        WHERE EXISTS (SELECT 1 FROM periods p WHERE p.school_id = :school
                      AND CAST(d.day AS date) BETWEEN p.starts_on AND p.ends_on)
          AND EXISTS (SELECT 1 FROM timetable t WHERE t.class_id = :class
                      AND t.group_id IS NOT DISTINCT FROM :group
                      AND t.subject_id = :subject
                      AND t.weekday = EXTRACT(ISODOW FROM d.day))
        UNION
        SELECT l.date FROM lessons l
        WHERE l.class_id = :class AND l.group_id IS NOT DISTINCT FROM :group
          AND l.subject_id = :subject AND l.date BETWEEN :start AND :end
    ) AS x
    ORDER BY day
    LIMIT :count
    """
)


async def next_lesson_dates(s: AsyncSession, lesson: Lesson, count: int) -> list[date]:
    """The dates of the next ``count`` lessons of this subject for this class (or group)
    after ``lesson``, within three weeks: read from the timetable (school days inside a
    period) and lessons added by hand, without materialising future lessons."""
    rows = await s.execute(
        _NEXT_LESSONS_SQL,
        {
            "start": lesson.date + timedelta(days=1),
            "end": lesson.date + timedelta(days=HOMEWORK_DUE_HORIZON_DAYS),
            "school": lesson.school_id,
            "class": lesson.class_id,
            "group": lesson.group_id,
            "subject": lesson.subject_id,
            "count": count,
        },
    )
    return [day for (day,) in rows]


HOMEWORK_DUE_CHOICES = 4  # the teacher may pick one of the next four lessons (issue 9.3)


@dataclass(frozen=True)
class HomeworkDue:
    """When a lesson's homework is due, and the lessons the teacher may pick instead."""

    lesson_id: int
    due: date | None
    choices: list[date]


async def homework_due_choices(journal: Journal, actor: Actor, lesson_id: int) -> HomeworkDue:
    """The next lessons of the subject a lesson's homework may be due at (the next one by
    default), for the teacher who fills the lesson."""
    async with journal.transaction() as s:
        lesson = await lesson_for_edit(s, actor, lesson_id)
        choices = await next_lesson_dates(s, lesson, HOMEWORK_DUE_CHOICES)
        return HomeworkDue(lesson.id, lesson.homework_due, choices)


async def set_homework_due(
    journal: Journal, actor: Actor, lesson_id: int, due: date
) -> HomeworkDue:
    """The teacher picks another lesson the homework is due at: one of the next
    ``HOMEWORK_DUE_CHOICES`` lessons of the subject (anything else is refused as a
    stale or forged button). The same rules as for the homework apply (R10, R12, R13)."""
    async with journal.transaction() as s:
        lesson = await lesson_for_edit(s, actor, lesson_id, lock=True)
        await _check_text_rules(s, journal, actor, lesson, "homework")
        if not lesson.homework:
            raise NotAllowed("error.homework_first")
        choices = await next_lesson_dates(s, lesson, HOMEWORK_DUE_CHOICES)
        if due not in choices:
            raise InvalidValue("fallback.stale_button")
        await s.execute(update(Lesson).where(Lesson.id == lesson.id).values(homework_due=due))
        return HomeworkDue(lesson.id, due, choices)


async def _lessons_ahead(s: AsyncSession, lesson: Lesson, today: date) -> int:
    """How many lessons of this subject for this class (or group) lie from tomorrow up
    to and including this one. R13 allows entering topics up to 5 lessons ahead."""
    await materialise(s, lesson.school_id, today + timedelta(days=1), lesson.date)
    return int(
        await s.scalar(
            select(func.count())
            .select_from(Lesson)
            .where(
                Lesson.class_id == lesson.class_id,
                Lesson.group_id.is_not_distinct_from(lesson.group_id),
                Lesson.subject_id == lesson.subject_id,
                Lesson.date > today,
                or_(
                    Lesson.date < lesson.date,
                    and_(Lesson.date == lesson.date, Lesson.lesson_no <= lesson.lesson_no),
                ),
            )
        )
        or 0
    )


@dataclass(frozen=True)
class LessonCounts:
    present: int
    absent: int
    late: int
    not_taken: int
    marks: int


async def lesson_counts(session: AsyncSession, lesson: Lesson) -> LessonCounts:
    pupils = await pupils_of_lesson(session, lesson)
    statuses = dict(
        (
            await session.execute(
                select(Attendance.pupil_id, Attendance.status).where(
                    Attendance.lesson_id == lesson.id
                )
            )
        ).all()
    )
    marks = await session.scalar(
        select(func.count()).select_from(Mark).where(Mark.lesson_id == lesson.id)
    )
    values = [statuses.get(p.id) for p in pupils]
    return LessonCounts(
        present=values.count("present"),
        absent=values.count("absent"),
        late=values.count("late"),
        not_taken=values.count(None),
        marks=int(marks or 0),
    )


def _pupil_lessons_query(pupil_id: int, class_id: int) -> Select[*tuple[Any, ...]]:
    """The lessons a pupil attends: the class's, and those of the subgroups they are in."""
    return _summary_query().where(
        Lesson.class_id == class_id,
        or_(
            Lesson.group_id.is_(None),
            Lesson.group_id.in_(
                select(GroupMember.group_id).where(GroupMember.pupil_id == pupil_id)
            ),
        ),
    )


async def next_school_day_lessons(
    journal: Journal, actor: Actor, pupil_id: int, after: date, horizon_days: int = 21
) -> list[LessonSummary]:
    """The pupil's lessons on the first school day after ``after`` (for homework, R16)."""
    async with journal.transaction() as s:
        pupil = await ensure_can_view_pupil(s, actor, pupil_id)
        await materialise(
            s, actor.school_id, after + timedelta(days=1), after + timedelta(days=horizon_days)
        )
        query = _pupil_lessons_query(pupil_id, pupil.class_id)
        first = await s.scalar(
            select(func.min(Lesson.date)).where(
                Lesson.id.in_(query.with_only_columns(Lesson.id)),
                Lesson.date > after,
                Lesson.date <= after + timedelta(days=horizon_days),
            )
        )
        if first is None:
            return []
        rows = await s.execute(query.where(Lesson.date == first).order_by(Lesson.lesson_no))
        day = [_summary(r) for r in rows]
        # Homework is given at an earlier lesson and due on this day (issue 9): show it on
        # the day's first lesson of that subject and group, not what was typed on the day.
        given = await s.execute(
            select(Lesson.subject_id, Lesson.group_id, Lesson.homework)
            .where(
                Lesson.id.in_(query.with_only_columns(Lesson.id)),
                func.coalesce(Lesson.homework_due, Lesson.date) == first,
                Lesson.homework.is_not(None),
                Lesson.homework != "",
            )
            .order_by(Lesson.date, Lesson.lesson_no)
        )
        due: dict[tuple[int, int | None], list[str]] = {}
        for subject_id, group_id, homework in given:
            if homework:  # the query asks for a non-empty one
                due.setdefault((subject_id, group_id), []).append(homework)
        shown: list[LessonSummary] = []
        for x in day:
            texts = due.pop((x.subject_id, x.group_id), None)
            shown.append(replace(x, homework="\n".join(texts) if texts else None))
        return shown
