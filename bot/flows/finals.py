"""Final marks of the period from a lesson (R11): the pupils with their marks, the values
for one pupil, the mark given. One read (``core.marks.finals_sheet``) a screen."""

from __future__ import annotations

from bot import screens
from bot.actions import FinalCb, LessonAct, LessonActCb, PupilsPageCb, PupilsScreen
from bot.flows.routes import Routes, staff
from bot.flows.turn import Turn, actor_of
from core import marks
from core.models import StaffRole


async def final_screen(turn: Turn, action: LessonActCb) -> None:
    await show_finals(turn, action.lesson)


async def finals_page(turn: Turn, action: PupilsPageCb) -> None:
    await show_finals(turn, action.lesson, page=action.page)


async def show_finals(
    turn: Turn, lesson_id: int, *, page: int = 0, pupil_id: int | None = None
) -> None:
    """The final marks' pupils; ``pupil_id``: draw the page that pupil is on."""
    sheet = await marks.finals_sheet(turn.journal, actor_of(turn), lesson_id)
    await turn.show(screens.finals.pupils(turn.tx, sheet, page, pupil_id))


async def final_pick(turn: Turn, action: FinalCb) -> None:
    sheet = await marks.finals_sheet(turn.journal, actor_of(turn), action.lesson)
    await turn.show(screens.finals.values(turn.tx, sheet, action.pupil))


async def final_set(turn: Turn, action: FinalCb) -> None:
    actor, journal = actor_of(turn), turn.journal
    target = await marks.lesson_period(journal, actor, action.lesson)
    if target.period is None:
        await turn.show(turn.tx("final.no_period"))
        return
    await marks.set_final_mark(
        journal, actor, target.period.id, target.lesson.subject_id, action.pupil, action.value
    )
    turn.answer(turn.tx("saved"))
    await show_finals(turn, action.lesson, pupil_id=action.pupil)


def routes() -> Routes:
    r = Routes()
    teacher = staff(StaffRole.TEACHER)
    r.press(PupilsPageCb, finals_page, when=lambda a: a.screen == PupilsScreen.FINAL, who=teacher)
    r.press(LessonActCb, final_screen, when=lambda a: a.act == LessonAct.FINAL, who=teacher)
    r.press(FinalCb, final_pick, when=lambda a: a.value == "", who=teacher)
    r.press(FinalCb, final_set, when=lambda a: a.value != "", who=teacher)
    return r
