"""R3 use cases: the accounts an admin may pick, the preview (alone, or with the account
for the screen: ``preview_page``), and the revert itself."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import invitations
from core.access import Actor
from core.errors import NotAllowed, NotFound
from core.journal import Journal
from core.models import Binding, BindingRole, Person, StaffRole
from core.revert.model import (
    RECENTLY_CUT_DAYS,
    AccountBinding,
    AccountRef,
    RevertItem,
    RevertPreview,
    RevertSummary,
    window_of,
)
from core.revert.plan import lock_entities, make_plan
from core.revert.write import apply_plan, void_other_operations

# --- use cases ----------------------------------------------------------------------------


def _account_query() -> Any:
    return select(
        Binding.id,
        Person.full_name,
        Binding.role,
        Binding.revoked_at,
        Binding.created_at,
        Binding.profile_name,
        Binding.username,
        Binding.last_seen_at,
    ).join(Person, Person.id == Binding.person_id)


def _account(row: Any) -> AccountRef:
    i, n, r, at, created, name, username, last = row
    return AccountRef(i, n, BindingRole(r), at, created, name, username, last)


async def accounts(journal: Journal, actor: Actor) -> list[AccountRef]:
    """The school's bindings whose actions may be voided: the active ones and those cut
    in the last ``RECENTLY_CUT_DAYS`` days, staff first (R3)."""
    _ensure_may_revert(actor, journal.clock.now())
    cut_since = journal.clock.now() - timedelta(days=RECENTLY_CUT_DAYS)
    async with journal.transaction() as s:
        rows = await s.execute(
            _account_query()
            .where(
                Person.school_id == actor.school_id,
                or_(Binding.revoked_at.is_(None), Binding.revoked_at >= cut_since),
            )
            .order_by(Binding.role != BindingRole.STAFF.value, Person.full_name, Binding.id)
        )
        return [_account(row) for row in rows]


async def account(journal: Journal, actor: Actor, binding_id: int) -> AccountRef:
    """One binding of the actor's school, for the admin (R3)."""
    _ensure_may_revert(actor, journal.clock.now())
    async with journal.transaction() as s:
        return await _account_in(s, actor, binding_id)


async def preview(
    journal: Journal, actor: Actor, binding_id: int, since: datetime
) -> list[RevertItem]:
    """What ``revert`` would do, oldest change first. Changes nothing (not even the cut)."""
    _ensure_may_revert(actor, since)
    async with journal.transaction() as s:
        return await _preview_in(s, actor, binding_id, since)


async def preview_page(
    journal: Journal, actor: Actor, binding_id: int, since: datetime
) -> RevertPreview:
    """The preview screen in one read: the account (``account``) and what ``revert``
    would do (``preview``), authorised as both are."""
    _ensure_may_revert(actor, since)
    async with journal.transaction() as s:
        ref = await _account_in(s, actor, binding_id)
        return RevertPreview(ref, await _preview_in(s, actor, binding_id, since))


async def revert(
    journal: Journal, actor: Actor, binding_id: int, since: datetime, reason: str
) -> RevertSummary:
    """R3: cut the binding at once (if not yet), then void what was done through it since
    ``since`` (aware: the moment the compromise was reported), in one transaction."""
    _ensure_may_revert(actor, since)
    reason = reason.strip()
    cut_now = await invitations.revoke_binding(journal, actor, binding_id, reason or "R3")
    async with journal.transaction() as s:
        binding = await _binding(s, actor, binding_id, lock=True)
        window = window_of(binding, since)
        await lock_entities(s, actor.school_id, binding, window)
        plan = await make_plan(s, actor.school_id, binding, window)
        now = journal.clock.now()
        reverted = await apply_plan(s, plan, actor, now, reason)
        voided = await void_other_operations(s, actor, binding, window, now, reason)
        return RevertSummary(
            binding_id=binding_id,
            account=await _account_in(s, actor, binding_id),
            cut_now=cut_now,
            since=window.start,
            until=window.end,
            items=plan.items,
            reverted=dict(reverted),
            **voided,
        )


def _ensure_may_revert(actor: Actor, since: datetime) -> None:
    if not actor.has(StaffRole.ADMIN, StaffRole.DIRECTOR):
        raise NotAllowed()
    if since.tzinfo is None:
        raise ValueError("since must be an aware datetime")


async def _account_in(s: AsyncSession, actor: Actor, binding_id: int) -> AccountRef:
    row = (
        await s.execute(
            _account_query().where(Binding.id == binding_id, Person.school_id == actor.school_id)
        )
    ).first()
    if row is None:
        raise NotFound()
    return _account(row)


async def _preview_in(
    s: AsyncSession, actor: Actor, binding_id: int, since: datetime
) -> list[RevertItem]:
    binding = await _binding(s, actor, binding_id)
    return (await make_plan(s, actor.school_id, binding, window_of(binding, since))).items


async def _binding(
    s: AsyncSession, actor: Actor, binding_id: int, lock: bool = False
) -> AccountBinding:
    query = (
        select(Binding)
        .join(Person, Person.id == Binding.person_id)
        .where(Binding.id == binding_id, Person.school_id == actor.school_id)
    )
    if lock:
        query = query.with_for_update(of=Binding)
    b = (await s.execute(query)).scalar_one_or_none()
    if b is None:
        raise NotFound()
    return AccountBinding(b.id, b.person_id, BindingRole(b.role), b.created_at, b.revoked_at)
