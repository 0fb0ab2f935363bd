"""The regulations' rules, enforced by the core (names carry the rule ids)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from core import attendance, corrections, friday_round, lessons, marks, periods
from core.clock import ManualClock
from core.entries import Outcome
from core.errors import InvalidValue, NotAllowed, PeriodLocked
from core.journal import Journal
from core.models import (
    AbsenceReason,
    Attendance,
    AuditEntry,
    FinalMark,
    Mark,
    Presence,
    School,
)
from tests.conftest import MOSCOW
from tests.world import MONDAY, World


async def lesson_of(journal: Journal, w: World, teacher: str, day: date, no: int) -> int:
    found = [
        x for x in await lessons.teacher_day(journal, w.staff(teacher), day) if x.lesson_no == no
    ]
    assert found, f"{teacher} has no lesson {no} on {day}"
    return found[0].id


def at(clock: ManualClock, day: date, hour: int, minute: int = 0) -> None:
    clock.set(datetime(day.year, day.month, day.day, hour, minute, tzinfo=MOSCOW))


async def count(journal: Journal, model: type) -> int:
    async with journal.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


# --- lessons and the timetable ------------------------------------------------------------


async def test_lessons_are_materialised_from_the_timetable_only_on_school_days(
    journal: Journal, world: World
) -> None:
    day = await lessons.teacher_day(journal, world.staff("math"), MONDAY)
    assert [(x.lesson_no, x.class_name, x.subject) for x in day] == [(1, "5А", "Математика")]
    assert day[0].starts_at is not None and day[0].starts_at.hour == 8
    saturday = await lessons.teacher_day(journal, world.staff("math"), MONDAY + timedelta(days=5))
    assert saturday == []
    holiday = await lessons.teacher_day(journal, world.staff("math"), date(2026, 11, 2))
    assert holiday == []  # between the quarters


async def test_r20_subgroup_lesson_lists_only_its_pupils(journal: Journal, world: World) -> None:
    lesson_id = await lesson_of(journal, world, "english2", MONDAY, 2)
    call = await attendance.roll_call(journal, world.staff("english2"), lesson_id)
    assert [line.pupil.short_name for line in call.lines] == ["Сидоров Н."]


# --- R1: who may see and change what --------------------------------------------------------


async def test_r1_teacher_edits_only_lessons_they_teach(journal: Journal, world: World) -> None:
    lesson_id = await lesson_of(journal, world, "math", MONDAY, 1)
    with pytest.raises(NotAllowed):
        await attendance.set_status(
            journal, world.staff("english"), lesson_id, world.people["petya"], Presence.ABSENT
        )
    assert await count(journal, Attendance) == 0


async def test_r1_class_teacher_views_class_but_does_not_edit_others_marks(
    journal: Journal, world: World
) -> None:
    # The math teacher is 5А's class teacher; the English lesson is not theirs.
    lesson_id = await lesson_of(journal, world, "english", MONDAY, 2)
    view = await lessons.get_lesson(journal, world.staff("math"), lesson_id)
    assert view.subject == "Английский язык"
    with pytest.raises(NotAllowed):
        await marks.add_mark(
            journal, world.staff("math"), lesson_id, world.people["petya"], 5, "answer"
        )
    assert await count(journal, Mark) == 0


async def test_r1_parent_sees_only_own_children(journal: Journal, world: World) -> None:
    start, end = MONDAY, MONDAY
    own = await marks.pupil_marks(
        journal, world.parent("mother"), world.people["petya"], start, end, None
    )
    assert own == []
    with pytest.raises(NotAllowed):
        await marks.pupil_marks(
            journal, world.parent("mother"), world.people["kolya"], start, end, None
        )


async def test_r1_pupil_views_only_themself_and_edits_nothing(
    journal: Journal, world: World
) -> None:
    me = world.pupil("petya")
    await marks.pupil_marks(journal, me, world.people["petya"], MONDAY, MONDAY, None)
    with pytest.raises(NotAllowed):
        await marks.pupil_marks(journal, me, world.people["masha"], MONDAY, MONDAY, None)
    lesson_id = await lesson_of(journal, world, "math", MONDAY, 1)
    with pytest.raises(NotAllowed):
        await attendance.set_status(journal, me, lesson_id, world.people["petya"], Presence.PRESENT)


async def test_r1_forged_pupil_of_another_class_changes_nothing(
    journal: Journal, world: World
) -> None:
    lesson_id = await lesson_of(journal, world, "math", MONDAY, 1)
    with pytest.raises(NotAllowed):
        await attendance.set_status(
            journal, world.staff("math"), lesson_id, world.people["dasha"], Presence.ABSENT
        )
    assert await count(journal, Attendance) == 0


# --- R4: roll call -------------------------------------------------------------------------


async def test_r4_roll_call_taps_cycle_and_rest_present_completes_it(
    journal: Journal, world: World
) -> None:
    teacher = world.staff("math")
    lesson_id = await lesson_of(journal, world, "math", MONDAY, 1)
    before = await attendance.roll_call(journal, teacher, lesson_id)
    assert all(line.status is None for line in before.lines) and not before.taken

    _, call = await attendance.cycle_status(journal, teacher, lesson_id, world.people["petya"])
    statuses = {line.pupil.id: line.status for line in call.lines}
    assert statuses[world.people["petya"]] is Presence.ABSENT
    assert statuses[world.people["masha"]] is None  # not taken differs from present
    _, call = await attendance.cycle_status(journal, teacher, lesson_id, world.people["petya"])
    assert {line.pupil.id: line.status for line in call.lines}[
        world.people["petya"]
    ] is Presence.LATE

    _, call = await attendance.mark_rest_present(journal, teacher, lesson_id)
    assert call.taken
    assert (call.counts.present, call.counts.late, call.counts.not_taken) == (2, 1, 0)


async def test_r4_attendance_for_a_future_lesson_is_refused(journal: Journal, world: World) -> None:
    tomorrow = await lesson_of(journal, world, "math", MONDAY + timedelta(days=1), 1)
    with pytest.raises(InvalidValue):
        await attendance.set_status(
            journal, world.staff("math"), tomorrow, world.people["petya"], Presence.ABSENT
        )


# --- R5: substitution ----------------------------------------------------------------------


async def test_r5_substitute_takes_lesson_and_may_fill_it(journal: Journal, world: World) -> None:
    lesson_id = await lesson_of(journal, world, "math", MONDAY, 1)
    sub = world.staff("english")
    taken = await lessons.take_as_substitute(journal, sub, lesson_id)
    assert taken.substituted and taken.teacher_id == world.people["english"]
    assert lesson_id in [x.id for x in await lessons.teacher_day(journal, sub, MONDAY)]
    await attendance.set_status(journal, sub, lesson_id, world.people["petya"], Presence.ABSENT)
    with pytest.raises(NotAllowed):  # the planned teacher no longer gives it
        await attendance.set_status(
            journal, world.staff("math"), lesson_id, world.people["masha"], Presence.ABSENT
        )


# --- R7, R8: corrections -------------------------------------------------------------------


async def test_r7_author_corrects_until_deadline(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    teacher = world.staff("math")
    lesson_id = await lesson_of(journal, world, "math", MONDAY, 1)
    await marks.add_mark(journal, teacher, lesson_id, world.people["petya"], 3, "answer")
    mark_id = (await marks.lesson_marks(journal, teacher, lesson_id))[world.people["petya"]][0].id
    at(clock, MONDAY, 19, 59)
    assert await marks.change_mark(journal, teacher, mark_id, 4) is Outcome.APPLIED
    assert (await marks.lesson_marks(journal, teacher, lesson_id))[world.people["petya"]][
        0
    ].value == 4


async def test_r7_correction_after_deadline_needs_deputy(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    teacher = world.staff("math")
    petya = world.people["petya"]
    lesson_id = await lesson_of(journal, world, "math", MONDAY, 1)
    await marks.add_mark(journal, teacher, lesson_id, petya, 3, "answer")
    mark_id = (await marks.lesson_marks(journal, teacher, lesson_id))[petya][0].id
    at(clock, MONDAY, 20, 0)
    outcome = await marks.change_mark(journal, teacher, mark_id, 5, reason="ошибка ввода")
    assert outcome is Outcome.REQUESTED
    assert (await marks.lesson_marks(journal, teacher, lesson_id))[petya][0].value == 3

    with pytest.raises(NotAllowed):  # a teacher cannot approve
        await corrections.decide(journal, teacher, 1, approve=True)
    queue = await corrections.pending(journal, world.staff("deputy"))
    assert [(r.pupil_name, r.old, r.change["value"]) for r in queue] == [
        (
            "Иванов Пётр Алексеевич",
            {"value": 3, "work_type_id": (queue[0].old or {}).get("work_type_id"), "comment": None},
            5,
        )
    ]
    decided = await corrections.decide(journal, world.staff("deputy"), queue[0].id, approve=True)
    assert decided.status == "approved"
    assert (await marks.lesson_marks(journal, teacher, lesson_id))[petya][0].value == 5
    async with journal.transaction() as s:
        entry = await s.scalar(select(AuditEntry).where(AuditEntry.request_id == queue[0].id))
    assert entry is not None and entry.actor_id == world.people["deputy"]
    assert entry.old["value"] == 3 and entry.new["value"] == 5  # type: ignore[index]  # a correction has both
    assert await corrections.pending(journal, world.staff("deputy")) == []


async def test_r7_declined_request_changes_nothing(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    teacher = world.staff("math")
    lesson_id = await lesson_of(journal, world, "math", MONDAY, 1)
    await attendance.set_status(journal, teacher, lesson_id, world.people["petya"], Presence.ABSENT)
    at(clock, MONDAY + timedelta(days=1), 9)
    outcome = await attendance.set_status(
        journal, teacher, lesson_id, world.people["petya"], Presence.PRESENT
    )
    assert outcome is Outcome.REQUESTED
    [request] = await corrections.pending(journal, world.staff("deputy"))
    await corrections.decide(journal, world.staff("deputy"), request.id, approve=False)
    call = await attendance.roll_call(journal, teacher, lesson_id)
    assert {x.pupil.id: x.status for x in call.lines}[world.people["petya"]] is Presence.ABSENT


async def test_r8_edit_window_limits_late_new_marks(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    teacher = world.staff("math")
    lesson_id = await lesson_of(journal, world, "math", MONDAY, 1)
    async with journal.transaction() as s:
        await s.execute(update(School).values(edit_window_days=7))
    at(clock, MONDAY + timedelta(days=6), 12)  # a retake within the week: direct
    assert (
        await marks.add_mark(journal, teacher, lesson_id, world.people["petya"], 4, "answer")
        is Outcome.APPLIED
    )
    at(clock, MONDAY + timedelta(days=8), 12)  # after the window: a request
    assert (
        await marks.add_mark(journal, teacher, lesson_id, world.people["masha"], 4, "answer")
        is Outcome.REQUESTED
    )
    assert await count(journal, Mark) == 1


async def test_r8_unlimited_window_by_default(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    lesson_id = await lesson_of(journal, world, "math", MONDAY, 1)
    at(clock, MONDAY + timedelta(days=20), 12)
    outcome = await marks.add_mark(
        journal, world.staff("math"), lesson_id, world.people["petya"], 5, "test"
    )
    assert outcome is Outcome.APPLIED


# --- R9: audit -----------------------------------------------------------------------------


async def test_r9_every_change_is_audited_with_old_and_new(journal: Journal, world: World) -> None:
    teacher = world.staff("math")
    lesson_id = await lesson_of(journal, world, "math", MONDAY, 1)
    await attendance.set_status(journal, teacher, lesson_id, world.people["petya"], Presence.ABSENT)
    await attendance.set_status(journal, teacher, lesson_id, world.people["petya"], Presence.LATE)
    await marks.add_mark(journal, teacher, lesson_id, world.people["masha"], 5, "test")
    async with journal.transaction() as s:
        rows = list(await s.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert [(r.action, r.old, r.new and r.new.get("status", r.new.get("value"))) for r in rows] == [
        ("attendance.set", None, "absent"),
        ("attendance.set", {"status": "absent"}, "late"),
        ("mark.add", None, 5),
    ]
    assert all(r.actor_id == world.people["math"] for r in rows)


# --- R10: period lock ----------------------------------------------------------------------


async def test_r10_closed_period_refuses_edits_until_director_reopens(
    journal: Journal, world: World
) -> None:
    teacher = world.staff("math")
    lesson_id = await lesson_of(journal, world, "math", MONDAY, 1)
    q2 = world.periods["2 четверть"]
    await periods.close_period(journal, world.staff("deputy"), q2)
    with pytest.raises(PeriodLocked):
        await attendance.set_status(
            journal, teacher, lesson_id, world.people["petya"], Presence.ABSENT
        )
    with pytest.raises(NotAllowed):
        await periods.reopen_period(journal, world.staff("deputy"), q2, "приказ")
    with pytest.raises(InvalidValue):
        await periods.reopen_period(journal, world.staff("director"), q2, " ")
    await periods.reopen_period(journal, world.staff("director"), q2, "приказ № 12")
    await attendance.set_status(journal, teacher, lesson_id, world.people["petya"], Presence.ABSENT)
    assert await count(journal, Attendance) == 1


# --- R11: final marks ----------------------------------------------------------------------


async def test_r11_final_marks_with_special_values_and_only_director_corrects(
    journal: Journal, world: World
) -> None:
    q2, math = world.periods["2 четверть"], world.subjects["Математика"]
    teacher = world.staff("math")
    await marks.set_final_mark(journal, teacher, q2, math, world.people["petya"], "5")
    await marks.set_final_mark(journal, teacher, q2, math, world.people["masha"], "осв")
    with pytest.raises(InvalidValue):
        await marks.set_final_mark(journal, teacher, q2, math, world.people["kolya"], "6")
    with pytest.raises(NotAllowed):  # R7: never corrected by the teacher
        await marks.set_final_mark(journal, teacher, q2, math, world.people["petya"], "4")
    with pytest.raises(NotAllowed):  # another teacher's subject
        await marks.set_final_mark(
            journal, world.staff("english"), q2, math, world.people["kolya"], "4"
        )
    await marks.set_final_mark(
        journal, world.staff("director"), q2, math, world.people["petya"], "4", reason="решение"
    )
    async with journal.transaction() as s:
        values = dict((await s.execute(select(FinalMark.pupil_id, FinalMark.value))).all())
    assert values == {world.people["petya"]: "4", world.people["masha"]: "осв"}


# --- R12: first grade ----------------------------------------------------------------------


async def test_r12_first_grade_has_no_marks_and_no_homework(journal: Journal, world: World) -> None:
    teacher = world.staff("primary")
    lesson_id = await lesson_of(journal, world, "primary", MONDAY, 1)
    with pytest.raises(NotAllowed, match="grade1"):
        await marks.add_mark(journal, teacher, lesson_id, world.people["dasha"], 5, "answer")
    with pytest.raises(NotAllowed, match="grade1"):
        await lessons.set_homework(journal, teacher, lesson_id, "с. 5")
    await lessons.set_topic(journal, teacher, lesson_id, "Буква А")  # topics are kept
    await attendance.set_status(journal, teacher, lesson_id, world.people["dasha"], Presence.ABSENT)
    assert (await lessons.get_lesson(journal, teacher, lesson_id)).topic == "Буква А"


# --- R13: topic and homework ahead ---------------------------------------------------------


async def test_r13_topic_up_to_five_lessons_ahead(journal: Journal, world: World) -> None:
    teacher = world.staff("math")
    # Math is daily: Tue..Mon next week are lessons 1..5 ahead; the next Tuesday is the 6th.
    fifth = await lesson_of(journal, world, "math", MONDAY + timedelta(days=7), 1)
    sixth = await lesson_of(journal, world, "math", MONDAY + timedelta(days=8), 1)
    await lessons.set_homework(journal, teacher, fifth, "№ 12, 14")
    with pytest.raises(NotAllowed, match="too_far"):
        await lessons.set_topic(journal, teacher, sixth, "Дроби")


# --- R15: make-up --------------------------------------------------------------------------


async def test_r15_mark_and_absence_coexist_for_make_up(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    teacher = world.staff("math")
    petya = world.people["petya"]
    lesson_id = await lesson_of(journal, world, "math", MONDAY, 1)
    await attendance.set_status(journal, teacher, lesson_id, petya, Presence.ABSENT)
    at(clock, MONDAY + timedelta(days=3), 12)
    assert (
        await marks.add_mark(journal, teacher, lesson_id, petya, 4, "independent")
        is Outcome.APPLIED
    )
    call = await attendance.roll_call(journal, teacher, lesson_id)
    assert {x.pupil.id: x.status for x in call.lines}[petya] is Presence.ABSENT
    assert [m.value for m in (await marks.lesson_marks(journal, teacher, lesson_id))[petya]] == [4]


# --- R6: absence reasons -------------------------------------------------------------------


async def test_r6_class_teacher_confirms_reasons_for_a_day(journal: Journal, world: World) -> None:
    kolya = world.people["kolya"]
    math_lesson = await lesson_of(journal, world, "math", MONDAY, 1)
    eng_lesson = await lesson_of(journal, world, "english2", MONDAY, 2)
    await attendance.set_status(journal, world.staff("math"), math_lesson, kolya, Presence.ABSENT)
    await attendance.set_status(
        journal, world.staff("english2"), eng_lesson, kolya, Presence.ABSENT
    )
    with pytest.raises(NotAllowed):  # not the class teacher
        await friday_round.confirm_reason(
            journal, world.staff("english2"), kolya, MONDAY, AbsenceReason.ILLNESS
        )
    covered = await friday_round.confirm_reason(
        journal, world.staff("math"), kolya, MONDAY, AbsenceReason.ILLNESS, "справка № 7"
    )
    assert covered == 2
    absences = await friday_round.pupil_absences(
        journal, world.parent("sidorov"), kolya, MONDAY, MONDAY
    )
    assert [a.reason for a in absences] == [AbsenceReason.ILLNESS, AbsenceReason.ILLNESS]


# --- averages ------------------------------------------------------------------------------


async def test_plain_and_weighted_averages_per_subject(journal: Journal, world: World) -> None:
    teacher = world.staff("math")
    petya = world.people["petya"]
    lesson_id = await lesson_of(journal, world, "math", MONDAY, 1)
    await marks.add_mark(journal, teacher, lesson_id, petya, 5, "answer")  # weight 1
    await marks.add_mark(journal, teacher, lesson_id, petya, 3, "test")  # weight 2
    await marks.add_mark(journal, teacher, lesson_id, petya, 4, "independent")  # weight 1.5
    [math] = await marks.pupil_marks(journal, world.parent("mother"), petya, MONDAY, MONDAY, None)
    assert math.average == Decimal("4.00")
    # (5·1 + 3·2 + 4·1.5) / 4.5 = 17 / 4.5 = 3.777…
    assert math.weighted_average == Decimal("3.78")


async def test_bulk_marks_are_all_or_nothing(journal: Journal, world: World) -> None:
    teacher = world.staff("math")
    lesson_id = await lesson_of(journal, world, "math", MONDAY, 1)
    with pytest.raises(NotAllowed):
        await marks.add_marks_bulk(
            journal,
            teacher,
            lesson_id,
            "test",
            {world.people["petya"]: 5, world.people["dasha"]: 4},  # Dasha is in 1А
        )
    assert await count(journal, Mark) == 0
    result = await marks.add_marks_bulk(
        journal, teacher, lesson_id, "test", {world.people["petya"]: 5, world.people["masha"]: 4}
    )
    assert set(result.values()) == {Outcome.APPLIED}
    assert await count(journal, Mark) == 2
