"""The deputy (correction requests, R7; substitutions, R5, R25) and help for the staff.
The class teacher's screens and the admin's bindings are features of their own."""

from __future__ import annotations

from datetime import date

from bot import screens
from bot.actions import AdminCb, DecideCb, Nav, NavCb, RequestsCb, SubCb
from bot.flows.outcomes import tell_requester
from bot.flows.routes import Routes, staff
from bot.flows.turn import Turn, actor_of, today
from core import corrections, lessons
from core.models import StaffRole
from notifications.substitutions import announce_substitution

# --- deputy: correction requests (R7) --------------------------------------------------------


async def requests_view(turn: Turn, action: AdminCb | None = None) -> None:
    await list_requests(turn)


async def requests_page(turn: Turn, action: RequestsCb) -> None:
    await list_requests(turn, action.page)


async def list_requests(turn: Turn, page: int = 0) -> None:
    pending = await corrections.pending(turn.journal, actor_of(turn))
    await turn.show(screens.corrections.pending(turn.tx, pending, page))


async def decide(turn: Turn, action: DecideCb) -> None:
    actor, journal = actor_of(turn), turn.journal
    request = await corrections.decide(journal, actor, action.request, action.approve)
    # The list: the same page again, the decision on top (none from a single request's message).
    pending = await corrections.pending(journal, actor) if action.page >= 0 else []
    await turn.show(screens.corrections.decided(turn.tx, request, pending, action.page))
    await tell_requester(turn, request)


# --- deputy: substitutions (R5, R25) ---------------------------------------------------------


async def substitutions(turn: Turn, action: SubCb) -> None:
    """The school's lessons of a day (today first), paged; a tap picks a substitute."""
    day = date.fromordinal(action.day) if action.day else today(turn.journal)
    rows = await lessons.school_day(turn.journal, actor_of(turn), day)
    await turn.show(screens.substitutions.school_day(turn.tx, day, rows, action.page))


async def substitute_pick(turn: Turn, action: SubCb) -> None:
    day = date.fromordinal(action.day)
    found = await lessons.substitute_choice(turn.journal, actor_of(turn), day, action.lesson)
    teachers = screens.substitutions.teachers(
        turn.tx, day, found.lesson, found.teachers, action.page
    )
    await turn.show(teachers)


async def substitute_set(turn: Turn, action: SubCb) -> None:
    actor, journal = actor_of(turn), turn.journal
    await lessons.assign_substitute(journal, actor, action.lesson, action.teacher)
    await announce_substitution(journal, action.lesson)  # R5: both teachers are told
    day = date.fromordinal(action.day)
    rows = await lessons.school_day(journal, actor, day)
    lesson = lessons.school_lesson(rows, action.lesson)
    turn.answer(turn.tx("saved"))
    await turn.show(screens.substitutions.assigned(turn.tx, day, rows, lesson))


async def help_view(turn: Turn, action: NavCb) -> None:
    await turn.show(screens.start.help_text(turn.tx, actor_of(turn)))


def routes() -> Routes:
    r = Routes()
    approvers = staff(StaffRole.DEPUTY, StaffRole.DIRECTOR)
    r.command("requests", requests_view, who=approvers)
    r.press(AdminCb, requests_view, when=lambda a: a.act == "q", who=approvers)
    r.press(RequestsCb, requests_page, who=approvers)
    r.press(DecideCb, decide, who=staff())
    deputies = staff(StaffRole.DEPUTY, StaffRole.DIRECTOR, StaffRole.ADMIN)
    r.press(SubCb, substitutions, when=lambda a: a.act == "d", who=deputies)
    r.press(SubCb, substitute_pick, when=lambda a: a.act == "l", who=deputies)
    r.press(SubCb, substitute_set, when=lambda a: a.act == "t", who=deputies)
    r.press(NavCb, help_view, when=lambda a: a.to == Nav.HELP, who=staff())
    return r
