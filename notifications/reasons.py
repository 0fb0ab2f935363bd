"""The messages of the absence-reason flow (R6, issue 9.5), queued in the outbox so they
survive a Telegram outage or a restart and are retried, never lost and never doubled: a
parent's suggested reason (and comment) to the class teacher at once, with one-tap R6
reasons or «✖ Отклонить»; the class teacher's answer (confirmed, or rejected with a short
explanation) to the parents who gave a reason.

Each message's key names the recipient's binding, the pupil-day and the moment of the
suggestion it is about, so queuing it twice (a retried update) queues it once."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from bot.actions import RejectCb
from bot.screen import Button, Screen, quote
from core.access import Actor
from core.friday_round import ReasonAnswer, RoundView, SuggestionView, round_view_in
from core.journal import Journal
from core.models import AbsenceReason
from core.recipients import Recipient
from notifications.compose import Keyboard
from notifications.friday_round import (
    REASONS,
    RoundKind,
    confirmed_button,
    redrawn_part,
    round_data,
    shown_in,
)
from notifications.outbox import OutboxItem, enqueue, sent_item
from texts import Texts

SUGGESTED_KIND = "reason_suggested"
NOTE_KIND = "reason_note"
CONFIRMED_KIND = "reason_confirmed"
REJECTED_KIND = "reason_rejected"

#: The reasons a class teacher confirms with one tap (R6), as the Friday round offers them.
CONFIRMABLE = REASONS


def _key(
    kind: str, binding_id: int, pupil_id: int, day: date, at: datetime | None, extra: str = ""
) -> str:
    stamp = int(at.timestamp() * 1_000_000) if at is not None else 0
    return f"{kind}:{binding_id}:{pupil_id}:{day.isoformat()}:{stamp}{extra}"


def teacher_keyboard(
    tx: Texts, binding: int, pupil: int, day: date, title: str, first: AbsenceReason
) -> Keyboard:
    """One tap confirms one of the R6 reasons (the parent's first), or rejects."""
    ordinal = day.toordinal()
    reasons = [first, *(r for r in CONFIRMABLE if r is not first)]
    buttons = [
        Button(tx(f"reason.{r.value}"), round_data(binding, pupil, day, r.value)) for r in reasons
    ]
    return [
        [Button(title, round_data(binding, pupil, day))],
        buttons[:2],
        buttons[2:],
        [Button(tx("suggest.reject"), RejectCb(binding=binding, pupil=pupil, day=ordinal).pack())],
    ]


def notice_title(pupil_name: str, day: date) -> str:
    """«Иванов 24.11»: the pupil-day a notice is about, on its first button."""
    return f"{pupil_name.split()[0] if pupil_name else ''} {day:%d.%m}"


#: The messages a class teacher confirms a reason from: the round's and a suggestion's.
CONFIRMED_FROM = (RoundKind.FRIDAY.value, RoundKind.MONDAY.value, SUGGESTED_KIND)


async def redrawn_after_confirm(
    journal: Journal,
    actor: Actor,
    tx: Texts,
    channel: str,
    chat_id: int,
    message_id: str,
    binding_id: int,
    pupil_day: tuple[int, date],
) -> Screen | None:
    """The message a reason was confirmed from, drawn again from the journal by the
    functions that drew it (a round's part, a suggestion's notice), in one transaction;
    ``None`` when the message is not one of those the outbox keeps."""
    async with journal.transaction() as s:
        item = await sent_item(s, channel, chat_id, message_id, CONFIRMED_FROM)
        if item is None:
            return None
        shown = shown_in(item.meta) if item.kind != SUGGESTED_KIND else [(1, *pupil_day)]
        if shown is None:
            return None  # a round sent before its rows kept what it lists
        view = await round_view_in(s, actor, [(p, d) for _, p, d in shown])
    if view is None:
        return None
    if item.kind == SUGGESTED_KIND:
        return Screen(item.text, notice_rows(tx, binding_id, pupil_day, view))
    numbers = {(p, d): n for n, p, d in shown}
    return redrawn_part(tx, RoundKind(item.kind), binding_id, item.meta, numbers, view)


def notice_rows(
    tx: Texts, binding_id: int, pupil_day: tuple[int, date], view: RoundView
) -> Keyboard:
    """A suggestion notice's buttons as the journal stands: the reason once confirmed,
    the one-tap reasons while not, none once the absence is gone."""
    if not view.entries:
        return []
    state = view.entries[0]
    entry, (pupil, day) = state.entry, pupil_day
    title = notice_title(entry.full_name, day)
    if state.reason is not None:
        return [[confirmed_button(tx, binding_id, title, entry, state.reason)]]
    first = entry.suggestions[-1].reason if entry.suggestions else CONFIRMABLE[0]
    return teacher_keyboard(tx, binding_id, pupil, day, title, first)


async def _queue(journal: Journal, items: Iterable[OutboxItem]) -> int:
    async with journal.transaction() as s:
        return await enqueue(s, list(items))


async def announce_suggestion(journal: Journal, view: SuggestionView) -> int:
    """The class teacher learns a parent's suggested reason at once, with one-tap reasons."""
    items = []
    for teacher in view.class_teachers:
        tx = Texts(teacher.language)
        title = notice_title(view.pupil_name, view.day)
        items.append(
            OutboxItem(
                key=_key(SUGGESTED_KIND, teacher.binding_id, view.pupil_id, view.day, view.at),
                chat_id=teacher.chat_id,
                channel=teacher.channel,
                kind=SUGGESTED_KIND,
                binding_id=teacher.binding_id,
                text=tx(
                    "suggest.to_teacher",
                    parent=quote(view.parent_name),
                    name=quote(view.pupil_name),
                    day=f"{view.day:%d.%m.%Y}",
                    reason=tx(f"suggest.{view.reason.value}"),
                ),
                buttons=(
                    teacher_keyboard(
                        tx, teacher.binding_id, view.pupil_id, view.day, title, view.reason
                    )
                ),
            )
        )
    return await _queue(journal, items)


async def announce_note(journal: Journal, view: SuggestionView) -> int:
    """The parent's comment to their suggestion, to the class teacher."""
    return await _queue(
        journal,
        (
            OutboxItem(
                key=_key(NOTE_KIND, teacher.binding_id, view.pupil_id, view.day, view.at),
                chat_id=teacher.chat_id,
                channel=teacher.channel,
                kind=NOTE_KIND,
                binding_id=teacher.binding_id,
                text=Texts(teacher.language)(
                    "suggest.note_to_teacher",
                    name=quote(view.pupil_name),
                    day=f"{view.day:%d.%m.%Y}",
                    note=quote(view.note or ""),
                ),
            )
            for teacher in view.class_teachers
        ),
    )


def _to_parents(
    answer: ReasonAnswer, kind: str, pupil_id: int, day: date, text: str, **params: str
) -> list[OutboxItem]:
    def item(parent: Recipient) -> OutboxItem:
        tx = Texts(parent.language)
        params_here = dict(params)
        extra = ""
        if "reason" in params:  # another reason confirmed later is news of its own
            params_here["reason"] = tx(f"reason.{params['reason']}")
            extra = f":{params['reason']}"
        return OutboxItem(
            key=_key(kind, parent.binding_id, pupil_id, day, answer.suggested_at, extra),
            chat_id=parent.chat_id,
            channel=parent.channel,
            kind=kind,
            binding_id=parent.binding_id,
            text=tx(
                text,
                name=quote(answer.pupil_name),
                day=f"{day:%d.%m.%Y}",
                **params_here,
            ),
        )

    return [item(p) for p in answer.parents]


async def announce_confirmed(
    journal: Journal, answer: ReasonAnswer, pupil_id: int, day: date, reason: AbsenceReason
) -> int:
    """The parents who gave a reason for the pupil-day learn the confirmed one."""
    items = _to_parents(
        answer,
        CONFIRMED_KIND,
        pupil_id,
        day,
        "suggest.confirmed_to_parent",
        reason=reason.value,
    )
    return await _queue(journal, items)


async def announce_rejected(
    journal: Journal, answer: ReasonAnswer, pupil_id: int, day: date, explanation: str
) -> int:
    """The parents whose reason was not accepted get the class teacher's explanation."""
    items = _to_parents(
        answer,
        REJECTED_KIND,
        pupil_id,
        day,
        "suggest.rejected_to_parent",
        explanation=quote(explanation.strip()),
    )
    return await _queue(journal, items)
