"""Issuing invitation codes (R2, R24): to one person, a class, new pupils or the staff;
reissuing a card; revoking a code. Who may issue what is checked here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import Actor, is_class_teacher
from core.errors import InvalidValue, NotAllowed, NotFound
from core.invitations.codes import code_hash, new_code
from core.journal import Journal
from core.models import (
    Binding,
    BindingRole,
    Guardianship,
    Invitation,
    Person,
    Pupil,
    SchoolClass,
    StaffRole,
    StaffRoleRow,
)


@dataclass(frozen=True)
class IssuedCode:
    code: str
    invitation_id: int
    person_id: int
    full_name: str
    role: BindingRole
    class_name: str | None
    expires_at: datetime
    children: str | None = None  # a parent's card names the child (or children)


@dataclass(frozen=True)
class IssueResult:
    """Codes issued by a batch (a class, the staff, new pupils), and the people skipped:
    those who hold a valid card already (it stays valid) and those already in the bot."""

    codes: list[IssuedCode]
    skipped_valid: int = 0
    skipped_bound: int = 0


@dataclass(frozen=True)
class CardHolder:
    """Someone whose valid, unused card may be reissued (the old one is then revoked)."""

    person_id: int
    full_name: str
    role: BindingRole


async def issue(journal: Journal, actor: Actor, person_id: int, role: BindingRole) -> IssuedCode:
    """A new code for one person; their earlier unused codes of the role are revoked."""
    async with journal.transaction() as s:
        return await _issue(s, journal, actor, person_id, role)


async def issue_for_person(
    journal: Journal, actor: Actor, person_id: int, role: BindingRole, *, reissue: bool = False
) -> IssueResult:
    """A code for one person unless they are in the bot already or (without ``reissue``)
    hold a valid card; with ``reissue`` the valid card is revoked and a new one issued."""
    async with journal.transaction() as s:
        person = await s.get(Person, person_id)
        if person is None or person.school_id != actor.school_id:
            raise NotFound()
        await _check_may_issue(s, actor, person, role)
        return await _batch(s, journal, actor, [(person_id, role)], reissue=reissue)


async def issue_for_class(
    journal: Journal,
    actor: Actor,
    class_id: int,
    roles: set[BindingRole],
    *,
    reissue: bool = False,
) -> IssueResult:
    """Codes for a class's parents and/or pupils (R2: class teacher or secretary): only
    for those who are not in the bot and hold no valid card (valid cards stay valid, so
    a parent of two classes keeps the first class's card). ``reissue`` (asked for
    explicitly, after a confirmation) revokes the valid cards and issues new ones."""
    async with journal.transaction() as s:
        await _check_class(s, actor, class_id)
        people = await _class_people(s, [class_id], roles, by_pupil=False)
        return await _batch(s, journal, actor, people, reissue=reissue)


async def issue_for_pupils(
    journal: Journal, actor: Actor, pupil_ids: list[int], roles: set[BindingRole]
) -> IssueResult:
    """Codes for some pupils and/or their parents: a pupil admitted during the year gets
    the cards at once (R2). Whoever may issue a class's codes may issue these (checked
    per person); a parent already signed in to the bot needs no new card (their
    children appear in it by themselves), and one holding a valid card keeps it.
    Pupils who are not (or no longer) the school's are refused."""
    async with journal.transaction() as s:
        found = list(
            await s.scalars(
                select(Pupil.person_id)
                .join(Person, Person.id == Pupil.person_id)
                .where(
                    Pupil.person_id.in_(pupil_ids),
                    Pupil.left_on.is_(None),
                    Person.school_id == actor.school_id,
                )
                .order_by(Person.full_name, Person.id)
            )
        )
        if len(found) != len(set(pupil_ids)):
            raise NotFound()
        people = await _class_people(s, found, roles, by_pupil=True)
        return await _batch(s, journal, actor, people)


async def issue_for_staff(journal: Journal, actor: Actor, *, reissue: bool = False) -> IssueResult:
    """Codes for the school's staff who are not in the bot and hold no valid card (all
    of those not in the bot with ``reissue``)."""
    if not actor.has(StaffRole.ADMIN, StaffRole.DIRECTOR):
        raise NotAllowed()
    async with journal.transaction() as s:
        people = await _staff_people(s, actor.school_id)
        return await _batch(s, journal, actor, people, reissue=reissue)


