"""Writing a planned revert: each entity back to its state before the change, each undo
audited; then the account's other operations voided."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.access import Actor
from core.lessons import lesson_counts
from core.models import (
    AbsenceSuggestion,
    Attendance,
    Binding,
    BindingRole,
    CorrectionRequest,
    FinalMark,
    Invitation,
    Lesson,
    Mark,
    Period,
    RequestStatus,
)
from core.revert.history import (
    Context,
    Entry,
    current_state,
    requested_through,
    state_before,
    to_json,
)
from core.revert.model import (
    LESSON_FIELDS,
    REASON_PREFIX,
    REVERT_SUFFIX,
    REVERTED_ID,
    AccountBinding,
    Ident,
    State,
    Window,
)
from core.revert.plan import Plan

# --- applying ----------------------------------------------------------------------------------


def revert_reason(entry_id: int, reason: str | None = None) -> str:
    """The audit reason of an undo; ``REASON_PREFIX`` + the id is how a later run knows
    the entry is already undone."""
    text = f"{REASON_PREFIX}{entry_id}"
    return f"{text}: {reason}" if reason else text


def typed_reason(reason: str | None) -> str | None:
    """An audit reason as a person reads it: an undo's reason without the marker
    :func:`revert_reason` puts before it (None when nothing was typed); any other as it is."""
    if reason is None or (found := REVERTED_ID.match(reason)) is None:
        return reason
    return reason[found.end() :].removeprefix(": ") or None


async def apply_plan(
    s: AsyncSession, plan: Plan, actor: Actor, now: datetime, reason: str
) -> Counter[str]:
    reverted: Counter[str] = Counter()
    roll_calls: set[int] = set()
    for ident, e in plan.to_revert:  # newest first
        kind = ident[0]
        target = state_before(ident, plan.histories[ident], e, plan.ctx)
        current = await current_state(s, ident)
        old, new = await _write(s, _Undo(ident, e, target, current, plan.ctx, now))
        await audit.record(
            s,
            school_id=plan.school_id,
            at=now,
            actor_id=actor.person_id,
            binding_id=actor.binding_id,
            action=audit.Action(f"{kind}{REVERT_SUFFIX}"),
            entity=kind,
            key=e.key,
            old=to_json(old),
            new=to_json(new),
            reason=revert_reason(e.id, reason),
        )
        reverted[kind] += 1
        if kind == "attendance":
            roll_calls.add(ident[1][0])
    for lesson_id in sorted(roll_calls):
        await _update_taken(s, lesson_id, now)
    return reverted


@dataclass(frozen=True)
class _Undo:
    """One undo to write: the entity, the entry undone, the state to put back and the
    state the entity is in now."""

    ident: Ident
    entry: Entry
    target: State
    current: State
    ctx: Context
    now: datetime

    @property
    def values(self) -> tuple[int, ...]:
        return self.ident[1]

    @property
    def teacher_id(self) -> int | None:
        """The lesson's teacher: the author of a row whose author the history lacks."""
        lesson = self.ctx.lesson(self.ident)
        return lesson.teacher_id if lesson else None


async def _write(s: AsyncSession, undo: _Undo) -> tuple[State, State]:
    """Put the entity in the ``target`` state; return (old, new) for the audit entry."""
    writers = {
        "lesson": _write_lesson,
        "period": _write_period,
        "attendance": _write_attendance,
        "mark": _write_mark,
        "final_mark": _write_final_mark,
    }
    return await writers[undo.ident[0]](s, undo)


async def _write_lesson(s: AsyncSession, undo: _Undo) -> tuple[State, State]:
    e = undo.entry
    fields = sorted(k for k in {**(e.old or {}), **(e.new or {})} if k in LESSON_FIELDS)
    written = {k: (undo.target or {}).get(k) for k in fields}
    await s.execute(update(Lesson).where(Lesson.id == undo.values[0]).values(**written))
    return {k: (undo.current or {}).get(k) for k in fields}, written


async def _write_period(s: AsyncSession, undo: _Undo) -> tuple[State, State]:
    target = undo.target or {}
    written = {"closed_at": target.get("closed_at"), "closed_by": target.get("closed_by")}
    await s.execute(update(Period).where(Period.id == undo.values[0]).values(**written))
    return undo.current, written


async def _write_attendance(s: AsyncSession, undo: _Undo) -> tuple[State, State]:
    lesson_id, pupil_id = undo.values
    target = undo.target
    if target is None or target.get("status") is None:
        await s.execute(
            delete(Attendance).where(
                Attendance.lesson_id == lesson_id, Attendance.pupil_id == pupil_id
            )
        )
        return undo.current, None
    written = {
        "status": target["status"],
        "reason": target.get("reason") or "unconfirmed",
        "reason_note": target.get("reason_note"),
        "reason_confirmed_by": target.get("reason_confirmed_by"),
        "reason_confirmed_at": target.get("reason_confirmed_at"),
        "author_id": target.get("author_id") or undo.teacher_id,
    }
    values = {**written, "updated_at": undo.now}
    await s.execute(
        pg_insert(Attendance)
        .values(lesson_id=lesson_id, pupil_id=pupil_id, **values)
        .on_conflict_do_update(index_elements=["lesson_id", "pupil_id"], set_=values)
    )
    return undo.current, written


async def _write_mark(s: AsyncSession, undo: _Undo) -> tuple[State, State]:
    mark_id = undo.values[0]
    target = undo.target
    if target is None:
        await s.execute(delete(Mark).where(Mark.id == mark_id))
        return undo.current, None
    written = {
        "lesson_id": target.get("lesson_id") or undo.ctx.lesson_of.get(undo.ident),
        "pupil_id": target.get("pupil_id") or undo.entry.key.get("pupil_id"),
        "value": target.get("value"),
        "work_type_id": target.get("work_type_id"),
        "comment": target.get("comment"),
        "author_id": target.get("author_id") or undo.teacher_id,
        "created_at": target.get("created_at") or undo.now,
    }
    if undo.current is None:  # a deleted mark comes back under its own id
        await s.execute(insert(Mark).values(id=mark_id, updated_at=undo.now, **written))
    else:
        await s.execute(
            update(Mark).where(Mark.id == mark_id).values(updated_at=undo.now, **written)
        )
    return undo.current, written


async def _write_final_mark(s: AsyncSession, undo: _Undo) -> tuple[State, State]:
    period_id, subject_id, pupil_id = undo.values
    target = undo.target
    if target is None:
        await s.execute(
            delete(FinalMark).where(
                FinalMark.period_id == period_id,
                FinalMark.subject_id == subject_id,
                FinalMark.pupil_id == pupil_id,
            )
        )
        return undo.current, None
    written = {
        "value": target.get("value"),
        "author_id": target.get("author_id")
        or (undo.current or {}).get("author_id")
        or undo.entry.actor_id,
        "set_at": target.get("set_at") or undo.now,
    }
    await s.execute(
        pg_insert(FinalMark)
        .values(period_id=period_id, subject_id=subject_id, pupil_id=pupil_id, **written)
        .on_conflict_do_update(index_elements=["period_id", "subject_id", "pupil_id"], set_=written)
    )
    return undo.current, written


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


async def void_other_operations(
    s: AsyncSession,
    actor: Actor,
    binding: AccountBinding,
    window: Window,
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
                requested_through(binding),
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
