"""A messenger account's session: the bindings it holds, the one it acts through now,
the child a parent is looking at, the language it reads; switching binding or child."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Row,
    Select,
    String,
    and_,
    bindparam,
    func,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.access import Actor, actor_for_binding
from core.errors import NotAllowed
from core.identity import UserRef, own_bindings, owns
from core.journal import Journal
from core.models import (
    Account,
    AccountBot,
    Binding,
    BindingRole,
    ConversationState,
    Guardianship,
    Person,
    Pupil,
    SchoolClass,
    StaffRole,
    StaffRoleRow,
)
from core.models.accounts import SHARED_BOT


@dataclass(frozen=True)
class PupilRef:
    id: int
    full_name: str
    class_name: str
    grade: int


@dataclass(frozen=True)
class Caller:
    """Who is acting in this update. ``actor`` is None for an account with no binding."""

    user: UserRef
    language: str | None
    actor: Actor | None
    full_name: str | None
    pupil: PupilRef | None  # the child a parent looks at, or the pupil themself
    bindings: int = 0  # how many active bindings the account holds
    consent_needed: bool = False  # a parent who has not yet confirmed consent (R19)
    conversation_state: str | None = None  # what the chat is in the middle of, if anything


async def identify(
    journal: Journal,
    user: UserRef,
    chat_id: int,
    language_code: str | None,
    conversation: str | None = None,
) -> Caller:
    """Load (and create on first contact) the account and its active binding. A revoked
    active binding falls back to another active one, or to none (R3, R24). With
    ``conversation`` (the adapter's key of this chat's conversation) its state comes
    along: what the user is in the middle of typing, if anything.

    Runs on every update, so the usual case (a known account, same chat, an active
    binding, nothing to repair) is one read-only statement, the conversation included;
    anything that must be written goes through the locked path below."""
    async with journal.sessions() as s:
        # One statement, no transaction around it: no BEGIN/COMMIT round trips.
        conn = await s.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        row = (
            await conn.execute(
                _caller_query(),
                {
                    "m": user.messenger.value,
                    "uid": user.id,
                    "bot": user.bot_id,
                    "ckey": conversation,
                },
            )
        ).first()
    session = _session_from_row(user, chat_id, row)
    seen = row.last_seen_at if session is not None and row is not None else None
    if session is None:
        session = await _identify_locked(journal, user, chat_id)
        if conversation is not None:
            async with journal.sessions() as s:
                state = await s.scalar(_conversation_state(), {"ckey": conversation})
            session = replace(session, conversation_state=state)
    if session.actor is not None and session.actor.binding_id is not None:
        now = journal.clock.now()
        if seen is None or seen <= now - SEEN_EVERY:
            await _touch(journal, session.actor.binding_id, now)
    return session


SEEN_EVERY = timedelta(minutes=1)  # a binding's last use is written at most this often


async def _touch(journal: Journal, binding_id: int, now: datetime) -> None:
    """Record that the binding was used (R3: the admin tells two accounts of a person apart
    by their last use). At most once a minute per binding: the usual update reads it in
    its one statement and writes nothing."""
    async with journal.sessions() as s:
        conn = await s.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        await conn.execute(
            update(Binding)
            .where(
                Binding.id == binding_id,
                or_(Binding.last_seen_at.is_(None), Binding.last_seen_at <= now - SEEN_EVERY),
            )
            .values(last_seen_at=now)
        )


@cache
def _conversation_state() -> Select[Any]:
    return select(ConversationState.state).where(
        ConversationState.key == bindparam("ckey", type_=String)
    )


@cache
def _caller_query() -> Select[*tuple[Any, ...]]:
    """The account (``uid``), its active binding's actor, name, current pupil, the number
    of active bindings, whether any of them is marked unreachable and a parent's missing
    consent. Built once: building it takes longer than running it."""
    messenger = bindparam("m", type_=String)
    user_id = bindparam("uid", type_=BigInteger)
    bot = bindparam("bot", type_=BigInteger)  # the bot's scope, as own_bindings has it
    active = (
        Binding.messenger == messenger,
        Binding.user_id == user_id,
        Binding.bot_id.is_not_distinct_from(bot),
        Binding.revoked_at.is_(None),
    )
    mine = aliased(Binding)
    roles = (
        select(func.array_agg(StaffRoleRow.role))
        .where(StaffRoleRow.person_id == mine.person_id)
        .scalar_subquery()
    )
    counts = (
        select(
            func.count().label("bindings"),
            func.count(Binding.unreachable_at).label("unreachable"),
        )
        .where(*active)
        .subquery()
    )
    consent_missing = (
        select(Guardianship.guardian_id)
        .where(Guardianship.guardian_id == mine.person_id, Guardianship.consent.is_not(True))
        .exists()
    )
    # The pupil themself; for a parent the child chosen before if still theirs, else the
    # first child by name (as _current_pupil does). The role tests depend on the outer row
    # only, so PostgreSQL skips the branch that does not apply (a one-time filter).
    own = _pupil_lateral(Pupil.person_id == mine.person_id, mine.role == BindingRole.PUPIL.value)
    child = _pupil_lateral(
        Guardianship.guardian_id == mine.person_id,
        mine.role == BindingRole.PARENT.value,
        Pupil.left_on.is_(None),
        guardian=True,
    )
    pupil = [
        func.coalesce(own.c[name], child.c[name]).label(name)
        for name in ("pupil_id", "pupil_name", "class_name", "grade")
    ]
    return (
        select(
            Account.chat_id,
            Account.language,
            AccountBot.active_binding_id,
            AccountBot.active_pupil_id,
            mine.id.label("binding_id"),
            mine.person_id,
            mine.role,
            mine.last_seen_at,
            Person.school_id,
            Person.full_name,
            roles.label("staff_roles"),
            counts.c.bindings,
            counts.c.unreachable,
            consent_missing.label("consent_missing"),
            _conversation_state().scalar_subquery().label("conversation_state"),
            *pupil,
        )
        .select_from(Account)
        .join(counts, true())
        .outerjoin(
            AccountBot,
            and_(
                AccountBot.messenger == Account.messenger,
                AccountBot.user_id == Account.user_id,
                AccountBot.bot_id == func.coalesce(bot, SHARED_BOT),
            ),
        )
        .outerjoin(
            mine,
            and_(
                mine.id == AccountBot.active_binding_id,
                mine.revoked_at.is_(None),
                mine.bot_id.is_not_distinct_from(bot),
            ),
        )
        .outerjoin(Person, Person.id == mine.person_id)
        .outerjoin(own, true())
        .outerjoin(child, true())
        .where(Account.messenger == messenger, Account.user_id == user_id)
    )


def _pupil_lateral(*where: ColumnElement[bool], guardian: bool = False) -> Any:
    person = aliased(Person)
    query = select(
        Pupil.person_id.label("pupil_id"),
        person.full_name.label("pupil_name"),
        SchoolClass.name.label("class_name"),
        SchoolClass.grade.label("grade"),
    )
    if guardian:
        query = query.join(Guardianship, Guardianship.pupil_id == Pupil.person_id)
    return (
        query.join(person, person.id == Pupil.person_id)
        .join(SchoolClass, SchoolClass.id == Pupil.class_id)
        .where(*where)
        .order_by(
            Pupil.person_id.is_not_distinct_from(AccountBot.active_pupil_id).desc(),
            person.full_name,
            Pupil.person_id,
        )
        .limit(1)
        .lateral()
    )


def _session_from_row(user: UserRef, chat_id: int, row: Row[Any] | None) -> Caller | None:
    """The session the row describes, or None when something must be written first (a new
    account, another chat, a binding to fall back from, an unreachable mark to clear, a
    parent's child to choose)."""
    if row is None or row.chat_id != chat_id or row.unreachable:
        return None
    if row.binding_id is None:
        if row.active_binding_id is None and not row.bindings:
            return Caller(
                user,
                row.language,
                None,
                None,
                None,
                conversation_state=row.conversation_state,
            )
        return None
    role = BindingRole(row.role)
    if role is BindingRole.PARENT and row.pupil_id is not None:
        if row.pupil_id != row.active_pupil_id:
            return None
    roles: frozenset[StaffRole] = frozenset()
    if role is BindingRole.STAFF and row.staff_roles:
        roles = frozenset(StaffRole(r) for r in row.staff_roles)
    actor = Actor(row.person_id, row.school_id, role, roles, row.binding_id)
    pupil = None
    if role in (BindingRole.PUPIL, BindingRole.PARENT) and row.pupil_id is not None:
        pupil = PupilRef(row.pupil_id, row.pupil_name, row.class_name, row.grade)
    return Caller(
        user,
        row.language,
        actor,
        row.full_name,
        pupil,
        int(row.bindings),
        role is BindingRole.PARENT and bool(row.consent_missing),
        row.conversation_state,
    )


async def _identify_locked(journal: Journal, user: UserRef, chat_id: int) -> Caller:
    """The account row locked: create it, follow the chat, fall back from a revoked
    binding, clear the unreachable mark, choose a parent's child."""
    async with journal.transaction() as s:
        now = journal.clock.now()
        # First contact is idempotent: several first messages at once create one account
        # (the others wait here for it, then lock it below).
        await s.execute(
            pg_insert(Account)
            .values(
                messenger=user.messenger.value, user_id=user.id, chat_id=chat_id, updated_at=now
            )
            .on_conflict_do_nothing(index_elements=[Account.messenger, Account.user_id])
        )
        account = await s.get(Account, (user.messenger.value, user.id), with_for_update=True)
        assert account is not None  # inserted above, or already there
        if account.chat_id != chat_id:
            account.chat_id = chat_id
            account.updated_at = now
        # Whoever writes to the bot has not blocked it: deliver to them again.
        await _mark_reachable(s, user, None)
        choice = await _choice_in(s, user)
        actor = None
        if choice.active_binding_id is not None and not await _in_scope(
            s, user, choice.active_binding_id
        ):
            choice.active_binding_id = None  # made through another bot: not here
        if choice.active_binding_id is not None:
            try:
                actor = await actor_for_binding(s, choice.active_binding_id)
            except NotAllowed:
                choice.active_binding_id = None
        if actor is None:
            fallback = await s.scalar(
                select(Binding.id)
                .where(*own_bindings(user), Binding.revoked_at.is_(None))
                .order_by(Binding.id)
                .limit(1)
            )
            if fallback is not None:
                choice.active_binding_id = fallback
                choice.active_pupil_id = None
                actor = await actor_for_binding(s, fallback)
        await s.flush()
        if actor is None:
            return Caller(user, account.language, None, None, None)
        full_name = await s.scalar(select(Person.full_name).where(Person.id == actor.person_id))
        pupil = await _current_pupil(s, choice, actor)
        count = await s.scalar(
            select(func.count())
            .select_from(Binding)
            .where(*own_bindings(user), Binding.revoked_at.is_(None))
        )
        consent_needed = actor.role is BindingRole.PARENT and bool(
            await s.scalar(
                select(func.count())
                .select_from(Guardianship)
                .where(
                    Guardianship.guardian_id == actor.person_id,
                    Guardianship.consent.is_not(True),
                )
            )
        )
        return Caller(
            user,
            account.language,
            actor,
            full_name,
            pupil,
            int(count or 0),
            consent_needed,
        )


def _bot_of(user: UserRef) -> int:
    return SHARED_BOT if user.bot_id is None else user.bot_id


async def _choice_in(s: AsyncSession, user: UserRef) -> AccountBot:
    """The account's choice in the bot the user writes to, created empty and locked (the
    account exists and is locked already)."""
    key = (user.messenger.value, user.id, _bot_of(user))
    await s.execute(
        pg_insert(AccountBot)
        .values(messenger=key[0], user_id=key[1], bot_id=key[2])
        .on_conflict_do_nothing()
    )
    choice = await s.get(AccountBot, key, with_for_update=True)
    assert choice is not None  # inserted above, or already there
    return choice


async def _in_scope(s: AsyncSession, user: UserRef, binding_id: int) -> bool:
    """Whether the binding is the user's through the bot the user writes to."""
    found = await s.scalar(select(Binding.id).where(Binding.id == binding_id, *own_bindings(user)))
    return found is not None


async def set_reachable(journal: Journal, user: UserRef, reachable: bool) -> None:
    """The user blocked the bot (``reachable=False``) or unblocked it: the outbox stops or
    resumes delivering to their bindings, and the class teacher sees it."""
    async with journal.transaction() as s:
        await _mark_reachable(s, user, None if reachable else journal.clock.now())


async def _mark_reachable(s: AsyncSession, user: UserRef, since: datetime | None) -> None:
    """``since`` None: reachable again; a moment: unreachable from then."""
    was = Binding.unreachable_at
    flip = was.is_not(None) if since is None else was.is_(None)
    await s.execute(
        update(Binding)
        .where(*own_bindings(user), Binding.revoked_at.is_(None), flip)
        .values(unreachable_at=since)
        .execution_options(synchronize_session=False)
    )


async def _current_pupil(s: AsyncSession, choice: AccountBot, actor: Actor) -> PupilRef | None:
    if actor.role is BindingRole.PUPIL:
        return await _pupil_ref(s, actor.person_id)  # type: ignore[arg-type]  # only the CLI's system actor has no person
    if actor.role is not BindingRole.PARENT:
        return None
    children = await _children(s, actor.person_id)  # type: ignore[arg-type]  # only the CLI's system actor has no person
    chosen = next((c for c in children if c.id == choice.active_pupil_id), None)
    if chosen is None and children:
        chosen = children[0]
        choice.active_pupil_id = chosen.id
    return chosen


async def _pupil_ref(s: AsyncSession, pupil_id: int) -> PupilRef | None:
    row = (
        await s.execute(
            select(Pupil.person_id, Person.full_name, SchoolClass.name, SchoolClass.grade)
            .join(Person, Person.id == Pupil.person_id)
            .join(SchoolClass, SchoolClass.id == Pupil.class_id)
            .where(Pupil.person_id == pupil_id)
        )
    ).first()
    return PupilRef(*row) if row else None


async def _children(s: AsyncSession, guardian_id: int) -> list[PupilRef]:
    rows = await s.execute(
        select(Pupil.person_id, Person.full_name, SchoolClass.name, SchoolClass.grade)
        .join(Guardianship, Guardianship.pupil_id == Pupil.person_id)
        .join(Person, Person.id == Pupil.person_id)
        .join(SchoolClass, SchoolClass.id == Pupil.class_id)
        .where(Guardianship.guardian_id == guardian_id, Pupil.left_on.is_(None))
        .order_by(Person.full_name)
    )
    return [PupilRef(*r) for r in rows]


async def children(journal: Journal, actor: Actor) -> list[PupilRef]:
    """A parent's children (anyone else has none)."""
    if actor.role is not BindingRole.PARENT:
        return []
    async with journal.transaction() as s:
        return await children_in(s, actor)


async def children_in(s: AsyncSession, actor: Actor) -> list[PupilRef]:
    """``children`` inside the caller's transaction."""
    if actor.role is not BindingRole.PARENT:
        return []
    return await _children(s, actor.person_id)  # type: ignore[arg-type]  # only the CLI's system actor has no person


async def switch_binding(journal: Journal, user: UserRef, binding_id: int) -> None:
    """Act through another of the account's own bindings (a teacher who is also a parent),
    in the bot the user writes to."""
    async with journal.transaction() as s:
        binding = await s.get(Binding, binding_id)
        if binding is None or not owns(user, binding) or binding.revoked_at:
            raise NotAllowed()
        await _choose(s, journal, user, active_binding_id=binding_id, active_pupil_id=None)


async def switch_pupil(journal: Journal, actor: Actor, user: UserRef, pupil_id: int) -> None:
    """A parent of several children looks at another one of them (never someone else's),
    in the bot the user writes to."""
    async with journal.transaction() as s:
        if pupil_id not in {c.id for c in await _children(s, actor.person_id or 0)}:
            raise NotAllowed()
        await _choose(s, journal, user, active_pupil_id=pupil_id)


async def _choose(s: AsyncSession, journal: Journal, user: UserRef, **choice: int | None) -> None:
    """Write the account's choice in the user's bot (the account made if need be: identify
    has made it, else it is a private chat)."""
    await s.execute(
        pg_insert(Account)
        .values(
            messenger=user.messenger.value,
            user_id=user.id,
            chat_id=user.id,
            updated_at=journal.clock.now(),
        )
        .on_conflict_do_nothing(index_elements=[Account.messenger, Account.user_id])
    )
    await s.execute(
        pg_insert(AccountBot)
        .values(messenger=user.messenger.value, user_id=user.id, bot_id=_bot_of(user), **choice)
        .on_conflict_do_update(
            index_elements=[AccountBot.messenger, AccountBot.user_id, AccountBot.bot_id],
            set_=choice,
        )
    )
