"""The classes sheet («Классы»): each class matched by id, else by name («5 а» is «5А»),
with its grade and class teacher."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.models import SchoolClass
from core.roster.batch import insert_returning, table_of, update_many
from core.roster.match import Class, id_of, tally
from core.roster.rows import class_key, clean
from core.roster.sheets import Sheet
from core.roster.summary import SheetCounts


class Classes(Sheet):
    key = "classes"

    def resolve(self) -> None:
        ctx = self.ctx
        rows = ctx.roster.classes
        nodes = [Class(clean(c.name), c.ext, c.grade, c.row) for c in rows]
        for node in nodes:
            ctx.classes.append(node)
            ctx.class_by_key[class_key(node.name)] = node
            if node.ext:
                ctx.class_by_ext[node.ext] = node
        for node in nodes:
            found = ctx.db.classes_by_ext.get(node.ext) if node.ext else None
            if found is not None:
                ctx.claim_class(node, found)
        for node in nodes:
            if node.db is not None:
                continue
            for found in ctx.db.classes_by_key.get(class_key(node.name), []):
                if found.id not in ctx.class_of_db and found.external_id in (None, node.ext):
                    ctx.claim_class(node, found)
                    break
        for node, row in zip(nodes, rows, strict=True):
            for found in ctx.db.classes_by_key.get(class_key(node.name), []):
                if found.id not in ctx.class_of_db:
                    ctx.taken("classes", node.row, "class", found)
            if row.class_teacher is not None:
                node.teacher = ctx.ref_staff("classes", row.row, "class_teacher", row.class_teacher)

    def changed(self, node: Class) -> bool:
        db = node.db
        assert db is not None
        teacher_id = id_of(node.teacher) if node.teacher is not None else db.class_teacher_id
        return (
            node.name != db.name
            or node.grade != db.grade
            or (node.ext is not None and node.ext != db.external_id)
            or teacher_id != db.class_teacher_id
        )

    def count(self) -> SheetCounts:
        c = SheetCounts()
        for k in self.ctx.classes:
            tally(c, k.db is None, k.db is not None and self.changed(k))
        return c

    async def write(self, session: AsyncSession, school_id: int) -> None:
        classes = table_of(SchoolClass)
        changed = [k for k in self.ctx.classes if k.db is not None and self.changed(k)]
        renamed = [k for k in changed if k.db is not None and k.name != k.db.name]
        if renamed:  # names are unique: two steps, so 5А→6А and 4А→5А may happen at once
            await update_many(
                session, classes, ("id",), [{"id": k.id, "name": f"~{k.id}"} for k in renamed]
            )

        def values(k: Class) -> dict[str, Any]:
            teacher = k.teacher.id if k.teacher is not None else None
            if k.teacher is None and k.db is not None:
                teacher = k.db.class_teacher_id
            return {
                "name": k.name,
                "grade": k.grade,
                "class_teacher_id": teacher,
                "external_id": k.ext or (k.db.external_id if k.db else None),
            }

        await update_many(session, classes, ("id",), [{"id": k.id, **values(k)} for k in changed])
        new = [k for k in self.ctx.classes if k.db is None]
        ids = await insert_returning(
            session, classes, [{"school_id": school_id, **values(k)} for k in new]
        )
        for node, new_id in zip(new, ids, strict=True):
            node.id = new_id
