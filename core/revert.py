"""R3: a compromised account. Its holder reports it; access is cut at once; every
operation made with that account after the report is void.

``revert`` cuts the binding (committed on its own, so access is cut even if the rest
fails), then in one transaction voids what the account did in the window
[``since``, the moment it was cut):

- every audited change (attendance, absence reasons, marks, final marks, substitutions,
  period close/reopen, topics and homework) is undone through the audit log, newest
  first: each entity goes back to the state it had just before the change, and each
  undo is itself audited (action ``<entity>.revert``, reason ``R3 revert of entry #N``,
  actor = the admin);
- the account's pending correction requests are declined (an approved one is undone
  like the account's own change: it was the account's operation);
- invitation codes it issued are revoked, and accounts bound with them are cut;
- absence reasons it suggested as a parent are withdrawn.

Which changes came "through that account": every audit row records the binding it was
made through (``audit_log.binding_id``; NULL from the command line), so a person with two
phones bound keeps what the other phone did. A row from before the column existed counts
when its actor is the binding's person. The window starts no earlier than the binding was
created and ends when it was cut. Correction requests and invitation codes do not record
the binding: those of the person made in the window are voided whichever phone made them.

A later change to the same entity by someone else is a decision of a legitimate user and
wins: the whole entity is left as it is and reported (``Verdict.CONFLICT``), for the
admin to settle by hand (the owner's other phone counts as someone else: a decision of
the legitimate user). An entity in a closed period is left as it is too (R10,
``Verdict.LOCKED``); reopening takes the director's order.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, delete, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, invitations
from core.access import Actor
from core.errors import NotAllowed, NotFound
from core.journal import Journal
from core.lessons import lesson_counts
from core.models import (
    AbsenceSuggestion,
    Attendance,
    AuditEntry,
    Binding,
    BindingRole,
    CorrectionRequest,
    FinalMark,
    Invitation,
    Lesson,
    Mark,
    Period,
    Person,
    Presence,
    RequestStatus,
    SchoolClass,
    StaffRole,
    Subject,
)

REVERT_SUFFIX = ".revert"
REASON_PREFIX = "R3 revert of entry #"
_REVERTED_ID = re.compile(r"^R3 revert of entry #(\d+)")

# The fields that name an entity in ``audit_log.entity_key``, per kind of entity.
IDENTITY: dict[str, tuple[str, ...]] = {
    "attendance": ("lesson_id", "pupil_id"),
    "mark": ("mark_id",),
    "final_mark": ("period_id", "subject_id", "pupil_id"),
    "lesson": ("lesson_id",),
    "period": ("period_id",),
}
LESSON_FIELDS = frozenset({"teacher_id", "topic", "homework", "room"})
_DATETIME_FIELDS = frozenset({"reason_confirmed_at", "created_at", "set_at", "closed_at"})
_CHUNK = 300
# A change already under way when the binding was cut still lands a moment later.
CUT_GRACE = timedelta(minutes=1)

State = dict[str, Any] | None
Ident = tuple[str, tuple[int, ...]]


class Verdict(StrEnum):
    REVERT = "revert"  # will be (or was) undone
    CONFLICT = "conflict"  # someone else changed the same entity later: kept, reported
    LOCKED = "locked"  # the entity is in a closed period (R10): kept, reported
    ALREADY = "already"  # undone by an earlier revert
    GONE = "gone"  # the lesson or period no longer exists
    UNSUPPORTED = "unsupported"  # a kind of change this module cannot undo


@dataclass(frozen=True)
class LessonRef:
    id: int
    date: date
    lesson_no: int
    class_name: str
    subject: str


@dataclass(frozen=True)
class RevertItem:
    """One audited change made through the account, and what the revert does with it."""

    entry_id: int
    at: datetime
    action: str
    entity: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    verdict: Verdict
    lesson: LessonRef | None = None
    pupil: str | None = None
    subject: str | None = None
    period: str | None = None
    blocked_by: int | None = None  # CONFLICT: the later entry by someone else
    blocked_by_name: str | None = None
    teachers: tuple[str | None, str | None] = (None, None)  # a substitution: old, new


@dataclass(frozen=True)
class RevertSummary:
    binding_id: int
    cut_now: bool  # False: the binding had been cut before
    since: datetime  # the window voided: [since, until), clamped to the binding's life
    until: datetime | None
    items: list[RevertItem]
    reverted: dict[str, int]  # per entity kind: changes undone
    requests_declined: int = 0
    invitations_revoked: int = 0
    bindings_revoked: int = 0
    suggestions_removed: int = 0

    @property
    def reverted_total(self) -> int:
        return sum(self.reverted.values())

    @property
    def skipped(self) -> list[RevertItem]:
        kept = (Verdict.CONFLICT, Verdict.LOCKED, Verdict.GONE, Verdict.UNSUPPORTED)
        return [i for i in self.items if i.verdict in kept]


# --- use cases ----------------------------------------------------------------------------

# A binding cut this many days ago can still have its actions voided from the bot (the
# compromise is often found out after the lost phone was cut).
RECENTLY_CUT_DAYS = 30


@dataclass(frozen=True)
class AccountRef:
    """A binding as the admin picks it for a revert."""

    id: int
    full_name: str
    role: BindingRole
    revoked_at: datetime | None
    # What tells two accounts of one person apart: when it was bound, the Telegram
    # profile it was bound from, and its last use of the bot (any update).
    created_at: datetime | None = None
    telegram_name: str | None = None
    telegram_username: str | None = None
    last_used_at: datetime | None = None

    @property
    def device(self) -> str | None:
        """The Telegram profile in one short phrase: ``Name (@username)``."""
        name = self.telegram_name or ""
        username = f"@{self.telegram_username}" if self.telegram_username else ""
        if name and username:
            return f"{name} ({username})"
        return name or username or None


def _account_query() -> Any:
    return select(
        Binding.id,
        Person.full_name,
        Binding.role,
        Binding.revoked_at,
        Binding.created_at,
        Binding.telegram_name,
        Binding.telegram_username,
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
        row = (
            await s.execute(
                _account_query().where(
                    Binding.id == binding_id, Person.school_id == actor.school_id
                )
            )
        ).first()
        if row is None:
            raise NotFound()
        return _account(row)


async def preview(
    journal: Journal, actor: Actor, binding_id: int, since: datetime
) -> list[RevertItem]:
    """What ``revert`` would do, oldest change first. Changes nothing (not even the cut)."""
    _ensure_may_revert(actor, since)
    async with journal.transaction() as s:
        binding = await _binding(s, actor, binding_id)
        window = _window(binding, since)
        plan = await _plan(s, actor.school_id, binding, window)
        return plan.items


async def revert(
    journal: Journal, actor: Actor, binding_id: int, since: datetime, reason: str
) -> RevertSummary:
    """R3: cut the binding at once (if not yet), then void what was done through it since
    ``since`` (aware: the moment the compromise was reported), in one transaction."""
    _ensure_may_revert(actor, since)
    reason = reason.strip()
    async with journal.transaction() as s:
        was_active = (await _binding(s, actor, binding_id)).revoked_at is None
    await invitations.revoke_binding(journal, actor, binding_id, reason or "R3")
    async with journal.transaction() as s:
        binding = await _binding(s, actor, binding_id, lock=True)
        window = _window(binding, since)
        await _lock_entities(s, actor.school_id, binding, window)
        plan = await _plan(s, actor.school_id, binding, window)
        now = journal.clock.now()
        reverted = await _apply(s, plan, actor, now, reason)
        voided = await _void_other_operations(s, actor, binding, window, now, reason)
        return RevertSummary(
            binding_id=binding_id,
            cut_now=was_active,
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


@dataclass(frozen=True)
class _Binding:
    id: int
    person_id: int
    role: BindingRole
    created_at: datetime
    revoked_at: datetime | None


async def _binding(s: AsyncSession, actor: Actor, binding_id: int, lock: bool = False) -> _Binding:
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
    return _Binding(b.id, b.person_id, BindingRole(b.role), b.created_at, b.revoked_at)


@dataclass(frozen=True)
class _Window:
    start: datetime
    end: datetime | None  # None: the binding is still active

    def covers(self, column: Any) -> Any:
        if self.end is None:
            return column >= self.start
        return and_(column >= self.start, column < self.end)


def _window(binding: _Binding, since: datetime) -> _Window:
    """Nothing before the binding existed or after it was cut came through it (but for
    a request already under way when it was cut: ``CUT_GRACE``)."""
    start = max(since, binding.created_at)
    if binding.revoked_at is None:
        return _Window(start, None)
    return _Window(start, max(start, binding.revoked_at + CUT_GRACE))


# --- reading the audit log ------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    id: int
    at: datetime
    actor_id: int | None
    action: str
    entity: str
    key: dict[str, Any]
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    reason: str | None
    request_id: int | None

    @property
    def is_revert(self) -> bool:
        return self.action.endswith(REVERT_SUFFIX)

    @property
    def reverted_id(self) -> int | None:
        found = _REVERTED_ID.match(self.reason or "") if self.is_revert else None
        return int(found.group(1)) if found else None

    @property
    def ident(self) -> Ident | None:
        fields = IDENTITY.get(self.entity)
        if fields is None or any(not isinstance(self.key.get(f), int) for f in fields):
            return None
        return self.entity, tuple(self.key[f] for f in fields)


_ENTRY_COLUMNS = (
    AuditEntry.id,
    AuditEntry.at,
    AuditEntry.actor_id,
    AuditEntry.action,
    AuditEntry.entity,
    AuditEntry.entity_key,
    AuditEntry.old,
    AuditEntry.new,
    AuditEntry.reason,
    AuditEntry.request_id,
)


def _entries(rows: Iterable[Any]) -> list[_Entry]:
    return [_Entry(*row) for row in rows]


async def _compromised(
    s: AsyncSession, school_id: int, binding: _Binding, window: _Window
) -> list[_Entry]:
    """The audited changes made through a staff binding in the window: recorded with its
    binding id (an entry from before bindings were recorded: by its person), or applied
    on the deputy's approval of a request the account made."""
    if binding.role is not BindingRole.STAFF:
        return []
    not_revert = ~AuditEntry.action.like(f"%{REVERT_SUFFIX}")
    # Two queries, each on an index: (binding_id, at), and (school_id, at) from the start.
    found = _entries(
        await s.execute(
            select(*_ENTRY_COLUMNS).where(
                or_(
                    AuditEntry.binding_id == binding.id,
                    and_(
                        AuditEntry.binding_id.is_(None),
                        AuditEntry.actor_id == binding.person_id,
                    ),
                ),
                window.covers(AuditEntry.at),
                AuditEntry.school_id == school_id,
                not_revert,
            )
        )
    )
    requests = list(
        await s.scalars(
            select(CorrectionRequest.id).where(
                CorrectionRequest.school_id == school_id,
                _requested_through(binding),
                window.covers(CorrectionRequest.requested_at),
            )
        )
    )
    if requests:  # applied when approved, so not before the request was made
        found += _entries(
            await s.execute(
                select(*_ENTRY_COLUMNS).where(
                    AuditEntry.school_id == school_id,
                    AuditEntry.at >= window.start,
                    AuditEntry.request_id.in_(requests),
                    not_revert,
                )
            )
        )
    return sorted({e.id: e for e in found}.values(), key=lambda e: e.id)


