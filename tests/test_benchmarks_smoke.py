"""The benchmarks still run (tiny sizes, on the test session's PostgreSQL server)."""

from __future__ import annotations

import pytest

from benchmarks import rollcall


async def test_rollcall_benchmark_runs(
    pg_admin_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = rollcall.parse_args(["--teachers", "2", "--pupils", "10", "--runs", "1", "--think", "0"])
    assert await rollcall.bench(pg_admin_url, args) == 0
    out = capsys.readouterr().out
    assert "delivery → answer" in out and "ERROR" not in out
    assert "One teacher alone" in out
