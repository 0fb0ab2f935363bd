"""Reading the audit log: the changes made through an account, the whole history of
the entities they touched, and an entity's state replayed from that history."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.models import (
    Attendance,
    AuditEntry,
    BindingRole,
    CorrectionRequest,
    FinalMark,
    Lesson,
    Mark,
    Period,
    Presence,
)
from core.revert.model import (
    CHUNK,
    DATETIME_FIELDS,
    IDENTITY,
    REVERT_SUFFIX,
    REVERTED_ID,
    AccountBinding,
    Ident,
    State,
    Window,
)

# --- reading the audit log ------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
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
        found = REVERTED_ID.match(self.reason or "") if self.is_revert else None
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


def _entries(rows: Iterable[Any]) -> list[Entry]:
    return [Entry(*row) for row in rows]


async def compromised_entries(
    s: AsyncSession, school_id: int, binding: AccountBinding, window: Window
) -> list[Entry]:
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
                requested_through(binding),
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


def requested_through(binding: AccountBinding) -> Any:
    """Correction requests filed through this binding (one filed before bindings were
    recorded on requests: by its person, as for the audit log)."""
    return or_(
        CorrectionRequest.binding_id == binding.id,
        and_(
            CorrectionRequest.binding_id.is_(None),
            CorrectionRequest.requested_by == binding.person_id,
        ),
    )


async def load_histories(
    s: AsyncSession, school_id: int, idents: Iterable[Ident]
) -> dict[Ident, list[Entry]]:
    """The whole audit history of these entities, oldest first."""
    found: dict[Ident, list[Entry]] = defaultdict(list)
    wanted = sorted(set(idents))
    for i in range(0, len(wanted), CHUNK):
        conditions = [
            and_(
                AuditEntry.entity == kind,
                AuditEntry.entity_key.contains(dict(zip(IDENTITY[kind], values, strict=True))),
            )
            for kind, values in wanted[i : i + CHUNK]
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
class Context:
    requesters: dict[int, int] = field(default_factory=dict)  # request id → requested_by
    fallbacks: dict[Ident, State] = field(default_factory=dict)  # state when planned
    lessons: dict[int, Lesson] = field(default_factory=dict)
    lesson_of: dict[Ident, int] = field(default_factory=dict)

    def lesson(self, ident: Ident) -> Lesson | None:
        lesson_id = self.lesson_of.get(ident)
        return None if lesson_id is None else self.lessons.get(lesson_id)

    def author(self, e: Entry) -> int | None:
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


def state_before(ident: Ident, history: list[Entry], entry: Entry, ctx: Context) -> State:
    """The entity as it was just before ``entry``: replayed from its first known entry.
    The audit log holds every change since the entity was created; where it does not (the
    first entry changes an existing row), fields no entry recorded come from the row."""
    prior = [h for h in history if h.id < entry.id]
    first = prior[0] if prior else entry
    state = _base(ident, first, ctx)
    for h in prior:
        state = _step(ident, state, h, ctx)
    return state


def _base(ident: Ident, first: Entry, ctx: Context) -> State:
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


def _step(ident: Ident, state: State, h: Entry, ctx: Context) -> State:
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


def _step_attendance(state: State, h: Entry, ctx: Context) -> State:
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


def to_json(state: State) -> dict[str, Any] | None:
    if state is None:
        return None
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in state.items()}


def _from_json(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {
        k: datetime.fromisoformat(v) if k in DATETIME_FIELDS and isinstance(v, str) else v
        for k, v in snapshot.items()
    }


async def current_state(s: AsyncSession, ident: Ident) -> State:
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
