"""Invitation codes and bindings (R2, R3, R19, R24)."""

from __future__ import annotations

import asyncio
import math
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core import invitations
from core.access import actor_for_binding
from core.clock import ManualClock
from core.errors import CodeRejected, NotAllowed, TooManyAttempts
from core.identity import UserRef
from core.invitations import code_hash
from core.journal import Journal
from core.models import Binding, BindingRole, Guardianship, Invitation, RedeemAttempt
from tests.world import World


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
    assert len(issued.code) * math.log2(len(invitations.CODE_ALPHABET)) >= 128
    async with journal.transaction() as s:
        stored = list(await s.scalars(select(Invitation.code_hash)))
    assert code_hash(issued.code) in stored
    assert issued.code not in stored


async def test_r2_redeeming_binds_the_account_once(journal: Journal, world: World) -> None:
    issued = await invitations.issue(
        journal, world.staff("math"), world.people["mother"], BindingRole.PARENT
    )
    assert issued.class_name == "5А"  # the class teacher of 5А issues it
    binding = await invitations.redeem(journal, UserRef.telegram(555), issued.code)
    assert (binding.role, binding.full_name) == (BindingRole.PARENT, "Иванова Светлана Николаевна")
    with pytest.raises(CodeRejected) as used:
        await invitations.redeem(journal, UserRef.telegram(556), issued.code)
    assert used.value.key == "code.used"
    assert [b.id for b in await invitations.bindings_of(journal, UserRef.telegram(555))] == [
        binding.id
    ]


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
            await invitations.redeem(journal, UserRef.telegram(700), code)
        assert err.value.key == key
    assert await invitations.bindings_of(journal, UserRef.telegram(700)) == []


