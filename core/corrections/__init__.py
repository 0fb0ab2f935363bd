"""A correction after 20:00 (R7, R8): an entry changed past its deadline becomes a request
that the deputy (or the director) approves or declines.

Where each part lives:

- the rule: :func:`core.rules.needs_approval` (the deadline on the lesson day, R7, and the
  edit window, R8), pure, beside the other rules;
- the request: :mod:`core.corrections.request` (which changes need approval, and the
  requests for them), asked by :func:`core.entries.submit_many` for every change, one
  tap or the whole roll call;
- the decision: :mod:`core.corrections.decision` (an approved change is applied as the
  requester's entry, audited with the approver and the request, R9; a closed period
  refuses it, R10);
- the queries: :mod:`core.corrections.queries` (the queue, one request, the approvers).
"""

from __future__ import annotations

from core.corrections.decision import decide
from core.corrections.queries import (
    APPROVERS,
    RequestView,
    approvers,
    get_request,
    newest_pending,
    pending,
)

__all__ = [
    "APPROVERS",
    "RequestView",
    "approvers",
    "decide",
    "get_request",
    "newest_pending",
    "pending",
]
