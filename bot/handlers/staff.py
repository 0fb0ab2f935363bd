"""The deputy (correction requests, R7; substitutions, R5, R25) and help for the staff.
The class teacher's screens are in ``bot/handlers/class_teacher.py``, the admin's
bindings in ``bot/handlers/bindings.py``."""

from __future__ import annotations

from datetime import date

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot import keyboards, screens
from bot.actions import AdminCb, DecideCb, Nav, NavCb, RequestsCb, SubCb
from bot.filters import StaffOnly, on
from bot.middlewares import CallbackAnswer
from bot.notify import request_text, tell_requester
from bot.render import h, show
from bot.screens.common import page_of
from bot.screens.nav import day_title
from core import corrections, lessons
from core.access import Actor
from core.clock import local_today
from core.errors import NotFound
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
    note: str = "",
) -> None:
    """The pending requests as one message: their count, a page of them numbered, ✅ N /
    ✖ N for each, ◀ ▶ (30 after a busy evening do not flood the deputy's chat)."""
    pending = await corrections.pending(journal, actor)
    lines = [note] if note else []
    if not pending:
        lines.append(tx("requests.none"))
        await show(target, "\n\n".join(lines), keyboards.family_back(tx))
        return
    size = keyboards.REQUESTS_PAGE
    shown, page, pages = page_of(pending, page, size)
    head = tx("requests.list", count=len(pending))
    if pages > 1:
        head += "\n" + tx("requests.page", page=page + 1, pages=pages)
    lines.append(head)
    numbered = [(page * size + n, r) for n, r in enumerate(shown, start=1)]
    lines += [f"<b>{no}.</b> {request_text(tx, r)}" for no, r in numbered]
    markup = keyboards.requests_page(tx, [(no, r.id) for no, r in numbered], page, pages)
    await show(target, "\n\n".join(lines), markup)


async def decide(
    query: CallbackQuery,
    callback_data: DecideCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    bot: Bot,
) -> None:
    request = await corrections.decide(journal, actor, callback_data.request, callback_data.approve)
    key = "requests.approved" if request.status == "approved" else "requests.declined"
    outcome = request_text(tx, request) + "\n" + tx(key)
    if callback_data.page < 0:  # the message that announced this one request
        await show(query, request_text(tx, request) + "\n\n" + tx(key))
    else:  # the list: the same page again, the decision on top
        await list_requests(query, actor, journal, tx, callback_data.page, outcome)
    await tell_requester(bot, journal, request)


# --- deputy: substitutions (R5, R25) ---------------------------------------------------------


def _lesson_name(tx: Texts, x: lessons.SchoolLesson) -> str:
    group = f" ({h(x.group)})" if x.group else ""
    return f"{x.lesson.lesson_no}. {h(x.lesson.class_name)} {h(x.lesson.subject)}{group}"


async def substitutions(
    query: CallbackQuery, callback_data: SubCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    """The school's lessons of a day (today first), paged; a tap picks a substitute."""
    day = date.fromordinal(callback_data.day) if callback_data.day else today(journal)
    rows = await lessons.school_day(journal, actor, day)
    lines = [tx("subs.day", day=day_title(tx, day))]
    if not rows:
        lines.append(tx("subs.no_lessons"))
    shown, page, pages = page_of(rows, callback_data.page, keyboards.SCHOOL_LESSONS_PAGE)
    if pages > 1:
        first = page * keyboards.SCHOOL_LESSONS_PAGE + 1
        lines.append(tx("subs.page", first=first, last=first + len(shown) - 1, total=len(rows)))
    await show(query, "\n".join(lines), keyboards.school_day_lessons(tx, day, rows, page))


async def substitute_pick(
    query: CallbackQuery, callback_data: SubCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    day = date.fromordinal(callback_data.day)
    lesson = await _school_lesson(journal, actor, day, callback_data.lesson)
    teachers = await lessons.school_teachers(journal, actor)
    await show(
        query,
        tx(
            "subs.pick_teacher",
            lesson=_lesson_name(tx, lesson),
            teacher=h(lesson.teacher),
            planned=h(lesson.planned_teacher),
        ),
        keyboards.substitute_teachers(
            tx, day, lesson.lesson.id, teachers, lesson.lesson.teacher_id, callback_data.page
        ),
    )


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
    lesson = await _school_lesson(journal, actor, day, callback_data.lesson)
    callback_answer.text = tx("saved")
    await show(
        query,
        tx("subs.assigned", lesson=_lesson_name(tx, lesson), teacher=h(lesson.teacher)),
        keyboards.school_day_lessons(tx, day, await lessons.school_day(journal, actor, day), 0),
    )


async def _school_lesson(
    journal: Journal, actor: Actor, day: date, lesson_id: int
) -> lessons.SchoolLesson:
    found = next(
        (x for x in await lessons.school_day(journal, actor, day) if x.lesson.id == lesson_id), None
    )
    if found is None:
        raise NotFound()
    return found


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
