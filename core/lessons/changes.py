"""Changes of a day's timetable (R25): the deputy (or director, admin) cancels a lesson,
moves it to another number or day, changes its room; a substitution (``substitutions``)
is recorded as such a change too. Each change is a ``schedule_changes`` row (teachers and
parents are told from it) and an audit entry (R9).

A cancelled lesson stays a row with ``cancelled`` set, so the timetable does not bring it
back; a moved lesson is such a row plus a new lesson at its new date and number, which
takes over its topic and homework."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core import audit, periods
from core.access import Actor, ensure_staff
from core.clock import local_today
from core.errors import InvalidValue, NotAllowed, NotFound
from core.journal import Journal
from core.lessons.queries import materialise, next_lesson_dates
from core.models import (
    Attendance,
    Bell,
    ChangeKind,
    Group,
    Lesson,
    Mark,
    Person,
    ScheduleChange,
    SchoolClass,
    StaffRole,
    Subject,
)

MAX_LESSON_NO = 12  # no school has more lessons a day
MAX_ROOM = 20  # lessons.room's length
DEPUTIES = (StaffRole.DEPUTY, StaffRole.DIRECTOR, StaffRole.ADMIN)


async def cancel_lesson(journal: Journal, actor: Actor, lesson_id: int) -> int:
    """R25: the lesson is not given. Returns the change's id."""
    ensure_staff(actor, *DEPUTIES)
    async with journal.transaction() as s:
        lesson = await _changeable(s, journal, actor, lesson_id, emptied=True)
        lesson.cancelled = True
        return await _record(s, journal, actor, lesson, ChangeKind.CANCEL)


async def move_lesson(
    journal: Journal, actor: Actor, lesson_id: int, day: date, lesson_no: int
) -> int:
    """R25: the lesson is given at another number or on another day (a school day, not
    past), onto a slot free for its class (or subgroup) and its teacher."""
    ensure_staff(actor, *DEPUTIES)
    if not 1 <= lesson_no <= MAX_LESSON_NO:
        raise InvalidValue("error.schedule_bad_lesson_no", most=MAX_LESSON_NO)
    async with journal.transaction() as s:
        lesson = await _changeable(s, journal, actor, lesson_id, emptied=True)
        if (day, lesson_no) == (lesson.date, lesson.lesson_no):
            raise InvalidValue("error.schedule_same_slot")
        await _ensure_not_past(s, journal, actor, day)
        if await periods.period_on(s, actor.school_id, day) is None:
            raise InvalidValue("error.schedule_not_school_day", day=f"{day:%d.%m.%Y}")
        await periods.ensure_open(s, actor.school_id, day)
        await materialise(s, actor.school_id, day, day)
        await _ensure_free(s, lesson, day, lesson_no)
        moved = Lesson(
            school_id=lesson.school_id,
            date=day,
            lesson_no=lesson_no,
            class_id=lesson.class_id,
            group_id=lesson.group_id,
            subject_id=lesson.subject_id,
            teacher_id=lesson.teacher_id,
            planned_teacher_id=lesson.planned_teacher_id,
            room=lesson.room,
            topic=lesson.topic,
            homework=lesson.homework,
            homework_due=lesson.homework_due,
            topic_set_at=lesson.topic_set_at,
            homework_set_at=lesson.homework_set_at,
            work_type_id=lesson.work_type_id,
        )
        s.add(moved)
        lesson.cancelled = True
        await s.flush()
        await _keep_homework_due_ahead(s, moved)
        return await _record(s, journal, actor, lesson, ChangeKind.MOVE, moved=moved)


async def change_room(journal: Journal, actor: Actor, lesson_id: int, room: str) -> int:
    """R25: the lesson is given in another room (a few characters: «214», «спортзал»)."""
    ensure_staff(actor, *DEPUTIES)
    room = " ".join(room.split())
    if not room or len(room) > MAX_ROOM:
        raise InvalidValue("error.schedule_bad_room", most=MAX_ROOM)
    async with journal.transaction() as s:
        lesson = await _changeable(s, journal, actor, lesson_id, emptied=False)
        if lesson.room == room:
            raise InvalidValue("error.schedule_same_room", room=room)
        old = lesson.room
        lesson.room = room
        return await _record(s, journal, actor, lesson, ChangeKind.ROOM, old_room=old)


