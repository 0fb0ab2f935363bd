"""Routers per feature, built fresh for each dispatcher. Order matters: binding first, the
fallback last."""

from aiogram import Router

from bot.handlers import (
    bindings,
    class_teacher,
    fallback,
    family,
    notices,
    periods,
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
    staff,
    class_teacher,
    bindings,
    roster,
    reports,
    revert,
    periods,
    rules,
    family,
    notices,
    fallback,
)


def routers() -> list[Router]:
    return [m.build() for m in FEATURES]
