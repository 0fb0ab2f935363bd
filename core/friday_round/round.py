"""The class teachers' absence-reason round (R6): per class, the absences of the week
whose reason is not confirmed yet, one entry per pupil and day, with the parents'
suggestions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import Actor
from core.classes import ensure_class_teacher
from core.errors import NotFound
from core.friday_round.suggestions import Suggestion, suggestions_for, unconfirmed_left_in
from core.journal import Journal
from core.models import AbsenceReason, Pupil


@dataclass
class RoundEntry:
    """A pupil's unconfirmed absences on one day: one entry however many lessons."""

    pupil_id: int
    full_name: str
    day: date
    lessons: list[int]
    suggestions: list[Suggestion] = field(default_factory=list)


@dataclass
class ClassRound:
    class_id: int
    class_name: str
    class_teacher_id: int
    entries: list[RoundEntry] = field(default_factory=list)


_UNCONFIRMED_SQL = text(
    """
    SELECT k.id, k.name, k.class_teacher_id, a.pupil_id, pe.full_name, l.date,
           array_agg(l.lesson_no ORDER BY l.lesson_no)
    FROM lessons l
    JOIN attendance a ON a.lesson_id = l.id
    JOIN pupils p ON p.person_id = a.pupil_id
    JOIN classes k ON k.id = p.class_id
    JOIN people pe ON pe.id = a.pupil_id
    WHERE l.school_id = :school AND l.date BETWEEN :start AND :end
      AND a.status = 'absent' AND a.reason = 'unconfirmed'
      AND k.class_teacher_id IS NOT NULL
    GROUP BY k.id, k.name, k.class_teacher_id, a.pupil_id, pe.full_name, l.date
    ORDER BY k.name, pe.full_name, a.pupil_id, l.date
    """
)


async def unconfirmed_absences(
    s: AsyncSession, school_id: int, start: date, end: date
) -> list[ClassRound]:
    """Per class (with a class teacher): absences in [start, end] whose reason is not
    confirmed yet, grouped per pupil and day, with the parents' suggestions."""
    classes: dict[int, ClassRound] = {}
    rows = await s.execute(_UNCONFIRMED_SQL, {"school": school_id, "start": start, "end": end})
    for class_id, class_name, teacher_id, pupil_id, name, day, lessons in rows:
        entry = classes.setdefault(class_id, ClassRound(class_id, class_name, teacher_id))
        entry.entries.append(RoundEntry(pupil_id, name, day, list(lessons)))
    suggestions = await suggestions_for(
        s, {(e.pupil_id, e.day) for c in classes.values() for e in c.entries}
    )
    for c in classes.values():
        for e in c.entries:
            e.suggestions = suggestions.get((e.pupil_id, e.day), [])
    return list(classes.values())


@dataclass(frozen=True)
class EntryState:
    """A pupil's day of a round as it stands now."""

    entry: RoundEntry  # its absences (whatever their reason) and the parents' suggestions
    reason: AbsenceReason | None  # the confirmed reason; ``None`` while one is to confirm


@dataclass(frozen=True)
class RoundView:
    """What a round's message shows, read again after a tap: the pupil-days it lists and
    how many of the class's week are still to confirm."""

    class_name: str
    left: int
    entries: list[EntryState]


_SHOWN_SQL = text(
    """
    SELECT a.pupil_id, pe.full_name, l.date,
           array_agg(l.lesson_no ORDER BY l.lesson_no),
           bool_or(a.reason = 'unconfirmed'),
           min(a.reason) FILTER (WHERE a.reason <> 'unconfirmed')
    FROM unnest(CAST(:pupils AS integer[]), CAST(:days AS date[])) AS shown(pupil_id, day)
    JOIN attendance a ON a.pupil_id = shown.pupil_id
    JOIN lessons l ON l.id = a.lesson_id AND l.date = shown.day
    JOIN pupils p ON p.person_id = a.pupil_id AND p.class_id = :class_id
    JOIN people pe ON pe.id = a.pupil_id
    WHERE a.status = 'absent'
    GROUP BY a.pupil_id, pe.full_name, l.date
    """
)


async def round_view(
    journal: Journal, actor: Actor, shown: list[tuple[int, date]]
) -> RoundView | None:
    """The pupil-days ``shown`` (of one class, in that order) as they stand now, for its
    class teacher (or whoever oversees the school) redrawing a round's message; a day
    whose absences were since corrected away is left out. ``None`` for nothing shown."""
    async with journal.transaction() as s:
        return await round_view_in(s, actor, shown)


async def round_view_in(
    s: AsyncSession, actor: Actor, shown: list[tuple[int, date]]
) -> RoundView | None:
    """:func:`round_view` in the caller's session (one transaction with its own read)."""
    if not shown:
        return None
    class_id = await s.scalar(select(Pupil.class_id).where(Pupil.person_id == shown[0][0]))
    if class_id is None:
        raise NotFound()
    cls = await ensure_class_teacher(s, actor, class_id)
    rows = await s.execute(
        _SHOWN_SQL,
        {"pupils": [p for p, _ in shown], "days": [d for _, d in shown], "class_id": class_id},
    )
    found = {
        (pupil_id, day): (RoundEntry(pupil_id, name, day, list(lessons)), open_, reason)
        for pupil_id, name, day, lessons, open_, reason in rows
    }
    suggestions = await suggestions_for(s, set(found))
    left = await unconfirmed_left_in(s, class_id, shown[0][1])
    entries = []
    for key in shown:
        if key in found:
            entry, still_open, reason = found[key]
            entry.suggestions = suggestions.get(key, [])
            confirmed = None if still_open else AbsenceReason(reason)
            entries.append(EntryState(entry, confirmed))
    return RoundView(cls.name, left, entries)
