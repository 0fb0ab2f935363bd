"""Callback data of the buttons that notifications carry. The bot's handlers
(bot/handlers/notices.py) import them from here; notifications never import bot/.

Each button names the binding the message was sent to, so that it acts in that role even
when the account has since switched to another of its bindings; core checks that the
binding belongs to whoever presses (callback data can be forged)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class DigestReadCb(CallbackData, prefix="dgr"):
    """«Прочитано ✓» under a digest (R17)."""

    binding: int
    day: int  # date ordinal


class SuggestCb(CallbackData, prefix="sgr"):
    """A parent suggests the reason of an absence: ``reason`` empty shows the choices."""

    binding: int
    pupil: int
    day: int
    reason: str = ""


class SuggestDoneCb(CallbackData, prefix="sgd"):
    """The parent adds no comment to the suggestion."""

    binding: int


class RejectCb(CallbackData, prefix="rjs"):
    """The class teacher does not accept a parent's suggested reason for a pupil-day."""

    binding: int
    pupil: int
    day: int


class RoundCb(CallbackData, prefix="rnd"):
    """A class teacher confirms a pupil's day of absences from the round (R6); ``reason``
    empty is the entry's title button."""

    binding: int
    pupil: int
    day: int
    reason: str = ""


class CutOtherCb(CallbackData, prefix="cuo"):
    """«Отключить этот аккаунт» under the notice that another account was bound to the
    same person (R3): sent to ``binding``, cuts ``other``."""

    binding: int
    other: int


class UnreadCb(CallbackData, prefix="unr"):
    """The class teacher's list of parents who have not read this week's digests (R17)."""

    cls: int
    day: int = 0  # any date of the week (ordinal); 0: this week


# Packed by hand where a job packs one per parent (a hundred thousand a night): the same
# strings as ``.pack()`` (a test keeps them equal), without pydantic's cost each time.


def digest_read_data(binding_id: int, day: int) -> str:
    """``DigestReadCb(binding=binding_id, day=day).pack()``."""
    return f"{DigestReadCb.__prefix__}:{binding_id}:{day}"


def suggest_data(binding_id: int, pupil_id: int, day: int) -> str:
    """``SuggestCb(binding=binding_id, pupil=pupil_id, day=day).pack()``."""
    return f"{SuggestCb.__prefix__}:{binding_id}:{pupil_id}:{day}:"


def lesson_button_data(lesson_id: int) -> str:
    """The bot's ``LessonCb(lesson=ID).pack()`` (opens a lesson card), built here because
    notifications do not import bot/. A test keeps the two equal."""
    return f"l:{lesson_id}"
