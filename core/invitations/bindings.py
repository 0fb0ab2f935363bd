"""A binding's life after redeeming: consent (R19), logging out, cutting one (R3), and
the admin's list of the school's bindings to cut."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import Actor
from core.errors import NotAllowed, NotFound
from core.identity import UserRef, owns
from core.journal import Journal
from core.models import Binding, BindingRole, Guardianship, Person, Pupil, SchoolClass, StaffRole


async def record_consent(journal: Journal, binding_id: int, user: UserRef) -> None:
    """R19: the parent confirms consent to personal-data processing; the time is kept."""
    async with journal.transaction() as s:
        binding = await _own_binding(s, binding_id, user)
        if binding.role != BindingRole.PARENT:
            raise NotAllowed()
        await s.execute(
            update(Guardianship)
            .where(Guardianship.guardian_id == binding.person_id, Guardianship.consent.is_not(True))
            .values(consent=True, consent_at=journal.clock.now())
        )


@dataclass(frozen=True)
class ConsentRefusal:
    """R19: a parent refused consent. Who refused, for which children, and who leads
    each child's class (to be told at once)."""

    guardian_id: int
    guardian_name: str
    refused_at: datetime
    children: list[tuple[str, str, int | None]]  # pupil's full name, class, class teacher


async def refuse_consent(
    s: AsyncSession, journal: Journal, binding_id: int, user: UserRef
) -> ConsentRefusal | None:
    """R19: the parent refuses consent; the refusal and its time are kept, and the bot
    shows nothing of the children. Runs in the caller's transaction (the class teacher's
    notice goes in with it). None when nothing changed (refused already)."""
    binding = await _own_binding(s, binding_id, user)
    if binding.role != BindingRole.PARENT:
        raise NotAllowed()
    now = journal.clock.now()
    pupil_ids = list(
        (
            await s.execute(
                update(Guardianship)
                .where(
                    Guardianship.guardian_id == binding.person_id,
                    Guardianship.consent.is_distinct_from(False),
                )
                .values(consent=False, consent_at=now)
                .returning(Guardianship.pupil_id)
            )
        ).scalars()
    )
    if not pupil_ids:
        return None
    guardian = await s.get(Person, binding.person_id)
    assert guardian is not None
    rows = await s.execute(
        select(Person.full_name, SchoolClass.name, SchoolClass.class_teacher_id)
        .join(Pupil, Pupil.person_id == Person.id)
        .join(SchoolClass, SchoolClass.id == Pupil.class_id)
        .where(Person.id.in_(pupil_ids))
        .order_by(Person.full_name)
    )
    return ConsentRefusal(
        guardian.id, guardian.full_name, now, [(n, c, t) for n, c, t in rows.all()]
    )


async def logout(journal: Journal, binding_id: int, user: UserRef) -> None:
    """R24: the account holder ends a binding (e.g. a teacher on a shared phone)."""
    async with journal.transaction() as s:
        binding = await _own_binding(s, binding_id, user)
        binding.revoked_at = journal.clock.now()
        binding.revoked_reason = "logout"


async def revoke_binding(journal: Journal, actor: Actor, binding_id: int, reason: str) -> bool:
    """R3: the admin cuts a binding at once; the account can no longer act. True: cut
    now; False: it had been cut before."""
    if not actor.has(StaffRole.ADMIN, StaffRole.DIRECTOR):
        raise NotAllowed()
    async with journal.transaction() as s:
        binding = (
            await s.execute(
                select(Binding)
                .join(Person, Person.id == Binding.person_id)
                .where(and_(Binding.id == binding_id, Person.school_id == actor.school_id))
            )
        ).scalar_one_or_none()
        if binding is None:
            raise NotFound()
        if binding.revoked_at is not None:
            return False
        binding.revoked_at = journal.clock.now()
        binding.revoked_reason = reason
        return True


async def cut_own_other_account(
    journal: Journal, user: UserRef, binding_id: int, other_id: int, reason: str
) -> bool:
    """R3: a person cuts another account bound to them (someone bound their code on
    another phone), from one of their own active bindings. True: cut now; False: it had
    been cut before. Callback data can be forged: both bindings are checked."""
    async with journal.transaction() as s:
        own = await s.get(Binding, binding_id)
        other = await s.get(Binding, other_id, with_for_update=True)
        if (
            own is None
            or not owns(user, own)
            or own.revoked_at is not None
            or other is None
            or other.person_id != own.person_id
            or owns(user, other)
        ):
            raise NotAllowed()
        if other.revoked_at is not None:
            return False
        other.revoked_at = journal.clock.now()
        other.revoked_reason = reason
        return True


async def binding_to_cut(journal: Journal, actor: Actor, binding_id: int) -> tuple[str, str]:
    """The person and role of an active binding of the actor's school, for the admin to
    confirm before cutting it (R3)."""
    if not actor.has(StaffRole.ADMIN, StaffRole.DIRECTOR):
        raise NotAllowed()
    async with journal.transaction() as s:
        row = (
            await s.execute(
                select(Person.full_name, Binding.role)
                .join(Person, Person.id == Binding.person_id)
                .where(
                    Binding.id == binding_id,
                    Person.school_id == actor.school_id,
                    Binding.revoked_at.is_(None),
                )
            )
        ).first()
    if row is None:
        raise NotFound("error.binding_gone")
    return row[0], row[1]


async def _own_binding(s: AsyncSession, binding_id: int, user: UserRef) -> Binding:
    binding = await s.get(Binding, binding_id)
    if binding is None or not owns(user, binding) or binding.revoked_at:
        raise NotAllowed("error.binding_revoked")
    return binding


BINDINGS_PER_PAGE = 20  # a screenful to scan for a name (the search finds the rest)


@dataclass(frozen=True)
class BindingsPage:
    """One page of the school's active bindings (id, person, role), for the admin to cut
    one (R3): ``total`` of them match the role and the search; ``page`` counts from 0."""

    rows: list[tuple[int, str, str]]
    total: int
    page: int
    pages: int


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold().replace("ё", "е")


async def find_bindings(
    journal: Journal,
    actor: Actor,
    *,
    role: BindingRole | None = None,
    search: str = "",
    page: int = 0,
    per_page: int = BINDINGS_PER_PAGE,
) -> BindingsPage:
    """A page of the school's active bindings, of one role if given, whose person's name
    holds every word of ``search`` (any case, ё = е). A page past the end shows the last."""
    rows = await school_bindings(journal, actor, role=role)
    words = _folded(search).split()
    if words:
        rows = [r for r in rows if all(w in _folded(r[1]) for w in words)]
    pages = max(1, -(-len(rows) // per_page))
    page = min(max(page, 0), pages - 1)
    return BindingsPage(rows[page * per_page : (page + 1) * per_page], len(rows), page, pages)


async def school_bindings(
    journal: Journal, actor: Actor, *, role: BindingRole | None = None
) -> list[tuple[int, str, str]]:
    """The school's active bindings (id, person, role), for the admin to cut one (R3)."""
    if not actor.has(StaffRole.ADMIN, StaffRole.DIRECTOR):
        raise NotAllowed()
    async with journal.transaction() as s:
        rows = await s.execute(
            select(Binding.id, Person.full_name, Binding.role)
            .join(Person, Person.id == Binding.person_id)
            .where(
                Person.school_id == actor.school_id,
                Binding.revoked_at.is_(None),
                *([Binding.role == role.value] if role is not None else []),
            )
            .order_by(Person.full_name, Binding.id)
        )
        return [(i, n, r) for i, n, r in rows]