async def restore_lesson(journal: Journal, actor: Actor, lesson_id: int) -> int:
    """R25: a cancelled or moved-away lesson is given at its slot again (a mistake
    undone); a move's lesson at the other slot goes, if nothing was filled in at it."""
    ensure_staff(actor, *DEPUTIES)
    async with journal.transaction() as s:
        lesson = await s.get(Lesson, lesson_id, with_for_update=True)
        if lesson is None or lesson.school_id != actor.school_id:
            raise NotFound()
        if not lesson.cancelled:
            raise NotAllowed("error.schedule_not_cancelled")
        await _ensure_not_past(s, journal, actor, lesson.date)
        await periods.ensure_open(s, actor.school_id, lesson.date)
        await _ensure_free(s, lesson, lesson.date, lesson.lesson_no)
        moved = await _moved_copy(s, journal, actor, lesson)
        gone = (moved.date, moved.lesson_no) if moved else None
        if moved is not None:
            for name in _CARRIED:  # what was filled in ahead at the other slot comes back
                setattr(lesson, name, getattr(moved, name))
            await s.delete(moved)
        lesson.cancelled = False
        await _keep_homework_due_ahead(s, lesson)
        await s.flush()
        return await _record(s, journal, actor, lesson, ChangeKind.RESTORE, gone=gone)


_CARRIED = (  # not homework_due: the lesson keeps its own (the next lesson after it)
    "teacher_id",
    "room",
    "topic",
    "homework",
    "topic_set_at",
    "homework_set_at",
    "work_type_id",
)


async def _keep_homework_due_ahead(s: AsyncSession, lesson: Lesson) -> None:
    """Homework is due after the lesson it is given at: at the subject's next lesson when
    it would be due on or before the lesson's (new) day."""
    if lesson.homework and (lesson.homework_due or lesson.date) <= lesson.date:
        after = await next_lesson_dates(s, lesson, 1)
        lesson.homework_due = after[0] if after else lesson.date + timedelta(days=1)


async def _moved_copy(
    s: AsyncSession, journal: Journal, actor: Actor, lesson: Lesson
) -> Lesson | None:
    """The lesson a move made of ``lesson`` (when its last cancel or move was a move),
    which the restore removes: refused once it was filled in or changed itself."""
    last = await s.scalar(
        select(ScheduleChange)
        .where(
            ScheduleChange.lesson_id == lesson.id,
            ScheduleChange.kind.in_([ChangeKind.CANCEL.value, ChangeKind.MOVE.value]),
        )
        .order_by(ScheduleChange.id.desc())
        .limit(1)
    )
    if last is None or last.new_lesson_id is None:
        return None
    moved = await s.get(Lesson, last.new_lesson_id, with_for_update=True)
    if moved is None:
        return None
    changed = await s.scalar(
        select(func.count()).select_from(ScheduleChange).where(ScheduleChange.lesson_id == moved.id)
    )
    if changed or moved.cancelled:
        raise NotAllowed("error.schedule_restore_changed")
    await _ensure_not_past(s, journal, actor, moved.date)
    await _ensure_empty(s, moved)
    return moved


async def record_substitution(
    s: AsyncSession, journal: Journal, actor: Actor, lesson: Lesson, old_teacher_id: int
) -> int:
    """A substitution (``substitutions``) as a change of the day, for telling parents."""
    return await _record(
        s, journal, actor, lesson, ChangeKind.SUBSTITUTE, old_teacher_id=old_teacher_id
    )


async def _changeable(
    s: AsyncSession, journal: Journal, actor: Actor, lesson_id: int, *, emptied: bool
) -> Lesson:
    """The lesson, if it may still change: given (not cancelled or moved), today or
    later, in an open period; ``emptied``: nor filled yet (a roll call, marks)."""
    lesson = await s.get(Lesson, lesson_id, with_for_update=True)
    if lesson is None or lesson.school_id != actor.school_id:
        raise NotFound()
    if lesson.cancelled:
        raise NotAllowed("error.lesson_cancelled")
    await _ensure_not_past(s, journal, actor, lesson.date)
    await periods.ensure_open(s, actor.school_id, lesson.date)
    if emptied:
        await _ensure_empty(s, lesson)
    return lesson


async def _ensure_empty(s: AsyncSession, lesson: Lesson) -> None:
    """Refuse a lesson with a roll call or marks in (it was given)."""
    marked = await s.scalar(
        select(func.count()).select_from(Mark).where(Mark.lesson_id == lesson.id)
    )
    called = await s.scalar(
        select(func.count()).select_from(Attendance).where(Attendance.lesson_id == lesson.id)
    )
    if marked or called:
        raise NotAllowed("error.schedule_lesson_filled")


