"""Invitation codes and Telegram bindings (R2, R3, R19, R24).

A code is personal and single-use, expires, can be revoked, carries at least 128 random
bits from the OS's CSPRNG (28 characters of a 31-letter alphabet: 138 bits), fits a
Telegram deep link (``/start <code>``: at most 64 characters of ``A-Za-z0-9_-``), and
only its SHA-256 is stored. The alphabet has no look-alikes (no 0/O, 1/l/I), so a code can
be typed from paper: it is printed in groups of four, and a typed code is read in any case
with spaces and dashes ignored.

The package: ``codes`` (the code itself, pure), ``issue`` (issuing and revoking codes),
``redeem`` (a code becomes a binding) and ``bindings`` (consent, logout, cutting a
binding, the admin's list), each with its queries beside its use cases.
"""

from __future__ import annotations

from core.invitations.bindings import (
    BINDINGS_PER_PAGE,
    BindingsPage,
    ConsentRefusal,
    binding_to_cut,
    cut_own_other_account,
    find_bindings,
    logout,
    record_consent,
    refuse_consent,
    revoke_binding,
    school_bindings,
)
from core.invitations.codes import (
    CODE_ALPHABET,
    CODE_GROUP,
    CODE_LENGTH,
    CODE_PATTERN,
    code_hash,
    grouped,
    looks_like_code,
    new_code,
    normalised,
)
from core.invitations.issue import (
    CardHolder,
    IssuedCode,
    IssueResult,
    issue,
    issue_for_class,
    issue_for_person,
    issue_for_pupils,
    issue_for_staff,
    reissuable,
    revoke_code,
)
from core.invitations.redeem import REDEEM_LOCK_NAMESPACE, BindingView, bindings_of, redeem

__all__ = [
    "BINDINGS_PER_PAGE",
    "CODE_ALPHABET",
    "CODE_GROUP",
    "CODE_LENGTH",
    "CODE_PATTERN",
    "REDEEM_LOCK_NAMESPACE",
    "BindingView",
    "BindingsPage",
    "CardHolder",
    "ConsentRefusal",
    "IssueResult",
    "IssuedCode",
    "binding_to_cut",
    "bindings_of",
    "code_hash",
    "cut_own_other_account",
    "find_bindings",
    "grouped",
    "issue",
    "issue_for_class",
    "issue_for_person",
    "issue_for_pupils",
    "issue_for_staff",
    "logout",
    "looks_like_code",
    "new_code",
    "normalised",
    "record_consent",
    "redeem",
    "refuse_consent",
    "reissuable",
    "revoke_binding",
    "revoke_code",
    "school_bindings",
]
