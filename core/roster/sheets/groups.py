"""The subgroups sheet («Подгруппы»): who is in which subgroup of a class's subject. The
subgroups themselves are created for any sheet that names one (load, timetable)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Group as GroupRow
from core.models import GroupMember
from core.roster.batch import insert_returning, table_of
from core.roster.match import id_of
from core.roster.sheets import Sheet
from core.roster.summary import SheetCounts


class Groups(Sheet):
    key = "groups"

    def resolve(self) -> None:
        ctx = self.ctx
        if ctx.roster.groups is None:
            return
        for row in ctx.roster.groups:
            klass = ctx.ref_class("groups", row.row, "class", row.class_ref)
            subject = ctx.ref_subject("groups", row.row, "subject", row.subject_ref)
            if klass is None or subject is None:
                continue
            pupil = ctx.ref_pupil("groups", row.row, row.pupil_ref, klass, row.class_ref)
            if pupil is None:
                continue
            if ctx.pupil_class(pupil) not in (klass, None):
                ctx.problem(
                    "groups",
                    row.row,
                    "pupil",
                    "roster.pupil_not_in_class",
                    ref=row.pupil_ref,
                    cls=klass.name,
                )
                continue
            group = ctx.group(klass, subject, row.group)
            ctx.members.setdefault(group, set()).add(pupil)

    def count(self) -> SheetCounts | None:
        if self.ctx.roster.groups is None:
            return None
        c = SheetCounts()
        for group, pupils in self.ctx.members.items():
            existing = self.ctx.db.members.get(group.id, set()) if group.id else set()
            ids = {id_of(p) for p in pupils}
            c.unchanged += len(ids & existing)
            c.added += len(ids - existing)
            c.removed += len(existing - ids)
        return c

    async def write(self, session: AsyncSession, school_id: int) -> None:
        new = [g for g in self.ctx.groups.values() if g.id is None]
        ids = await insert_returning(
            session,
            table_of(GroupRow),
            [{"class_id": g.klass.id, "subject_id": g.subject.id, "name": g.name} for g in new],
        )
        for group, new_id in zip(new, ids, strict=True):
            group.id = new_id
        if self.ctx.roster.groups is not None:
            await self._write_members(session)

    async def _write_members(self, session: AsyncSession) -> None:
        table = table_of(GroupMember)
        add: list[dict[str, Any]] = []
        drop: list[tuple[int, int]] = []
        for group, pupils in self.ctx.members.items():
            assert group.id is not None
            existing = self.ctx.db.members.get(group.id, set())
            ids = {p.id for p in pupils if p.id is not None}
            add += [{"group_id": group.id, "pupil_id": i} for i in sorted(ids - existing)]
            drop += [(group.id, i) for i in existing - ids]
        if drop:
            await session.execute(
                delete(table).where(tuple_(table.c.group_id, table.c.pupil_id).in_(drop))
            )
        if add:
            await session.execute(insert(table), add)
