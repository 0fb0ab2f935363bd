"""R21: pupil movement: the pupils who arrived in and left the classes in a range, with
each class's roll at both ends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from core.access import Actor
from core.journal import Journal
from core.models import Person, Pupil
from core.reports.common import PUPIL_COLUMNS, PupilRow, checked_classes


@dataclass(frozen=True)
class PupilMove:
    """A pupil who arrived (``admitted_on``) or left (``left_on``, their first day off
    the roll call) in the range."""

    day: date
    arrived: bool  # False: left
    pupil_id: int
    pupil: str
    class_name: str


@dataclass(frozen=True)
class ClassMovement:
    class_name: str
    at_start: int  # enrolled the day before the range
    arrived: int
    left: int
    at_end: int  # enrolled on the range's last day


@dataclass
class PupilMovement:
    start: date
    end: date
    moves: list[PupilMove]  # by day, then class and name
    classes: list[ClassMovement]


async def pupil_movement(
    journal: Journal, actor: Actor, start: date, end: date, class_id: int | None = None
) -> PupilMovement:
    """R21: the pupils who arrived in and left the classes in [start, end], with each
    class's roll at both ends. A pupil is counted in their present class (the journal
    keeps no history of moves between classes)."""
    async with journal.transaction() as s:
        classes = await checked_classes(s, actor, class_id)
        names = {c.id: c.name for c in classes}
        rows = await s.execute(
            select(*PUPIL_COLUMNS)
            .join(Person, Person.id == Pupil.person_id)
            .where(Pupil.class_id.in_(list(names)))
        )
        pupils = [PupilRow(*r) for r in rows]
    before = start - timedelta(days=1)
    moves: list[PupilMove] = []
    for p in pupils:
        if p.admitted_on is not None and start <= p.admitted_on <= end:
            moves.append(PupilMove(p.admitted_on, True, p.id, p.full_name, names[p.class_id]))
        if p.left_on is not None and start <= p.left_on <= end:
            moves.append(PupilMove(p.left_on, False, p.id, p.full_name, names[p.class_id]))
    moves.sort(key=lambda m: (m.day, m.class_name, m.pupil, m.pupil_id))
    per_class = []
    for c in classes:
        mine = [p for p in pupils if p.class_id == c.id]
        here = [m for m in moves if m.class_name == c.name]
        per_class.append(
            ClassMovement(
                c.name,
                sum(p.enrolled_on(before) for p in mine),
                sum(m.arrived for m in here),
                sum(not m.arrived for m in here),
                sum(p.enrolled_on(end) for p in mine),
            )
        )
    return PupilMovement(start, end, moves, per_class)
