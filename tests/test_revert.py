"""R3: a compromised account. Access is cut at once and every operation made with the
account after the report is void; the journal goes back to its state at that moment."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import insert, select

from core import (
    attendance,
    audit,
    corrections,
    friday_round,
    invitations,
    lessons,
    marks,
    periods,
    revert,
)
from core.access import Actor, actor_for_binding
from core.clock import ManualClock
from core.entries import Outcome
from core.errors import NotAllowed, NotFound
from core.identity import UserRef
from core.journal import Journal
from core.models import (
    AbsenceReason,
    AbsenceSuggestion,
    Attendance,
    AuditEntry,
    Binding,
    BindingRole,
    CorrectionRequest,
    FinalMark,
    Guardianship,
    Invitation,
    Lesson,
    Mark,
    Presence,
    RequestStatus,
)
from core.revert import Verdict
from tests.conftest import MOSCOW
from tests.world import MONDAY, World
from texts import t
from texts.revert import render


def at(clock: ManualClock, hour: int, minute: int = 0, day: date = MONDAY) -> datetime:
    clock.set(datetime(day.year, day.month, day.day, hour, minute, tzinfo=MOSCOW))
    return clock.now()


async def lesson_of(journal: Journal, w: World, teacher: str, no: int) -> int:
    day = await lessons.teacher_day(journal, w.staff(teacher), MONDAY)
    return next(x.id for x in day if x.lesson_no == no)


async def bind(journal: Journal, w: World, who: str, role: BindingRole, tg: int) -> int:
    async with journal.transaction() as s:
        b = Binding(
            user_id=tg,
            person_id=w.people[who],
            role=role.value,
            created_at=datetime(2026, 9, 1, tzinfo=MOSCOW),
        )
        s.add(b)
        await s.flush()
        return b.id


async def journal_state(journal: Journal, lesson_ids: list[int]) -> dict[str, Any]:
    """What a user reads of these lessons and of the final marks, without row ids and
    timestamps (a re-inserted mark is a new row write)."""
    async with journal.transaction() as s:
        rows = await s.scalars(select(Attendance).where(Attendance.lesson_id.in_(lesson_ids)))
        att = sorted(
            (
                a.lesson_id,
                a.pupil_id,
                a.status,
                a.reason,
                a.reason_note,
                a.reason_confirmed_by,
                a.author_id,
            )
            for a in rows
        )
        mark_rows = await s.scalars(select(Mark).where(Mark.lesson_id.in_(lesson_ids)))
        mks = sorted(
            (m.lesson_id, m.pupil_id, m.value, m.work_type_id, m.comment or "", m.author_id)
            for m in mark_rows
        )
        finals = sorted(
            (f.period_id, f.subject_id, f.pupil_id, f.value, f.author_id)
            for f in await s.scalars(select(FinalMark))
        )
        les = sorted(
            (x.id, x.teacher_id, x.topic, x.homework, x.attendance_taken_at is not None)
            for x in await s.scalars(select(Lesson).where(Lesson.id.in_(lesson_ids)))
        )
    return {"attendance": att, "marks": mks, "finals": finals, "lessons": les}


async def mark_id(journal: Journal, lesson_id: int, pupil_id: int) -> int:
    async with journal.transaction() as s:
        found = await s.scalar(
            select(Mark.id).where(Mark.lesson_id == lesson_id, Mark.pupil_id == pupil_id)
        )
    assert found is not None
    return found


async def test_r3_revert_restores_the_journal_to_the_reported_moment(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    w, p = world, world.people
    math, english, admin = w.staff("math"), w.staff("english"), w.staff("admin")
    q2, algebra = w.periods["2 четверть"], w.subjects["Математика"]
    binding = await bind(journal, w, "math", BindingRole.STAFF, 101)
    m1 = await lesson_of(journal, w, "math", 1)  # 5А, whole class
    e1 = await lesson_of(journal, w, "english", 2)  # 5А, group 1: Петя, Маша
    e2 = await lesson_of(journal, w, "english2", 2)  # 5А, group 2: Коля

    # Before the report: an ordinary morning.
    at(clock, 9, 0)
    await attendance.set_status(journal, math, m1, p["petya"], Presence.ABSENT)
    await attendance.set_status(journal, math, m1, p["masha"], Presence.PRESENT)
    await attendance.set_status(journal, math, m1, p["kolya"], Presence.LATE)
    await marks.add_mark(journal, math, m1, p["petya"], 4, "answer")
    await marks.add_mark(journal, math, m1, p["masha"], 5, "answer", comment="у доски")
    await friday_round.confirm_reason(
        journal, math, p["petya"], MONDAY, AbsenceReason.ILLNESS, "справка № 5"
    )
    await attendance.set_status(journal, english, e1, p["masha"], Presence.PRESENT)
    await marks.set_final_mark(journal, math, q2, algebra, p["masha"], "5")
    petya_mark = await mark_id(journal, m1, p["petya"])
    masha_mark = await mark_id(journal, m1, p["masha"])

    reported = at(clock, 10, 0)  # the teacher calls the school: the phone is stolen
    math_at_moment = await journal_state(journal, [m1, e2])

    # After the report: the thief works through the teacher's account …
    at(clock, 10, 5)
    await attendance.set_status(journal, math, m1, p["petya"], Presence.PRESENT)  # reason lost
    await attendance.set_status(journal, math, m1, p["kolya"], Presence.ABSENT)
    await marks.change_mark(journal, math, masha_mark, 2)
    await marks.change_mark(journal, math, petya_mark, None)
    await marks.add_mark(journal, math, m1, p["kolya"], 2, "test")
    await marks.set_final_mark(journal, math, q2, algebra, p["petya"], "2")
    await marks.set_final_mark(journal, math, q2, algebra, p["kolya"], "н/а")
    # … while the English teacher works as usual: this must stay.
    at(clock, 10, 12)
    await attendance.set_status(journal, english, e1, p["petya"], Presence.ABSENT)
    await marks.add_mark(journal, english, e1, p["masha"], 5, "answer")
    english_after = (await journal_state(journal, [e1])) | {"finals": None}
    # The thief takes a lesson as a substitute and fills it, and hands out a parent code.
    at(clock, 10, 15)
    await lessons.take_as_substitute(journal, math, e2)
    await attendance.set_status(journal, math, e2, p["kolya"], Presence.ABSENT)
    code = await invitations.issue(journal, math, p["sidorov"], BindingRole.PARENT)
    stolen_parent = await invitations.redeem(journal, UserRef.telegram(4242), code.code)
    # After the deadline, changes become requests; the deputy approves one of them.
    at(clock, 20, 30)
    pending = await attendance.set_status(journal, math, m1, p["masha"], Presence.ABSENT)
    approved = await marks.change_mark(journal, math, masha_mark, 3, reason="пересдача")
    assert (pending, approved) == (Outcome.REQUESTED, Outcome.REQUESTED)
    async with journal.transaction() as s:
        request_ids = list(await s.scalars(select(CorrectionRequest.id).order_by("id")))
    await corrections.decide(journal, w.staff("deputy"), request_ids[1], approve=True)

    at(clock, 21, 0)
    plan = await revert.preview(journal, admin, binding, reported)
    assert len(plan) == 10 and all(i.verdict is Verdict.REVERT for i in plan)
    lines = [render(revert.describe(i, MOSCOW), t) for i in plan]
    assert "оценка, Иванова Мария Алексеевна, 5А, Математика, 23.11.2026, 1-й урок" in lines[2]
    assert "5 → 2" in lines[2] and lines[2].endswith("отменяется")
    assert "Орлова Анна Дмитриевна → Кузнецова Елена Викторовна" in lines[7]
    async with journal.transaction() as s:  # the preview changes nothing
        assert (await s.get(Binding, binding)).revoked_at is None  # type: ignore[union-attr]  # the row exists

    summary = await revert.revert(journal, admin, binding, reported, "украден телефон")

    assert summary.cut_now
    assert summary.reverted == {"attendance": 3, "mark": 4, "final_mark": 2, "lesson": 1}
    assert summary.skipped == []
    assert (summary.requests_declined, summary.invitations_revoked) == (1, 0)
    assert summary.bindings_revoked == 1  # the parent bound with the thief's code
    # The thief's lessons and the final marks are as they were at the reported moment; the
    # English teacher's work is as she left it.
    assert await journal_state(journal, [m1, e2]) == math_at_moment
    assert (await journal_state(journal, [e1])) | {"finals": None} == english_after
    # The deleted mark is back under its own id; the reason and its note are back too.
    assert await mark_id(journal, m1, p["petya"]) == petya_mark
    async with journal.transaction() as s:
        with pytest.raises(NotAllowed):
            await actor_for_binding(s, binding)
        with pytest.raises(NotAllowed):
            await actor_for_binding(s, stolen_parent.id)
        statuses = list(await s.scalars(select(CorrectionRequest.status).order_by("id")))
        assert statuses == [RequestStatus.DECLINED, RequestStatus.APPROVED]
        reverts = list(
            await s.scalars(
                select(AuditEntry).where(AuditEntry.action.like("%.revert")).order_by(AuditEntry.id)
            )
        )
    assert len(reverts) == 10
    assert {r.actor_id for r in reverts} == {p["admin"]}
    assert (reverts[0].reason or "").startswith(f"R3 revert of entry #{plan[-1].entry_id}")
    assert [(r.reason or "").split(":")[0] for r in reverts] == [
        f"R3 revert of entry #{i.entry_id}" for i in reversed(plan)
    ]
    # The summary in words, for the admin.
    text = "\n".join(render(line, t) for line in revert.summary_lines(summary, MOSCOW))
    assert "Доступ с аккаунта закрыт." in text
    assert "после 23.11.2026 10:00: 10" in text


async def test_r3_a_later_change_by_someone_else_wins_and_is_reported(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    w, p = world, world.people
    math = w.staff("math")
    binding = await bind(journal, w, "math", BindingRole.STAFF, 102)
    m1 = await lesson_of(journal, w, "math", 1)
    at(clock, 9, 0)
    await attendance.set_status(journal, math, m1, p["kolya"], Presence.PRESENT)
    reported = at(clock, 10, 0)
    at(clock, 10, 5)
    await attendance.set_status(journal, math, m1, p["kolya"], Presence.ABSENT)
    await marks.add_mark(journal, math, m1, p["masha"], 3, "answer")
    at(clock, 11, 0)  # the deputy records the reason from a certificate: a real decision
    await friday_round.confirm_reason(
        journal, w.staff("deputy"), p["kolya"], MONDAY, AbsenceReason.ILLNESS, "справка"
    )

    at(clock, 12, 0)
    summary = await revert.revert(journal, w.staff("director"), binding, reported, "взлом")

    assert summary.reverted == {"mark": 1}
    [kept] = summary.skipped
    assert kept.verdict is Verdict.CONFLICT and kept.entity == "attendance"
    assert kept.blocked_by_name == "Морозов Андрей Игоревич"
    async with journal.transaction() as s:
        row = await s.get(Attendance, (m1, p["kolya"]))
        assert row is not None and (row.status, row.reason) == ("absent", "illness")
        assert await s.scalar(select(Mark.id)) is None
        deputy_entry = await s.scalar(
            select(AuditEntry.id).where(AuditEntry.action == "attendance.reason")
        )
    assert kept.blocked_by == deputy_entry
    text = "\n".join(render(line, t) for line in revert.summary_lines(summary, MOSCOW))
    assert "Не отменено (1)" in text
    assert f"позже запись изменил(а) Морозов Андрей Игоревич (#{deputy_entry})" in text


async def test_r3_r10_a_change_in_a_period_closed_since_is_kept_and_reported(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    w, p = world, world.people
    binding = await bind(journal, w, "math", BindingRole.STAFF, 103)
    m1 = await lesson_of(journal, w, "math", 1)
    reported = at(clock, 10, 0)
    at(clock, 10, 5)
    await marks.add_mark(journal, w.staff("math"), m1, p["masha"], 3, "answer")
    at(clock, 11, 0)
    await periods.close_period(journal, w.staff("director"), w.periods["2 четверть"])
    summary = await revert.revert(journal, w.staff("admin"), binding, reported, "взлом")
    assert summary.reverted == {}
    assert [(i.verdict, i.period) for i in summary.skipped] == [(Verdict.LOCKED, "2 четверть")]
    async with journal.transaction() as s:
        assert await s.scalar(select(Mark.value)) == 3


async def test_r3_a_period_closed_through_the_account_is_reopened_first(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    """The director's account gives a final mark and closes the quarter: undone newest
    first, the quarter is open again and then the mark can be removed."""
    w, p = world, world.people
    q2 = w.periods["2 четверть"]
    binding = await bind(journal, w, "director", BindingRole.STAFF, 109)
    reported = at(clock, 10, 0)
    at(clock, 10, 5)
    director = w.staff("director")
    await marks.set_final_mark(journal, director, q2, w.subjects["Математика"], p["petya"], "3")
    await periods.close_period(journal, director, q2)
    at(clock, 11, 0)
    summary = await revert.revert(journal, w.staff("admin"), binding, reported, "взлом")
    assert summary.reverted == {"final_mark": 1, "period": 1}
    assert [i.verdict for i in summary.items] == [Verdict.REVERT, Verdict.REVERT]
    async with journal.transaction() as s:
        assert await s.scalar(select(FinalMark.id)) is None
    assert not next(
        x for x in await periods.list_periods(journal, w.school_id) if x.id == q2
    ).closed


async def test_r3_only_admin_or_director_reverts_and_preview_changes_nothing(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    w, p = world, world.people
    binding = await bind(journal, w, "math", BindingRole.STAFF, 104)
    m1 = await lesson_of(journal, w, "math", 1)
    reported = at(clock, 10, 0)
    at(clock, 10, 5)
    await marks.add_mark(journal, w.staff("math"), m1, p["masha"], 3, "answer")
    for who in ("deputy", "math"):
        with pytest.raises(NotAllowed):
            await revert.preview(journal, w.staff(who), binding, reported)
        with pytest.raises(NotAllowed):
            await revert.revert(journal, w.staff(who), binding, reported, "x")
    with pytest.raises(ValueError):
        await revert.preview(journal, w.staff("admin"), binding, datetime(2026, 11, 23, 10))
    [item] = await revert.preview(journal, w.staff("admin"), binding, reported)
    assert (item.entity, item.verdict, item.new) == ("mark", Verdict.REVERT, item.new)
    async with journal.transaction() as s:
        assert await s.scalar(select(Mark.value)) == 3
        assert (await s.get(Binding, binding)).revoked_at is None  # type: ignore[union-attr]  # the row exists


async def test_r3_reverting_twice_changes_nothing_more(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    w, p = world, world.people
    binding = await bind(journal, w, "math", BindingRole.STAFF, 105)
    m1 = await lesson_of(journal, w, "math", 1)
    reported = at(clock, 10, 0)
    at(clock, 10, 5)
    await attendance.set_status(journal, w.staff("math"), m1, p["masha"], Presence.ABSENT)
    at(clock, 11, 0)
    first = await revert.revert(journal, w.staff("admin"), binding, reported, "взлом")
    again = await revert.revert(journal, w.staff("admin"), binding, reported, "взлом")
    assert first.reverted == {"attendance": 1} and first.cut_now
    assert again.reverted == {} and not again.cut_now
    assert [i.verdict for i in again.items] == [Verdict.ALREADY]
    async with journal.transaction() as s:
        assert await s.scalar(select(Attendance.status)) is None
        assert len(list(await s.scalars(select(AuditEntry.id)))) == 2


async def test_r3_only_what_came_through_that_account_is_voided(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    """A parent binding makes no journal changes: cutting it leaves the same person's work
    as a teacher alone, and withdraws the absence reasons suggested through it. And what
    the person does with a new account after the cut is not voided."""
    w, p = world, world.people
    async with journal.transaction() as s:  # the math teacher is also Kolya's guardian
        s.add(Guardianship(guardian_id=p["math"], pupil_id=p["kolya"]))
    parent = await bind(journal, w, "math", BindingRole.PARENT, 106)
    staff = await bind(journal, w, "math", BindingRole.STAFF, 106)
    m1 = await lesson_of(journal, w, "math", 1)
    reported = at(clock, 10, 0)
    at(clock, 10, 5)
    await marks.add_mark(journal, w.staff("math"), m1, p["masha"], 4, "answer")
    async with journal.transaction() as s:
        s.add(
            AbsenceSuggestion(
                pupil_id=p["kolya"],
                day=MONDAY,
                reason="illness",
                suggested_by=p["math"],
                binding_id=parent,
                suggested_at=clock.now(),
            )
        )
    at(clock, 11, 0)
    summary = await revert.revert(journal, w.staff("admin"), parent, reported, "взлом")
    assert (summary.items, summary.suggestions_removed) == ([], 1)
    async with journal.transaction() as s:
        assert await s.scalar(select(Mark.value)) == 4
        assert await s.scalar(select(AbsenceSuggestion.id)) is None

    # The staff account is cut at 11:00; at 11:30 the teacher works from a new phone.
    await invitations.revoke_binding(journal, w.staff("admin"), staff, "утерян телефон")
    at(clock, 11, 30)
    await marks.add_mark(journal, w.staff("math"), m1, p["kolya"], 5, "answer")
    at(clock, 12, 0)
    summary = await revert.revert(journal, w.staff("admin"), staff, reported, "взлом")
    assert summary.reverted == {"mark": 1} and not summary.cut_now
    assert summary.until == datetime(2026, 11, 23, 11, 0, tzinfo=MOSCOW) + revert.CUT_GRACE
    async with journal.transaction() as s:
        assert list(await s.scalars(select(Mark.value))) == [5]


async def test_r3_codes_issued_through_the_account_are_revoked(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    w, p = world, world.people
    binding = await bind(journal, w, "math", BindingRole.STAFF, 107)
    at(clock, 9, 0)
    before = await invitations.issue(journal, w.staff("math"), p["mother"], BindingRole.PARENT)
    reported = at(clock, 10, 0)
    at(clock, 10, 30)
    after = await invitations.issue(journal, w.staff("math"), p["sidorov"], BindingRole.PARENT)
    at(clock, 11, 0)
    summary = await revert.revert(journal, w.staff("admin"), binding, reported, "взлом")
    assert summary.invitations_revoked == 1
    async with journal.transaction() as s:
        revoked = {i.id: i.revoked_at is not None for i in await s.scalars(select(Invitation))}
    assert revoked == {before.invitation_id: False, after.invitation_id: True}


async def test_r3_binding_of_another_school_is_not_found(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    binding = await bind(journal, world, "math", BindingRole.STAFF, 108)
    stranger = Actor.system(world.school_id + 1)
    with pytest.raises(NotFound):
        await revert.revert(journal, stranger, binding, clock.now(), "x")


async def test_r3_topic_once_audited_is_restored_and_unknown_changes_are_reported(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    """Topic and homework are not audited yet; audited as ``entity="lesson"`` with the
    fields in old/new (the contract for core/lessons.py), they are restored like the rest.
    A kind of change this module does not know is reported, never guessed."""
    w, p = world, world.people
    binding = await bind(journal, w, "math", BindingRole.STAFF, 110)
    m1 = await lesson_of(journal, w, "math", 1)
    reported = at(clock, 10, 0)
    at(clock, 10, 5)
    async with journal.transaction() as s:  # what an audited set_topic would write
        lesson = await s.get(Lesson, m1)
        assert lesson is not None
        await audit.record(
            s,
            school_id=w.school_id,
            at=clock.now(),
            actor_id=p["math"],
            action=audit.Action.LESSON_TOPIC,
            entity="lesson",
            key={"lesson_id": m1},
            old={"topic": lesson.topic},
            new={"topic": "Ложная тема"},
        )
        lesson.topic = "Ложная тема"
        # A kind no version of this module writes (``audit.record`` refuses a code outside
        # ``audit.Action``): a row put there by hand.
        await s.execute(
            insert(AuditEntry).values(
                school_id=w.school_id,
                at=clock.now(),
                actor_id=p["math"],
                action="timetable.move",
                entity="timetable",
                entity_key={"entry_id": 1},
                old=None,
                new={"weekday": 2},
            )
        )
    at(clock, 11, 0)
    summary = await revert.revert(journal, w.staff("admin"), binding, reported, "взлом")
    assert summary.reverted == {"lesson": 1}
    assert [(i.action, i.verdict) for i in summary.skipped] == [
        ("timetable.move", Verdict.UNSUPPORTED)
    ]
    async with journal.transaction() as s:
        assert (await s.get(Lesson, m1)).topic is None  # type: ignore[union-attr]  # the row exists
