"""Planning a revert: what the account changed and, per change, what undoing it means
(``Verdict``), with the names the admin reads. Reads only."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import (
    Attendance,
    CorrectionRequest,
    Lesson,
    Mark,
    Period,
    Person,
    SchoolClass,
    Subject,
)
from core.revert.history import (
    Context,
    Entry,
    compromised_entries,
    current_state,
    load_histories,
    state_before,
)
from core.revert.model import (
    LESSON_FIELDS,
    AccountBinding,
    Ident,
    LessonRef,
    RevertItem,
    Verdict,
    Window,
)

# --- planning ----------------------------------------------------------------------------------


@dataclass
class Plan:
    items: list[RevertItem]
    to_revert: list[tuple[Ident, Entry]]  # newest first
    histories: dict[Ident, list[Entry]]
    ctx: Context
    school_id: int


@dataclass(frozen=True)
class _PeriodRow:
    id: int
    name: str
    starts_on: date
    ends_on: date
    closed: bool


async def lock_entities(
    s: AsyncSession, school_id: int, binding: AccountBinding, window: Window
) -> None:
    """Lock what the revert rewrites, in the order the journal's use cases lock it (the
    lesson, then its rows), so that a concurrent change waits or is seen."""
    entries = await compromised_entries(s, school_id, binding, window)
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


async def make_plan(
    s: AsyncSession, school_id: int, binding: AccountBinding, window: Window
) -> Plan:
    compromised = await compromised_entries(s, school_id, binding, window)
    by_ident: dict[Ident, list[Entry]] = defaultdict(list)
    verdicts: dict[int, tuple[Verdict, Entry | None]] = {}
    for e in compromised:
        if e.ident is None:
            verdicts[e.id] = (Verdict.UNSUPPORTED, None)
        else:
            by_ident[e.ident].append(e)
    histories = await load_histories(s, school_id, by_ident)
    ctx = await _context(s, histories)
    periods = await _periods(s, school_id)
    compromised_ids = {e.id for e in compromised}
    reverted_ids = {h.reverted_id for hs in histories.values() for h in hs if h.is_revert}

    candidates: dict[Ident, list[Entry]] = {}
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
            ctx.fallbacks[ident] = await current_state(s, ident)

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
            target = state_before(ident, histories[ident], e, ctx)
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
    return Plan(items, to_revert, histories, ctx, school_id)


async def _context(s: AsyncSession, histories: dict[Ident, list[Entry]]) -> Context:
    ctx = Context()
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


def _period_of(ident: Ident, ctx: Context, periods: dict[int, _PeriodRow]) -> int | None:
    kind, values = ident
    if kind == "final_mark":
        return values[0]
    lesson = ctx.lesson(ident)
    if lesson is None:
        return None
    return next((p.id for p in periods.values() if p.starts_on <= lesson.date <= p.ends_on), None)


def _gone_or_unsupported(
    ident: Ident, pending: list[Entry], ctx: Context, periods: dict[int, _PeriodRow]
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
    compromised: list[Entry],
    verdicts: dict[int, tuple[Verdict, Entry | None]],
    ctx: Context,
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
