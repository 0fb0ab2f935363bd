"""A messenger's limits are its adapter's (``bot.screen.Limits``): the screens that page and
the notifications that split take them as a parameter, so that a messenger with other
limits (fewer rows of buttons, length counted in characters) gets screens that fit it.
Pure functions: no database, no messenger."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path

from bot.max.limits import MAX_LIMITS
from bot.screens import roll_call
from bot.telegram.limits import TELEGRAM_LIMITS
from core import friday_round, recipients
from notifications.channels import adapters_limits
from notifications.channels.telegram import TelegramChannel
from notifications.compose import split_blocks
from notifications.friday_round import RoundKind, render_round
from notifications.outbox import TELEGRAM
from tests.test_teacher_screens_unit import call
from texts import Texts

ROOT = Path(__file__).resolve().parent.parent
tx = Texts()
MONDAY, FRIDAY = date(2026, 11, 23), date(2026, 11, 27)
NARROW = MAX_LIMITS  # counts characters; 30 rows of at most 7 buttons


def pupil_buttons(screen: roll_call.Screen) -> list[str]:
    return [b.text for row in screen.rows for b in row if "Ученик" in b.text]


def test_r4_the_roll_call_pages_by_the_messengers_keyboard() -> None:
    assert roll_call.page_size(TELEGRAM_LIMITS) == 80  # a class of 80 is one card
    lesson = call(60)
    assert roll_call.pages(lesson, TELEGRAM_LIMITS) == 1
    assert roll_call.pages(lesson, NARROW) == 2
    first = roll_call.card(tx, lesson, MONDAY, NARROW)
    second = roll_call.card(tx, lesson, MONDAY, NARROW, page=1)
    assert len(pupil_buttons(first)) + len(pupil_buttons(second)) == 60
    for screen in (first, second):
        assert len(screen.rows) <= NARROW.rows
        assert all(len(row) <= NARROW.buttons_per_row for row in screen.rows)
    assert (
        roll_call.page_of(lesson, 60, NARROW) == 1
        and roll_call.page_of(lesson, 60, TELEGRAM_LIMITS) == 0
    )


def test_a_notification_is_split_as_its_channel_counts_length() -> None:
    blocks = ["📘" * 1000 for _ in range(3)]  # 1000 characters, 2000 UTF-16 units each
    assert len(split_blocks(blocks, TELEGRAM_LIMITS)) == 3  # two blocks are 4002 units
    assert len(split_blocks(blocks, NARROW)) == 1  # 3004 characters
    wider = replace(NARROW, text_safe=2000)
    assert [len(p) for p in split_blocks(blocks, wider)] == [1000] * 3


def test_r6_the_friday_round_fits_a_keyboard_of_thirty_rows() -> None:
    entries = [
        friday_round.RoundEntry(n, f"Ученик{n:02} Иван", MONDAY, [1, 2], []) for n in range(1, 31)
    ]
    week = friday_round.ClassRound(1, "5А", 9, entries)
    recipient = recipients.Recipient(7, 9, 700, "ru")
    for limits in (TELEGRAM_LIMITS, NARROW):
        parts, keyboards = render_round(
            tx, RoundKind.FRIDAY, recipient, week, MONDAY, FRIDAY, limits
        )
        assert sum(text.count("Ученик") for text in parts) == 30  # every entry, once
        assert all(len(k) <= limits.rows for k in keyboards)
        assert all(sum(len(row) for row in k) <= limits.buttons for k in keyboards)
    _, narrow = render_round(tx, RoundKind.FRIDAY, recipient, week, MONDAY, FRIDAY, NARROW)
    assert [len(k) for k in narrow] == [30, 30, 30]  # ten entries of three rows a message


def test_the_jobs_compose_under_the_limits_of_the_channel_adapters() -> None:
    assert TelegramChannel.limits is TELEGRAM_LIMITS
    assert adapters_limits() == {TELEGRAM: TELEGRAM_LIMITS, "max": MAX_LIMITS}


def test_telegrams_numbers_are_written_in_its_adapter_only() -> None:
    """4096 characters and a part cut at 3900 are Telegram's: no screen, handler or
    notification names them (the old code had them in three places)."""
    numbers = re.compile(r"(?<![\d.,])(4096|3900|4 ?096)(?![\d.,])")
    offenders = []
    for package in ("bot", "notifications"):
        for path in (ROOT / package).rglob("*.py"):
            if path == ROOT / "bot" / "telegram" / "limits.py":
                continue
            for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if numbers.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{no}: {line.strip()}")
    assert offenders == []
