"""R3: a compromised account. Its holder reports it; access is cut at once; every
operation made with that account after the report is void.

``revert`` cuts the binding (committed on its own, so access is cut even if the rest
fails), then in one transaction voids what the account did in the window
[``since``, the moment it was cut):

- every audited change (attendance, absence reasons, marks, final marks, substitutions,
  period close/reopen, topics and homework) is undone through the audit log, newest
  first: each entity goes back to the state it had just before the change, and each
  undo is itself audited (action ``<entity>.revert``, reason ``R3 revert of entry #N``,
  actor = the admin);
- the account's pending correction requests are declined (an approved one is undone
  like the account's own change: it was the account's operation);
- invitation codes it issued are revoked, and accounts bound with them are cut;
- absence reasons it suggested as a parent are withdrawn.

Which changes came "through that account": every audit row records the binding it was
made through (``audit_log.binding_id``; NULL from the command line), so a person with two
phones bound keeps what the other phone did. A row from before the column existed counts
when its actor is the binding's person. The window starts no earlier than the binding was
created and ends when it was cut. Correction requests and invitation codes do not record
the binding: those of the person made in the window are voided whichever phone made them.

A later change to the same entity by someone else is a decision of a legitimate user and
wins: the whole entity is left as it is and reported (``Verdict.CONFLICT``), for the
admin to settle by hand (the owner's other phone counts as someone else: a decision of
the legitimate user). An entity in a closed period is left as it is too (R10,
``Verdict.LOCKED``); reopening takes the director's order.

The package: ``use_cases`` (what the bot and the CLI call), ``history`` (reading the audit
log, replaying an entity's state), ``plan`` (what undoing each change means), ``write``
(the undo itself), ``model`` (the data handed back) and ``words`` (that data as phrases,
keys with values, which the caller renders with the texts catalogue: ``texts.revert``).
"""

from __future__ import annotations

from core.revert.model import (
    CUT_GRACE,
    RECENTLY_CUT_DAYS,
    AccountRef,
    LessonRef,
    RevertItem,
    RevertPreview,
    RevertSummary,
    Verdict,
)
from core.revert.use_cases import account, accounts, preview, preview_page, revert
from core.revert.words import Phrase, describe, summary_lines
from core.revert.write import revert_reason, typed_reason

__all__ = [
    "CUT_GRACE",
    "RECENTLY_CUT_DAYS",
    "AccountRef",
    "LessonRef",
    "Phrase",
    "RevertItem",
    "RevertPreview",
    "RevertSummary",
    "Verdict",
    "account",
    "accounts",
    "describe",
    "preview",
    "preview_page",
    "revert",
    "revert_reason",
    "summary_lines",
    "typed_reason",
]
