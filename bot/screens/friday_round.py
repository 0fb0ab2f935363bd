"""The class teacher's Friday round (R6) once she taps a reason: the round's message is
redrawn from what it shows (the notification built it, ``notifications/rounds.py``): the
confirmed entry's reason buttons go, its title says what was recorded, and the round's
first message counts what is left."""

from __future__ import annotations

import re

from bot.actions import RejectCb, RoundCb
from bot.screen import Action, Button, Row, Screen

_LAST_NUMBER = re.compile(r"\d+(?=\D*$)")


def _is(cb: type[Action], button: Button) -> bool:
    data = button.data
    return data is not None and data.startswith(cb.__prefix__ + ":")


def confirmed_rows(rows: list[Row], done: RoundCb, reason_text: str) -> list[Row]:
    """The round's keyboard once an entry is confirmed: its reason buttons go, its title
    says what was recorded."""
    kept = []
    for row in rows:
        entry = [RoundCb.unpack(b.data) for b in row if _is(RoundCb, b) and b.data]
        mine = [e for e in entry if e.pupil == done.pupil and e.day == done.day]
        rejects = [RejectCb.unpack(b.data) for b in row if _is(RejectCb, b) and b.data]
        if any(e.pupil == done.pupil and e.day == done.day for e in rejects):
            continue  # the reason is confirmed: nothing left to reject
        if not mine:
            kept.append(row)
        elif mine[0].reason == "":
            title = row[0].text.removeprefix("✓ ").split(" — ")[0]
            kept.append([Button(f"✓ {title} — {reason_text}", row[0].action, row[0].url)])
    return kept


def is_first_part(text: str) -> bool:
    """Whether the message is the round's first (its second line counts the entries; the
    continued parts have no count)."""
    lines = text.split("\n")
    return (
        len(lines) > 1
        and lines[0].startswith(("<b>📋", "<b>⏰"))
        and _LAST_NUMBER.search(lines[1]) is not None
    )


def recounted(text: str, rows: list[Row], left: int) -> Screen:
    """The round's first message with its count of entries left (``text`` as shown)."""
    lines = text.split("\n")
    lines[1] = _LAST_NUMBER.sub(str(left), lines[1])
    return Screen("\n".join(lines), rows)