async def reissuable(journal: Journal, actor: Actor, class_id: int | None) -> list[CardHolder]:
    """The people of a class (its pupils and parents) or, with ``class_id`` None, the
    staff, who hold a valid unused card and are not in the bot: those whose card the
    issuer may reissue."""
    async with journal.transaction() as s:
        if class_id is None:
            if not actor.has(StaffRole.ADMIN, StaffRole.DIRECTOR):
                raise NotAllowed()
            people = await _staff_people(s, actor.school_id)
        else:
            await _check_class(s, actor, class_id)
            people = await _class_people(
                s, [class_id], {BindingRole.PARENT, BindingRole.PUPIL}, by_pupil=False
            )
        bound, valid = await _holders(s, journal, people)
        keep = [(p, r) for p, r in people if (p, r) in valid and (p, r) not in bound]
        names = dict(
            (
                await s.execute(
                    select(Person.id, Person.full_name).where(Person.id.in_([p for p, _ in keep]))
                )
            ).all()
        )
        return [CardHolder(p, names[p], r) for p, r in keep]


async def _check_class(s: AsyncSession, actor: Actor, class_id: int) -> None:
    school_class = await s.get(SchoolClass, class_id)
    if school_class is None or school_class.school_id != actor.school_id:
        raise NotFound()
    if not actor.oversees_school and not await is_class_teacher(s, actor, class_id):
        raise NotAllowed()


async def _class_people(
    s: AsyncSession, ids: list[int], roles: set[BindingRole], *, by_pupil: bool
) -> list[tuple[int, BindingRole]]:
    """Pupils (of the classes ``ids``, or the pupils ``ids``) and/or their parents, by name."""
    if by_pupil:
        pupils = ids
    else:
        pupils = list(
            await s.scalars(
                select(Pupil.person_id)
                .join(Person, Person.id == Pupil.person_id)
                .where(Pupil.class_id.in_(ids), Pupil.left_on.is_(None))
                .order_by(Person.full_name, Person.id)
            )
        )
    people: list[tuple[int, BindingRole]] = []
    if BindingRole.PUPIL in roles:
        people += [(p, BindingRole.PUPIL) for p in pupils]
    if BindingRole.PARENT in roles:
        guardians = await s.scalars(
            select(Guardianship.guardian_id)
            .join(Person, Person.id == Guardianship.guardian_id)
            .where(Guardianship.pupil_id.in_(pupils))
            .group_by(Guardianship.guardian_id, Person.full_name)
            .order_by(Person.full_name, Guardianship.guardian_id)
        )
        people += [(g, BindingRole.PARENT) for g in guardians]
    return people


async def _staff_people(s: AsyncSession, school_id: int) -> list[tuple[int, BindingRole]]:
    staff = await s.scalars(
        select(Person.id)
        .join(StaffRoleRow, StaffRoleRow.person_id == Person.id)
        .where(Person.school_id == school_id)
        .group_by(Person.id, Person.full_name)
        .order_by(Person.full_name, Person.id)
    )
    return [(pid, BindingRole.STAFF) for pid in staff]


async def _holders(
    s: AsyncSession, journal: Journal, people: list[tuple[int, BindingRole]]
) -> tuple[set[tuple[int, BindingRole]], set[tuple[int, BindingRole]]]:
    """Of ``people``: who is in the bot with the role, and who holds a valid unused code."""
    ids = list({p for p, _ in people})
    bound = {
        (p, BindingRole(r))
        for p, r in await s.execute(
            select(Binding.person_id, Binding.role).where(
                Binding.person_id.in_(ids), Binding.revoked_at.is_(None)
            )
        )
    }
    valid = {
        (p, BindingRole(r))
        for p, r in await s.execute(
            select(Invitation.person_id, Invitation.role).where(
                Invitation.person_id.in_(ids),
                Invitation.used_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > journal.clock.now(),
            )
        )
    }
    return bound, valid


async def _batch(
    s: AsyncSession,
    journal: Journal,
    actor: Actor,
    people: list[tuple[int, BindingRole]],
    *,
    reissue: bool = False,
) -> IssueResult:
    bound, valid = await _holders(s, journal, people)
    codes: list[IssuedCode] = []
    skipped_valid = skipped_bound = 0
    for person_id, role in people:
        if (person_id, role) in bound:
            skipped_bound += 1
        elif (person_id, role) in valid and not reissue:
            skipped_valid += 1
        else:
            codes.append(await _issue(s, journal, actor, person_id, role))
    return IssueResult(codes, skipped_valid, skipped_bound)


