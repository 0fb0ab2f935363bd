"""What a parent receives about each child, and when (R16, issue 13 item 4): per (guardian
person, pupil) marks (their corrections too), absences (all, only those without a reason,
or none), homework, announcements and schedule changes; per parent, quiet hours in which
only absence alerts are sent. Kept per person, not per binding: two phones, or Telegram
and MAX, are one choice. No row is everything, at any hour.

The queries that pick what to send read the choices through the SQL fragments here
(``wants_sql``, ``CHOICES_JOIN``); the outbox holds what falls in quiet hours
(``quiet_hours_of``, ``quiet_end``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import Actor
from core.accounts.caller import children_in
from core.clock import at_local
from core.errors import NotAllowed
from core.journal import Journal
from core.models import (
    EXCUSED_REASONS,
    AbsenceChoice,
    AbsenceReason,
    BindingRole,
    ChildNotificationChoice,
    QuietHours,
)


class Topic(StrEnum):
    """What a parent switches on or off for a child (absences have three choices)."""

    MARKS = "marks"
    HOMEWORK = "homework"
    ANNOUNCEMENTS = "announcements"
    SCHEDULE = "schedule"


@dataclass(frozen=True)
class ChildChoices:
    marks: bool = True
    absences: AbsenceChoice = AbsenceChoice.ALL
    homework: bool = True
    announcements: bool = True
    schedule: bool = True

    def hears_of(self, reason: AbsenceReason, *, warned: bool = False) -> bool:
        """Whether an absence with this reason (``warned``: a parent warned of it in
        advance, a reason too) is told to this parent."""
        if self.absences is AbsenceChoice.OFF:
            return False
        if self.absences is AbsenceChoice.ALL:
            return True
        return not warned and reason not in EXCUSED_REASONS


EVERYTHING = ChildChoices()

#: The quiet hours a parent may pick (from, to), besides none.
QUIET_PRESETS: tuple[tuple[int, int], ...] = ((21, 7), (22, 7), (23, 8))

#: Joins the choices ``cc`` of guardian ``g.guardian_id`` for pupil ``g.pupil_id``.
CHOICES_JOIN = """LEFT JOIN child_notification_choices cc
        ON cc.guardian_id = g.guardian_id AND cc.pupil_id = g.pupil_id"""


def wants_sql(topic: Topic, guardian: str = "g.guardian_id", pupil: str = "g.pupil_id") -> str:
    """SQL: whether the guardian (a column) wants ``topic`` about the pupil (a column);
    no row: yes. E.g. schedule changes: ``wants_sql(Topic.SCHEDULE)`` beside
    ``guardianships g``."""
    return f"""NOT EXISTS (SELECT 1 FROM child_notification_choices wc
        WHERE wc.guardian_id = {guardian} AND wc.pupil_id = {pupil} AND NOT wc.{topic.value})"""


def _choices(row: ChildNotificationChoice | None) -> ChildChoices:
    if row is None:
        return EVERYTHING
    return ChildChoices(
        row.marks, AbsenceChoice(row.absences), row.homework, row.announcements, row.schedule
    )


async def choices_in(s: AsyncSession, guardian_id: int, pupil_id: int) -> ChildChoices:
    return _choices(await s.get(ChildNotificationChoice, (guardian_id, pupil_id)))


async def wants(s: AsyncSession, guardian_id: int, pupil_id: int, topic: Topic) -> bool:
    """Whether this guardian wants ``topic`` about this pupil (the predicate in Python)."""
    return bool(getattr(await choices_in(s, guardian_id, pupil_id), topic.value))


async def set_choice(
    journal: Journal,
    actor: Actor,
    pupil_id: int,
    topic: Topic | None = None,
    on: bool = True,
    absences: AbsenceChoice | None = None,
) -> None:
    """A parent's choice for one of their children: ``topic`` on or off, or ``absences``.
    The value is the choice itself (not a toggle): a second tap changes nothing. Someone
    else's child is refused (a forged button)."""
    values: dict[str, object] = {}
    if topic is not None:
        values[topic.value] = on
    if absences is not None:
        values["absences"] = absences.value
    if actor.role is not BindingRole.PARENT or actor.person_id is None or not values:
        raise NotAllowed()
    async with journal.transaction() as s:
        if pupil_id not in {k.id for k in await children_in(s, actor)}:
            raise NotAllowed("prefs.child_refused")  # only one's own (a forged button)
        stmt = pg_insert(ChildNotificationChoice).values(
            guardian_id=actor.person_id, pupil_id=pupil_id, **values
        )
        await s.execute(
            stmt.on_conflict_do_update(index_elements=["guardian_id", "pupil_id"], set_=values)
        )


