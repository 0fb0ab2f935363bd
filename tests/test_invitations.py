"""Invitation codes and bindings (R2, R3, R19, R24)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core import invitations
from core.access import actor_for_binding
from core.clock import ManualClock
from core.errors import CodeRejected, NotAllowed, TooManyAttempts
from core.invitations import code_hash
from core.journal import Journal
from core.models import Binding, BindingRole, Guardianship, Invitation
from tests.world import World, build_world


@pytest.fixture
async def world(journal: Journal) -> World:
    return await build_world(journal)


async def test_r2_code_is_random_fits_a_deep_link_and_is_stored_only_as_hash(
    journal: Journal, world: World
) -> None:
    issued = await invitations.issue(
        journal, world.staff("admin"), world.people["math"], BindingRole.STAFF
    )
    other = await invitations.issue(
        journal, world.staff("admin"), world.people["english"], BindingRole.STAFF
    )
    assert issued.code != other.code
    assert len(issued.code) <= 64 and invitations.looks_like_code(issued.code)
    assert len(issued.code) * 6 >= 128  # ≥ 128 bits of base64url
    async with journal.transaction() as s:
        stored = list(await s.scalars(select(Invitation.code_hash)))
    assert code_hash(issued.code) in stored
    assert issued.code not in stored


async def test_r2_redeeming_binds_the_account_once(journal: Journal, world: World) -> None:
    issued = await invitations.issue(
        journal, world.staff("math"), world.people["mother"], BindingRole.PARENT
    )
    assert issued.class_name == "5А"  # the class teacher of 5А issues it
    binding = await invitations.redeem(journal, 555, issued.code)
    assert (binding.role, binding.full_name) == (BindingRole.PARENT, "Иванова Светлана Николаевна")
    with pytest.raises(CodeRejected) as used:
        await invitations.redeem(journal, 556, issued.code)
    assert used.value.key == "code.used"
    assert [b.id for b in await invitations.bindings_of(journal, 555)] == [binding.id]


async def test_r2_expired_and_revoked_and_unknown_codes_are_refused(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    admin = world.staff("admin")
    expired = await invitations.issue(journal, admin, world.people["math"], BindingRole.STAFF)
    revoked = await invitations.issue(journal, admin, world.people["english"], BindingRole.STAFF)
    await invitations.revoke_code(journal, admin, revoked.invitation_id)
    clock.advance(timedelta(days=15))
    for code, key in (
        (expired.code, "code.expired"),
        (revoked.code, "code.revoked"),
        ("x" * 32, "code.unknown"),
    ):
        with pytest.raises(CodeRejected) as err:
            await invitations.redeem(journal, 700, code)
        assert err.value.key == key
    assert await invitations.bindings_of(journal, 700) == []


async def test_r2_reissuing_revokes_the_old_code(journal: Journal, world: World) -> None:
    admin = world.staff("admin")
    old = await invitations.issue(journal, admin, world.people["math"], BindingRole.STAFF)
    new = await invitations.issue(journal, admin, world.people["math"], BindingRole.STAFF)
    with pytest.raises(CodeRejected):
        await invitations.redeem(journal, 1, old.code)
    await invitations.redeem(journal, 1, new.code)


async def test_r2_only_class_teacher_or_overseers_issue_parent_codes(
    journal: Journal, world: World
) -> None:
    with pytest.raises(NotAllowed):  # the English teacher is nobody's class teacher
        await invitations.issue(
            journal, world.staff("english"), world.people["sidorov"], BindingRole.PARENT
        )
    with pytest.raises(NotAllowed):  # staff codes come from the admin
        await invitations.issue(
            journal, world.staff("math"), world.people["english"], BindingRole.STAFF
        )
    codes = await invitations.issue_for_class(
        journal, world.staff("math"), world.classes["5А"], {BindingRole.PARENT, BindingRole.PUPIL}
    )
    assert sorted((c.role.value, c.full_name) for c in codes) == [
        ("parent", "Иванова Светлана Николаевна"),
        ("parent", "Сидоров Андрей Петрович"),
        ("pupil", "Иванов Пётр Алексеевич"),
        ("pupil", "Иванова Мария Алексеевна"),
        ("pupil", "Сидоров Николай Андреевич"),
    ]


async def test_r2_of_100_concurrent_redeems_exactly_one_succeeds(
    journal: Journal, world: World
) -> None:
    issued = await invitations.issue(
        journal, world.staff("admin"), world.people["math"], BindingRole.STAFF
    )
    results = await asyncio.gather(
        *(invitations.redeem(journal, 10_000 + i, issued.code) for i in range(100)),
        return_exceptions=True,
    )
    wins = [r for r in results if not isinstance(r, BaseException)]
    losses = [r for r in results if isinstance(r, CodeRejected)]
    assert len(wins) == 1 and len(losses) == 99
    async with journal.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Binding)) == 1


async def test_r2_failed_attempts_are_limited_per_user(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    issued = await invitations.issue(
        journal, world.staff("admin"), world.people["math"], BindingRole.STAFF
    )
    for i in range(5):
        with pytest.raises(CodeRejected):
            await invitations.redeem(journal, 42, f"guess{i:027d}")
    with pytest.raises(TooManyAttempts):  # even the right code waits now
        await invitations.redeem(journal, 42, issued.code)
    clock.advance(timedelta(hours=1, seconds=1))
    assert (await invitations.redeem(journal, 42, issued.code)).role is BindingRole.STAFF


async def test_one_account_holds_staff_and_parent_bindings(journal: Journal, world: World) -> None:
    staff = await invitations.issue(
        journal, world.staff("admin"), world.people["math"], BindingRole.STAFF
    )
    async with journal.transaction() as s:  # the math teacher is also Kolya's guardian
        s.add(Guardianship(guardian_id=world.people["math"], pupil_id=world.people["kolya"]))
    parent = await invitations.issue(
        journal, world.staff("math"), world.people["math"], BindingRole.PARENT
    )
    await invitations.redeem(journal, 900, staff.code)
    await invitations.redeem(journal, 900, parent.code)
    roles = [b.role for b in await invitations.bindings_of(journal, 900)]
    assert roles == [BindingRole.STAFF, BindingRole.PARENT]


async def test_r19_parent_consent_is_recorded_with_time(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    issued = await invitations.issue(
        journal, world.staff("math"), world.people["sidorov"], BindingRole.PARENT
    )
    binding = await invitations.redeem(journal, 321, issued.code)
    assert binding.consent_needed
    await invitations.record_consent(journal, binding.id, 321)
    async with journal.transaction() as s:
        row = await s.scalar(
            select(Guardianship).where(Guardianship.guardian_id == world.people["sidorov"])
        )
    assert row is not None and row.consent is True and row.consent_at == clock.now()
    assert not (await invitations.bindings_of(journal, 321))[0].consent_needed
    with pytest.raises(NotAllowed):  # someone else's binding
        await invitations.record_consent(journal, binding.id, 999)


async def test_r24_logout_ends_the_binding(journal: Journal, world: World) -> None:
    issued = await invitations.issue(
        journal, world.staff("admin"), world.people["math"], BindingRole.STAFF
    )
    binding = await invitations.redeem(journal, 77, issued.code)
    await invitations.logout(journal, binding.id, 77)
    assert await invitations.bindings_of(journal, 77) == []
    async with journal.transaction() as s:
        with pytest.raises(NotAllowed):
            await actor_for_binding(s, binding.id)


async def test_r3_admin_cuts_a_compromised_binding_at_once(journal: Journal, world: World) -> None:
    issued = await invitations.issue(
        journal, world.staff("admin"), world.people["math"], BindingRole.STAFF
    )
    binding = await invitations.redeem(journal, 78, issued.code)
    async with journal.transaction() as s:
        actor = await actor_for_binding(s, binding.id)
    assert actor.staff_roles == world.roles["math"]
    with pytest.raises(NotAllowed):
        await invitations.revoke_binding(journal, world.staff("math"), binding.id, "x")
    await invitations.revoke_binding(journal, world.staff("admin"), binding.id, "утерян телефон")
    async with journal.transaction() as s:
        with pytest.raises(NotAllowed):
            await actor_for_binding(s, binding.id)
