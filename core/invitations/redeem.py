"""Redeeming a code (R2): a messenger account becomes bound to a person in a role; the
account's bindings as the bot reads them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import CodeRejected, TooManyAttempts
from core.identity import UserRef, own_bindings
from core.invitations.codes import hashes_of
from core.journal import Journal
from core.models import (
    Binding,
    BindingRole,
    Guardianship,
    Invitation,
    Messenger,
    Person,
    RedeemAttempt,
    SchoolBot,
)


@dataclass(frozen=True)
class BindingView:
    id: int
    role: BindingRole
    person_id: int
    full_name: str
    school_id: int
    consent_needed: bool


REDEEM_LOCK_NAMESPACE = 0x636F6465  # "code": advisory locks of redeem attempts per account


async def redeem(
    journal: Journal,
    user: UserRef,
    code: str,
    profile: tuple[str | None, str | None] = (None, None),
) -> BindingView:
    """Bind a messenger account with a code (a code binds on whichever messenger it is
    typed into). Atomic: of many concurrent redeems of one code exactly one succeeds.
    Failed attempts are limited per account (R2): the
    account's attempts are serialised by an advisory lock, so counting the failures,
    trying the code and recording a failure are one step (no burst outruns the limit).
    ``profile``: the account's name and username on its messenger, kept so an admin can tell two
    accounts of one person apart (R3)."""
    now = journal.clock.now()
    hashes = hashes_of(code)
    async with journal.transaction() as s:
        await s.execute(
            select(
                func.pg_advisory_xact_lock(
                    REDEEM_LOCK_NAMESPACE, func.hashtext(f"{user.messenger.value}:{user.id}")
                )
            )
        )
        failures = await s.scalar(
            select(func.count())
            .select_from(RedeemAttempt)
            .where(
                RedeemAttempt.messenger == user.messenger.value,
                RedeemAttempt.user_id == user.id,
                RedeemAttempt.at > now - timedelta(hours=1),
            )
        )
        if (failures or 0) >= journal.rules.redeem_attempts_per_hour:
            raise TooManyAttempts()
        refused = await _other_bots_code(s, user, hashes)
        invitation = (
            None
            if refused
            else (
                await s.execute(
                    update(Invitation)
                    .where(
                        Invitation.code_hash.in_(hashes),
                        Invitation.used_at.is_(None),
                        Invitation.revoked_at.is_(None),
                        Invitation.expires_at > now,
                    )
                    .values(
                        used_at=now, used_by_messenger=user.messenger.value, used_by_user_id=user.id
                    )
                    .returning(Invitation.id, Invitation.person_id, Invitation.role)
                )
            ).first()
        )
        if invitation is not None:
            binding_id = await _bind(s, journal, user, *invitation, profile=profile)
            return await _binding_view(s, binding_id)
        # Not redeemed: record the failure (committed), then say why.
        await s.execute(
            insert(RedeemAttempt).values(messenger=user.messenger.value, user_id=user.id, at=now)
        )
        found = await s.scalar(select(Invitation).where(Invitation.code_hash.in_(hashes)))
    if refused is not None:
        raise refused
    if found is None:
        raise CodeRejected("code.unknown")
    if found.revoked_at is not None:
        raise CodeRejected("code.revoked")
    if found.used_at is not None:
        raise CodeRejected("code.used")
    raise CodeRejected("code.expired")


async def _other_bots_code(
    s: AsyncSession, user: UserRef, hashes: list[str]
) -> CodeRejected | None:
    """Issue 14: on Telegram a code binds only in its school's bot, the school's own one
    if it has one, else the shared one. Why a code typed into another bot is refused (an
    attempt like any failed one), or None. MAX has one bot: any school's code binds there."""
    if user.messenger is not Messenger.TELEGRAM:
        return None
    row = (
        await s.execute(
            select(SchoolBot.bot_id, SchoolBot.username)
            .select_from(Invitation)
            .outerjoin(SchoolBot, SchoolBot.school_id == Invitation.school_id)
            .where(Invitation.code_hash.in_(hashes))
        )
    ).first()
    if row is None or row.bot_id == user.bot_id:
        return None
    if user.bot_id is not None:
        return CodeRejected("code.other_school")
    return CodeRejected("code.school_bot", bot="@" + row.username)


async def _bind(
    s: AsyncSession,
    journal: Journal,
    user: UserRef,
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
            messenger=user.messenger.value,
            user_id=user.id,
            person_id=person_id,
            role=role,
            invitation_id=invitation_id,
            created_at=journal.clock.now(),
            profile_name=(name or "")[:200] or None,
            username=(username or "")[:64] or None,
            bot_id=user.bot_id,
            last_seen_at=journal.clock.now(),  # binding is its first use
        )
        .on_conflict_do_nothing()
        .returning(Binding.id)
    )
    if binding_id is None:  # the account already holds this binding
        binding_id = await s.scalar(
            select(Binding.id).where(
                *own_bindings(user),
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


async def bindings_of(journal: Journal, user: UserRef) -> list[BindingView]:
    """The account's active bindings (one account may be a teacher and a parent)."""
    async with journal.transaction() as s:
        ids = await s.scalars(
            select(Binding.id)
            .where(*own_bindings(user), Binding.revoked_at.is_(None))
            .order_by(Binding.id)
        )
        return [await _binding_view(s, i) for i in list(ids)]
