"""The roll call (R4): a lesson's card, one tap on a pupil, «rest present». Every change
goes through ``entries.submit_many`` (R7-R10)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core import entries
from core.access import Actor
from core.attendance.queries import Sheet, lesson_with_card, read_sheet
from core.corrections import request
from core.entries import Outcome
from core.errors import NotAllowed
from core.journal import Journal
from core.lessons import (
    LessonCounts,
    LessonSummary,
    PupilOfLesson,
    lesson_summary,
    pupils_of_lesson,
)
from core.models import (
    Lesson,
    Presence,
)
from core.planned.warned import warned_of_lesson

# One tap moves a pupil on: not taken → absent → late → present → absent …
NEXT_STATUS: dict[str | None, Presence] = {
    None: Presence.ABSENT,
    Presence.ABSENT: Presence.LATE,
    Presence.LATE: Presence.PRESENT,
    Presence.PRESENT: Presence.ABSENT,
}


@dataclass(frozen=True)
class RollCallLine:
    pupil: PupilOfLesson
    status: Presence | None  # None: not taken yet
    warned: bool = False  # a parent warned of this absence in advance (issue 13)


@dataclass(frozen=True)
class RollCall:
    lesson_id: int
    lines: list[RollCallLine]
    counts: LessonCounts
    taken: bool
    lesson: LessonSummary  # the lesson itself, as its card shows it


async def roll_call(journal: Journal, actor: Actor, lesson_id: int) -> RollCall:
    """The lesson's card: the lesson and every pupil's status, in one transaction."""
    async with journal.transaction() as s:
        lesson, row = await lesson_with_card(s, actor, lesson_id)
        pupils = await pupils_of_lesson(s, lesson)
        sheet = await read_sheet(s, lesson.id)
        return _roll_call(lesson, row, pupils, sheet, await _warned(s, lesson, pupils))


async def _warned(s: AsyncSession, lesson: Lesson, pupils: list[PupilOfLesson]) -> frozenset[int]:
    return await warned_of_lesson(s, [p.id for p in pupils], lesson.date, lesson.lesson_no)


async def set_status(
    journal: Journal, actor: Actor, lesson_id: int, pupil_id: int, status: Presence | None
) -> Outcome:
    async with journal.transaction() as s:
        lesson, _ = await lesson_with_card(s, actor, lesson_id, lock=True)
        pupils = await pupils_of_lesson(s, lesson)
        sheet = await read_sheet(s, lesson.id)
        return await _change(s, journal, actor, lesson, pupils, sheet, pupil_id, status)


async def cycle_status(
    journal: Journal, actor: Actor, lesson_id: int, pupil_id: int
) -> tuple[Outcome, RollCall]:
    """One tap on a pupil's button in the roll call; the roll call as it is after it."""
    async with journal.transaction() as s:
        lesson, row = await lesson_with_card(s, actor, lesson_id, lock=True)
        pupils = await pupils_of_lesson(s, lesson)
        sheet = await read_sheet(s, lesson.id)
        status = NEXT_STATUS[sheet.statuses.get(pupil_id)]
        outcome = await _change(s, journal, actor, lesson, pupils, sheet, pupil_id, status)
        return outcome, _roll_call(lesson, row, pupils, sheet, await _warned(s, lesson, pupils))


