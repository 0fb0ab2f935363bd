"""A parent who blocks the bot stops getting messages and the class teacher sees it; once
they write to the bot again (or unblock it) delivery resumes."""

from __future__ import annotations

from core import accounts, digest
from core.clock import ManualClock
from core.identity import UserRef
from core.journal import Journal
from core.models import Binding
from tests.test_notifications import bind
from tests.world import MONDAY, World, build_world

PARENT_USER = 555_001


async def unreachable_at(journal: Journal, binding_id: int) -> object:
    async with journal.transaction() as s:
        return (await s.get(Binding, binding_id)).unreachable_at  # type: ignore[union-attr]  # the row exists


async def test_blocked_parent_is_listed_for_the_class_teacher_until_they_return(
    journal: Journal, clock: ManualClock
) -> None:
    world: World = await build_world(journal)
    binding = await bind(journal, world.people["mother"], user_id=PARENT_USER)
    class_teacher = world.staff("math")  # leads 5А

    await accounts.set_reachable(
        journal, UserRef.telegram(PARENT_USER), False
    )  # my_chat_member: kicked
    assert await unreachable_at(journal, binding) == clock.now()
    report = await digest.unread_digests(
        journal, class_teacher, world.classes["5А"], MONDAY, MONDAY
    )
    assert [(name, since) for name, _, since in report.unreachable] == [
        ("Иванова Светлана Николаевна", clock.now())
    ]

    await accounts.identify(
        journal, UserRef.telegram(PARENT_USER), PARENT_USER, "ru"
    )  # writes to the bot
    assert await unreachable_at(journal, binding) is None
    report = await digest.unread_digests(
        journal, class_teacher, world.classes["5А"], MONDAY, MONDAY
    )
    assert report.unreachable == []
