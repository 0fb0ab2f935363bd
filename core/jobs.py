"""The notification jobs' bookkeeping: one instance runs a job (an advisory lock per
job), each school in its own time zone, each slot done once (``notification_job_runs``)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import (
    NotificationJobRun,
    School,
)

JOB_LOCK_NAMESPACE = 0x6E6F7469  # "noti": the first key of every job's advisory lock


async def try_job_lock(s: AsyncSession, job_no: int) -> bool:
    """Take the job's transaction-level advisory lock, or say that another instance holds
    it. Released when the transaction ends."""
    return bool(await s.scalar(select(func.pg_try_advisory_xact_lock(JOB_LOCK_NAMESPACE, job_no))))


async def school_zones(s: AsyncSession, default: ZoneInfo) -> list[tuple[int, ZoneInfo]]:
    rows = await s.execute(select(School.id, School.timezone).order_by(School.id))
    return [(i, ZoneInfo(tz) if tz else default) for i, tz in rows]


async def job_done(s: AsyncSession, job: str, school_id: int, slot: datetime) -> bool:
    return bool(
        await s.scalar(
            select(func.count())
            .select_from(NotificationJobRun)
            .where(
                NotificationJobRun.job == job,
                NotificationJobRun.school_id == school_id,
                NotificationJobRun.slot == slot,
            )
        )
    )


async def record_job_run(
    s: AsyncSession, job: str, school_id: int, slot: datetime, done_at: datetime, items: int
) -> None:
    await s.execute(
        pg_insert(NotificationJobRun)
        .values(job=job, school_id=school_id, slot=slot, done_at=done_at, items=items)
        .on_conflict_do_nothing()
    )
