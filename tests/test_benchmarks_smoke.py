"""The benchmarks still run (tiny sizes, on the test session's PostgreSQL server)."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from benchmarks import district, rollcall


async def test_rollcall_benchmark_runs(
    pg_admin_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = rollcall.parse_args(["--teachers", "2", "--pupils", "10", "--runs", "1", "--think", "0"])
    assert await rollcall.bench(pg_admin_url, args) == 0
    out = capsys.readouterr().out
    assert "delivery → answer" in out and "ERROR" not in out
    assert "One teacher alone" in out
    # The floor: the same flow against a bare aiogram bot on both sessions, each timed.
    assert out.count("bare run 1: 10 updates") == 2
    assert "session" in out and out.count("× it (goal ≤ 1.0)") == 2


async def test_rollcall_benchmark_runs_in_max(
    pg_admin_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = rollcall.parse_args(
        ["--teachers", "2", "--pupils", "10", "--runs", "1", "--think", "0", "--messenger", "max"]
    )
    assert await rollcall.bench(pg_admin_url, args) == 0
    out = capsys.readouterr().out
    assert "rollcall (MAX): 2 teachers" in out and "the MAX bot in a process of its own" in out
    assert "delivery → answer" in out and "ERROR" not in out
    for step in ("/today", "open lesson", "tap pupil", "rest present"):
        assert f"    {step}" in out  # every step was answered and timed
    assert "One teacher alone" in out


async def test_rollcall_benchmark_runs_webhook_workers(
    pg_admin_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = rollcall.parse_args(
        ["--teachers", "4", "--pupils", "10", "--runs", "1", "--think", "0", "--workers", "2"]
    )
    assert await rollcall.bench(pg_admin_url, args) == 0
    out = capsys.readouterr().out
    assert "2 webhook worker processes" in out
    assert "delivery → answer" in out and "ERROR" not in out


async def test_district_benchmark_runs(
    pg_admin_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = district.parse_args(
        ["--schools", "2", "--pupils-per-school", "60", "--days", "3", "--reads", "2"]
    )
    report = await district.run(pg_admin_url, args)
    out = capsys.readouterr().out
    assert report.ok, report.problems
    assert "import time, total" in out and "database size" in out and "PROBLEM" not in out
    assert report.size_month > report.size_imported > 0

    # The row counts, recomputed here from the same generated rosters.
    days = district.school_days(district.FIRST_DAY, 3)
    assert [d.isoweekday() for d in days] == [4, 5, 1]  # Thu 05.11, Fri 06.11, Mon 09.11
    pupils = lessons = attendance = 0
    for school in district.rosters(2, 60):
        roster = school.roster
        size = Counter(row["class"] for row in roster["pupils"])
        group = Counter((r["class"], r["subject"], r["group"]) for r in roster["groups"])
        pupils += len(roster["pupils"])
        for day in days:
            for entry in roster["timetable"]:
                if int(entry["weekday"]) == day.isoweekday():
                    lessons += 1
                    key = (entry["class"], entry["subject"], entry["group"])
                    attendance += group[key] if entry["group"] else size[entry["class"]]
    counts = report.counts
    assert 50 <= pupils <= 150
    assert (counts["schools"], counts["pupils"]) == (2, pupils)
    assert (counts["lessons"], counts["attendance"]) == (lessons, attendance)
    assert 0 < counts["marks"] < attendance
    besides_topics = counts["audit_log"] - counts["lesson changes"]  # topics are audited (R3)
    assert besides_topics == attendance + counts["marks"] + counts["confirmed reasons"]
    assert counts["lesson changes"] > 0
    assert report.sample is not None and report.sample.timed("mark_rest_present").calls
    assert len(report.reads) >= 5 and all(len(t.runs) == 2 for t in report.reads)


async def test_patches_benchmark_runs(pg_admin_url: str) -> None:
    from benchmarks import patches

    assert all(ms > 0 for ms in patches.response_types(3))
    assert all(ms > 0 for ms in patches.edit_answer(5))
    assert all(ms > 0 for ms in await patches.checkout(pg_admin_url, 5))


async def test_idle_senders_benchmark_runs(db_url: str) -> None:
    from benchmarks import idle_senders

    url = db_url.replace("postgresql://", "postgresql+asyncpg://", 1)
    polling, ringing = await idle_senders.bench(url, 5, 1.5)
    assert polling.queries >= 5 and ringing.queries < polling.queries


async def test_district_deliver_benchmark_runs_two_instances_one_killed(
    pg_admin_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks import district_deliver

    args = district_deliver.parse_args(
        [
            *("--bots", "3", "--parents", "60", "--instances", "2", "--kill-at", "0.5"),
            *("--bot-lease", "1.5", "--lease", "2", "--compare-count", "10", "--progress", "0"),
        ]
    )
    code = await district_deliver.bench(pg_admin_url, args)
    out = capsys.readouterr().out
    main, one = out.split("the same through the shared bot alone")
    assert re.search(
        r"^delivered 60 of 60 in [\d.]+ s \([\d.,]+ per second over 3 bots\)$", main, re.M
    )
    assert "  lost: 0 (the outbox: sent 60)" in main
    # A SIGKILL mid-send leaves the closed rows' counts (/metrics) equal to the rows.
    assert "  counted for /metrics as the rows closed (outbox_closed): sent 60" in main, main
    assert re.search(r"killed i\d \(SIGKILL\) at [\d.]+ s, \d+ of 60 delivered", main)
    assert "the survivor held every bot of" in main and "exit 0 at" in main
    twice = int(re.search(r"sent twice: (\d+)", main)[1])  # type: ignore[index]
    if twice:  # at least once: only what the killed sender had claimed and not recorded
        assert "(all rows the killed instance had claimed and not recorded" in main, main
    bound = int(re.search(r"at most SEND_MAX_UNRECORDED x its bots = \d+ x \d+ = (\d+)", main)[1])  # type: ignore[index]
    assert twice <= bound  # within the window the killed instance had in flight: goals met
    assert "goals: met" in main, main
    assert code == 0, out
    assert re.search(
        r"^delivered 10 of 10 in [\d.]+ s \([\d.,]+ per second over 1 bots\)$", one, re.M
    )
    assert "projected, not run: 60 digests through one bot" in one


def test_benchmarks_are_named_as_typed(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks.__main__ import available, main

    assert "district-deliver" in available() and "district_deliver" not in available()
    with pytest.raises(SystemExit) as done:  # argparse's --help: the module was found
        main(["district-deliver", "--help"])
    assert done.value.code == 0
    assert "python -m benchmarks district-deliver" in capsys.readouterr().out
    assert main(["district-delivery"]) == 2
    assert "no benchmark 'district-delivery'" in capsys.readouterr().err
