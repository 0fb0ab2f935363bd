"""Final marks of the period from a lesson (R11): the pupils with their marks, the values
for one pupil, the mark given. One read (``core.marks.finals_sheet``) a screen."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery

from bot import screens
from bot.actions import FinalCb, LessonAct, LessonActCb, PupilsPageCb, PupilsScreen
from bot.telegram.filters import StaffOnly, on
from bot.telegram.middlewares import CallbackAnswer
from bot.telegram.render import show
from core import marks
from core.access import Actor
from core.journal import Journal
from core.models import StaffRole
from texts import Texts

# --- final marks (R11) -------------------------------------------------------------------------


async def final_screen(
    query: CallbackQuery, callback_data: LessonActCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    await show_finals(query, actor, journal, tx, callback_data.lesson)


async def finals_page(
    query: CallbackQuery, callback_data: PupilsPageCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    await show_finals(query, actor, journal, tx, callback_data.lesson, page=callback_data.page)


async def show_finals(
    query: CallbackQuery,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    lesson_id: int,
    *,
    page: int = 0,
    pupil_id: int | None = None,
) -> None:
    """The final marks' pupils; ``pupil_id``: draw the page that pupil is on."""
    sheet = await marks.finals_sheet(journal, actor, lesson_id)
    await show(query, screens.finals.pupils(tx, sheet, page, pupil_id))


async def final_pick(
    query: CallbackQuery, callback_data: FinalCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    sheet = await marks.finals_sheet(journal, actor, callback_data.lesson)
    await show(query, screens.finals.values(tx, sheet, callback_data.pupil))


async def final_set(
    query: CallbackQuery,
    callback_data: FinalCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    callback_answer: CallbackAnswer,
) -> None:
    target = await marks.lesson_period(journal, actor, callback_data.lesson)
    if target.period is None:
        await show(query, tx("final.no_period"))
        return
    await marks.set_final_mark(
        journal,
        actor,
        target.period.id,
        target.lesson.subject_id,
        callback_data.pupil,
        callback_data.value,
    )
    callback_answer.text = tx("saved")
    await show_finals(query, actor, journal, tx, callback_data.lesson, pupil_id=callback_data.pupil)


def build() -> Router:
    router = Router(name="finals")
    router.callback_query.filter(StaffOnly(StaffRole.TEACHER))
    router.callback_query.register(finals_page, on(PupilsPageCb, F.screen == PupilsScreen.FINAL))
    router.callback_query.register(final_screen, on(LessonActCb, F.act == LessonAct.FINAL))
    router.callback_query.register(final_pick, on(FinalCb, F.value == ""))
    router.callback_query.register(final_set, on(FinalCb, F.value != ""))
    return router