async def ensure_can_change(
    journal: Journal, actor: Actor, lesson_id: int, *, emptied: bool = False
) -> None:
    """The checks of a change before the deputy types or picks its details (``emptied``:
    a cancel or a move, refused for a lesson already filled in)."""
    ensure_staff(actor, *DEPUTIES)
    async with journal.transaction() as s:
        await _changeable(s, journal, actor, lesson_id, emptied=emptied)


async def _ensure_not_past(s: AsyncSession, journal: Journal, actor: Actor, day: date) -> None:
    rules = await journal.school_rules(s, actor.school_id)
    if day < local_today(journal.clock, rules.timezone):
        raise NotAllowed("error.schedule_past_day")


async def _ensure_free(s: AsyncSession, lesson: Lesson, day: date, lesson_no: int) -> None:
    """Refuse a slot the class (the whole class, or the same subgroup) or the teacher
    already has a lesson at; a cancelled lesson of the same subgroup keeps it taken too."""
    at_slot = and_(Lesson.date == day, Lesson.lesson_no == lesson_no, Lesson.id != lesson.id)
    same_group = Lesson.group_id.is_not_distinct_from(lesson.group_id)
    # A subgroup's lesson clashes with the whole class's; the whole class's with any.
    overlaps = Lesson.group_id.is_(None) if lesson.group_id is not None else true()
    held = list(
        await s.scalars(
            select(Lesson.cancelled).where(
                at_slot,
                Lesson.class_id == lesson.class_id,
                or_(same_group, and_(Lesson.cancelled.is_(False), overlaps)),
            )
        )
    )
    if held:  # a lesson given then, or one cancelled or moved away that keeps the slot
        given = any(not cancelled for cancelled in held)
        key = "error.schedule_slot_taken" if given else "error.schedule_slot_kept"
        raise InvalidValue(key, no=lesson_no, day=f"{day:%d.%m.%Y}")
    teacher_busy = await s.scalar(
        select(func.count())
        .select_from(Lesson)
        .where(at_slot, Lesson.teacher_id == lesson.teacher_id, Lesson.cancelled.is_(False))
    )
    if teacher_busy:
        raise InvalidValue("error.schedule_teacher_busy", no=lesson_no, day=f"{day:%d.%m.%Y}")


async def _record(
    s: AsyncSession,
    journal: Journal,
    actor: Actor,
    lesson: Lesson,
    kind: ChangeKind,
    *,
    moved: Lesson | None = None,
    old_room: str | None = None,
    old_teacher_id: int | None = None,
    gone: tuple[date, int] | None = None,  # a restore: the slot the move had taken it to
) -> int:
    now = journal.clock.now()
    to = (moved.date, moved.lesson_no) if moved else gone
    change = ScheduleChange(
        school_id=lesson.school_id,
        lesson_id=lesson.id,
        kind=kind.value,
        day=lesson.date,
        lesson_no=lesson.lesson_no,
        new_lesson_id=moved.id if moved else None,
        new_day=to[0] if to else None,
        new_lesson_no=to[1] if to else None,
        old_room=old_room,
        new_room=lesson.room if kind is ChangeKind.ROOM else None,
        old_teacher_id=old_teacher_id,
        new_teacher_id=lesson.teacher_id if kind is ChangeKind.SUBSTITUTE else None,
        actor_id=actor.person_id,
        created_at=now,
    )
    s.add(change)
    await s.flush()
    if kind is not ChangeKind.SUBSTITUTE:  # a substitution has its own audit entry
        await audit.record(
            s,
            school_id=lesson.school_id,
            at=now,
            actor_id=actor.person_id,
            binding_id=actor.binding_id,
            action=audit.Action.LESSON_SCHEDULE,
            entity="lesson",
            key={"lesson_id": lesson.id},
            old={"date": lesson.date.isoformat(), "lesson_no": lesson.lesson_no, "room": old_room},
            new={
                "change": kind.value,
                "date": f"{moved.date.isoformat()}" if moved else None,
                "lesson_no": moved.lesson_no if moved else None,
                "room": lesson.room,
            },
        )
    return change.id


# --- reading the changes -----------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeView:
    """One change as teachers and parents read it."""

    id: int
    kind: ChangeKind
    lesson_id: int
    new_lesson_id: int | None  # a move: the lesson given instead
    day: date
    lesson_no: int
    new_day: date | None
    new_lesson_no: int | None
    class_id: int
    class_name: str
    group_id: int | None
    group: str | None
    subject: str
    teacher_id: int  # who gives the lesson (after the change)
    teacher: str
    old_teacher: str | None
    old_room: str | None
    new_room: str | None
    actor_id: int | None
    created_at: datetime

    def touches(self, day: date) -> bool:
        """Whether the change alters the timetable of ``day``."""
        return day in (self.day, self.new_day)


