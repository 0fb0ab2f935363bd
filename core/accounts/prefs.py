"""A parent's notification choices, and the chats where people can be reached: the
digest's hour and switch and where things go (per binding), what to hear of each child
and the quiet hours (per person, ``core.accounts.choices``)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import time

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import Actor
from core.accounts.caller import PupilRef, children_in
from core.accounts.choices import EVERYTHING, ChildChoices, choices_in, quiet_hours_in
from core.errors import InvalidValue, NotAllowed
from core.journal import Journal
from core.models import Account, Binding, BindingRole, Messenger, NotificationPrefs, School


@dataclass(frozen=True)
class Channel:
    """One of a parent's bindings that notifications can go to: where, and whether they do."""

    binding_id: int
    messenger: Messenger
    delivers: bool
    this: bool  # the binding the parent is acting through


@dataclass(frozen=True)
class Prefs:
    digest_enabled: bool
    digest_time: time | None  # the parent's own hour; None: the school's
    absence_alerts: bool
    school_time: time | None = None  # the school's digest hour; None: the deployment's
    # Every binding of this parent in this school (several: a choice where things go).
    channels: tuple[Channel, ...] = ()
    children: tuple[PupilRef, ...] = ()
    child: PupilRef | None = None  # whose choices these are
    choices: ChildChoices = EVERYTHING
    quiet: tuple[time, time] | None = None  # from, to (local); None: none


async def get_prefs(journal: Journal, actor: Actor, pupil_id: int | None = None) -> Prefs:
    """The parent's choices, those for child ``pupil_id`` among them (not one of their
    children, or None: the first)."""
    _parent_binding(actor)
    async with journal.transaction() as s:
        prefs = await _binding_prefs(s, actor)
        kids = await children_in(s, actor)
        child = next((k for k in kids if k.id == pupil_id), kids[0] if kids else None)
        assert actor.person_id is not None  # a parent binding's
        choices = await choices_in(s, actor.person_id, child.id) if child else EVERYTHING
        quiet = await quiet_hours_in(s, actor.person_id)
    return replace(prefs, children=tuple(kids), child=child, choices=choices, quiet=quiet)


async def _binding_prefs(s: AsyncSession, actor: Actor) -> Prefs:
    binding_id = _parent_binding(actor)
    row = await s.get(NotificationPrefs, binding_id)
    school_time = await s.scalar(select(School.digest_time).where(School.id == actor.school_id))
    found = await s.execute(
        select(Binding.id, Binding.messenger, func.coalesce(NotificationPrefs.delivers, True))
        .outerjoin(NotificationPrefs, NotificationPrefs.binding_id == Binding.id)
        .where(*_same_parent(actor))
        .order_by(Binding.messenger.desc(), Binding.id)  # telegram, then max
    )
    channels = tuple(
        Channel(b, Messenger(m), bool(on), b == binding_id) for b, m, on in found.all()
    )
    if row is None:
        return Prefs(True, None, True, school_time, channels)
    return Prefs(row.digest_enabled, row.digest_time, row.absence_alerts, school_time, channels)


def _same_parent(actor: Actor) -> tuple[ColumnElement[bool], ...]:
    """The live parent bindings of the actor's person (the actor's own among them)."""
    return (
        Binding.person_id == actor.person_id,
        Binding.role == BindingRole.PARENT,
        Binding.revoked_at.is_(None),
    )


async def set_delivery(
    journal: Journal, actor: Actor, binding_id: int, delivers: bool, pupil_id: int | None = None
) -> Prefs:
    """Notifications go, or stop going, to one of the parent's own bindings (another
    messenger's, say). At least one keeps delivering: switching everything off is the
    digest's and the alerts' own buttons, which say what stops."""
    _parent_binding(actor)
    async with journal.transaction() as s:
        owned = await s.scalar(
            select(Binding.id).where(Binding.id == binding_id, *_same_parent(actor))
        )
        if owned is None:
            raise NotAllowed()
        if not delivers:
            others = await s.scalar(
                select(func.count())
                .select_from(Binding)
                .outerjoin(NotificationPrefs, NotificationPrefs.binding_id == Binding.id)
                .where(
                    *_same_parent(actor),
                    Binding.id != binding_id,
                    func.coalesce(NotificationPrefs.delivers, True),
                )
            )
            if not others:
                raise InvalidValue("prefs.last_channel")
        stmt = pg_insert(NotificationPrefs).values(binding_id=binding_id, delivers=delivers)
        await s.execute(
            stmt.on_conflict_do_update(index_elements=["binding_id"], set_={"delivers": delivers})
        )
    return await get_prefs(journal, actor, pupil_id)


async def set_prefs(
    journal: Journal,
    actor: Actor,
    *,
    digest_enabled: bool | None = None,
    digest_time: time | bool | None = False,
    absence_alerts: bool | None = None,
    pupil_id: int | None = None,
) -> Prefs:
    """Change a parent's choices; ``digest_time=None`` goes back to the school's time,
    ``False`` (the default) leaves it as it is."""
    values: dict[str, object] = {}
    if digest_enabled is not None:
        values["digest_enabled"] = digest_enabled
    if digest_time is not False:
        values["digest_time"] = digest_time
    if absence_alerts is not None:
        values["absence_alerts"] = absence_alerts
    binding_id = _parent_binding(actor)
    async with journal.transaction() as s:
        stmt = pg_insert(NotificationPrefs).values(binding_id=binding_id, **values)
        stmt = (
            stmt.on_conflict_do_update(index_elements=["binding_id"], set_=values)
            if values
            else stmt.on_conflict_do_nothing()
        )
        await s.execute(stmt)
    return await get_prefs(journal, actor, pupil_id)


def _parent_binding(actor: Actor) -> int:
    if actor.role is not BindingRole.PARENT or actor.binding_id is None:
        raise NotAllowed()
    return actor.binding_id


async def chats_of(
    journal: Journal, person_ids: list[int], role: BindingRole, messenger: Messenger
) -> list[int]:
    """The chats on ``messenger`` where these people act in that role and can still be
    reached (the account's chat; a private chat's id is the user's)."""
    async with journal.transaction() as s:
        rows = await s.scalars(
            select(func.coalesce(Account.chat_id, Binding.user_id))
            .select_from(Binding)
            .outerjoin(
                Account,
                and_(Account.messenger == Binding.messenger, Account.user_id == Binding.user_id),
            )
            .where(
                Binding.messenger == messenger.value,
                Binding.person_id.in_(person_ids),
                Binding.role == role,
                Binding.revoked_at.is_(None),
                Binding.unreachable_at.is_(None),
            )
            .distinct()
        )
        return list(rows)
