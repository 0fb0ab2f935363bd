"""The pupils sheet («Ученики»): each pupil's class, birth date, arrival and leaving; the
leavers' codes and bindings ended; the pupils a summary names."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Binding, BindingRole, Guardianship, Invitation, Pupil
from core.roster.batch import table_of, update_many
from core.roster.match import Context, Person, tally
from core.roster.rows import class_key, name_key
from core.roster.sheets import Sheet
from core.roster.summary import AddedPupil, NamedPupil, SheetCounts

# Why a binding ended when its pupil left the school (stored, for the admin's lists).
LEFT_REASON = "left the school"


class Pupils(Sheet):
    key = "pupils"

    def resolve(self) -> None:
        ctx = self.ctx
        for row in ctx.roster.pupils:
            node = ctx.node_of_record.get(("pupils", row.row))
            klass = ctx.ref_class("pupils", row.row, "class", row.class_ref)
            if node is not None and node.pupil is row:
                node.klass = klass
            if row.left_on is not None and row.left_on > ctx.today:
                day = f"{row.left_on:%d.%m.%Y}"
                ctx.problem("pupils", row.row, "left_on", "roster.left_in_future", day=day)

    def changed(self, node: Person) -> bool:
        assert node.pupil is not None and node.klass is not None and node.id is not None
        current = self.ctx.db.pupils[node.id]
        birth = node.pupil.birth_date
        admitted, left = node.pupil.admitted_on, node.pupil.left_on
        return (
            node.klass.id != current.class_id
            or (birth is not None and birth != current.birth_date)
            or (admitted is not None and admitted != current.admitted_on)
            or (left is not None and left != current.left_on)
            or self.ctx.person_changed(node)
        )

    def count(self) -> SheetCounts:
        c = SheetCounts()
        for node in self.ctx.people:
            if node.pupil is None:
                continue
            new = node.id is None or node.id not in self.ctx.db.pupils
            tally(c, new, not new and self.changed(node))
        return c

    async def write(self, session: AsyncSession, school_id: int) -> None:
        ctx = self.ctx
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for node in ctx.people:
            if node.pupil is None:
                continue
            assert node.klass is not None and node.id is not None
            current = ctx.db.pupils.get(node.id)
            if current is None:
                # A pupil added to a school that has pupils arrives today (R21: the
                # movement report), unless the file gives the date; a first upload
                # sets up the school and records no arrivals.
                arrived = node.pupil.admitted_on or (ctx.today if ctx.db.pupils else None)
                new.append(
                    {
                        "person_id": node.id,
                        "class_id": node.klass.id,
                        "birth_date": node.pupil.birth_date,
                        "admitted_on": arrived,
                        "left_on": node.pupil.left_on,
                    }
                )
            elif self.changed(node):
                changed.append(
                    {
                        "person_id": node.id,
                        "class_id": node.klass.id,
                        "birth_date": node.pupil.birth_date or current.birth_date,
                        "admitted_on": node.pupil.admitted_on or current.admitted_on,
                        "left_on": node.pupil.left_on or current.left_on,
                    }
                )
        pupils = table_of(Pupil)
        await update_many(session, pupils, ("person_id",), changed)
        if new:
            await session.execute(insert(pupils), new)
        await self._leave_old_subgroups(session, changed)

    async def _leave_old_subgroups(
        self, session: AsyncSession, changed: list[dict[str, Any]]
    ) -> None:
        """A pupil who changed class leaves the subgroups of the old one."""
        moved = [
            {"pupil": row["person_id"], "class": row["class_id"]}
            for row in changed
            if row["class_id"] != self.ctx.db.pupils[row["person_id"]].class_id
        ]
        if moved:
            await session.execute(
                text(
                    "DELETE FROM group_members m USING groups g"
                    " WHERE m.group_id = g.id AND m.pupil_id = :pupil AND g.class_id <> :class"
                ),
                moved,
            )

    # -- the pupils a summary names ---------------------------------------------------------

    def added_pupils(self) -> list[AddedPupil]:
        """The pupils new to the school, once written (ids known), by class and name."""
        db = self.ctx.db
        added = [
            AddedPupil(n.id, n.full_name, n.klass.name)
            for n in self.ctx.people
            if n.pupil is not None
            and n.id is not None
            and n.klass is not None
            and n.id not in db.pupils
        ]
        return sorted(added, key=lambda p: (class_key(p.class_name), name_key(p.full_name)))

    def newly_left(self) -> list[Person]:
        """The pupils whose leaving this file records (not recorded before)."""
        db = self.ctx.db
        return [
            n
            for n in self.ctx.people
            if n.pupil is not None
            and n.pupil.left_on is not None
            and (n.id is None or n.id not in db.pupils or db.pupils[n.id].left_on is None)
        ]

    def left_pupils(self) -> list[NamedPupil]:
        left = [NamedPupil(n.full_name, n.klass.name if n.klass else "") for n in self.newly_left()]
        return sorted(left, key=lambda p: (class_key(p.class_name), name_key(p.full_name)))

    def missing_pupils(self) -> list[NamedPupil]:
        """The journal's pupils (not left) whom the file's pupils sheet does not list."""
        db = self.ctx.db
        listed = {n.id for n in self.ctx.people if n.pupil is not None and n.id is not None}
        missing = [
            NamedPupil(db.people[pid].full_name, db.classes[p.class_id].name)
            for pid, p in db.pupils.items()
            if p.left_on is None and pid not in listed and pid in db.people
        ]
        return sorted(missing, key=lambda p: (class_key(p.class_name), name_key(p.full_name)))


class Leavers(Sheet):
    """A leaver's unused codes are revoked and their bindings end; so do those of each
    parent left with no child in the school (a parent with another child keeps theirs,
    and no longer sees the one who left). Their history stays. Written after the
    parents' links, so a parent this file links to a leaver is found."""

    key = "leavers"

    def __init__(self, ctx: Context, pupils: Pupils) -> None:
        super().__init__(ctx)
        self.pupils = pupils

    async def write(self, session: AsyncSession, school_id: int) -> None:
        left = [n.id for n in self.pupils.newly_left() if n.id is not None]
        if not left:
            return
        guardians = set(
            await session.scalars(
                select(Guardianship.guardian_id).where(Guardianship.pupil_id.in_(left))
            )
        )
        staying: set[int] = set()
        if guardians:
            staying = set(
                await session.scalars(
                    select(Guardianship.guardian_id)
                    .join(Pupil, Pupil.person_id == Guardianship.pupil_id)
                    .where(Guardianship.guardian_id.in_(guardians), Pupil.left_on.is_(None))
                )
            )
        now = self.ctx.now
        for people, role in ((left, BindingRole.PUPIL), (guardians - staying, BindingRole.PARENT)):
            if not people:
                continue
            await session.execute(
                update(Invitation)
                .where(
                    Invitation.person_id.in_(people),
                    Invitation.role == role.value,
                    Invitation.used_at.is_(None),
                    Invitation.revoked_at.is_(None),
                )
                .values(revoked_at=now)
            )
            await session.execute(
                update(Binding)
                .where(
                    Binding.person_id.in_(people),
                    Binding.role == role.value,
                    Binding.revoked_at.is_(None),
                )
                .values(revoked_at=now, revoked_reason=LEFT_REASON)
            )
