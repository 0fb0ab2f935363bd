"""The rendering layer against Telegram's limits, as the fake Bot API enforces them."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.telegram.render import screen_messages, split_text, visible_length
from fakegram.limits import inline_keyboard_problem


def test_a_line_of_escaped_characters_counts_as_telegram_counts_it() -> None:
    assert visible_length("<b>a</b> &amp; 📘") == 6  # "a & " and an emoji of two units
    text = "\n".join("&lt;&amp;📘" * 300 for _ in range(5))  # 1200 units a line
    parts = split_text(text)
    assert all(visible_length(p) <= 4096 for p in parts)
    assert "\n".join(parts) == text  # cut only at line breaks, nothing lost


def test_a_single_line_over_the_limit_is_cut_without_breaking_an_entity() -> None:
    line = "&amp;" * 5000
    parts = split_text(line)
    assert len(parts) == 2
    assert all(visible_length(p) <= 4096 for p in parts)
    assert sum(visible_length(p) for p in parts) == 5000
    assert all(p.count("&") == p.count("&amp;") for p in parts)


def test_a_keyboard_over_the_limit_goes_out_over_several_messages() -> None:
    buttons = [InlineKeyboardButton(text=f"b{i}", callback_data=f"x:{i}") for i in range(250)]
    markup = InlineKeyboardMarkup(inline_keyboard=[buttons[i : i + 10] for i in range(0, 250, 10)])
    messages = screen_messages("text", markup)
    assert len(messages) == 3
    sent = [b.callback_data for _, kb in messages if kb for row in kb.inline_keyboard for b in row]
    assert sent == [f"x:{i}" for i in range(250)]
    for _, kb in messages:
        assert kb is not None
        rows = [[b.model_dump(exclude_none=True) for b in row] for row in kb.inline_keyboard]
        assert sum(len(r) for r in rows) <= 100
        assert inline_keyboard_problem(rows) is None


def test_fake_refuses_a_row_of_nine_and_a_markup_over_ten_kilobytes() -> None:
    row = [{"text": str(i), "callback_data": str(i)} for i in range(9)]
    assert inline_keyboard_problem([row]) == "REPLY_MARKUP_TOO_LONG"
    heavy = [[{"text": "Ж" * 60, "callback_data": "x" * 64}] for _ in range(60)]
    assert inline_keyboard_problem(heavy) == "reply markup is too long"
    assert inline_keyboard_problem(heavy[:20]) is None
