"""R18: a parent opts out of the electronic diary; the class teacher keeps the list."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.access import Actor, is_class_teacher
from core.errors import NotAllowed
from core.journal import Journal
from core.models import BindingRole, Guardianship, Person, Pupil, SchoolClass, StaffRole

# --- R18: opting out of the electronic diary ----------------------------------------------------


@dataclass(frozen=True)
class GuardianLink:
    """A parent of a pupil, as the class teacher sees them on the opt-out screen (R18)."""

    guardian_id: int
    guardian_name: str
    pupil_id: int
    pupil_name: str
    opted_out: bool


async def class_guardians(journal: Journal, actor: Actor, class_id: int) -> list[GuardianLink]:
    """R18: the class's parents and whether each opted out (the class teacher's screen)."""
    async with journal.transaction() as s:
        return await class_guardians_in(s, actor, class_id)


async def class_guardians_in(s: AsyncSession, actor: Actor, class_id: int) -> list[GuardianLink]:
    """``class_guardians`` inside the caller's transaction."""
    await _ensure_leads(s, actor, class_id)
    return await _class_links(s, class_id)


async def set_diary_opt_out(
    journal: Journal,
    actor: Actor,
    guardian_id: int,
    opt_out: bool,
    pupil_id: int | None = None,
) -> list[GuardianLink]:
    """R18: record (or withdraw) a parent's opt-out of the e-diary, for one child or for all
    their children; the time is kept. Only the class teacher of the child's class or the
    school's administration may. Returns the links as they are now."""
    async with journal.transaction() as s:
        query = (
            select(Guardianship, Pupil.class_id)
            .join(Pupil, Pupil.person_id == Guardianship.pupil_id)
            .join(Person, Person.id == Guardianship.guardian_id)
            .where(Guardianship.guardian_id == guardian_id, Person.school_id == actor.school_id)
        )
        if pupil_id is not None:
            query = query.where(Guardianship.pupil_id == pupil_id)
        found = (await s.execute(query.with_for_update(of=Guardianship))).all()
        if not found:
            raise NotAllowed()
        for link, class_id in found:
            await _ensure_leads(s, actor, class_id)
            if link.diary_opt_out != opt_out:
                link.diary_opt_out = opt_out
                link.opt_out_at = journal.clock.now() if opt_out else None
        await s.flush()
        pupils = {link.pupil_id for link, _ in found}
        classes = {class_id for _, class_id in found}
        links: list[GuardianLink] = []
        for class_id in sorted(classes):
            links += [
                x
                for x in await _class_links(s, class_id)
                if x.guardian_id == guardian_id and x.pupil_id in pupils
            ]
        return links


async def _ensure_leads(s: AsyncSession, actor: Actor, class_id: int) -> None:
    if actor.role is not BindingRole.STAFF:
        raise NotAllowed()
    if actor.oversees_school or actor.has(StaffRole.ADMIN):
        klass = await s.get(SchoolClass, class_id)
        if klass is None or klass.school_id != actor.school_id:
            raise NotAllowed()
        return
    if not await is_class_teacher(s, actor, class_id):
        raise NotAllowed()


async def _class_links(s: AsyncSession, class_id: int) -> list[GuardianLink]:
    guardian = aliased(Person)
    child = aliased(Person)
    rows = await s.execute(
        select(
            Guardianship.guardian_id,
            guardian.full_name,
            Guardianship.pupil_id,
            child.full_name,
            Guardianship.diary_opt_out,
        )
        .join(Pupil, Pupil.person_id == Guardianship.pupil_id)
        .join(guardian, guardian.id == Guardianship.guardian_id)
        .join(child, child.id == Guardianship.pupil_id)
        .where(Pupil.class_id == class_id, Pupil.left_on.is_(None))
        .order_by(child.full_name, guardian.full_name)
    )
    return [GuardianLink(g, gn, p, pn, bool(o)) for g, gn, p, pn, o in rows]
