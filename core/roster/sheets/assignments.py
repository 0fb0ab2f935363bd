"""The teaching load sheet («Нагрузка»): who teaches which subject to which class (or
subgroup). The load of a class the file lists is replaced by the file's."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Assignment
from core.roster.batch import table_of
from core.roster.match import Class, Context, Group, Person, Subject, ids, sort_key
from core.roster.sheets import Sheet
from core.roster.summary import SheetCounts


class Assignments(Sheet):
    key = "assignments"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.assignments: dict[tuple[Person, Subject, Class, Group | None], int] = {}
        self.scope: set[Class] = set()

    def resolve(self) -> None:
        ctx = self.ctx
        if ctx.roster.assignments is None:
            return
        self.scope.update(ctx.classes)
        for row in ctx.roster.assignments:
            teacher = ctx.ref_staff("assignments", row.row, "teacher", row.teacher_ref)
            subject = ctx.ref_subject("assignments", row.row, "subject", row.subject_ref)
            klass = ctx.ref_class("assignments", row.row, "class", row.class_ref)
            if teacher is None or subject is None or klass is None:
                continue
            group = ctx.group(klass, subject, row.group) if row.group else None
            self.scope.add(klass)
            self.assignments.setdefault((teacher, subject, klass, group), row.row)

    def stale(self, kept: set[Any]) -> list[int]:
        scope = {k.id for k in self.scope if k.id is not None}
        return [
            assignment_id
            for key, assignment_id in self.ctx.db.assignments.items()
            if key[2] in scope and key not in kept
        ]

    def count(self) -> SheetCounts | None:
        if self.ctx.roster.assignments is None:
            return None
        c = SheetCounts()
        kept = {ids(key) for key in self.assignments}
        for key in kept:
            if key in self.ctx.db.assignments:
                c.unchanged += 1
            else:
                c.added += 1
        c.removed = len(self.stale(kept))
        return c

    async def write(self, session: AsyncSession, school_id: int) -> None:
        if self.ctx.roster.assignments is None:
            return
        table = table_of(Assignment)
        kept = {ids(key) for key in self.assignments}
        stale = self.stale(kept)
        if stale:
            await session.execute(delete(table).where(table.c.id.in_(stale)))
        new = [
            {"teacher_id": t, "subject_id": s, "class_id": c, "group_id": g}
            for (t, s, c, g) in sorted(kept - set(self.ctx.db.assignments), key=sort_key)
        ]
        if new:
            await session.execute(insert(table), new)
