"""The timetable sheet («Расписание»): the lesson of each class (or subgroup) in each slot
of the week. The timetable of a class the file lists is replaced by the file's."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import TimetableEntry
from core.roster.batch import table_of, update_many
from core.roster.match import Class, Context, Group, Person, Subject, id_of, ids, tally
from core.roster.rows import Problem
from core.roster.sheets import Sheet
from core.roster.summary import SheetCounts

Slot = tuple[Class, Group | None, int, int]  # class, subgroup, weekday, lesson number


class Timetable(Sheet):
    key = "timetable"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        # Each slot's subject, teacher, room and row in the file.
        self.slots: dict[Slot, tuple[Subject, Person, str | None, int]] = {}
        self.scope: set[Class] = set()

    def resolve(self) -> None:
        ctx = self.ctx
        if ctx.roster.timetable is None:
            return
        self.scope.update(ctx.classes)
        for row in ctx.roster.timetable:
            klass = ctx.ref_class("timetable", row.row, "class", row.class_ref)
            subject = ctx.ref_subject("timetable", row.row, "subject", row.subject_ref)
            teacher = ctx.ref_staff("timetable", row.row, "teacher", row.teacher_ref)
            if klass is None or subject is None or teacher is None:
                continue
            group = ctx.group(klass, subject, row.group) if row.group else None
            slot = (klass, group, row.weekday, row.lesson_no)
            if slot in self.slots:
                ctx.problem(
                    "timetable",
                    row.row,
                    "lesson_no",
                    "roster.slot_taken",
                    cls=klass.name,
                    lesson_no=row.lesson_no,
                    first=self.slots[slot][3],
                )
                continue
            self.scope.add(klass)
            self.slots[slot] = (subject, teacher, row.room, row.row)
        self._empty_groups()

    def _empty_groups(self) -> None:
        """A subgroup the timetable gives lessons to and nobody belongs to after this
        import (no groups sheet, or it lists none of the subgroup's pupils): a warning at
        its first lesson, since its roll call would be empty."""
        ctx = self.ctx
        lessons: dict[Group, list[int]] = {}
        for (_, group, _, _), (_, _, _, row) in self.slots.items():
            if group is not None:
                lessons.setdefault(group, []).append(row)
        for group, rows in lessons.items():
            if group in ctx.members:
                members = {id_of(p) for p in ctx.members[group]}
            else:  # a subgroup the file does not list keeps the journal's members
                members = set(ctx.db.members.get(group.id, set())) if group.id else set()
            if members:
                continue
            ctx.warnings.append(
                Problem(
                    "timetable",
                    min(rows),
                    "group",
                    "roster.warning.empty_group",
                    {
                        "group": group.name,
                        "cls": group.klass.name,
                        "subject": group.subject.name,
                        "count": len(rows),
                    },
                )
            )

    def stale(self) -> list[int]:
        scope = {k.id for k in self.scope if k.id is not None}
        kept = {ids(slot) for slot in self.slots}
        return [
            entry.id
            for key, entry in self.ctx.db.timetable.items()
            if key[0] in scope and key not in kept
        ]

    def count(self) -> SheetCounts | None:
        if self.ctx.roster.timetable is None:
            return None
        c = SheetCounts()
        for slot, (subject, teacher, room, _) in self.slots.items():
            stored = self.ctx.db.timetable.get(ids(slot))
            tally(
                c,
                stored is None,
                stored is not None
                and (stored.subject_id, stored.teacher_id, stored.room)
                != (subject.id, teacher.id, room),
            )
        c.removed = len(self.stale())
        return c

    async def write(self, session: AsyncSession, school_id: int) -> None:
        if self.ctx.roster.timetable is None:
            return
        table = table_of(TimetableEntry)
        stale = self.stale()
        if stale:
            await session.execute(delete(table).where(table.c.id.in_(stale)))
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for slot, (subject, teacher, room, _) in self.slots.items():
            klass, group, weekday, lesson_no = slot
            current = self.ctx.db.timetable.get(ids(slot))
            if current is None:
                new.append(
                    {
                        "school_id": school_id,
                        "class_id": klass.id,
                        "group_id": group.id if group is not None else None,
                        "weekday": weekday,
                        "lesson_no": lesson_no,
                        "subject_id": subject.id,
                        "teacher_id": teacher.id,
                        "room": room,
                    }
                )
            elif (current.subject_id, current.teacher_id, current.room) != (
                subject.id,
                teacher.id,
                room,
            ):
                changed.append(
                    {
                        "id": current.id,
                        "subject_id": subject.id,
                        "teacher_id": teacher.id,
                        "room": room,
                    }
                )
        await update_many(session, table, ("id",), changed)
        if new:
            await session.execute(insert(table), new)
