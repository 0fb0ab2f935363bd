"""An account is a user of one messenger (issue 12): Telegram's and MAX's user ids are
separate number spaces, so the same number on the two is two people; a person may be
bound on both, and each binding is reached through its own messenger."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import accounts, digest, invitations, recipients
from core.clock import ManualClock
from core.errors import CodeRejected, NotAllowed, TooManyAttempts
from core.identity import UserRef
from core.journal import Journal
from core.models import BindingRole, NotificationPrefs, RedeemAttempt
from notifications.outbox import OutboxItem
from notifications.scheduler import NotificationJobs
from tests.test_notifications import at, school_day_for_5a
from tests.world import MONDAY, World

SAME_NUMBER = 4242  # a Telegram user and a MAX user who happen to share it


async def parent_code(journal: Journal, world: World) -> str:
    issued = await invitations.issue(
        journal, world.staff("math"), world.people["mother"], BindingRole.PARENT
    )
    return issued.code


async def test_r2_a_code_typed_in_max_binds_the_max_account_not_the_telegram_one(
    journal: Journal, world: World
) -> None:
    binding = await invitations.redeem(
        journal, UserRef.max(SAME_NUMBER), await parent_code(journal, world)
    )
    in_max = await accounts.identify(journal, UserRef.max(SAME_NUMBER), 99, "ru")
    in_telegram = await accounts.identify(journal, UserRef.telegram(SAME_NUMBER), SAME_NUMBER, "ru")
    assert in_max.actor is not None and in_max.actor.binding_id == binding.id
    assert in_telegram.actor is None  # a stranger who shares the number
    assert await invitations.bindings_of(journal, UserRef.telegram(SAME_NUMBER)) == []


async def test_r3_a_button_pressed_by_the_same_number_on_the_other_messenger_is_refused(
    journal: Journal, world: World
) -> None:
    binding = await invitations.redeem(
        journal, UserRef.max(SAME_NUMBER), await parent_code(journal, world)
    )
    assert (await recipients.binding_actor(journal, UserRef.max(SAME_NUMBER), binding.id)).person_id
    with pytest.raises(NotAllowed):
        await recipients.binding_actor(journal, UserRef.telegram(SAME_NUMBER), binding.id)


async def test_r2_failed_codes_are_counted_per_messenger_account(
    journal: Journal, world: World
) -> None:
    for _ in range(journal.rules.redeem_attempts_per_hour):
        with pytest.raises(CodeRejected):
            await invitations.redeem(journal, UserRef.telegram(SAME_NUMBER), "WRONGWRONGWRONG1")
    with pytest.raises(TooManyAttempts):
        await invitations.redeem(journal, UserRef.telegram(SAME_NUMBER), "WRONGWRONGWRONG1")
    # The MAX user with the same number has tried nothing: their code binds.
    binding = await invitations.redeem(
        journal, UserRef.max(SAME_NUMBER), await parent_code(journal, world)
    )
    assert binding.role is BindingRole.PARENT
    async with journal.transaction() as s:
        tried = list(await s.scalars(select(RedeemAttempt.messenger)))
    assert set(tried) == {"telegram"}


async def test_r16_a_parent_bound_on_both_gets_the_digest_on_the_messenger_they_keep_it_on(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    """Two phones, two messengers: each binding is reached through its own channel, and
    the parent who switches the digest off on one gets it on the other only."""
    mother = world.people["mother"]
    on_telegram = await invitations.redeem(
        journal, UserRef.telegram(SAME_NUMBER), await parent_code(journal, world)
    )
    on_max = await invitations.redeem(
        journal, UserRef.max(SAME_NUMBER), await parent_code(journal, world)
    )
    await invitations.record_consent(journal, on_telegram.id, UserRef.telegram(SAME_NUMBER))
    await invitations.record_consent(journal, on_max.id, UserRef.max(SAME_NUMBER))
    await accounts.identify(journal, UserRef.max(SAME_NUMBER), 777_001, "ru")  # MAX's dialog chat
    async with journal.transaction() as s:
        found = await recipients.reachable(s, [mother], BindingRole.PARENT)
    assert sorted((r.channel, r.binding_id) for r in found[mother]) == [
        ("max", on_max.id),
        ("telegram", on_telegram.id),
    ]
    assert next(r for r in found[mother] if r.channel == "max").chat_id == 777_001

    async with journal.transaction() as s:
        s.add(NotificationPrefs(binding_id=on_telegram.id, digest_enabled=False))
    await school_day_for_5a(journal, world)
    at(clock, MONDAY, 20, 0)
    queued: list[tuple[str, int, int | None]] = []

    async def record(_s: AsyncSession, items: list[OutboxItem]) -> int:
        queued.extend((i.channel, i.chat_id, i.binding_id) for i in items)
        return len(items)

    assert await NotificationJobs(journal, enqueue=record).digests() == 1
    assert queued == [("max", 777_001, on_max.id)]


async def test_r3_cutting_the_other_account_of_a_person_across_messengers(
    journal: Journal, world: World
) -> None:
    """Someone bound the mother's code on MAX; from her Telegram she cuts that account."""
    mine = await invitations.redeem(
        journal, UserRef.telegram(SAME_NUMBER), await parent_code(journal, world)
    )
    theirs = await invitations.redeem(
        journal, UserRef.max(SAME_NUMBER), await parent_code(journal, world)
    )
    assert await invitations.cut_own_other_account(
        journal, UserRef.telegram(SAME_NUMBER), mine.id, theirs.id, "не мой телефон"
    )
    assert await invitations.bindings_of(journal, UserRef.max(SAME_NUMBER)) == []
    assert [
        b.id for b in await invitations.bindings_of(journal, UserRef.telegram(SAME_NUMBER))
    ] == [mine.id]


async def test_r17_a_digest_read_on_either_messenger_counts_as_read(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    """Bound on both, the mother gets the day's digest on both and reads it in MAX: the
    class teacher's list of who has not read does not name her."""
    on_telegram = await invitations.redeem(
        journal, UserRef.telegram(SAME_NUMBER), await parent_code(journal, world)
    )
    on_max = await invitations.redeem(
        journal, UserRef.max(SAME_NUMBER), await parent_code(journal, world)
    )
    await invitations.record_consent(journal, on_telegram.id, UserRef.telegram(SAME_NUMBER))
    await invitations.record_consent(journal, on_max.id, UserRef.max(SAME_NUMBER))
    await school_day_for_5a(journal, world)
    at(clock, MONDAY, 20, 0)
    assert await NotificationJobs(journal).digests() == 2  # one on each messenger

    def week() -> tuple[date, date]:
        return MONDAY, MONDAY + timedelta(days=6)

    report = await digest.unread_digests(journal, world.staff("math"), world.classes["5А"], *week())
    assert [(p.parent_name, p.read, p.sent) for p in report.parents] == [
        ("Иванова Светлана Николаевна", 0, 1)
    ]
    await digest.mark_digest_read(journal, UserRef.max(SAME_NUMBER), on_max.id, MONDAY)
    report = await digest.unread_digests(journal, world.staff("math"), world.classes["5А"], *week())
    assert report.parents == []
