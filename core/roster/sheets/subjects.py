"""The subjects sheet («Предметы»): each subject matched by id, else by name, and whether
it is certified."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Subject as SubjectRow
from core.roster.batch import insert_returning, table_of, update_many
from core.roster.match import Subject, tally
from core.roster.rows import clean, name_key
from core.roster.sheets import Sheet
from core.roster.summary import SheetCounts


class Subjects(Sheet):
    key = "subjects"

    def resolve(self) -> None:
        ctx = self.ctx
        nodes = [Subject(clean(s.name), s.ext, s.certified, s.row) for s in ctx.roster.subjects]
        for node in nodes:
            ctx.subjects.append(node)
            ctx.subject_by_key[name_key(node.name)] = node
            if node.ext:
                ctx.subject_by_ext[node.ext] = node
        for node in nodes:
            found = ctx.db.subjects_by_ext.get(node.ext) if node.ext else None
            if found is not None:
                ctx.claim_subject(node, found)
        for node in nodes:
            if node.db is not None:
                continue
            for found in ctx.db.subjects_by_key.get(name_key(node.name), []):
                if found.id not in ctx.subject_of_db and found.external_id in (None, node.ext):
                    ctx.claim_subject(node, found)
                    break
        for node in nodes:
            for found in ctx.db.subjects_by_key.get(name_key(node.name), []):
                if found.id not in ctx.subject_of_db:
                    ctx.taken("subjects", node.row, "subject", found)

    def changed(self, node: Subject) -> bool:
        db = node.db
        assert db is not None
        return (
            node.name != db.name
            or (node.ext is not None and node.ext != db.external_id)
            or (node.certified is not None and node.certified != db.certified)
        )

    def count(self) -> SheetCounts:
        c = SheetCounts()
        for s in self.ctx.subjects:
            tally(c, s.db is None, s.db is not None and self.changed(s))
        return c

    async def write(self, session: AsyncSession, school_id: int) -> None:
        subjects = table_of(SubjectRow)
        changed = [s for s in self.ctx.subjects if s.db is not None and self.changed(s)]
        renamed = [s for s in changed if s.db is not None and s.name != s.db.name]
        if renamed:
            await update_many(
                session, subjects, ("id",), [{"id": s.id, "name": f"~{s.id}"} for s in renamed]
            )

        def values(s: Subject) -> dict[str, Any]:
            certified = s.certified
            if certified is None:
                certified = s.db.certified if s.db is not None else True
            return {
                "name": s.name,
                "certified": certified,
                "external_id": s.ext or (s.db.external_id if s.db else None),
            }

        await update_many(session, subjects, ("id",), [{"id": s.id, **values(s)} for s in changed])
        new = [s for s in self.ctx.subjects if s.db is None]
        ids = await insert_returning(
            session, subjects, [{"school_id": school_id, **values(s)} for s in new]
        )
        for node, new_id in zip(new, ids, strict=True):
            node.id = new_id
