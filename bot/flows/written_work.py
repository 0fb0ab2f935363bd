"""R14: the teacher makes a lesson a written or control work (from its card), and the
deputy reads the works whose marks are past their day. The rules are
``core/written_work.py``; the screens ``bot/screens/written_work.py``."""

from __future__ import annotations

from bot import screens
from bot.actions import LessonAct, LessonActCb, OverdueCb, WrittenWorkCb
from bot.flows.routes import Routes, staff
from bot.flows.turn import Turn, actor_of
from core import written_work
from core.models import StaffRole


async def lesson_work(turn: Turn, action: LessonActCb) -> None:
    found = await written_work.lesson_work(turn.journal, actor_of(turn), action.lesson)
    await turn.show(screens.written_work.lesson_work(turn.tx, found))


async def set_work(turn: Turn, action: WrittenWorkCb) -> None:
    """A tap on a work type (0: none). Tapping the one already set changes nothing."""
    actor = actor_of(turn)
    found, changed = await written_work.set_lesson_work(
        turn.journal, actor, action.lesson, action.wt or None
    )
    turn.answer(turn.tx("saved"))
    if changed:  # else the screen already shows it
        await turn.show(screens.written_work.lesson_work(turn.tx, found))


async def overdue(turn: Turn, action: OverdueCb) -> None:
    found = await written_work.overdue_works(turn.journal, actor_of(turn))
    await turn.show(screens.written_work.overdue(turn.tx, found, action.page))


def routes() -> Routes:
    r = Routes()
    teacher = staff(StaffRole.TEACHER)
    r.press(LessonActCb, lesson_work, when=lambda a: a.act == LessonAct.WRITTEN, who=teacher)
    r.press(WrittenWorkCb, set_work, who=teacher)
    deputies = staff(StaffRole.DEPUTY, StaffRole.DIRECTOR, StaffRole.ADMIN)
    r.press(OverdueCb, overdue, who=deputies)
    return r
