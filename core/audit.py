"""The append-only audit log of every change to attendance and marks (R9)."""

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
    reason: str | None = None,
    request_id: int | None = None,
) -> None:
    await session.execute(
        insert(AuditEntry).values(
            school_id=school_id,
            at=at,
            actor_id=actor_id,
            action=action,
            entity=entity,
            entity_key=key,
            old=old,
            new=new,
            reason=reason,
            request_id=request_id,
        )
    )