async def mark_rest_present(
    journal: Journal, actor: Actor, lesson_id: int
) -> tuple[Outcome, RollCall]:
    """Everyone not yet marked is present, but for those a parent warned would be absent
    (issue 13): they are marked absent; the roll call is then complete. The same path
    as a tap (``entries.submit_many``), for all of them at once: a locked period refuses
    it (R10); once the edit window has closed, each becomes a request for the deputy
    (R8); every mark made is audited (R9). A pupil whose tap is already waiting for the
    deputy is left to that request. The outcome says whether anything became a request."""
    async with journal.transaction() as s:
        lesson, row = await lesson_with_card(s, actor, lesson_id, lock=True)
        pupils = await pupils_of_lesson(s, lesson)
        sheet = await read_sheet(s, lesson.id)
        waiting = await request.waiting(s, lesson.id, "attendance")
        rest = [p.id for p in pupils if p.id not in sheet.statuses and p.id not in waiting]
        warned = await _warned(s, lesson, pupils)
        statuses = [Presence.ABSENT if p in warned else Presence.PRESENT for p in rest]
        outcomes = await entries.submit_many(
            s,
            journal,
            actor,
            lesson,
            "attendance",
            [
                entries.Entry(pupil_id, {"status": status.value}, None, is_author=False)
                for pupil_id, status in zip(rest, statuses, strict=True)
            ],
        )
        for pupil_id, status, outcome in zip(rest, statuses, outcomes, strict=True):
            if outcome is Outcome.APPLIED:
                sheet.statuses[pupil_id] = status.value
                sheet.authors[pupil_id] = actor.person_id
        await _update_taken(s, journal, lesson, pupils, sheet)
        return _overall(outcomes), _roll_call(lesson, row, pupils, sheet, warned)


def _overall(outcomes: list[Outcome]) -> Outcome:
    if Outcome.REQUESTED in outcomes:
        return Outcome.REQUESTED
    return Outcome.APPLIED if Outcome.APPLIED in outcomes else Outcome.UNCHANGED


def _roll_call(
    lesson: Lesson,
    row: Any,
    pupils: list[PupilOfLesson],
    sheet: Sheet,
    warned: frozenset[int] = frozenset(),
) -> RollCall:
    lines = []
    tally = {None: 0, Presence.PRESENT: 0, Presence.ABSENT: 0, Presence.LATE: 0}
    for p in pupils:
        value = sheet.statuses.get(p.id)
        status = Presence(value) if value is not None else None
        tally[status] += 1
        lines.append(RollCallLine(p, status, p.id in warned))
    counts = LessonCounts(
        present=tally[Presence.PRESENT],
        absent=tally[Presence.ABSENT],
        late=tally[Presence.LATE],
        not_taken=tally[None],
        marks=sheet.marks,
    )
    summary = lesson_summary(tuple(row)[:6])  # the lesson as it is now (attendance taken or not)
    return RollCall(lesson.id, lines, counts, lesson.attendance_taken_at is not None, summary)


async def _change(
    s: AsyncSession,
    journal: Journal,
    actor: Actor,
    lesson: Lesson,
    pupils: list[PupilOfLesson],
    sheet: Sheet,
    pupil_id: int,
    status: Presence | None,
) -> Outcome:
    """Change one pupil's status under the correction rules (``entries.submit``); the
    sheet and the lesson's «taken» follow."""
    if pupil_id not in {p.id for p in pupils}:
        raise NotAllowed("error.pupil_not_in_lesson")
    current = sheet.statuses.get(pupil_id)
    if current == status:
        return Outcome.UNCHANGED
    outcome = await entries.submit(
        s,
        journal,
        actor,
        lesson,
        pupil_id,
        "attendance",
        {"status": status.value if status else None},
        None if current is None else {"status": current},
        is_author=current is not None and sheet.authors.get(pupil_id) == actor.person_id,
    )
    if outcome is Outcome.APPLIED:
        if status is None:
            sheet.statuses.pop(pupil_id, None)
            sheet.authors.pop(pupil_id, None)
        else:
            sheet.statuses[pupil_id] = status.value
            sheet.authors[pupil_id] = actor.person_id
        await _update_taken(s, journal, lesson, pupils, sheet)
    return outcome


async def _update_taken(
    s: AsyncSession, journal: Journal, lesson: Lesson, pupils: list[PupilOfLesson], sheet: Sheet
) -> None:
    """A roll call is complete when every pupil of the lesson has a status."""
    taken = all(p.id in sheet.statuses for p in pupils)
    if taken != (lesson.attendance_taken_at is not None):
        lesson.attendance_taken_at = journal.clock.now() if taken else None
        await s.flush()