async def test_r2_reissuing_revokes_the_old_code(journal: Journal, world: World) -> None:
    admin = world.staff("admin")
    old = await invitations.issue(journal, admin, world.people["math"], BindingRole.STAFF)
    new = await invitations.issue(journal, admin, world.people["math"], BindingRole.STAFF)
    with pytest.raises(CodeRejected):
        await invitations.redeem(journal, UserRef.telegram(1), old.code)
    await invitations.redeem(journal, UserRef.telegram(1), new.code)


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
    assert sorted((c.role.value, c.full_name) for c in codes.codes) == [
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
        *(
            invitations.redeem(journal, UserRef.telegram(10_000 + i), issued.code)
            for i in range(100)
        ),
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
            await invitations.redeem(journal, UserRef.telegram(42), f"guess{i:027d}")
    with pytest.raises(TooManyAttempts):  # even the right code waits now
        await invitations.redeem(journal, UserRef.telegram(42), issued.code)
    clock.advance(timedelta(hours=1, seconds=1))
    assert (
        await invitations.redeem(journal, UserRef.telegram(42), issued.code)
    ).role is BindingRole.STAFF


async def test_one_account_holds_staff_and_parent_bindings(journal: Journal, world: World) -> None:
    staff = await invitations.issue(
        journal, world.staff("admin"), world.people["math"], BindingRole.STAFF
    )
    async with journal.transaction() as s:  # the math teacher is also Kolya's guardian
        s.add(Guardianship(guardian_id=world.people["math"], pupil_id=world.people["kolya"]))
    parent = await invitations.issue(
        journal, world.staff("math"), world.people["math"], BindingRole.PARENT
    )
    await invitations.redeem(journal, UserRef.telegram(900), staff.code)
    await invitations.redeem(journal, UserRef.telegram(900), parent.code)
    roles = [b.role for b in await invitations.bindings_of(journal, UserRef.telegram(900))]
    assert roles == [BindingRole.STAFF, BindingRole.PARENT]


async def test_r19_parent_consent_is_recorded_with_time(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    issued = await invitations.issue(
        journal, world.staff("math"), world.people["sidorov"], BindingRole.PARENT
    )
    binding = await invitations.redeem(journal, UserRef.telegram(321), issued.code)
    assert binding.consent_needed
    await invitations.record_consent(journal, binding.id, UserRef.telegram(321))
    async with journal.transaction() as s:
        row = await s.scalar(
            select(Guardianship).where(Guardianship.guardian_id == world.people["sidorov"])
        )
    assert row is not None and row.consent is True and row.consent_at == clock.now()
    assert not (await invitations.bindings_of(journal, UserRef.telegram(321)))[0].consent_needed
    with pytest.raises(NotAllowed):  # someone else's binding
        await invitations.record_consent(journal, binding.id, UserRef.telegram(999))


async def test_r24_logout_ends_the_binding(journal: Journal, world: World) -> None:
    issued = await invitations.issue(
        journal, world.staff("admin"), world.people["math"], BindingRole.STAFF
    )
    binding = await invitations.redeem(journal, UserRef.telegram(77), issued.code)
    await invitations.logout(journal, binding.id, UserRef.telegram(77))
    assert await invitations.bindings_of(journal, UserRef.telegram(77)) == []
    async with journal.transaction() as s:
        with pytest.raises(NotAllowed):
            await actor_for_binding(s, binding.id)


async def test_r3_admin_cuts_a_compromised_binding_at_once(journal: Journal, world: World) -> None:
    issued = await invitations.issue(
        journal, world.staff("admin"), world.people["math"], BindingRole.STAFF
    )
    binding = await invitations.redeem(journal, UserRef.telegram(78), issued.code)
    async with journal.transaction() as s:
        actor = await actor_for_binding(s, binding.id)
    assert actor.staff_roles == world.roles["math"]
    with pytest.raises(NotAllowed):
        await invitations.revoke_binding(journal, world.staff("math"), binding.id, "x")
    await invitations.revoke_binding(journal, world.staff("admin"), binding.id, "утерян телефон")
    async with journal.transaction() as s:
        with pytest.raises(NotAllowed):
            await actor_for_binding(s, binding.id)


# --- issuing a class's cards again (issue 9) -----------------------------------------------


async def test_r2_issuing_a_class_again_keeps_the_cards_already_handed_out(
    journal: Journal, world: World
) -> None:
    teacher, roles = world.staff("math"), {BindingRole.PARENT, BindingRole.PUPIL}
    first = await invitations.issue_for_class(journal, teacher, world.classes["5А"], roles)
    assert len(first.codes) == 5
    again = await invitations.issue_for_class(journal, teacher, world.classes["5А"], roles)
    assert (again.codes, again.skipped_valid, again.skipped_bound) == ([], 5, 0)
    for i, code in enumerate(first.codes):  # every printed card still works
        assert (
            await invitations.redeem(journal, UserRef.telegram(3000 + i), code.code)
        ).person_id == code.person_id
    bound = await invitations.issue_for_class(journal, teacher, world.classes["5А"], roles)
    assert (bound.codes, bound.skipped_valid, bound.skipped_bound) == ([], 0, 5)


async def test_r2_a_parent_of_two_classes_keeps_the_first_class_card_when_the_second_is_issued(
    journal: Journal, world: World
) -> None:
    roles = {BindingRole.PARENT}
    fifth = await invitations.issue_for_class(
        journal, world.staff("math"), world.classes["5А"], roles
    )
    mother = next(c for c in fifth.codes if c.person_id == world.people["mother"])
    first = await invitations.issue_for_class(
        journal, world.staff("primary"), world.classes["1А"], roles
    )
    assert first.codes == [] and first.skipped_valid == 1  # the mother holds a valid card
    bound = await invitations.redeem(journal, UserRef.telegram(77), mother.code)
    assert bound.full_name == "Иванова Светлана Николаевна"


async def test_r2_reissuing_a_chosen_person_revokes_only_their_card(
    journal: Journal, world: World
) -> None:
    teacher, roles = world.staff("math"), {BindingRole.PARENT, BindingRole.PUPIL}
    first = await invitations.issue_for_class(journal, teacher, world.classes["5А"], roles)
    holders = await invitations.reissuable(journal, teacher, world.classes["5А"])
    assert len(holders) == 5
    petya = next(c for c in first.codes if c.person_id == world.people["petya"])
    plain = await invitations.issue_for_person(journal, teacher, petya.person_id, BindingRole.PUPIL)
    assert (plain.codes, plain.skipped_valid) == ([], 1)  # without reissue: kept
    new = await invitations.issue_for_person(
        journal, teacher, petya.person_id, BindingRole.PUPIL, reissue=True
    )
    [card] = new.codes
    with pytest.raises(CodeRejected) as old:
        await invitations.redeem(journal, UserRef.telegram(1), petya.code)
    assert old.value.key == "code.revoked"
    assert (
        await invitations.redeem(journal, UserRef.telegram(1), card.code)
    ).person_id == petya.person_id
    masha = next(c for c in first.codes if c.person_id == world.people["masha"])
    assert (
        await invitations.redeem(journal, UserRef.telegram(2), masha.code)
    ).person_id == masha.person_id
    with pytest.raises(NotAllowed):  # another class's teacher may not list 5А's cards
        await invitations.reissuable(journal, world.staff("primary"), world.classes["5А"])


async def test_r2_staff_cards_skip_staff_already_in_the_bot_even_when_reissued(
    journal: Journal, world: World
) -> None:
    admin = world.staff("admin")
    first = await invitations.issue_for_staff(journal, admin)
    math = next(c for c in first.codes if c.person_id == world.people["math"])
    await invitations.redeem(journal, UserRef.telegram(500), math.code)
    again = await invitations.issue_for_staff(journal, admin, reissue=True)
    assert world.people["math"] not in [c.person_id for c in again.codes]
    assert (len(again.codes), again.skipped_bound) == (len(first.codes) - 1, 1)


async def test_r2_a_code_typed_from_paper_in_any_case_with_spaces_and_dashes_is_accepted(
    journal: Journal, world: World
) -> None:
    issued = await invitations.issue(
        journal, world.staff("admin"), world.people["math"], BindingRole.STAFF
    )
    assert not set("0O1lI") & set(issued.code)
    printed = invitations.grouped(issued.code)
    assert printed.count("-") == 6
    typed = " ".join(printed.lower().split("-"))
    assert invitations.looks_like_code(typed) and invitations.looks_like_code(printed)
    assert not invitations.looks_like_code("привет, как мне войти в журнал")
    assert (
        await invitations.redeem(journal, UserRef.telegram(901), typed)
    ).person_id == world.people["math"]


async def test_r2_a_code_issued_before_the_readable_alphabet_still_works(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    legacy = "Ab3_-xYz" * 4  # base64url, case-sensitive
    async with journal.transaction() as s:
        s.add(
            Invitation(
                school_id=world.school_id,
                code_hash=code_hash(legacy),
                person_id=world.people["math"],
                role=BindingRole.STAFF.value,
                created_at=clock.now(),
                expires_at=clock.now() + timedelta(days=14),
            )
        )
    assert (
        await invitations.redeem(journal, UserRef.telegram(902), legacy)
    ).person_id == world.people["math"]


async def test_r2_forty_wrong_codes_sent_at_once_are_limited_to_five(
    journal: Journal, world: World
) -> None:
    results = await asyncio.gather(
        *(invitations.redeem(journal, UserRef.telegram(4040), f"WRONG{i:023d}") for i in range(40)),
        return_exceptions=True,
    )
    evaluated = [r for r in results if isinstance(r, CodeRejected)]
    refused = [r for r in results if isinstance(r, TooManyAttempts)]
    assert (len(evaluated), len(refused)) == (5, 35)
    async with journal.transaction() as s:
        recorded = await s.scalar(
            select(func.count()).select_from(RedeemAttempt).where(RedeemAttempt.user_id == 4040)
        )
    assert recorded == 5
