"""The weekly absence-reason round (R6). On Friday (a setting) each class teacher gets
the week's absences without a confirmed reason, one entry per pupil and day however
many lessons, with what the parents suggested, and one-tap buttons: illness
(certificate), parent's statement, other excused, unexcused. A tap confirms the reason
for the whole day through ``core.friday_round.confirm_reason`` (audited). What is still
unconfirmed is reminded on Monday morning, for the week before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions import RoundCb
from bot.screen import Button, Limits, Screen, quote
from core import friday_round, recipients
from core.friday_round import ClassRound, RoundEntry, RoundView
from core.models import AbsenceReason, BindingRole
from core.people import short_name
from core.recipients import Recipient
from notifications.compose import Keyboard, clip, day_label, first_names, numbered
from notifications.outbox import OutboxItem
from texts import Texts

ENTRIES_PER_MESSAGE = 12  # a screenful to read; 5 buttons each, in 3 rows
ENTRY_BUTTONS, ENTRY_ROWS = 5, 3
NOTE_CLIP = 200
REASONS = (
    AbsenceReason.ILLNESS,
    AbsenceReason.PARENT_STATEMENT,
    AbsenceReason.OTHER_EXCUSED,
    AbsenceReason.UNEXCUSED,
)


class RoundKind(StrEnum):
    FRIDAY = "friday_round"
    MONDAY = "monday_reminder"


def round_key(kind: RoundKind, binding_id: int, class_id: int, start: date) -> str:
    prefix = "round" if kind is RoundKind.FRIDAY else "round-reminder"
    return f"{prefix}:{binding_id}:{class_id}:{start.isoformat()}"


def week_of(kind: RoundKind, day: date) -> tuple[date, date]:
    """Friday: this week from Monday to the round's day. Monday: the week before."""
    monday = day - timedelta(days=day.weekday())
    if kind is RoundKind.FRIDAY:
        return monday, day
    return monday - timedelta(days=7), monday - timedelta(days=1)


async def build_round(
    s: AsyncSession, kind: RoundKind, school_id: int, day: date, limits: Mapping[str, Limits]
) -> list[OutboxItem]:
    start, end = week_of(kind, day)
    classes = await friday_round.unconfirmed_absences(s, school_id, start, end)
    teachers = await recipients.reachable(
        s, [c.class_teacher_id for c in classes], BindingRole.STAFF
    )
    items: list[OutboxItem] = []
    for c in classes:
        for r in teachers.get(c.class_teacher_id, []):
            tx = Texts(r.language)
            parts = round_parts(tx, kind, r, c, start, end, limits[r.channel])
            key = round_key(kind, r.binding_id, c.class_id, start)
            for i, part in enumerate(parts):
                items.append(
                    OutboxItem(
                        key=numbered(key, i),
                        chat_id=r.chat_id,
                        channel=r.channel,
                        kind=kind.value,
                        text=part.text,
                        binding_id=r.binding_id,
                        buttons=part.keyboard,
                        meta={
                            "class_id": c.class_id,
                            "start": start.isoformat(),
                            "end": end.isoformat(),
                            "part": i + 1,
                            "parts": len(parts),
                            # What the message lists, to redraw it from the journal.
                            "entries": [[n, e.pupil_id, e.day.isoformat()] for n, e in part.shown],
                        },
                    )
                )
    return items


@dataclass(frozen=True)
class RoundPart:
    """One message of a round: its text and buttons, and the numbered entries it lists."""

    text: str
    keyboard: Keyboard
    shown: list[tuple[int, RoundEntry]]


def round_title(
    tx: Texts, kind: RoundKind, class_name: str, start: date, end: date, count: int
) -> str:
    key = "round.title" if kind is RoundKind.FRIDAY else "round.reminder_title"
    return tx(key, cls=quote(class_name), start=f"{start:%d.%m}", end=f"{end:%d.%m}", count=count)


