"""A Telegram account in the bot: its bindings, the one it acts through now, the child a
parent is looking at, the language it reads, and a parent's notification choices.

The package: ``session`` (the account's session, read in one query on every update),
``prefs`` (notification choices, reachable chats) and ``opt_out`` (R18), each with its
queries beside its use cases.
"""

from __future__ import annotations

from core.accounts.opt_out import GuardianLink, class_guardians, set_diary_opt_out
from core.accounts.prefs import Prefs, chats_of, get_prefs, set_prefs
from core.accounts.session import (
    SEEN_EVERY,
    PupilRef,
    Session,
    children,
    open_session,
    set_reachable,
    switch_binding,
    switch_pupil,
)

__all__ = [
    "SEEN_EVERY",
    "GuardianLink",
    "Prefs",
    "PupilRef",
    "Session",
    "chats_of",
    "children",
    "class_guardians",
    "get_prefs",
    "open_session",
    "set_diary_opt_out",
    "set_prefs",
    "set_reachable",
    "switch_binding",
    "switch_pupil",
]
