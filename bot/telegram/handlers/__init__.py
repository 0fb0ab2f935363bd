"""Routers per feature, built fresh for each dispatcher. Order matters: binding first, the
fallback last."""

from aiogram import Router

from bot.telegram.handlers import (
    bindings,
    class_teacher,
    digest,
    fallback,
    family,
    finals,
    friday_round,
    marks,
    other_account,
    periods,
    reasons,
    reports,
    revert,
    roster,
    rules,
    staff,
    start,
    teacher,
)

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
    friday_round,
    fallback,
)


def routers() -> list[Router]:
    return [m.build() for m in FEATURES]
