"""The staff sheet («Сотрудники»): each person's staff roles (their person rows are
:mod:`core.roster.sheets.people`'s)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import StaffRoleRow
from core.roster.batch import table_of
from core.roster.sheets import Sheet
from core.roster.summary import SheetCounts


class Staff(Sheet):
    key = "teachers"

    def count(self) -> SheetCounts:
        ctx = self.ctx
        c = SheetCounts()
        for node in ctx.people:
            if node.teacher is None:
                continue
            roles = ctx.db.roles.get(node.id, set()) if node.id is not None else set()
            if not roles:
                c.added += 1
            elif roles != {x.value for x in node.teacher.roles} or ctx.person_changed(node):
                c.updated += 1
            else:
                c.unchanged += 1
        return c

    async def write(self, session: AsyncSession, school_id: int) -> None:
        roles = table_of(StaffRoleRow)
        add: list[dict[str, Any]] = []
        drop: list[tuple[int, str]] = []
        for node in self.ctx.people:
            if node.teacher is None:
                continue
            assert node.id is not None
            wanted = {role.value for role in node.teacher.roles}
            current = self.ctx.db.roles.get(node.id, set())
            add += [{"person_id": node.id, "role": role} for role in sorted(wanted - current)]
            drop += [(node.id, role) for role in current - wanted]
        if drop:
            await session.execute(
                delete(roles).where(tuple_(roles.c.person_id, roles.c.role).in_(drop))
            )
        if add:
            await session.execute(insert(roles), add)
