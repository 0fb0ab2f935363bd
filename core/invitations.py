"""Invitation codes and Telegram bindings (R2, R3, R19, R24).

A code is personal and single-use, expires, can be revoked, carries 192 random bits from
the OS's CSPRNG, fits a Telegram deep link (``/start <code>``: at most 64 characters of
``A-Za-z0-9_-``), and only its SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import Actor, is_class_teacher
from core.errors import CodeRejected, InvalidValue, NotAllowed, NotFound, TooManyAttempts
from core.journal import Journal
from core.models import (
    Binding,
    BindingRole,
    Guardianship,
    Invitation,
    Person,
    Pupil,
    RedeemAttempt,
    SchoolClass,
    StaffRole,
    StaffRoleRow,
)

CODE_BYTES = 24  # 192 bits → 32 URL-safe characters
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def looks_like_code(text: str | None) -> bool:
    """Text that may be a code (a document or a photo has no text: not a code)."""
    return text is not None and bool(CODE_PATTERN.match(text.strip()))


@dataclass(frozen=True)
class IssuedCode:
    code: str
    invitation_id: int
    person_id: int
    full_name: str
    role: BindingRole
    class_name: str | None
    expires_at: datetime


@dataclass(frozen=True)
class BindingView:
    id: int
    role: BindingRole
    person_id: int
    full_name: str
    school_id: int
    consent_needed: bool


async def issue(journal: Journal, actor: Actor, person_id: int, role: BindingRole) -> IssuedCode:
    async with journal.transaction() as s:
        return await _issue(s, journal, actor, person_id, role)


async def issue_for_class(
    journal: Journal, actor: Actor, class_id: int, roles: set[BindingRole]
) -> list[IssuedCode]:
    """Codes for a class's parents and/or pupils (R2: class teacher or secretary)."""
    async with journal.transaction() as s:
        people: list[tuple[int, BindingRole]] = []
        pupils = list(
            await s.scalars(
                select(Pupil.person_id)
                .join(Person, Person.id == Pupil.person_id)
                .where(Pupil.class_id == class_id, Pupil.left_on.is_(None))
                .order_by(Person.full_name)
            )
        )
        if BindingRole.PUPIL in roles:
            people += [(p, BindingRole.PUPIL) for p in pupils]
        if BindingRole.PARENT in roles:
            guardians = await s.scalars(
                select(Guardianship.guardian_id)
                .join(Person, Person.id == Guardianship.guardian_id)
                .where(Guardianship.pupil_id.in_(pupils))
                .group_by(Guardianship.guardian_id, Person.full_name)
                .order_by(Person.full_name)
            )
            people += [(g, BindingRole.PARENT) for g in guardians]
        return [await _issue(s, journal, actor, pid, role) for pid, role in people]


