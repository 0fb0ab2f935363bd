"""Schools: one deployment may host several schools of a district."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Literal

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.access import OVERSEERS, Actor, ensure_staff
from core.errors import InvalidValue, NotFound
from core.journal import Journal
from core.models import School, StaffRole, WorkType
from core.rules import DEFAULT_WORK_TYPES, WRITTEN_WORK_CODES

# R8: the edit windows a school may choose (days after the lesson); 0 = the lesson day only.
EDIT_WINDOWS = (0, 7, 14, 21, 30)


async def ensure_school(session: AsyncSession, name: str) -> School:
    """The school of that name, created with the default work types if new."""
    school = await session.scalar(select(School).where(School.name == name))
    if school is None:
        school = School(name=name)
        session.add(school)
        await session.flush()
        await session.execute(
            insert(WorkType)
            .values(
                [
                    {
                        "school_id": school.id,
                        "code": code,
                        "name": title,
                        "weight": weight,
                        "written": code in WRITTEN_WORK_CODES,  # R14
                    }
                    for code, title, weight in DEFAULT_WORK_TYPES
                ]
            )
            .on_conflict_do_nothing()
        )
    return school


async def find_school(session: AsyncSession, name: str | None) -> School | None:
    """The school by name; with no name, the only school there is."""
    if name is not None:
        return await session.scalar(select(School).where(School.name == name))
    schools = list(await session.scalars(select(School).limit(2)))
    return schools[0] if len(schools) == 1 else None


@dataclass(frozen=True)
class SchoolSettings:
    name: str
    correction_deadline: time
    edit_window_days: int | None  # None: the deployment's EDIT_WINDOW_DAYS
    digest_time: time | None = None  # None: the deployment's DIGEST_TIME


# Who sets the school's rules (R7, R8); the deputy, who applies them, may read them.
RULE_SETTERS = (StaffRole.DIRECTOR, StaffRole.ADMIN)


async def school_settings(journal: Journal, actor: Actor) -> SchoolSettings:
    """The school's deadline and edit window, for its director, admin or deputy."""
    ensure_staff(actor, *OVERSEERS)
    async with journal.transaction() as s:
        school = await s.get(School, actor.school_id)
        if school is None:
            raise NotFound()
        return _settings(school)


async def set_school_rules(
    journal: Journal,
    actor: Actor,
    *,
    correction_deadline: time | None = None,
    edit_window_days: int | None = None,
    default_edit_window: bool = False,
    digest_time: time | Literal[False] | None = False,
) -> SchoolSettings:
    """R7, R8, R16: the school's same-day deadline, edit window and parents' digest hour
    (the director or admin).
    A change is recorded in the audit log."""
    ensure_staff(actor, *RULE_SETTERS)
    if edit_window_days is not None and edit_window_days not in EDIT_WINDOWS:
        raise InvalidValue("error.edit_window", allowed=", ".join(map(str, EDIT_WINDOWS)))
    async with journal.transaction() as s:
        school = await s.get(School, actor.school_id, with_for_update=True)
        if school is None:
            raise NotFound()
        old = _rules_snapshot(school)
        if correction_deadline is not None:
            school.correction_deadline = correction_deadline
        if edit_window_days is not None or default_edit_window:
            school.edit_window_days = edit_window_days
        if digest_time is not False:  # None: back to the deployment's DIGEST_TIME
            school.digest_time = digest_time
        new = _rules_snapshot(school)
        if new != old:
            await audit_school_setting(s, journal, actor, audit.Action.SCHOOL_RULES, old, new)
        return _settings(school)


async def audit_school_setting(
    s: AsyncSession,
    journal: Journal,
    actor: Actor,
    action: audit.Action,
    old: dict[str, object] | None,
    new: dict[str, object] | None,
) -> None:
    """The audit entry of a change to the actor's school's settings (its rules, its bot)."""
    await audit.record(
        s,
        school_id=actor.school_id,
        at=journal.clock.now(),
        actor_id=actor.person_id,
        binding_id=actor.binding_id,
        action=action,
        entity="school",
        key={"school_id": actor.school_id},
        old=old,
        new=new,
    )


def _settings(school: School) -> SchoolSettings:
    return SchoolSettings(
        school.name, school.correction_deadline, school.edit_window_days, school.digest_time
    )


def _rules_snapshot(school: School) -> dict[str, object]:
    return {
        "correction_deadline": f"{school.correction_deadline:%H:%M}",
        "edit_window_days": school.edit_window_days,
        "digest_time": f"{school.digest_time:%H:%M}" if school.digest_time else None,
    }
