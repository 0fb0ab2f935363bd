"""R3: the revert in words is data. Core hands over phrases (catalogue keys with values);
the caller renders them in the reader's language. Plain values, no database."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from core.models import BindingRole
from core.revert import (
    AccountRef,
    LessonRef,
    Phrase,
    RevertItem,
    RevertSummary,
    Verdict,
    describe,
    summary_lines,
)
from tests.conftest import MOSCOW
from texts import Texts
from texts.en import EN
from texts.revert import render
from texts.ru import RU

AT = datetime(2026, 11, 23, 18, 30, tzinfo=UTC)  # 21:30 in Moscow
LESSON = LessonRef(7, date(2026, 11, 23), 1, "5А", "Математика")


def _item(verdict: Verdict, **fields: Any) -> RevertItem:
    item = RevertItem(
        entry_id=41,
        at=AT,
        action="attendance.set",
        entity="attendance",
        old={"status": "present"},
        new={"status": "absent"},
        verdict=verdict,
        lesson=LESSON,
        pupil="Иванова Мария Алексеевна",
    )
    return replace(item, **fields)


def _keys(phrase: Phrase) -> Iterator[str]:
    yield phrase.key
    for value in phrase.params.values():
        if isinstance(value, Phrase):
            yield from _keys(value)


def test_r3_a_preview_line_is_keys_with_values_known_in_both_languages() -> None:
    items = [
        _item(Verdict.REVERT),
        _item(Verdict.CONFLICT, blocked_by=52, blocked_by_name="Морозов Андрей Игоревич"),
        _item(Verdict.LOCKED, period="I четверть"),
        _item(Verdict.ALREADY, entity="mark", old={"value": 5}, new={"value": 2}),
        _item(Verdict.GONE, entity="period", old={"closed": True}, new=None, lesson=None),
    ]
    for item in items:
        phrase = describe(item, MOSCOW)
        assert isinstance(phrase, Phrase)
        for key in _keys(phrase):
            assert key in RU and key in EN, key


def test_r3_a_preview_line_reads_in_the_readers_language() -> None:
    item = _item(Verdict.REVERT)
    ru = render(describe(item, MOSCOW), Texts("ru"))
    en = render(describe(item, MOSCOW), Texts("en"))
    assert ru.startswith("#41 23.11.2026 21:30 — ")
    assert "5А, Математика, 23.11.2026" in ru and ru.endswith("отменяется")
    assert en.startswith("#41 23.11.2026 21:30 — attendance, Иванова Мария Алексеевна")
    assert "→ absent" in en and en.endswith("undone")


def test_r3_the_summary_lists_what_was_kept_under_its_heading() -> None:
    kept = _item(Verdict.CONFLICT, blocked_by=52, blocked_by_name="Морозов Андрей Игоревич")
    summary = RevertSummary(
        binding_id=3,
        account=AccountRef(3, "Кузнецова Елена Викторовна", BindingRole.STAFF, AT),
        cut_now=True,
        since=AT,
        until=None,
        items=[_item(Verdict.REVERT), kept],
        reverted={"attendance": 1},
        requests_declined=1,
    )
    phrases = summary_lines(summary, MOSCOW)
    assert [p.key for p in phrases] == [
        "revert.cut_now",
        "revert.summary",
        "revert.voided",
        "revert.skipped",
        "revert.skipped_item",
    ]
    lines = [render(p, Texts("en")) for p in phrases]
    assert lines[0] == "Access from the account is cut."
    assert (
        lines[-1].startswith("  #41 ") and "Морозов Андрей Игоревич changed it later" in lines[-1]
    )
