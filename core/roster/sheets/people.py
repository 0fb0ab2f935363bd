"""Who the file's people are: the rows of the staff, pupils and parents sheets, one person
each (a teacher may also be a parent), matched to the journal's people by id, else by
name; and their rows in ``people``."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Person as PersonRow
from core.roster.batch import insert_returning, table_of, update_many
from core.roster.match import Person
from core.roster.rows import GuardianRow, clean, name_key
from core.roster.sheets import Sheet


class People(Sheet):
    key = "people"

    def resolve(self) -> None:
        self._from_file()
        self._match_journal()
        self._index()

    def _from_file(self) -> None:
        ctx, r = self.ctx, self.ctx.roster
        records: list[tuple[str, Any]] = [
            *(("teachers", t) for t in r.teachers),
            *(("pupils", p) for p in r.pupils),
            *(("guardians", g) for g in r.guardians or []),
        ]
        by_ext: dict[str, Person] = {}
        by_name: dict[str, list[Person]] = defaultdict(list)

        def new_node(sheet: str, rec: Any) -> Person:
            node = Person(clean(rec.full_name), rec.ext, sheet, rec.row)
            ctx.people.append(node)
            by_name[name_key(rec.full_name)].append(node)
            if rec.ext:
                by_ext[rec.ext] = node
            return node

        # Rows with an id first: the id is the identity.
        for sheet, rec in records:
            if not rec.ext:
                continue
            node = by_ext.get(rec.ext)
            if node is None:
                node = new_node(sheet, rec)
            elif name_key(node.full_name) != name_key(rec.full_name):
                ctx.problem(
                    sheet,
                    rec.row,
                    "id",
                    "roster.id_taken",
                    id=rec.ext,
                    name=node.full_name,
                    sheet=r.title(node.sheet),
                    row=node.row,
                )
                continue
            self._attach(node, sheet, rec)
        # Then rows without an id: the full name is the identity.
        for sheet, rec in records:
            if rec.ext:
                continue
            candidates = by_name.get(name_key(rec.full_name), [])
            if len(candidates) > 1:
                ctx.problem(
                    sheet,
                    rec.row,
                    "full_name",
                    "roster.name_ambiguous_in_file",
                    name=rec.full_name,
                )
                continue
            node = candidates[0] if candidates else new_node(sheet, rec)
            self._attach(node, sheet, rec)

    def _attach(self, node: Person, sheet: str, rec: Any) -> None:
        self.ctx.node_of_record[(sheet, rec.row)] = node
        if sheet == "guardians":
            assert isinstance(rec, GuardianRow)
            node.phone = node.phone or rec.phone
            return
        previous = node.teacher if sheet == "teachers" else node.pupil
        if previous is not None:
            # Two rows with the same id, or with the same name and no ids, are reported
            # by the reader; here an id-less row repeats a row with an id.
            if (previous.ext is None) != (rec.ext is None):
                self.ctx.problem(
                    sheet,
                    rec.row,
                    "full_name",
                    "roster.name_listed_without_id",
                    name=rec.full_name,
                    first=previous.row,
                )
            return
        if sheet == "teachers":
            node.teacher = rec
        else:
            node.pupil = rec

    def _match_journal(self) -> None:
        """Match the journal's people: by id, else by name."""
        ctx, db = self.ctx, self.ctx.db
        for node in ctx.people:
            if not node.ext:
                continue
            found = db.people_by_ext.get(node.ext)
            if found is None:
                # Imported before without ids: adopt the id.
                in_journal = [
                    p
                    for p in db.people_by_name.get(name_key(node.full_name), [])
                    if p.external_id is None and p.id not in ctx.person_of_db
                ]
                found = in_journal[0] if len(in_journal) == 1 else None
            if found is not None:
                ctx.claim(node, found)
        for node in ctx.people:
            if node.ext:
                continue
            in_journal = [
                p
                for p in db.people_by_name.get(name_key(node.full_name), [])
                if p.id not in ctx.person_of_db
            ]
            if len(in_journal) == 1:
                ctx.claim(node, in_journal[0])
            elif len(in_journal) > 1:
                ctx.problem(
                    node.sheet,
                    node.row,
                    "full_name",
                    "roster.name_ambiguous_in_journal",
                    name=node.full_name,
                )

    def _index(self) -> None:
        ctx = self.ctx
        for node in ctx.people:
            keys = {name_key(node.full_name)}
            if node.teacher is not None:
                keys.add(name_key(node.teacher.full_name))
                if node.ext:
                    ctx.staff_by_ext[node.ext] = node
                for key in keys:
                    ctx.staff_by_name[key].append(node)
            if node.pupil is not None:
                if node.ext:
                    ctx.pupil_by_ext[node.ext] = node
                ctx.pupil_by_name[name_key(node.full_name)].append(node)

    async def write(self, session: AsyncSession, school_id: int) -> None:
        ctx = self.ctx
        people = table_of(PersonRow)
        new = [n for n in ctx.people if n.db is None]
        ids = await insert_returning(
            session,
            people,
            [
                {
                    "school_id": school_id,
                    "full_name": n.full_name,
                    "external_id": n.ext,
                    "phone": n.phone,
                }
                for n in new
            ],
        )
        for node, new_id in zip(new, ids, strict=True):
            node.id = new_id
        changed = [n for n in ctx.people if ctx.person_changed(n)]
        await update_many(
            session,
            people,
            ("id",),
            [
                {
                    "id": n.id,
                    "full_name": n.full_name,
                    "external_id": n.ext or n.db.external_id,  # type: ignore[union-attr]  # a node with an id has its row
                    "phone": n.phone or n.db.phone,  # type: ignore[union-attr]  # a node with an id has its row
                }
                for n in changed
            ],
        )
