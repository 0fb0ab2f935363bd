"""Routers per role, built fresh for each dispatcher. Order matters: binding first, the
fallback last."""

from aiogram import Router

from bot.handlers import (
    admin,
    bindings,
    class_teacher,
    fallback,
    family,
    notices,
    staff,
    start,
    teacher,
)


def routers() -> list[Router]:
    return [
        m.build()
        for m in (
            start,
            teacher,
            staff,
            class_teacher,
            bindings,
            admin,
            family,
            notices,
            fallback,
        )
    ]
