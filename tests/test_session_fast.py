"""``identify`` runs on every update: in the usual case it is one read, and what it
answers is what the locked path (which repairs the account) would answer."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, update

from core import accounts
from core.accounts import caller as account_caller
from core.identity import UserRef
from core.journal import Journal
from core.models import Binding, BindingRole, ConversationState, Guardianship
from tests.test_notifications import bind
from tests.world import World, build_world

USER = 555_100


class Statements:
    def __init__(self, journal: Journal) -> None:
        self.engine = journal.sessions.kw["bind"].sync_engine
        self.texts: list[str] = []

    def __enter__(self) -> list[str]:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self.texts

    def __exit__(self, *exc: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)

    def _record(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.texts.append(statement)


async def fast_and_locked(journal: Journal) -> accounts.Caller:
    """The session of a settled account: one statement, the same as the locked path."""
    await accounts.identify(journal, UserRef.telegram(USER), USER, "ru")  # settles the account
    with Statements(journal) as texts:
        fast = await accounts.identify(journal, UserRef.telegram(USER), USER, "ru")
    assert len(texts) == 1, texts
    assert fast == await account_caller._identify_locked(journal, UserRef.telegram(USER), USER)
    return fast


async def test_unbound_account(journal: Journal) -> None:
    session = await fast_and_locked(journal)
    assert session == accounts.Caller(UserRef.telegram(USER), None, None, None, None)


@pytest.mark.parametrize("name", ["director", "admin", "math"])
async def test_staff(journal: Journal, name: str) -> None:
    world: World = await build_world(journal)
    binding = await bind(journal, world.people[name], BindingRole.STAFF, user_id=USER)
    session = await fast_and_locked(journal)
    assert session.actor is not None
    assert session.actor.staff_roles == world.roles[name]
    assert session.actor.binding_id == binding
    assert session.bindings == 1 and session.pupil is None and not session.consent_needed


async def test_pupil(journal: Journal) -> None:
    world: World = await build_world(journal)
    await bind(journal, world.people["masha"], BindingRole.PUPIL, user_id=USER)
    session = await fast_and_locked(journal)
    assert session.pupil is not None and session.pupil.id == world.people["masha"]
    assert session.pupil.class_name == "5А" and session.pupil.grade == 5


@pytest.mark.parametrize("consent", [True, False])
async def test_parent_of_several_keeps_the_chosen_child(journal: Journal, consent: bool) -> None:
    world: World = await build_world(journal)
    await bind(journal, world.people["mother"], user_id=USER, consent=consent)
    session = await fast_and_locked(journal)
    assert session.pupil is not None and session.pupil.id == world.people["petya"]  # by name
    assert session.consent_needed is not consent
    actor = session.actor
    assert actor is not None
    await accounts.switch_pupil(journal, actor, UserRef.telegram(USER), world.people["dasha"])
    session = await fast_and_locked(journal)
    assert session.pupil is not None and session.pupil.id == world.people["dasha"]
    assert session.pupil.class_name == "1А"


async def test_revoked_binding_falls_back_then_is_fast_again(journal: Journal) -> None:
    world: World = await build_world(journal)
    first = await bind(journal, world.people["math"], BindingRole.STAFF, user_id=USER)
    second = await bind(journal, world.people["sidorov"], user_id=USER)
    assert (await fast_and_locked(journal)).bindings == 2
    async with journal.transaction() as s:
        await s.execute(
            update(Binding).where(Binding.id == first).values(revoked_at=journal.clock.now())
        )
    session = await accounts.identify(journal, UserRef.telegram(USER), USER, "ru")
    assert session.actor is not None and session.actor.binding_id == second
    assert (await fast_and_locked(journal)) == session
    async with journal.transaction() as s:
        await s.execute(update(Guardianship).values(consent=None))
    assert (await fast_and_locked(journal)).consent_needed


async def test_another_chat_is_written(journal: Journal) -> None:
    await accounts.identify(journal, UserRef.telegram(USER), USER, "ru")
    await accounts.identify(journal, UserRef.telegram(USER), 42, "ru")
    with Statements(journal) as texts:
        await accounts.identify(journal, UserRef.telegram(USER), 42, "ru")
    assert len(texts) == 1


async def test_the_conversation_state_comes_in_the_same_statement(journal: Journal) -> None:
    """The bot reads the chat's conversation (e.g. waiting for the homework text) with the
    session: no second query per update, on the fast path and on the locked one."""
    key = f"1:{USER}:{USER}:default"
    fresh = await accounts.identify(
        journal, UserRef.telegram(USER), USER, "ru", key
    )  # the locked path
    assert fresh.conversation_state is None
    async with journal.transaction() as s:
        s.add(ConversationState(key=key, state="Typing:homework"))
    with Statements(journal) as texts:
        session = await accounts.identify(journal, UserRef.telegram(USER), USER, "ru", key)
    assert len(texts) == 1 and session.conversation_state == "Typing:homework"
    moved = await accounts.identify(
        journal, UserRef.telegram(USER), 42, "ru", key
    )  # another chat: locked
    assert moved.conversation_state == "Typing:homework"
    other = await accounts.identify(journal, UserRef.telegram(USER), 42, "ru", "1:42:42:other")
    assert other.conversation_state is None