def entries_per_message(limits: Limits) -> int:
    """ENTRIES_PER_MESSAGE, or fewer where the channel's keyboard holds fewer buttons."""
    return min(ENTRIES_PER_MESSAGE, limits.buttons // ENTRY_BUTTONS, limits.rows // ENTRY_ROWS)


def render_round(
    tx: Texts,
    kind: RoundKind,
    r: Recipient,
    c: ClassRound,
    start: date,
    end: date,
    limits: Limits,
) -> tuple[list[str], list[Keyboard]]:
    """The round's messages' texts and keyboards (see :func:`round_parts`)."""
    parts = round_parts(tx, kind, r, c, start, end, limits)
    return [p.text for p in parts], [p.keyboard for p in parts]


def round_parts(
    tx: Texts,
    kind: RoundKind,
    r: Recipient,
    c: ClassRound,
    start: date,
    end: date,
    limits: Limits,
) -> list[RoundPart]:
    """Messages of at most :func:`entries_per_message` entries each (and under the
    channel's length limit), every one with the buttons of its own entries."""
    parts: list[RoundPart] = []
    text = round_title(tx, kind, c.class_name, start, end, len(c.entries))
    keyboard: Keyboard = []
    shown: list[tuple[int, RoundEntry]] = []
    per_message, length = entries_per_message(limits), limits.text_length
    for n, entry in enumerate(c.entries, start=1):
        block = entry_text(tx, n, entry)
        if shown and (
            len(shown) >= per_message or length(text) + length(block) + 2 > limits.text_safe
        ):
            parts.append(RoundPart(text, keyboard, shown))
            text, keyboard, shown = tx("round.continued", cls=quote(c.class_name)), [], []
        text += "\n\n" + block
        keyboard += entry_buttons(tx, r.binding_id, n, entry)
        shown.append((n, entry))
    parts.append(RoundPart(text, keyboard, shown))
    return parts


def shown_in(meta: dict[str, Any]) -> list[tuple[int, int, date]] | None:
    """The numbered pupil-days a round's message lists, as its outbox row keeps them
    (``None`` for a message sent before rows kept them)."""
    entries = meta.get("entries")
    if not isinstance(entries, list):
        return None
    return [(int(n), int(pupil), date.fromisoformat(day)) for n, pupil, day in entries]


def redrawn_part(
    tx: Texts,
    kind: RoundKind,
    binding_id: int,
    meta: dict[str, Any],
    numbers: dict[tuple[int, date], int],
    view: RoundView,
) -> Screen:
    """A round's message drawn again from the journal after a tap: a confirmed day shows
    its reason in place of the buttons, and the first message counts what is left."""
    if meta.get("part", 1) == 1:
        start, end = date.fromisoformat(meta["start"]), date.fromisoformat(meta["end"])
        head = round_title(tx, kind, view.class_name, start, end, view.left)
    else:
        head = tx("round.continued", cls=quote(view.class_name))
    blocks, keyboard = [head], []
    for state in view.entries:
        entry = state.entry
        n = numbers[(entry.pupil_id, entry.day)]
        blocks.append(entry_text(tx, n, entry))
        if state.reason is None:
            keyboard += entry_buttons(tx, binding_id, n, entry)
        else:
            title = entry_title(n, entry)
            keyboard.append([confirmed_button(tx, binding_id, title, entry, state.reason)])
    return Screen("\n\n".join(blocks), keyboard)


def entry_text(tx: Texts, n: int, entry: RoundEntry) -> str:
    lines = [
        tx(
            "round.entry",
            n=n,
            name=quote(first_names(entry.full_name)),
            day=day_label(tx, entry.day),
            count=len(entry.lessons),
            lessons=", ".join(str(no) for no in entry.lessons),
        )
    ]
    for sg in entry.suggestions:
        note = tx("round.note", note=quote(clip(sg.note, NOTE_CLIP))) if sg.note else ""
        lines.append(
            tx(
                "round.suggestion",
                parent=quote(short_name(sg.parent_name)),
                reason=tx(f"reason.{sg.reason.value}"),
                note=note,
            )
        )
    if not entry.suggestions:
        lines.append(tx("round.no_suggestion"))
    return "\n".join(lines)


def entry_title(n: int, entry: RoundEntry) -> str:
    return f"{n}. {short_name(entry.full_name)} {entry.day:%d.%m}"


def entry_buttons(tx: Texts, binding_id: int, n: int, entry: RoundEntry) -> Keyboard:
    def data(reason: str) -> str:
        return round_data(binding_id, entry.pupil_id, entry.day, reason)

    reasons = [Button(tx(f"reason.{r.value}"), data(r.value)) for r in REASONS]
    return [[Button(entry_title(n, entry), data(""))], reasons[:2], reasons[2:]]


def round_data(binding_id: int, pupil_id: int, day: date, reason: str = "") -> str:
    """A round button's action: a reason for the pupil's day, or (none) the entry's title."""
    return RoundCb(binding=binding_id, pupil=pupil_id, day=day.toordinal(), reason=reason).pack()


def confirmed_button(
    tx: Texts, binding_id: int, title: str, entry: RoundEntry, reason: AbsenceReason
) -> Button:
    """«✓ 1. Иванов П. 24.11 — болезнь (справка)»: the day's reason is recorded."""
    text = f"✓ {title} — {tx(f'reason.{reason.value}')}"
    return Button(text, round_data(binding_id, entry.pupil_id, entry.day))