def _requested_through(binding: _Binding) -> Any:
    """Correction requests filed through this binding (one filed before bindings were
    recorded on requests: by its person, as for the audit log)."""
    return or_(
        CorrectionRequest.binding_id == binding.id,
        and_(
            CorrectionRequest.binding_id.is_(None),
            CorrectionRequest.requested_by == binding.person_id,
        ),
    )


async def _histories(
    s: AsyncSession, school_id: int, idents: Iterable[Ident]
) -> dict[Ident, list[_Entry]]:
    """The whole audit history of these entities, oldest first."""
    found: dict[Ident, list[_Entry]] = defaultdict(list)
    wanted = sorted(set(idents))
    for i in range(0, len(wanted), _CHUNK):
        conditions = [
            and_(
                AuditEntry.entity == kind,
                AuditEntry.entity_key.contains(dict(zip(IDENTITY[kind], values, strict=True))),
            )
            for kind, values in wanted[i : i + _CHUNK]
        ]
        rows = await s.execute(
            select(*_ENTRY_COLUMNS)
            .where(AuditEntry.school_id == school_id, or_(*conditions))
            .order_by(AuditEntry.id)
        )
        for entry in _entries(rows):
            if entry.ident is not None:
                found[entry.ident].append(entry)
    return found


# --- the state of an entity, replayed from its history ---------------------------------------


