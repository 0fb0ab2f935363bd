"""Invitation codes and Telegram bindings (R2, R3, R19, R24).

A code is personal and single-use, expires, can be revoked, carries at least 128 random
bits from the OS's CSPRNG (28 characters of a 31-letter alphabet: 138 bits), fits a
Telegram deep link (``/start <code>``: at most 64 characters of ``A-Za-z0-9_-``), and
only its SHA-256 is stored. The alphabet has no look-alikes (no 0/O, 1/l/I), so a code can
be typed from paper: it is printed in groups of four, and a typed code is read in any case
with spaces and dashes ignored.
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

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: readable on paper
CODE_LENGTH = 28  # 28 · log2(31) ≈ 138.7 random bits
CODE_GROUP = 4  # printed as ABCD-EFGH-…
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015]+")  # spaces, dashes (also typographic ones)
# Cyrillic letters that look like Latin ones, as typed from paper on a Russian layout
# (a mapping of what people type, not text shown to anyone).
_CYRILLIC = str.maketrans("АВЕКМНРСТУХавекмнрстух", "ABEKMHPCTYXABEKMHPCTYX")


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def grouped(code: str) -> str:
    """The code as printed: groups of four joined by dashes (still a valid deep link)."""
    return "-".join(code[i : i + CODE_GROUP] for i in range(0, len(code), CODE_GROUP))


def normalised(code: str) -> str:
    """A typed code: spaces and dashes dropped, upper case, Cyrillic look-alikes as Latin."""
    return _SEPARATORS.sub("", code).translate(_CYRILLIC).upper()


def code_hash(code: str) -> str:
    """The stored hash of a code as issued (or as typed: separators and case do not count
    for codes of the readable alphabet)."""
    return hashlib.sha256(code.encode()).hexdigest()


def _hashes_of(typed: str) -> list[str]:
    """Hashes a typed code may match: the readable form, and the text as typed (codes
    issued before the readable alphabet were case-sensitive base64url)."""
    return list(dict.fromkeys([code_hash(normalised(typed)), code_hash(typed.strip())]))


def looks_like_code(text: str | None) -> bool:
    """Text that may be a code (a document or a photo has no text: not a code)."""
    if text is None:
        return False
    if CODE_PATTERN.match(text.strip()):
        return True
    typed = normalised(text)  # typed from paper: groups, any case
    return len(typed) == CODE_LENGTH and all(c in CODE_ALPHABET for c in typed)


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


@dataclass(frozen=True)
class BindingView:
    id: int
    role: BindingRole
    person_id: int
    full_name: str
    school_id: int
    consent_needed: bool


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


REDEEM_LOCK_NAMESPACE = 0x636F6465  # "code": advisory locks of redeem attempts per account


async def redeem(
    journal: Journal,
    telegram_user_id: int,
    code: str,
    profile: tuple[str | None, str | None] = (None, None),
) -> BindingView:
    """Bind a Telegram account with a code. Atomic: of many concurrent redeems of one
    code exactly one succeeds. Failed attempts are limited per Telegram user (R2): the
    account's attempts are serialised by an advisory lock, so counting the failures,
    trying the code and recording a failure are one step (no burst outruns the limit).
    ``profile``: the account's Telegram name and username, kept so an admin can tell two
    accounts of one person apart (R3)."""
    now = journal.clock.now()
    hashes = _hashes_of(code)
    async with journal.transaction() as s:
        await s.execute(
            select(
                func.pg_advisory_xact_lock(
                    REDEEM_LOCK_NAMESPACE, func.hashtext(str(telegram_user_id))
                )
            )
        )
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
        invitation = (
            await s.execute(
                update(Invitation)
                .where(
                    Invitation.code_hash.in_(hashes),
                    Invitation.used_at.is_(None),
                    Invitation.revoked_at.is_(None),
                    Invitation.expires_at > now,
                )
                .values(used_at=now, used_by_telegram_id=telegram_user_id)
                .returning(Invitation.id, Invitation.person_id, Invitation.role)
            )
        ).first()
        if invitation is not None:
            binding_id = await _bind(s, journal, telegram_user_id, *invitation, profile=profile)
            return await _binding_view(s, binding_id)
        # Not redeemed: record the failure (committed), then say why.
        await s.execute(insert(RedeemAttempt).values(telegram_user_id=telegram_user_id, at=now))
        found = await s.scalar(select(Invitation).where(Invitation.code_hash.in_(hashes)))
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
    *,
    profile: tuple[str | None, str | None] = (None, None),
) -> int:
    name, username = profile
    binding_id = await s.scalar(
        pg_insert(Binding)
        .values(
            telegram_user_id=telegram_user_id,
            person_id=person_id,
            role=role,
            invitation_id=invitation_id,
            created_at=journal.clock.now(),
            telegram_name=(name or "")[:200] or None,
            telegram_username=(username or "")[:64] or None,
            last_seen_at=journal.clock.now(),  # binding is its first use
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
    return int(binding_id)  # type: ignore[arg-type]  # found or just inserted


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


@dataclass(frozen=True)
class ConsentRefusal:
    """R19: a parent refused consent. Who refused, for which children, and who leads
    each child's class (to be told at once)."""

    guardian_id: int
    guardian_name: str
    refused_at: datetime
    children: list[tuple[str, str, int | None]]  # pupil's full name, class, class teacher


async def refuse_consent(
    s: AsyncSession, journal: Journal, binding_id: int, telegram_user_id: int
) -> ConsentRefusal | None:
    """R19: the parent refuses consent; the refusal and its time are kept, and the bot
    shows nothing of the children. Runs in the caller's transaction (the class teacher's
    notice goes in with it). None when nothing changed (refused already)."""
    binding = await _own_binding(s, binding_id, telegram_user_id)
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


async def cut_own_other_account(
    journal: Journal, telegram_user_id: int, binding_id: int, other_id: int, reason: str
) -> bool:
    """R3: a person cuts another account bound to them (someone bound their code on
    another phone), from one of their own active bindings. True: cut now; False: it had
    been cut before. Callback data can be forged: both bindings are checked."""
    async with journal.transaction() as s:
        own = await s.get(Binding, binding_id)
        other = await s.get(Binding, other_id, with_for_update=True)
        if (
            own is None
            or own.telegram_user_id != telegram_user_id
            or own.revoked_at is not None
            or other is None
            or other.person_id != own.person_id
            or other.telegram_user_id == telegram_user_id
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