async def _issue(
    s: AsyncSession, journal: Journal, actor: Actor, person_id: int, role: BindingRole
) -> IssuedCode:
    person = await s.get(Person, person_id)
    if person is None or person.school_id != actor.school_id:
        raise NotFound()
    class_name, children = await _check_may_issue(s, actor, person, role)
    now = journal.clock.now()
    # Reissuing revokes the person's earlier unused codes for the same role.
    await s.execute(
        update(Invitation)
        .where(
            Invitation.person_id == person_id,
            Invitation.role == role,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    code = new_code()
    expires_at = now + timedelta(days=journal.rules.invitation_ttl_days)
    invitation_id = await s.scalar(
        insert(Invitation)
        .values(
            school_id=person.school_id,
            code_hash=code_hash(code),
            person_id=person_id,
            role=role.value,
            issued_by=actor.person_id,
            issued_by_binding_id=actor.binding_id,
            created_at=now,
            expires_at=expires_at,
        )
        .returning(Invitation.id)
    )
    assert invitation_id is not None  # RETURNING gives the new row's id
    return IssuedCode(
        code,
        invitation_id,
        person_id,
        person.full_name,
        role,
        class_name,
        expires_at,
        children,
    )


async def _only_leavers(s: AsyncSession, person_id: int, role: BindingRole) -> bool:
    """Whether the person is a pupil who left (or, as a parent, only of such pupils)."""
    query = select(Pupil.person_id)
    if role is BindingRole.PUPIL:
        query = query.where(Pupil.person_id == person_id)
    else:
        query = query.join(Guardianship, Guardianship.pupil_id == Pupil.person_id).where(
            Guardianship.guardian_id == person_id
        )
    return await s.scalar(query.limit(1)) is not None


async def _check_may_issue(
    s: AsyncSession, actor: Actor, person: Person, role: BindingRole
) -> tuple[str | None, str | None]:
    """R2: the admin issues staff codes; the class teacher (or the school's overseers)
    issues parents' and pupils' codes. Returns the class name for the card and, for a
    parent, the names of the children (of the classes the issuer may issue for)."""
    if role is BindingRole.STAFF:
        if not actor.has(StaffRole.ADMIN, StaffRole.DIRECTOR):
            raise NotAllowed()
        if not await s.scalar(select(StaffRoleRow.role).where(StaffRoleRow.person_id == person.id)):
            raise InvalidValue("error.not_staff")
        return None, None
    if role is BindingRole.PUPIL:
        rows = list(
            (
                await s.execute(
                    select(Pupil.class_id, Pupil.person_id).where(
                        Pupil.person_id == person.id, Pupil.left_on.is_(None)
                    )
                )
            ).all()
        )
    else:
        rows = list(
            (
                await s.execute(
                    select(Pupil.class_id, Pupil.person_id)
                    .join(Guardianship, Guardianship.pupil_id == Pupil.person_id)
                    .where(Guardianship.guardian_id == person.id, Pupil.left_on.is_(None))
                )
            ).all()
        )
    if not rows:
        if await _only_leavers(s, person.id, role):
            raise InvalidValue("error.left_school")
        raise InvalidValue("error.not_pupil" if role is BindingRole.PUPIL else "error.not_parent")
    if not actor.oversees_school:
        allowed = {c for c in {c for c, _ in rows} if await is_class_teacher(s, actor, c)}
        if not allowed:
            raise NotAllowed()
        rows = [row for row in rows if row[0] in allowed]
    class_ids = sorted({c for c, _ in rows})
    names = list(
        await s.scalars(
            select(SchoolClass.name).where(SchoolClass.id.in_(class_ids)).order_by(SchoolClass.name)
        )
    )
    children = None
    if role is BindingRole.PARENT:
        children = ", ".join(
            await s.scalars(
                select(Person.full_name)
                .where(Person.id.in_([p for _, p in rows]))
                .order_by(Person.full_name)
            )
        )
    return ", ".join(names), children


async def revoke_code(journal: Journal, actor: Actor, invitation_id: int) -> None:
    async with journal.transaction() as s:
        invitation = await s.get(Invitation, invitation_id)
        if invitation is None or invitation.school_id != actor.school_id:
            raise NotFound()
        person = await s.get(Person, invitation.person_id)
        assert person is not None
        await _check_may_issue(s, actor, person, BindingRole(invitation.role))
        if invitation.used_at is None and invitation.revoked_at is None:
            invitation.revoked_at = journal.clock.now()