@dataclass
class _Context:
    requesters: dict[int, int] = field(default_factory=dict)  # request id → requested_by
    fallbacks: dict[Ident, State] = field(default_factory=dict)  # state when planned
    lessons: dict[int, Lesson] = field(default_factory=dict)
    lesson_of: dict[Ident, int] = field(default_factory=dict)

    def lesson(self, ident: Ident) -> Lesson | None:
        lesson_id = self.lesson_of.get(ident)
        return None if lesson_id is None else self.lessons.get(lesson_id)

    def author(self, e: _Entry) -> int | None:
        """Whose entry it is: the requester's when a deputy approved it."""
        if e.request_id is not None and e.request_id in self.requesters:
            return self.requesters[e.request_id]
        return e.actor_id


_DEFAULTS: dict[str, dict[str, Any]] = {
    "attendance": {
        "reason": "unconfirmed",
        "reason_note": None,
        "reason_confirmed_by": None,
        "reason_confirmed_at": None,
        "author_id": None,
    },
    "mark": {"comment": None, "author_id": None, "created_at": None},
    "final_mark": {"author_id": None, "set_at": None},
}


def _state_before(ident: Ident, history: list[_Entry], entry: _Entry, ctx: _Context) -> State:
    """The entity as it was just before ``entry``: replayed from its first known entry.
    The audit log holds every change since the entity was created; where it does not (the
    first entry changes an existing row), fields no entry recorded come from the row."""
    prior = [h for h in history if h.id < entry.id]
    first = prior[0] if prior else entry
    state = _base(ident, first, ctx)
    for h in prior:
        state = _step(ident, state, h, ctx)
    return state


def _base(ident: Ident, first: _Entry, ctx: _Context) -> State:
    kind = ident[0]
    fallback = ctx.fallbacks.get(ident) or {}
    if kind == "period":
        if first.action == audit.Action.PERIOD_CLOSE:
            return {"closed_at": None, "closed_by": None}
        return {"closed_at": fallback.get("closed_at") or first.at, "closed_by": None}
    if kind == "lesson":
        return {**fallback, **(first.old or {})}
    if first.old is None and not first.is_revert:
        return None  # created by the first entry
    base = {**_DEFAULTS.get(kind, {}), **fallback, **_from_json(first.old or {})}
    if kind == "mark":
        base.setdefault("lesson_id", first.key.get("lesson_id"))
        base.setdefault("pupil_id", first.key.get("pupil_id"))
    return base


