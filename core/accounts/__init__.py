"""A Telegram account in the bot: its bindings, the one it acts through now, the child a
parent is looking at, the language it reads, and a parent's notification choices.

The package: ``session`` (the account's session, read in one query on every update),
``prefs`` (notification choices, reachable chats) and ``opt_out`` (R18), each with its
queries beside its use cases.
"""

from __future__ import annotations

from core.accounts.caller import (
    SEEN_EVERY,
    Caller,
    PupilRef,
    children,
    identify,
    set_reachable,
    switch_binding,
    switch_pupil,
)
from core.accounts.choices import (
    QUIET_PRESETS,
    ChildChoices,
    Topic,
    in_quiet_hours,
    set_choice,
    set_quiet_hours,
    wants,
    wants_sql,
)
from core.accounts.opt_out import GuardianLink, class_guardians, set_diary_opt_out
from core.accounts.prefs import Channel, Prefs, chats_of, get_prefs, set_delivery, set_prefs

__all__ = [
    "QUIET_PRESETS",
    "SEEN_EVERY",
    "Caller",
    "Channel",
    "ChildChoices",
    "GuardianLink",
    "Prefs",
    "PupilRef",
    "Topic",
    "chats_of",
    "children",
    "class_guardians",
    "get_prefs",
    "identify",
    "in_quiet_hours",
    "set_choice",
    "set_delivery",
    "set_diary_opt_out",
    "set_prefs",
    "set_quiet_hours",
    "set_reachable",
    "switch_binding",
    "switch_pupil",
    "wants",
    "wants_sql",
]
