"""Every feature's routes, in the order updates are matched (binding first). The Telegram
adapter registers each feature as a router of its own (``bot/telegram/handlers/``), the
MAX adapter matches them in this order (``bot/max/dispatch.py``)."""

from __future__ import annotations

from bot.flows import (
    announcements,
    bindings,
    class_teacher,
    digest,
    family,
    finals,
    friday_round,
    marks,
    other_account,
    periods,
    planned,
    reasons,
    reports,
    revert,
    roster,
    rules,
    schedule,
    staff,
    start,
    teacher,
    written_work,
)
from bot.flows.routes import Route

FEATURES = (
    start,
    teacher,
    marks,
    finals,
    staff,
    class_teacher,
    bindings,
    roster,
    reports,
    revert,
    periods,
    rules,
    family,
    digest,
    other_account,
    reasons,
    planned,
    friday_round,
    written_work,
    announcements,
    schedule,
)


def all_routes() -> list[Route]:
    return [route for feature in FEATURES for route in feature.routes().routes]