def _step(ident: Ident, state: State, h: _Entry, ctx: _Context) -> State:
    kind = ident[0]
    if kind == "lesson":
        return {**(state or {}), **(h.new or {})}
    if h.is_revert:
        return None if h.new is None else _from_json(h.new)
    if kind == "period":
        if h.action == audit.Action.PERIOD_CLOSE:
            return {"closed_at": h.at, "closed_by": h.actor_id}
        return {"closed_at": None, "closed_by": None}
    if kind == "attendance":
        return _step_attendance(state, h, ctx)
    if h.new is None:
        return None  # deleted
    if kind == "mark":
        base = state or {
            **_DEFAULTS["mark"],
            "lesson_id": h.key.get("lesson_id"),
            "pupil_id": h.key.get("pupil_id"),
            "author_id": ctx.author(h),
            "created_at": h.at,
        }
        changed: dict[str, Any] = {
            k: h.new[k] for k in ("value", "work_type_id", "comment") if k in h.new
        }
        return {**base, **changed}
    # final_mark
    return {**(state or {}), "value": h.new.get("value"), "author_id": h.actor_id, "set_at": h.at}


def _step_attendance(state: State, h: _Entry, ctx: _Context) -> State:
    new = h.new
    if new is not None and "status" not in new:
        if state is None or "reason" not in new:
            return state
        # R6: the class teacher's reason, with the note kept in the entry's reason.
        return {
            **state,
            "reason": new["reason"],
            "reason_note": h.reason,
            "reason_confirmed_by": h.actor_id,
            "reason_confirmed_at": h.at,
        }
    if new is None:
        return None
    result = {**(state or _DEFAULTS["attendance"]), "status": new["status"]}
    result["author_id"] = ctx.author(h)
    if new["status"] == Presence.PRESENT:  # as entries.apply does
        result.update(reason="unconfirmed", reason_confirmed_by=None, reason_confirmed_at=None)
    return result


def _to_json(state: State) -> dict[str, Any] | None:
    if state is None:
        return None
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in state.items()}


