"""A parent's suggested reason for an absence (R6, issue 9.5): the choices, then the
offer to add a comment."""

from __future__ import annotations

from datetime import date

from bot.actions import SuggestCb, SuggestDoneCb
from bot.screen import Button, Screen, quote
from core.models import AbsenceReason
from texts import Texts


def choices(
    tx: Texts, binding: int, pupil: int, day: date, name: str, reasons: tuple[AbsenceReason, ...]
) -> Screen:
    return Screen(
        tx("suggest.ask", name=quote(name), day=f"{day:%d.%m.%Y}"),
        [
            [
                Button(
                    tx(f"suggest.{reason.value}"),
                    SuggestCb(
                        binding=binding, pupil=pupil, day=day.toordinal(), reason=reason.value
                    ),
                )
            ]
            for reason in reasons
        ],
    )


def saved(tx: Texts, binding: int, pupil_name: str, day: date, reason: AbsenceReason) -> Screen:
    """The suggestion is saved; a comment may follow (or not)."""
    text = tx(
        "suggest.saved",
        name=quote(pupil_name),
        day=f"{day:%d.%m.%Y}",
        reason=tx(f"suggest.{reason.value}"),
    )
    return Screen(
        text + "\n\n" + tx("suggest.ask_note"),
        [[Button(tx("suggest.no_note"), SuggestDoneCb(binding=binding))]],
    )
