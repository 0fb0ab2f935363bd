"""The messenger-neutral screen (bot/screen.py): actions pack in the wire format buttons
already sent use, forged data is refused, and no screen module imports a messenger
library (the seam a second messenger plugs into)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from aiogram.filters.callback_data import CallbackData
from pydantic import ValidationError

from bot.actions import BulkCb, ConsentCb, FinalCb, LessonAct, LessonActCb, SuggestCb
from bot.screen import Action, Button, Screen
from bot.telegram.render import inline_button, keyboard

ROOT = Path(__file__).resolve().parents[1]
NEUTRAL = [
    ROOT / "bot" / "screen.py",
    ROOT / "bot" / "actions.py",
    *(ROOT / "bot" / "screens").glob("*.py"),
]
MESSENGER_LIBRARIES = {"aiogram", "maxapi", "telegram", "aiomax"}


class _OldLessonAct(CallbackData, prefix="la"):  # how the button was packed before
    lesson: int
    act: LessonAct


def test_actions_pack_as_the_buttons_already_sent_were_packed() -> None:
    new = LessonActCb(lesson=7, act=LessonAct.HOMEWORK)
    old = _OldLessonAct(lesson=7, act=LessonAct.HOMEWORK)
    assert new.pack() == old.pack() == "la:7:h"
    assert LessonActCb.unpack(old.pack()) == new


def test_defaults_and_empty_values_round_trip() -> None:
    for action in (
        BulkCb(lesson=1, value=5, wt=2),
        FinalCb(lesson=3, pupil=4),
        ConsentCb(binding=9, refuse=1),
        SuggestCb(binding=1, pupil=2, day=3),
    ):
        assert type(action).unpack(action.pack()) == action


@pytest.mark.parametrize(
    "data",
    ["la:7", "la:7:h:1", "l:7:h", "la:x:h", "la:7:zz", f"la:{2**63}:h", "cs:9:2"],
)
def test_forged_or_stale_data_is_refused(data: str) -> None:
    cls = ConsentCb if data.startswith("cs") else LessonActCb
    with pytest.raises((ValueError, TypeError, ValidationError)):
        cls.unpack(data)


def test_an_action_needs_a_prefix_without_the_separator() -> None:
    with pytest.raises(ValueError):

        class _NoPrefix(Action):
            x: int

    with pytest.raises(ValueError):

        class _Bad(Action, prefix="a:b"):
            x: int


def test_a_button_has_an_action_or_a_link() -> None:
    with pytest.raises(ValueError):
        Button("x")
    with pytest.raises(ValueError):
        Button("x", LessonActCb(lesson=1, act=LessonAct.MARKS), url="https://example.org")
    assert Button("x", "l:5").data == "l:5"


def test_the_telegram_adapter_renders_rows_and_refuses_data_over_64_bytes() -> None:
    screen = Screen("t", [[Button("a", "l:1"), Button("b", url="https://example.org")]])
    markup = keyboard(screen.rows)
    assert markup is not None
    assert [[b.callback_data or b.url for b in row] for row in markup.inline_keyboard] == [
        ["l:1", "https://example.org"]
    ]
    assert keyboard([]) is None
    with pytest.raises(ValueError):
        inline_button(Button("long", "x" * 65))


def test_no_screen_imports_a_messenger_library() -> None:
    offenders = []
    for path in NEUTRAL:
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top in MESSENGER_LIBRARIES or name.startswith("bot.telegram"):
                    offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []
    assert len(NEUTRAL) >= 4  # the glob found the screens
