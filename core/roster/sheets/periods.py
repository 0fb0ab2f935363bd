"""The reporting periods sheet («Учебные периоды»): the quarters (or trimesters) of one
school year, and the year itself. A closed period's dates stay as they are."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import AcademicYear, Period
from core.roster.batch import table_of, update_many
from core.roster.match import Context, tally
from core.roster.rows import PeriodRow, clean, name_key
from core.roster.sheets import Sheet
from core.roster.summary import SheetCounts


def school_year(first: date) -> int:
    """The year a school year starts in, from its first day (a year starts in July or
    later: «2025/2026» for any day from July 2025 to June 2026)."""
    return first.year if first.month >= 7 else first.year - 1


class Periods(Sheet):
    key = "periods"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.year: tuple[str, date, date] | None = None  # its name, first and last day

    def resolve(self) -> None:
        rows = self.ctx.roster.periods or []
        if not rows:
            return
        first = min(r.start for r in rows)
        start_year = school_year(first)
        last_day = date(start_year + 1, 8, 31)
        for row in rows:
            if row.end > last_day:
                self.ctx.problem(
                    "periods",
                    row.row,
                    "end",
                    "roster.periods_one_year",
                    year=f"{start_year}/{start_year + 1}",
                )
        name = f"{start_year}/{start_year + 1}"
        starts, ends = first, max(r.end for r in rows)
        found = self.ctx.db.years.get(name)
        if found is not None:
            starts, ends = self._known_year(found[0], rows, starts, ends)
        self.year = (name, starts, ends)

    def _known_year(
        self, year_id: int, rows: list[PeriodRow], starts: date, ends: date
    ) -> tuple[date, date]:
        """The year's first and last day with its periods the file leaves out (they stay,
        and inside the year); a closed period whose dates the file changes is a problem."""
        db = self.ctx.db
        in_file = {name_key(row.name) for row in rows}
        for (period_year, key), period in db.periods.items():
            if period_year == year_id and key not in in_file:
                starts = min(starts, period.starts_on)
                ends = max(ends, period.ends_on)
        for row in rows:
            known = db.periods.get((year_id, name_key(row.name)))
            if (
                known is not None
                and known.closed
                and ((known.starts_on, known.ends_on) != (row.start, row.end))
            ):
                self.ctx.problem(
                    "periods", row.row, "start", "roster.period_closed", name=known.name
                )
        return starts, ends

    def _year_id(self) -> int | None:
        if self.year is None:
            return None
        found = self.ctx.db.years.get(self.year[0])
        return found[0] if found else None

    def count(self) -> SheetCounts | None:
        if self.ctx.roster.periods is None:
            return None
        c = SheetCounts()
        year_id = self._year_id()
        for row in self.ctx.roster.periods:
            period = self.ctx.db.periods.get((year_id, name_key(row.name))) if year_id else None
            tally(
                c,
                period is None,
                period is not None
                and (period.name, period.starts_on, period.ends_on)
                != (clean(row.name), row.start, row.end),
            )
        return c

    async def write(self, session: AsyncSession, school_id: int) -> None:
        if self.ctx.roster.periods is None or self.year is None:
            return
        year_id = await self._write_year(session, school_id, self.year)
        table = table_of(Period)
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for row in self.ctx.roster.periods:
            values = {"name": clean(row.name), "starts_on": row.start, "ends_on": row.end}
            current = self.ctx.db.periods.get((year_id, name_key(row.name)))
            if current is None:
                new.append({"school_id": school_id, "year_id": year_id, **values})
            elif (current.name, current.starts_on, current.ends_on) != tuple(values.values()):
                changed.append({"id": current.id, **values})
        await update_many(session, table, ("id",), changed)
        if new:
            await session.execute(insert(table), new)

    async def _write_year(
        self, session: AsyncSession, school_id: int, year: tuple[str, date, date]
    ) -> int:
        name, starts, ends = year
        years = table_of(AcademicYear)
        found = self.ctx.db.years.get(name)
        if found is None:
            year_id = await session.scalar(
                insert(years)
                .values(school_id=school_id, name=name, starts_on=starts, ends_on=ends)
                .returning(years.c.id)
            )
            assert year_id is not None
            return int(year_id)
        if (found[1], found[2]) != (starts, ends):
            await session.execute(
                update(years).where(years.c.id == found[0]).values(starts_on=starts, ends_on=ends)
            )
        return found[0]