async def issue_for_pupils(
    journal: Journal, actor: Actor, pupil_ids: list[int], roles: set[BindingRole]
) -> list[IssuedCode]:
    """Codes for some pupils and/or their parents: a pupil admitted during the year gets
    the cards at once (R2). Whoever may issue a class's codes may issue these (checked
    per person); a parent already signed in to the bot needs no new card (their
    children appear in it by themselves), so only parents with no active binding get one.
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
        people: list[tuple[int, BindingRole]] = []
        if BindingRole.PUPIL in roles:
            people += [(p, BindingRole.PUPIL) for p in found]
        if BindingRole.PARENT in roles:
            bound = select(Binding.id).where(
                Binding.person_id == Guardianship.guardian_id,
                Binding.role == BindingRole.PARENT,
                Binding.revoked_at.is_(None),
            )
            guardians = await s.scalars(
                select(Guardianship.guardian_id)
                .join(Person, Person.id == Guardianship.guardian_id)
                .where(Guardianship.pupil_id.in_(found), ~bound.exists())
                .group_by(Guardianship.guardian_id, Person.full_name)
                .order_by(Person.full_name)
            )
            people += [(g, BindingRole.PARENT) for g in guardians]
        return [await _issue(s, journal, actor, pid, role) for pid, role in people]


async def issue_for_staff(journal: Journal, actor: Actor) -> list[IssuedCode]:
    async with journal.transaction() as s:
        staff = await s.scalars(
            select(Person.id)
            .join(StaffRoleRow, StaffRoleRow.person_id == Person.id)
            .where(Person.school_id == actor.school_id)
            .group_by(Person.id, Person.full_name)
            .order_by(Person.full_name)
        )
        return [await _issue(s, journal, actor, pid, BindingRole.STAFF) for pid in staff]


async def _issue(
    s: AsyncSession, journal: Journal, actor: Actor, person_id: int, role: BindingRole
) -> IssuedCode:
    person = await s.get(Person, person_id)
    if person is None or person.school_id != actor.school_id:
        raise NotFound()
    class_name = await _check_may_issue(s, actor, person, role)
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
            created_at=now,
            expires_at=expires_at,
        )
        .returning(Invitation.id)
    )
    return IssuedCode(
        code,
        invitation_id,
        person_id,
        person.full_name,
        role,
        class_name,
        expires_at,  # type: ignore[arg-type]
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
) -> str | None:
    """R2: the admin issues staff codes; the class teacher (or the school's overseers)
    issues parents' and pupils' codes. Returns the class name for the card."""
    if role is BindingRole.STAFF:
        if not actor.has(StaffRole.ADMIN, StaffRole.DIRECTOR):
            raise NotAllowed()
        if not await s.scalar(select(StaffRoleRow.role).where(StaffRoleRow.person_id == person.id)):
            raise InvalidValue("error.not_staff")
        return None
    if role is BindingRole.PUPIL:
        class_ids = list(
            await s.scalars(
                select(Pupil.class_id).where(Pupil.person_id == person.id, Pupil.left_on.is_(None))
            )
        )
    else:  # a pupil who left the school gets no codes, nor do parents only of leavers
        class_ids = list(
            await s.scalars(
                select(Pupil.class_id)
                .join(Guardianship, Guardianship.pupil_id == Pupil.person_id)
                .where(Guardianship.guardian_id == person.id, Pupil.left_on.is_(None))
            )
        )
    if not class_ids:
        if await _only_leavers(s, person.id, role):
            raise InvalidValue("error.left_school")
        raise InvalidValue("error.not_pupil" if role is BindingRole.PUPIL else "error.not_parent")
    if not actor.oversees_school:
        allowed = [c for c in class_ids if await is_class_teacher(s, actor, c)]
        if not allowed:
            raise NotAllowed()
        class_ids = allowed
    names = list(
        await s.scalars(
            select(SchoolClass.name).where(SchoolClass.id.in_(class_ids)).order_by(SchoolClass.name)
        )
    )
    return ", ".join(names)


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


async def redeem(journal: Journal, telegram_user_id: int, code: str) -> BindingView:
    """Bind a Telegram account with a code. Atomic: of many concurrent redeems of one
    code exactly one succeeds. Failed attempts are limited per Telegram user (R2)."""
    now = journal.clock.now()
    async with journal.transaction() as s:
        failures = await s.scalar(
            select(func.count())
            .select_from(RedeemAttempt)
            .where(
                RedeemAttempt.telegram_user_id == telegram_user_id,
                RedeemAttempt.at > now - timedelta(hours=1),
            )
        )
        if (failures or 0) >= journal.rules.redeem_attempts_per_hour:
            raise TooManyAttempts()
    code = code.strip()
    async with journal.transaction() as s:
        invitation = (
            await s.execute(
                update(Invitation)
                .where(
                    Invitation.code_hash == code_hash(code),
                    Invitation.used_at.is_(None),
                    Invitation.revoked_at.is_(None),
                    Invitation.expires_at > now,
                )
                .values(used_at=now, used_by_telegram_id=telegram_user_id)
                .returning(Invitation.id, Invitation.person_id, Invitation.role)
            )
        ).first()
        if invitation is not None:
            binding_id = await _bind(s, journal, telegram_user_id, *invitation)
            return await _binding_view(s, binding_id)
    # Not redeemed: record the failure, then say why (unknown, used, expired, revoked).
    async with journal.transaction() as s:
        await s.execute(insert(RedeemAttempt).values(telegram_user_id=telegram_user_id, at=now))
        found = await s.scalar(select(Invitation).where(Invitation.code_hash == code_hash(code)))
    if found is None:
        raise CodeRejected("code.unknown")
    if found.revoked_at is not None:
        raise CodeRejected("code.revoked")
    if found.used_at is not None:
        raise CodeRejected("code.used")
    raise CodeRejected("code.expired")


async def _bind(
    s: AsyncSession,
    journal: Journal,
    telegram_user_id: int,
    invitation_id: int,
    person_id: int,
    role: str,
) -> int:
    binding_id = await s.scalar(
        pg_insert(Binding)
        .values(
            telegram_user_id=telegram_user_id,
            person_id=person_id,
            role=role,
            invitation_id=invitation_id,
            created_at=journal.clock.now(),
        )
        .on_conflict_do_nothing()
        .returning(Binding.id)
    )
    if binding_id is None:  # the account already holds this binding
        binding_id = await s.scalar(
            select(Binding.id).where(
                Binding.telegram_user_id == telegram_user_id,
                Binding.person_id == person_id,
                Binding.role == role,
                Binding.revoked_at.is_(None),
            )
        )
    return int(binding_id)  # type: ignore[arg-type]


async def _binding_view(s: AsyncSession, binding_id: int) -> BindingView:
    binding, name, school_id = (
        await s.execute(
            select(Binding, Person.full_name, Person.school_id)
            .join(Person, Person.id == Binding.person_id)
            .where(Binding.id == binding_id)
        )
    ).one()
    consent_needed = False
    if binding.role == BindingRole.PARENT:
        consent_needed = bool(
            await s.scalar(
                select(func.count())
                .select_from(Guardianship)
                .where(
                    Guardianship.guardian_id == binding.person_id,
                    Guardianship.consent.is_not(True),
                )
            )
        )
    return BindingView(
        binding.id, BindingRole(binding.role), binding.person_id, name, school_id, consent_needed
    )


async def bindings_of(journal: Journal, telegram_user_id: int) -> list[BindingView]:
    """The account's active bindings (one account may be a teacher and a parent)."""
    async with journal.transaction() as s:
        ids = await s.scalars(
            select(Binding.id)
            .where(Binding.telegram_user_id == telegram_user_id, Binding.revoked_at.is_(None))
            .order_by(Binding.id)
        )
        return [await _binding_view(s, i) for i in list(ids)]


async def record_consent(journal: Journal, binding_id: int, telegram_user_id: int) -> None:
    """R19: the parent confirms consent to personal-data processing; the time is kept."""
    async with journal.transaction() as s:
        binding = await _own_binding(s, binding_id, telegram_user_id)
        if binding.role != BindingRole.PARENT:
            raise NotAllowed()
        await s.execute(
            update(Guardianship)
            .where(Guardianship.guardian_id == binding.person_id, Guardianship.consent.is_not(True))
            .values(consent=True, consent_at=journal.clock.now())
        )


async def logout(journal: Journal, binding_id: int, telegram_user_id: int) -> None:
    """R24: the account holder ends a binding (e.g. a teacher on a shared phone)."""
    async with journal.transaction() as s:
        binding = await _own_binding(s, binding_id, telegram_user_id)
        binding.revoked_at = journal.clock.now()
        binding.revoked_reason = "logout"


async def revoke_binding(journal: Journal, actor: Actor, binding_id: int, reason: str) -> None:
    """R3: the admin cuts a binding at once; the account can no longer act."""
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
        if binding.revoked_at is None:
            binding.revoked_at = journal.clock.now()
            binding.revoked_reason = reason


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


async def _own_binding(s: AsyncSession, binding_id: int, telegram_user_id: int) -> Binding:
    binding = await s.get(Binding, binding_id)
    if binding is None or binding.telegram_user_id != telegram_user_id or binding.revoked_at:
        raise NotAllowed("error.binding_revoked")
    return binding


BINDINGS_PER_PAGE = 20  # Telegram takes at most 100 buttons under a message


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
