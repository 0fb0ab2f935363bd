"""What several screens share: paging and the child switch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from bot.actions import ChildCb
from bot.screen import Action, Button, Row
from core.accounts import PupilRef

T = TypeVar("T")


def pager(page: int, pages: int, action: Action) -> Row:
    """◀ ▶ between pages; ``action`` has a ``page`` field."""
    row = []
    if page > 0:
        row.append(Button(f"◀ {page}", action.model_copy(update={"page": page - 1})))
    if page < pages - 1:
        row.append(Button(f"{page + 2} ▶", action.model_copy(update={"page": page + 1})))
    return row


def page_of(items: list[T], page: int, size: int) -> tuple[list[T], int, int]:
    """The items of a page (clamped), the page and the number of pages."""
    pages = max(1, -(-len(items) // size))
    page = min(max(page, 0), pages - 1)
    return items[page * size : (page + 1) * size], page, pages


def children(kids: Sequence[PupilRef], active: int | None, switch: Action | None = None) -> Row:
    """A parent's children by first name, the one shown ticked; a tap switches to the
    child (``switch``: an action with a ``pupil`` field that keeps to its screen)."""
    return [
        Button(
            ("• " if k.id == active else "") + k.full_name.split()[1],
            switch.model_copy(update={"pupil": k.id}) if switch else ChildCb(pupil=k.id),
        )
        for k in kids
    ]
