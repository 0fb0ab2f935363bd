"""The audit log's partitions: one per school year, 1 September to 1 September (UTC
bounds), named ``audit_log_<start>_<end>``, and ``audit_log_default`` for any moment no
year's partition holds, so an insert never fails (issue 14; migration 0024).

:func:`add_due_partitions` adds the current and the next school year's partitions if
they are missing; ``journal run`` runs it on start and hourly, ``journal migrate`` once.
Idempotent. A row that landed in the default partition before its year's partition
existed is moved into it in the same transaction (the only rows that ever move: the log
stays append-only for everyone else). Nothing changes for readers: they query
``audit_log``, and PostgreSQL reads only the partitions a query's ``at`` bounds can
reach."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.journal import Journal

DEFAULT_PARTITION = "audit_log_default"
APPEND_ONLY_TRIGGER = "audit_log_append_only"  # migration 0001, on the parent since 0024
# The advisory lock that lets one transaction at a time add partitions ("audi", 1; the
# notification jobs' locks are in another namespace, core.jobs.JOB_LOCK_NAMESPACE).
PARTITIONS_LOCK = (0x61756469, 1)
FIRST_MONTH = 9  # a school year's partition starts on 1 September
_PARTITION_NAME = re.compile(r"audit_log_(\d{4}_\d{4}|default)")


def is_partition(table_name: str) -> bool:
    """One of the audit log's partitions (which the models leave out: they describe the
    partitioned table, and the partitions come and go with the years)."""
    return _PARTITION_NAME.fullmatch(table_name) is not None


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """Alembic's ``include_name`` when comparing the models with the database: every
    name but the audit log's partitions."""
    return not (type_ == "table" and name is not None and is_partition(name))


@dataclass(frozen=True)
class YearPartition:
    """The school year ``start``/``start + 1``'s partition."""

    start: int

    @property
    def name(self) -> str:
        return f"audit_log_{self.start}_{self.start + 1}"

    @property
    def lower(self) -> datetime:
        return datetime(self.start, FIRST_MONTH, 1, tzinfo=UTC)

    @property
    def upper(self) -> datetime:
        return datetime(self.start + 1, FIRST_MONTH, 1, tzinfo=UTC)


def year_of(moment: datetime) -> YearPartition:
    """The partition a moment's row lands in."""
    utc = moment.astimezone(UTC)
    return YearPartition(utc.year if utc.month >= FIRST_MONTH else utc.year - 1)


async def add_due_partitions(journal: Journal) -> list[str]:
    """:func:`ensure_partitions` now by the journal's clock, in a transaction of its own."""
    async with journal.transaction() as s:
        return await ensure_partitions(s, journal.clock.now())


async def ensure_partitions(s: AsyncSession, now: datetime) -> list[str]:
    """Add the current and the next school year's partitions if missing; the names added."""
    await s.execute(select(func.pg_advisory_xact_lock(*PARTITIONS_LOCK)))
    current = year_of(now)
    added = []
    for year in (current, YearPartition(current.start + 1)):
        if await s.scalar(select(func.to_regclass(year.name))) is None:
            await _add(s, year)
            added.append(year.name)
    return added


async def _add(s: AsyncSession, year: YearPartition) -> None:
    """Create the year's partition; rows of that year in the default partition (which
    would make PostgreSQL refuse it) move into it. The default partition is locked for
    the whole transaction, so its trigger is off only for this move."""
    bounds = {"lower": year.lower, "upper": year.upper}
    in_year = "at >= :lower AND at < :upper"
    stray = await s.scalar(
        text(f"SELECT count(*) FROM {DEFAULT_PARTITION} WHERE {in_year}"), bounds
    )
    if stray:
        await s.execute(
            text(
                "CREATE TEMP TABLE audit_log_moving ON COMMIT DROP AS"
                f" SELECT * FROM {DEFAULT_PARTITION} WHERE {in_year}"
            ),
            bounds,
        )
        trigger = f"TRIGGER {APPEND_ONLY_TRIGGER}"
        await s.execute(text(f"ALTER TABLE {DEFAULT_PARTITION} DISABLE {trigger}"))
        await s.execute(text(f"DELETE FROM {DEFAULT_PARTITION} WHERE {in_year}"), bounds)
        await s.execute(text(f"ALTER TABLE {DEFAULT_PARTITION} ENABLE {trigger}"))
    await s.execute(
        text(
            f"CREATE TABLE {year.name} PARTITION OF audit_log"
            f" FOR VALUES FROM ('{year.lower.isoformat()}') TO ('{year.upper.isoformat()}')"
        )
    )
    if stray:
        await s.execute(text("INSERT INTO audit_log SELECT * FROM audit_log_moving"))
        await s.execute(text("DROP TABLE audit_log_moving"))