async def quiet_hours_in(s: AsyncSession, person_id: int) -> tuple[time, time] | None:
    row = await s.get(QuietHours, person_id)
    return (row.starts, row.ends) if row else None


async def set_quiet_hours(journal: Journal, actor: Actor, hours: tuple[int, int] | None) -> None:
    """Quiet hours from one of ``QUIET_PRESETS``, or none (``None``)."""
    if actor.role is not BindingRole.PARENT or actor.person_id is None:
        raise NotAllowed()
    if hours is not None and hours not in QUIET_PRESETS:
        raise NotAllowed()
    async with journal.transaction() as s:
        if hours is None:
            row = await s.get(QuietHours, actor.person_id)
            if row is not None:
                await s.delete(row)
            return
        starts, ends = time(hours[0]), time(hours[1])
        stmt = pg_insert(QuietHours).values(person_id=actor.person_id, starts=starts, ends=ends)
        await s.execute(
            stmt.on_conflict_do_update(
                index_elements=["person_id"], set_={"starts": starts, "ends": ends}
            )
        )


def in_quiet_hours(moment: time, starts: time, ends: time) -> bool:
    """Whether a local time is inside the quiet hours; ``starts`` after ``ends``: over
    midnight (22:00–07:00)."""
    if starts < ends:
        return starts <= moment < ends
    return moment >= starts or moment < ends


def quiet_end(moment: datetime, starts: time, ends: time, zone: ZoneInfo) -> datetime | None:
    """When the quiet hours (local times in ``zone``) around ``moment`` end, in UTC; None
    when ``moment`` is outside them."""
    local = moment.astimezone(zone)
    if not in_quiet_hours(local.time(), starts, ends):
        return None
    day = local.date()
    if local.time() >= ends:  # before midnight: they end tomorrow
        day += timedelta(days=1)
    return at_local(day, ends, zone)


_QUIET_SQL = text(
    """
    SELECT b.id, q.starts, q.ends, sc.timezone
    FROM bindings b
    JOIN quiet_hours q ON q.person_id = b.person_id
    JOIN people pe ON pe.id = b.person_id
    JOIN schools sc ON sc.id = pe.school_id
    WHERE b.id = ANY(CAST(:bindings AS bigint[])) AND b.role = 'parent'
    """
)


async def quiet_hours_of(
    s: AsyncSession, binding_ids: list[int]
) -> dict[int, tuple[time, time, str | None]]:
    """The quiet hours of the parents of these bindings: (from, to, the school's zone)."""
    if not binding_ids:
        return {}
    rows = await s.execute(_QUIET_SQL, {"bindings": sorted(set(binding_ids))})
    return {b: (starts, ends, zone) for b, starts, ends, zone in rows}


__all__ = [
    "CHOICES_JOIN",
    "EVERYTHING",
    "QUIET_PRESETS",
    "ChildChoices",
    "Topic",
    "choices_in",
    "in_quiet_hours",
    "quiet_end",
    "quiet_hours_in",
    "quiet_hours_of",
    "set_choice",
    "set_quiet_hours",
    "wants",
    "wants_sql",
]
