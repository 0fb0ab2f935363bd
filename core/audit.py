"""The append-only audit log of every change to the journal (R9): attendance, absence
reasons, marks, final marks, topics, homework, substitutions, periods, school rules.

Each row records who acted and through which binding (Telegram account, R3): a person
with two phones bound is two bindings, and a revert after a compromised account undoes
exactly one binding's changes. The command line acts through no binding (NULL).

``Action`` is the one table of what a row's ``action`` can say: :func:`record` refuses any
other code, and each has its words in ``texts`` (``report.action.<code>``), so a report
never shows a code."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import AuditEntry


class Action(StrEnum):
    """Every action code the audit log holds (``<entity>.<what>``)."""

    ATTENDANCE_SET = "attendance.set"  # roll call: present / absent / late
    ATTENDANCE_REASON = "attendance.reason"  # R6: the class teacher confirms a reason
    ATTENDANCE_REVERT = "attendance.revert"  # R3
    MARK_ADD = "mark.add"
    MARK_SET = "mark.set"
    MARK_DELETE = "mark.delete"
    MARK_REVERT = "mark.revert"  # R3
    FINAL_MARK_SET = "final_mark.set"  # R11
    FINAL_MARK_REVERT = "final_mark.revert"  # R3
    LESSON_TOPIC = "lesson.topic"
    LESSON_HOMEWORK = "lesson.homework"
    LESSON_SUBSTITUTE = "lesson.substitute"  # R5
    LESSON_SCHEDULE = "lesson.schedule"  # R25: cancelled, moved, another room
    LESSON_REVERT = "lesson.revert"  # R3
    PERIOD_CLOSE = "period.close"  # R10
    PERIOD_REOPEN = "period.reopen"  # R10
    PERIOD_REVERT = "period.revert"  # R3
    SCHOOL_RULES = "school.rules"  # R7, R8, R16
    SCHOOL_BOT = "school.bot"  # the school's own bot (issue 14), never its token


async def record(
    session: AsyncSession,
    *,
    school_id: int,
    at: datetime,
    actor_id: int | None,
    action: Action,
    entity: str,
    key: dict[str, Any],
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
    binding_id: int | None = None,
    reason: str | None = None,
    request_id: int | None = None,
) -> None:
    await session.execute(
        insert(AuditEntry).values(
            school_id=school_id,
            at=at,
            actor_id=actor_id,
            binding_id=binding_id,
            action=Action(action).value,  # ValueError for a code not in the table
            entity=entity,
            entity_key=key,
            old=old,
            new=new,
            reason=reason,
            request_id=request_id,
        )
    )
