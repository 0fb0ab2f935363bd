"""The deputy (correction requests, R7; substitutions, R5, R25) and help for the staff.
The class teacher's screens are in ``bot/telegram/handlers/class_teacher.py``, the admin's
bindings in ``bot/telegram/handlers/bindings.py``."""

from __future__ import annotations

from datetime import date

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot import screens
from bot.actions import AdminCb, DecideCb, Nav, NavCb, RequestsCb, SubCb
from bot.telegram.filters import StaffOnly, on
from bot.telegram.middlewares import CallbackAnswer
from bot.telegram.notify import tell_requester
from bot.telegram.render import show
from core import corrections, lessons
from core.access import Actor
from core.clock import local_today
from core.journal import Journal
from core.models import StaffRole
from notifications.substitutions import announce_substitution
from texts import Texts


def today(journal: Journal) -> date:
    return local_today(journal.clock, journal.rules.timezone)


# --- deputy: correction requests (R7) --------------------------------------------------------


async def requests_command(message: Message, actor: Actor, journal: Journal, tx: Texts) -> None:
    await list_requests(message, actor, journal, tx)


async def requests_button(query: CallbackQuery, actor: Actor, journal: Journal, tx: Texts) -> None:
    await list_requests(query, actor, journal, tx)


async def requests_page(
    query: CallbackQuery, callback_data: RequestsCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    await list_requests(query, actor, journal, tx, callback_data.page)


async def list_requests(
    target: Message | CallbackQuery,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    page: int = 0,
) -> None:
    pending = await corrections.pending(journal, actor)
    await show(target, screens.corrections.pending(tx, pending, page))


async def decide(
    query: CallbackQuery,
    callback_data: DecideCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    bot: Bot,
) -> None:
    request = await corrections.decide(journal, actor, callback_data.request, callback_data.approve)
    # The list: the same page again, the decision on top (none from a single request's message).
    pending = await corrections.pending(journal, actor) if callback_data.page >= 0 else []
    await show(query, screens.corrections.decided(tx, request, pending, callback_data.page))
    await tell_requester(bot, journal, request)


# --- deputy: substitutions (R5, R25) ---------------------------------------------------------


async def substitutions(
    query: CallbackQuery, callback_data: SubCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    """The school's lessons of a day (today first), paged; a tap picks a substitute."""
    day = date.fromordinal(callback_data.day) if callback_data.day else today(journal)
    rows = await lessons.school_day(journal, actor, day)
    await show(query, screens.substitutions.school_day(tx, day, rows, callback_data.page))


async def substitute_pick(
    query: CallbackQuery, callback_data: SubCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    day = date.fromordinal(callback_data.day)
    found = await lessons.substitute_choice(journal, actor, day, callback_data.lesson)
    page = callback_data.page
    await show(query, screens.substitutions.teachers(tx, day, found.lesson, found.teachers, page))


async def substitute_set(
    query: CallbackQuery,
    callback_data: SubCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    callback_answer: CallbackAnswer,
) -> None:
    await lessons.assign_substitute(journal, actor, callback_data.lesson, callback_data.teacher)
    await announce_substitution(journal, callback_data.lesson)  # R5: both teachers are told
    day = date.fromordinal(callback_data.day)
    rows = await lessons.school_day(journal, actor, day)
    lesson = lessons.school_lesson(rows, callback_data.lesson)
    callback_answer.text = tx("saved")
    await show(query, screens.substitutions.assigned(tx, day, rows, lesson))


async def help_button(query: CallbackQuery, actor: Actor, tx: Texts) -> None:
    await show(query, screens.start.help_text(tx, actor))


def build() -> Router:
    router = Router(name="staff")
    router.message.filter(StaffOnly())
    router.callback_query.filter(StaffOnly())
    router.message.register(
        requests_command, Command("requests"), StaffOnly(StaffRole.DEPUTY, StaffRole.DIRECTOR)
    )
    router.callback_query.register(
        requests_button,
        on(AdminCb, F.act == "q"),
        StaffOnly(StaffRole.DEPUTY, StaffRole.DIRECTOR),
    )
    router.callback_query.register(
        requests_page, on(RequestsCb), StaffOnly(StaffRole.DEPUTY, StaffRole.DIRECTOR)
    )
    router.callback_query.register(decide, on(DecideCb))
    deputies = StaffOnly(StaffRole.DEPUTY, StaffRole.DIRECTOR, StaffRole.ADMIN)
    router.callback_query.register(substitutions, on(SubCb, F.act == "d"), deputies)
    router.callback_query.register(substitute_pick, on(SubCb, F.act == "l"), deputies)
    router.callback_query.register(substitute_set, on(SubCb, F.act == "t"), deputies)
    router.callback_query.register(help_button, on(NavCb, F.to == Nav.HELP))
    return router
