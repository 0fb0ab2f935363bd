"""People's names as the journal shows them."""

from __future__ import annotations


def short_name(full_name: str) -> str:
    """«Иванова Мария Петровна» → «Иванова М.» (surname first, as in a paper journal)."""
    parts = full_name.split()
    if len(parts) < 2:
        return full_name
    return f"{parts[0]} {parts[1][0]}."


def first_names(full_name: str) -> str:
    """«Иванова Мария Петровна» → «Мария Петровна», the polite form of address."""
    parts = full_name.split()
    return " ".join(parts[1:]) or full_name
