"""The bells sheet («Звонки»): when each lesson starts and ends."""

from __future__ import annotations

from datetime import time

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Bell
from core.roster.batch import table_of
from core.roster.match import tally
from core.roster.sheets import Sheet
from core.roster.summary import SheetCounts


class Bells(Sheet):
    key = "bells"

    def wanted(self) -> dict[int, tuple[time, time]]:
        return {b.lesson_no: (b.start, b.end) for b in self.ctx.roster.bells or []}

    def count(self) -> SheetCounts | None:
        if self.ctx.roster.bells is None:
            return None
        c = SheetCounts()
        bells = self.wanted()
        for lesson_no, times in bells.items():
            bell = self.ctx.db.bells.get(lesson_no)
            tally(c, bell is None, bell is not None and bell != times)
        c.removed = len(set(self.ctx.db.bells) - set(bells))
        return c

    async def write(self, session: AsyncSession, school_id: int) -> None:
        if self.ctx.roster.bells is None:
            return
        table = table_of(Bell)
        wanted = self.wanted()
        stale = set(self.ctx.db.bells) - set(wanted)
        if stale:
            await session.execute(
                delete(table).where(table.c.school_id == school_id, table.c.lesson_no.in_(stale))
            )
        rows = [
            {"school_id": school_id, "lesson_no": n, "starts_at": s, "ends_at": e}
            for n, (s, e) in sorted(wanted.items())
            if self.ctx.db.bells.get(n) != (s, e)
        ]
        if rows:
            statement = pg_insert(table).values(rows)
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=[table.c.school_id, table.c.lesson_no],
                    set_={
                        "starts_at": statement.excluded.starts_at,
                        "ends_at": statement.excluded.ends_at,
                    },
                )
            )