_TEACHER = aliased(Person)
_OLD_TEACHER = aliased(Person)


def _views_query() -> Select[*tuple[Any, ...]]:
    return (
        select(
            ScheduleChange,
            Lesson.class_id,
            SchoolClass.name,
            Lesson.group_id,
            Group.name,
            Subject.name,
            Lesson.teacher_id,
            _TEACHER.full_name,
            _OLD_TEACHER.full_name,
        )
        .join(Lesson, Lesson.id == ScheduleChange.lesson_id)
        .join(SchoolClass, SchoolClass.id == Lesson.class_id)
        .join(Subject, Subject.id == Lesson.subject_id)
        .outerjoin(Group, Group.id == Lesson.group_id)
        .join(_TEACHER, _TEACHER.id == Lesson.teacher_id)
        .outerjoin(_OLD_TEACHER, _OLD_TEACHER.id == ScheduleChange.old_teacher_id)
        .order_by(ScheduleChange.id)
    )


async def changes_touching(
    s: AsyncSession, school_id: int, day: date, *, class_id: int | None = None
) -> list[ChangeView]:
    """Every change of the school (or a class) that alters ``day``'s timetable."""
    query = _views_query().where(
        ScheduleChange.school_id == school_id,
        or_(ScheduleChange.day == day, ScheduleChange.new_day == day),
    )
    if class_id is not None:
        query = query.where(Lesson.class_id == class_id)
    return [_view(row) for row in await s.execute(query)]


async def changes_on(
    s: AsyncSession, class_days: set[tuple[int, date]]
) -> dict[tuple[int, date], list[ChangeView]]:
    """The changes altering each (class, day)'s timetable, in one query (the digest's)."""
    found: dict[tuple[int, date], list[ChangeView]] = {}
    if not class_days:
        return found
    days = sorted({d for _, d in class_days})
    query = _views_query().where(
        Lesson.class_id.in_(sorted({c for c, _ in class_days})),
        or_(ScheduleChange.day.in_(days), ScheduleChange.new_day.in_(days)),
    )
    for row in await s.execute(query):
        change = _view(row)
        for day in {change.day, change.new_day}:
            if day is not None and (change.class_id, day) in class_days:
                found.setdefault((change.class_id, day), []).append(change)
    return found


async def change_view(s: AsyncSession, change_id: int) -> ChangeView | None:
    row = (await s.execute(_views_query().where(ScheduleChange.id == change_id))).first()
    return _view(row) if row else None


def _view(row: Sequence[Any]) -> ChangeView:
    change, class_id, class_name, group_id, group, subject, teacher_id, teacher, old = row
    return ChangeView(
        id=change.id,
        kind=ChangeKind(change.kind),
        lesson_id=change.lesson_id,
        new_lesson_id=change.new_lesson_id,
        day=change.day,
        lesson_no=change.lesson_no,
        new_day=change.new_day,
        new_lesson_no=change.new_lesson_no,
        class_id=class_id,
        class_name=class_name,
        group_id=group_id,
        group=group,
        subject=subject,
        teacher_id=teacher_id,
        teacher=teacher,
        old_teacher=old,
        old_room=change.old_room,
        new_room=change.new_room,
        actor_id=change.actor_id,
        created_at=change.created_at,
    )


# --- what the deputy picks from ----------------------------------------------------------------


@dataclass(frozen=True)
class MoveChoice:
    """The numbers a lesson may move to on ``day``: the school's bells (number → start),
    and the numbers the class already has a lesson at then."""

    day: date
    bells: dict[int, time]
    taken: set[int]


async def move_choice(journal: Journal, actor: Actor, lesson_id: int, day: date) -> MoveChoice:
    ensure_staff(actor, *DEPUTIES)
    async with journal.transaction() as s:
        lesson = await s.get(Lesson, lesson_id)
        if lesson is None or lesson.school_id != actor.school_id:
            raise NotFound()
        await materialise(s, actor.school_id, day, day)
        bells = dict(
            (
                await s.execute(
                    select(Bell.lesson_no, Bell.starts_at).where(Bell.school_id == actor.school_id)
                )
            ).all()
        )
        taken = set(
            await s.scalars(
                select(Lesson.lesson_no).where(
                    Lesson.class_id == lesson.class_id,
                    Lesson.date == day,
                    or_(
                        Lesson.cancelled.is_(False),
                        Lesson.group_id.is_not_distinct_from(lesson.group_id),
                    ),
                    Lesson.id != lesson.id,
                )
            )
        )
        return MoveChoice(day, bells, taken)