def _from_json(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {
        k: datetime.fromisoformat(v) if k in _DATETIME_FIELDS and isinstance(v, str) else v
        for k, v in snapshot.items()
    }


async def _current(s: AsyncSession, ident: Ident) -> State:
    """The entity as it is in the database now (columns, not ORM objects: always fresh)."""
    kind, v = ident
    if kind == "attendance":
        query: Any = select(
            Attendance.status,
            Attendance.reason,
            Attendance.reason_note,
            Attendance.reason_confirmed_by,
            Attendance.reason_confirmed_at,
            Attendance.author_id,
        ).where(Attendance.lesson_id == v[0], Attendance.pupil_id == v[1])
    elif kind == "mark":
        query = select(
            Mark.lesson_id,
            Mark.pupil_id,
            Mark.value,
            Mark.work_type_id,
            Mark.comment,
            Mark.author_id,
            Mark.created_at,
        ).where(Mark.id == v[0])
    elif kind == "final_mark":
        query = select(FinalMark.value, FinalMark.author_id, FinalMark.set_at).where(
            FinalMark.period_id == v[0], FinalMark.subject_id == v[1], FinalMark.pupil_id == v[2]
        )
    elif kind == "lesson":
        query = select(Lesson.teacher_id, Lesson.topic, Lesson.homework, Lesson.room).where(
            Lesson.id == v[0]
        )
    else:
        query = select(Period.closed_at, Period.closed_by).where(Period.id == v[0])
    row = (await s.execute(query)).first()
    return None if row is None else dict(row._mapping)


# --- planning ----------------------------------------------------------------------------------


@dataclass
class _Plan:
    items: list[RevertItem]
    to_revert: list[tuple[Ident, _Entry]]  # newest first
    histories: dict[Ident, list[_Entry]]
    ctx: _Context
    school_id: int


@dataclass(frozen=True)
class _PeriodRow:
    id: int
    name: str
    starts_on: date
    ends_on: date
    closed: bool


async def _lock_entities(
    s: AsyncSession, school_id: int, binding: _Binding, window: _Window
) -> None:
    """Lock what the revert rewrites, in the order the journal's use cases lock it (the
    lesson, then its rows), so that a concurrent change waits or is seen."""
    entries = await _compromised(s, school_id, binding, window)
    lesson_ids = sorted({e.key["lesson_id"] for e in entries if "lesson_id" in e.key})
    period_ids = sorted({e.key["period_id"] for e in entries if "period_id" in e.key})
    if period_ids:
        await s.execute(
            select(Period.id).where(Period.id.in_(period_ids)).order_by(Period.id).with_for_update()
        )
    if lesson_ids:
        await s.execute(
            select(Lesson.id).where(Lesson.id.in_(lesson_ids)).order_by(Lesson.id).with_for_update()
        )
        await s.execute(
            select(Attendance.lesson_id)
            .where(Attendance.lesson_id.in_(lesson_ids))
            .order_by(Attendance.lesson_id, Attendance.pupil_id)
            .with_for_update()
        )
        await s.execute(
            select(Mark.id)
            .where(Mark.lesson_id.in_(lesson_ids))
            .order_by(Mark.id)
            .with_for_update()
        )


async def _plan(s: AsyncSession, school_id: int, binding: _Binding, window: _Window) -> _Plan:
    compromised = await _compromised(s, school_id, binding, window)
    by_ident: dict[Ident, list[_Entry]] = defaultdict(list)
    verdicts: dict[int, tuple[Verdict, _Entry | None]] = {}
    for e in compromised:
        if e.ident is None:
            verdicts[e.id] = (Verdict.UNSUPPORTED, None)
        else:
            by_ident[e.ident].append(e)
    histories = await _histories(s, school_id, by_ident)
    ctx = await _context(s, histories)
    periods = await _periods(s, school_id)
    compromised_ids = {e.id for e in compromised}
    reverted_ids = {h.reverted_id for hs in histories.values() for h in hs if h.is_revert}

    candidates: dict[Ident, list[_Entry]] = {}
    for ident, entries in by_ident.items():
        pending = [e for e in entries if e.id not in reverted_ids]
        for e in entries:
            if e.id in reverted_ids:
                verdicts[e.id] = (Verdict.ALREADY, None)
        if not pending:
            continue
        verdict = _gone_or_unsupported(ident, pending, ctx, periods)
        blocker = next(
            (
                h
                for h in histories[ident]
                if h.id > pending[0].id
                and h.id not in compromised_ids
                and not (h.is_revert and h.reverted_id in compromised_ids)
            ),
            None,
        )
        if verdict is None and blocker is not None:
            verdict = Verdict.CONFLICT
        if verdict is not None:
            for e in pending:
                verdicts[e.id] = (verdict, blocker if verdict is Verdict.CONFLICT else None)
        else:
            candidates[ident] = pending
            ctx.fallbacks[ident] = await _current(s, ident)

    # R10: replay period closing and reopening newest first, as the revert will; an entity
    # whose period is closed at the moment one of its changes would be undone stays as is.
    closed = {p.id: p.closed for p in periods.values()}
    steps = sorted(
        ((ident, e) for ident, es in candidates.items() for e in es),
        key=lambda pair: pair[1].id,
        reverse=True,
    )
    locked: set[Ident] = set()
    for ident, e in steps:
        if ident[0] == "period":
            target = _state_before(ident, histories[ident], e, ctx)
            closed[ident[1][0]] = bool(target and target.get("closed_at"))
            continue
        period_id = _period_of(ident, ctx, periods)
        if period_id is not None and closed.get(period_id):
            locked.add(ident)
    to_revert = []
    for ident, e in steps:
        if ident in locked:
            verdicts[e.id] = (Verdict.LOCKED, None)
        else:
            verdicts[e.id] = (Verdict.REVERT, None)
            to_revert.append((ident, e))

    items = await _items(s, compromised, verdicts, ctx, periods)
    return _Plan(items, to_revert, histories, ctx, school_id)


async def _context(s: AsyncSession, histories: dict[Ident, list[_Entry]]) -> _Context:
    ctx = _Context()
    request_ids = {h.request_id for hs in histories.values() for h in hs if h.request_id}
    if request_ids:
        rows = await s.execute(
            select(CorrectionRequest.id, CorrectionRequest.requested_by).where(
                CorrectionRequest.id.in_(request_ids)
            )
        )
        ctx.requesters = {i: by for i, by in rows}
    for ident, hs in histories.items():
        kind, values = ident
        if kind in ("attendance", "lesson"):
            ctx.lesson_of[ident] = values[0]
        elif kind == "mark":
            found = next(
                (h.key["lesson_id"] for h in hs if isinstance(h.key.get("lesson_id"), int)), None
            )
            if found is not None:
                ctx.lesson_of[ident] = found
    lesson_ids = set(ctx.lesson_of.values())
    if lesson_ids:
        ctx.lessons = {
            lesson.id: lesson
            for lesson in await s.scalars(select(Lesson).where(Lesson.id.in_(lesson_ids)))
        }
    return ctx


async def _periods(s: AsyncSession, school_id: int) -> dict[int, _PeriodRow]:
    rows = await s.execute(
        select(Period.id, Period.name, Period.starts_on, Period.ends_on, Period.closed_at).where(
            Period.school_id == school_id
        )
    )
    return {i: _PeriodRow(i, n, a, b, c is not None) for i, n, a, b, c in rows}


def _period_of(ident: Ident, ctx: _Context, periods: dict[int, _PeriodRow]) -> int | None:
    kind, values = ident
    if kind == "final_mark":
        return values[0]
    lesson = ctx.lesson(ident)
    if lesson is None:
        return None
    return next((p.id for p in periods.values() if p.starts_on <= lesson.date <= p.ends_on), None)


def _gone_or_unsupported(
    ident: Ident, pending: list[_Entry], ctx: _Context, periods: dict[int, _PeriodRow]
) -> Verdict | None:
    kind, values = ident
    if kind == "lesson":
        touched = {k for e in pending for k in {**(e.old or {}), **(e.new or {})}}
        if not touched <= LESSON_FIELDS:
            return Verdict.UNSUPPORTED
    if kind in ("period", "final_mark") and values[0] not in periods:
        return Verdict.GONE
    if kind in ("attendance", "mark", "lesson") and ctx.lesson(ident) is None:
        return Verdict.GONE
    return None


async def _items(
    s: AsyncSession,
    compromised: list[_Entry],
    verdicts: dict[int, tuple[Verdict, _Entry | None]],
    ctx: _Context,
    periods: dict[int, _PeriodRow],
) -> list[RevertItem]:
    """The changes in words a user reads: lesson, pupil, subject, period, who blocked."""
    lesson_refs: dict[int, LessonRef] = {}
    if ctx.lessons:
        rows = await s.execute(
            select(Lesson.id, Lesson.date, Lesson.lesson_no, SchoolClass.name, Subject.name)
            .join(SchoolClass, SchoolClass.id == Lesson.class_id)
            .join(Subject, Subject.id == Lesson.subject_id)
            .where(Lesson.id.in_(ctx.lessons))
        )
        lesson_refs = {r[0]: LessonRef(*r) for r in rows}
    people = {e.key["pupil_id"] for e in compromised if isinstance(e.key.get("pupil_id"), int)}
    people |= {b.actor_id for _, b in verdicts.values() if b is not None and b.actor_id}
    people |= {
        snap["teacher_id"]
        for e in compromised
        if e.entity == "lesson"
        for snap in (e.old, e.new)
        if snap and isinstance(snap.get("teacher_id"), int)
    }
    names: dict[int, str] = {}
    if people:
        found = await s.execute(select(Person.id, Person.full_name).where(Person.id.in_(people)))
        names = {i: n for i, n in found}
    subject_ids = {e.key["subject_id"] for e in compromised if e.entity == "final_mark"}
    subjects: dict[int, str] = {}
    if subject_ids:
        found = await s.execute(select(Subject.id, Subject.name).where(Subject.id.in_(subject_ids)))
        subjects = {i: n for i, n in found}

    items = []
    for e in compromised:
        verdict, blocker = verdicts[e.id]
        ident = e.ident
        lesson_id = ctx.lesson_of.get(ident) if ident else None
        period_id = _period_of(ident, ctx, periods) if ident else None
        if ident and ident[0] == "period":
            period_id = ident[1][0]
        period = periods.get(period_id) if period_id is not None else None
        items.append(
            RevertItem(
                entry_id=e.id,
                at=e.at,
                action=e.action,
                entity=e.entity,
                old=e.old,
                new=e.new,
                verdict=verdict,
                lesson=lesson_refs.get(lesson_id) if lesson_id is not None else None,
                pupil=names.get(e.key.get("pupil_id")),  # type: ignore[arg-type]  # None finds nothing
                subject=subjects.get(e.key.get("subject_id")),  # type: ignore[arg-type]  # None finds nothing
                period=period.name if period else None,
                blocked_by=blocker.id if blocker else None,
                blocked_by_name=(
                    names.get(blocker.actor_id) if blocker and blocker.actor_id else None
                ),
                teachers=(_teacher(e.old, names), _teacher(e.new, names)),
            )
        )
    return items


def _teacher(snapshot: dict[str, Any] | None, names: dict[int, str]) -> str | None:
    teacher_id = (snapshot or {}).get("teacher_id")
    return names.get(teacher_id) if isinstance(teacher_id, int) else None


# --- applying ----------------------------------------------------------------------------------


def revert_reason(entry_id: int, reason: str | None = None) -> str:
    """The audit reason of an undo; ``REASON_PREFIX`` + the id is how a later run knows
    the entry is already undone."""
    text = f"{REASON_PREFIX}{entry_id}"
    return f"{text}: {reason}" if reason else text


def typed_reason(reason: str | None) -> str | None:
    """An audit reason as a person reads it: an undo's reason without the marker
    :func:`revert_reason` puts before it (None when nothing was typed); any other as it is."""
    if reason is None or (found := _REVERTED_ID.match(reason)) is None:
        return reason
    return reason[found.end() :].removeprefix(": ") or None


async def _apply(
    s: AsyncSession, plan: _Plan, actor: Actor, now: datetime, reason: str
) -> Counter[str]:
    reverted: Counter[str] = Counter()
    roll_calls: set[int] = set()
    for ident, e in plan.to_revert:  # newest first
        kind = ident[0]
        target = _state_before(ident, plan.histories[ident], e, plan.ctx)
        current = await _current(s, ident)
        old, new = await _write(s, ident, e, target, current, plan.ctx, now)
        await audit.record(
            s,
            school_id=plan.school_id,
            at=now,
            actor_id=actor.person_id,
            binding_id=actor.binding_id,
            action=audit.Action(f"{kind}{REVERT_SUFFIX}"),
            entity=kind,
            key=e.key,
            old=_to_json(old),
            new=_to_json(new),
            reason=revert_reason(e.id, reason),
        )
        reverted[kind] += 1
        if kind == "attendance":
            roll_calls.add(ident[1][0])
    for lesson_id in sorted(roll_calls):
        await _update_taken(s, lesson_id, now)
    return reverted


async def _write(
    s: AsyncSession,
    ident: Ident,
    e: _Entry,
    target: State,
    current: State,
    ctx: _Context,
    now: datetime,
) -> tuple[State, State]:
    """Put the entity in the ``target`` state; return (old, new) for the audit entry."""
    kind, v = ident
    lesson = ctx.lesson(ident)
    if kind == "lesson":
        fields = sorted(k for k in {**(e.old or {}), **(e.new or {})} if k in LESSON_FIELDS)
        written = {k: (target or {}).get(k) for k in fields}
        await s.execute(update(Lesson).where(Lesson.id == v[0]).values(**written))
        return {k: (current or {}).get(k) for k in fields}, written
    if kind == "period":
        written = {
            "closed_at": (target or {}).get("closed_at"),
            "closed_by": (target or {}).get("closed_by"),
        }
        await s.execute(update(Period).where(Period.id == v[0]).values(**written))
        return current, written
    if kind == "attendance":
        where: tuple[ColumnElement[bool], ...] = (
            Attendance.lesson_id == v[0],
            Attendance.pupil_id == v[1],
        )
        if target is None or target.get("status") is None:
            await s.execute(delete(Attendance).where(*where))
            return current, None
        written = {
            "status": target["status"],
            "reason": target.get("reason") or "unconfirmed",
            "reason_note": target.get("reason_note"),
            "reason_confirmed_by": target.get("reason_confirmed_by"),
            "reason_confirmed_at": target.get("reason_confirmed_at"),
            "author_id": target.get("author_id") or (lesson.teacher_id if lesson else None),
        }
        values = {**written, "updated_at": now}
        await s.execute(
            pg_insert(Attendance)
            .values(lesson_id=v[0], pupil_id=v[1], **values)
            .on_conflict_do_update(index_elements=["lesson_id", "pupil_id"], set_=values)
        )
        return current, written
    if kind == "mark":
        if target is None:
            await s.execute(delete(Mark).where(Mark.id == v[0]))
            return current, None
        written = {
            "lesson_id": target.get("lesson_id") or ctx.lesson_of.get(ident),
            "pupil_id": target.get("pupil_id") or e.key.get("pupil_id"),
            "value": target.get("value"),
            "work_type_id": target.get("work_type_id"),
            "comment": target.get("comment"),
            "author_id": target.get("author_id") or (lesson.teacher_id if lesson else None),
            "created_at": target.get("created_at") or now,
        }
        if current is None:  # a deleted mark comes back under its own id
            await s.execute(insert(Mark).values(id=v[0], updated_at=now, **written))
        else:
            await s.execute(update(Mark).where(Mark.id == v[0]).values(updated_at=now, **written))
        return current, written
    # final_mark
    where = (FinalMark.period_id == v[0], FinalMark.subject_id == v[1], FinalMark.pupil_id == v[2])
    if target is None:
        await s.execute(delete(FinalMark).where(*where))
        return current, None
    written = {
        "value": target.get("value"),
        "author_id": target.get("author_id") or (current or {}).get("author_id") or e.actor_id,
        "set_at": target.get("set_at") or now,
    }
    await s.execute(
        pg_insert(FinalMark)
        .values(period_id=v[0], subject_id=v[1], pupil_id=v[2], **written)
        .on_conflict_do_update(index_elements=["period_id", "subject_id", "pupil_id"], set_=written)
    )
    return current, written


async def _update_taken(s: AsyncSession, lesson_id: int, now: datetime) -> None:
    """The roll call is complete when every pupil of the lesson has a status."""
    lesson = await s.get(Lesson, lesson_id, populate_existing=True)
    if lesson is None:
        return
    taken = (await lesson_counts(s, lesson)).not_taken == 0
    if taken != (lesson.attendance_taken_at is not None):
        await s.execute(
            update(Lesson)
            .where(Lesson.id == lesson_id)
            .values(attendance_taken_at=now if taken else None)
        )


async def _void_other_operations(
    s: AsyncSession,
    actor: Actor,
    binding: _Binding,
    window: _Window,
    now: datetime,
    reason: str,
) -> dict[str, int]:
    """What the account did besides audited changes: requests to the deputy, invitation
    codes (and the accounts bound with them), parents' suggested absence reasons."""
    found = {
        "requests_declined": 0,
        "invitations_revoked": 0,
        "bindings_revoked": 0,
        "suggestions_removed": 0,
    }
    plain = {"synchronize_session": False}
    if binding.role is BindingRole.STAFF:
        declined = await s.execute(
            update(CorrectionRequest)
            .where(
                CorrectionRequest.school_id == actor.school_id,
                _requested_through(binding),
                window.covers(CorrectionRequest.requested_at),
                CorrectionRequest.status == RequestStatus.PENDING,
            )
            .values(status=RequestStatus.DECLINED, decided_by=actor.person_id, decided_at=now)
            .returning(CorrectionRequest.id)
            .execution_options(**plain)
        )
        found["requests_declined"] = len(declined.all())
        issued = select(Invitation.id).where(
            Invitation.school_id == actor.school_id,
            or_(
                Invitation.issued_by_binding_id == binding.id,
                and_(
                    Invitation.issued_by_binding_id.is_(None),
                    Invitation.issued_by == binding.person_id,
                ),
            ),
            window.covers(Invitation.created_at),
        )
        revoked = await s.execute(
            update(Invitation)
            .where(
                Invitation.id.in_(issued),
                Invitation.used_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
            .values(revoked_at=now)
            .returning(Invitation.id)
            .execution_options(**plain)
        )
        found["invitations_revoked"] = len(revoked.all())
        cut = await s.execute(
            update(Binding)
            .where(Binding.invitation_id.in_(issued), Binding.revoked_at.is_(None))
            .values(
                revoked_at=now,
                revoked_reason=f"{reason or 'R3'} (R3: code issued through #{binding.id})",
            )
            .returning(Binding.id)
            .execution_options(**plain)
        )
        found["bindings_revoked"] = len(cut.all())
    removed = await s.execute(
        delete(AbsenceSuggestion)
        .where(
            AbsenceSuggestion.binding_id == binding.id,
            window.covers(AbsenceSuggestion.suggested_at),
        )
        .returning(AbsenceSuggestion.id)
        .execution_options(**plain)
    )
    found["suggestions_removed"] = len(removed.all())
    return found


# --- in words ----------------------------------------------------------------------------------

Tx = Callable[..., str]


def describe(item: RevertItem, tx: Tx, tz: ZoneInfo) -> str:
    """One line for the admin: when, what, old → new, and what the revert does with it.
    ``tx(key, **params)`` is the reader's text catalogue (``texts.t`` or ``Texts``)."""
    return tx(
        "revert.item",
        entry=item.entry_id,
        at=item.at.astimezone(tz).strftime("%d.%m.%Y %H:%M"),
        what=_what(item, tx),
        change=f"{_value(item, item.old, tx)} → {_value(item, item.new, tx)}",
        verdict=_verdict(item, tx),
    )


def summary_lines(summary: RevertSummary, tx: Tx, tz: ZoneInfo) -> list[str]:
    lines = [tx("revert.cut_now" if summary.cut_now else "revert.cut_before")]
    r = summary.reverted
    lines.append(
        tx(
            "revert.summary",
            since=summary.since.astimezone(tz).strftime("%d.%m.%Y %H:%M"),
            count=summary.reverted_total,
            attendance=r.get("attendance", 0),
            marks=r.get("mark", 0),
            finals=r.get("final_mark", 0),
            other=summary.reverted_total
            - sum(r.get(k, 0) for k in ("attendance", "mark", "final_mark")),
        )
    )
    if (
        summary.requests_declined
        or summary.invitations_revoked
        or summary.bindings_revoked
        or summary.suggestions_removed
    ):
        lines.append(
            tx(
                "revert.voided",
                requests=summary.requests_declined,
                codes=summary.invitations_revoked,
                bindings=summary.bindings_revoked,
                suggestions=summary.suggestions_removed,
            )
        )
    skipped = summary.skipped
    if skipped:
        lines.append(tx("revert.skipped", count=len(skipped)))
        lines += ["  " + describe(item, tx, tz) for item in skipped]
    return lines


def _lesson_words(item: RevertItem, tx: Tx) -> str:
    ref = item.lesson
    if ref is None:
        return "?"
    return tx(
        "revert.lesson",
        class_name=ref.class_name,
        subject=ref.subject,
        date=ref.date.strftime("%d.%m.%Y"),
        no=ref.lesson_no,
    )


def _what(item: RevertItem, tx: Tx) -> str:
    pupil = item.pupil or "?"
    if item.entity == "attendance":
        return tx("revert.what.attendance", pupil=pupil, lesson=_lesson_words(item, tx))
    if item.entity == "mark":
        return tx("revert.what.mark", pupil=pupil, lesson=_lesson_words(item, tx))
    if item.entity == "final_mark":
        return tx(
            "revert.what.final_mark",
            pupil=pupil,
            subject=item.subject or "?",
            period=item.period or "?",
        )
    if item.entity == "lesson":
        return tx("revert.what.lesson", lesson=_lesson_words(item, tx))
    if item.entity == "period":
        return tx("revert.what.period", period=item.period or "?")
    if item.action in frozenset(audit.Action):  # in words, never the code
        return tx(f"report.action.{item.action}")
    return item.action


def _value(item: RevertItem, snapshot: dict[str, Any] | None, tx: Tx) -> str:
    if not snapshot:
        return "—"
    if item.entity == "attendance":
        if "status" in snapshot:
            return tx(f"status.{snapshot['status']}")
        return tx(f"reason.{snapshot.get('reason')}")
    if item.entity in ("mark", "final_mark"):
        return str(snapshot.get("value", "—"))
    if item.entity == "period":
        return tx("revert.period_closed" if snapshot.get("closed") else "revert.period_open")
    if item.entity == "lesson" and "teacher_id" in snapshot:
        name = item.teachers[0] if snapshot is item.old else item.teachers[1]
        return name or tx("revert.teacher")
    shown = "; ".join(str(v) for v in snapshot.values() if v is not None)
    return shown[:40] + ("…" if len(shown) > 40 else "")


def _verdict(item: RevertItem, tx: Tx) -> str:
    if item.verdict is Verdict.CONFLICT:
        return tx(
            "revert.verdict.conflict", name=item.blocked_by_name or "?", entry=item.blocked_by
        )
    if item.verdict is Verdict.LOCKED:
        return tx("revert.verdict.locked", period=item.period or "?")
    return tx(f"revert.verdict.{item.verdict.value}")
