"""People's names as the journal shows them."""

from __future__ import annotations

from core.text import first_grapheme


def short_name(full_name: str) -> str:
    """«Иванова Мария Петровна» → «Иванова М.» (surname first, as in a paper journal).
    The initial is the first character a reader sees, so a combined emoji or a letter with
    a combining accent is never cut in half."""
    parts = full_name.split()
    if len(parts) < 2:
        return full_name
    return f"{parts[0]} {first_grapheme(parts[1])}."


# Word endings of names as they are written, not text shown to anyone: they are matched
# against a pupil's patronymic to choose the wording (core hands over «f»/«m»).
FEMALE_ENDINGS = ("вна", "ична", "кызы", "гызы", "қызы")
MALE_ENDINGS = ("вич", "ич", "оглы", "огли", "улы", "уулу")


def gender(full_name: str) -> str | None:
    """«f» or «m» from the patronymic (…вна/…ична/кызы; …вич/…ич/оглы), None when there is
    none or it says nothing: the wording is then neutral."""
    parts = full_name.casefold().replace("ё", "е").split()
    for word in reversed(parts[2:]):  # «Алиев Рашид Тимур оглы»: the last word counts
        if word.endswith(FEMALE_ENDINGS):
            return "f"
        if word.endswith(MALE_ENDINGS):
            return "m"
    return None
