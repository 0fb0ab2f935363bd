"""The append-only audit log of every change to the journal (R9): attendance, absence
reasons, marks, final marks, topics, homework, substitutions, periods, school rules.

Each row records who acted and through which binding (Telegram account, R3): a person
with two phones bound is two bindings, and a revert after a compromised account undoes
exactly one binding's changes. The command line acts through no binding (NULL)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import AuditEntry


async def record(
    session: AsyncSession,
    *,
    school_id: int,
    at: datetime,
    actor_id: int | None,
    action: str,
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
            action=action,
            entity=entity,
            entity_key=key,
            old=old,
            new=new,
            reason=reason,
            request_id=request_id,
        )
    )
