"""The class teacher: the class's journal read-only (R1), the week's absences with reasons
to confirm (R6), the pupils' pages, the parents' e-diary opt-outs (R18) and invitation
cards (R2). The screens are in ``bot/screens/class_teacher.py``; core checks that the
class is hers."""

from __future__ import annotations

from datetime import date, timedelta

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery, Message

from bot import screens
from bot.actions import ClassCb, ClassPupilCb, OptOutCb, ReasonCb, ReissueCb, WeekPageCb
from bot.screen import quote
from bot.screens.class_teacher import Week
from bot.telegram.cards import send_codes
from bot.telegram.filters import StaffOnly, on
from bot.telegram.middlewares import CallbackAnswer
from bot.telegram.render import show
from core import accounts, class_views, classes, friday_round, invitations
from core.access import Actor
from core.clock import local_today
from core.family import AbsencesPage
from core.journal import Journal
from core.models import AbsenceReason, BindingRole
from notifications import reasons
from texts import Texts


def _day(journal: Journal, ordinal: int) -> date:
    """The day a button names, or today."""
    return (
        date.fromordinal(ordinal) if ordinal else local_today(journal.clock, journal.rules.timezone)
    )


async def class_day(
    query: CallbackQuery, callback_data: ClassCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    day = _day(journal, callback_data.day)
    page = await class_views.class_day_page(journal, actor, callback_data.cls, day)
    await show(
        query,
        screens.class_teacher.class_day(tx, callback_data.cls, page.class_name, day, page.lessons),
    )


async def week_absences(
    query: CallbackQuery,
    callback_data: ClassCb | WeekPageCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    focus: tuple[int, date] | None = None,
) -> None:
    """``focus`` keeps the page of the entry just confirmed."""
    day = _day(journal, callback_data.day)
    monday = day - timedelta(days=day.weekday())
    sunday = monday + timedelta(days=6)
    read = await class_views.class_week(journal, actor, callback_data.cls, monday, sunday)
    week = Week(callback_data.cls, day, [e for e in read.absences if e.lessons], read.suggestions)
    page = callback_data.page if isinstance(callback_data, WeekPageCb) else 0
    await show(query, screens.class_teacher.week_absences(tx, week, week.page_of(page, focus)))


async def confirm_reason(
    query: CallbackQuery,
    callback_data: ReasonCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    callback_answer: CallbackAnswer,
) -> None:
    day = date.fromordinal(callback_data.day)
    reason = AbsenceReason(callback_data.reason)
    count = await friday_round.confirm_reason(journal, actor, callback_data.pupil, day, reason)
    callback_answer.text = tx("class.reason_saved", count=count)
    # The parents who gave a reason for the pupil-day learn the confirmed one (issue 9.5).
    answer = await friday_round.parents_to_tell(journal, actor, callback_data.pupil, day)
    await reasons.announce_confirmed(journal, answer, callback_data.pupil, day, reason)
    pupil_class = await classes.class_of_pupil(journal, actor, callback_data.pupil)
    view = ClassCb(cls=pupil_class, view="w", day=callback_data.day)
    await week_absences(query, view, actor, journal, tx, focus=(callback_data.pupil, day))


async def class_pupils(
    query: CallbackQuery, callback_data: ClassCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    pupils = await classes.class_pupils(journal, actor, callback_data.cls)
    await show(query, screens.class_teacher.class_pupils(tx, callback_data.cls, pupils))


async def class_pupil(
    query: CallbackQuery, callback_data: ClassPupilCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    """The class teacher reads a pupil's page (R1: view, not edit)."""
    page = await class_views.class_pupil_page(
        journal, actor, callback_data.pupil, absences=callback_data.view == "a"
    )
    pupil, shown = page.pupil, page.shown
    if isinstance(shown, AbsencesPage):
        text = screens.family.absences_text(tx, pupil, shown.absences)
    else:
        text = screens.family.marks_text(tx, pupil, shown.period, shown.subjects)
    await show(query, screens.class_teacher.class_pupil(tx, callback_data.cls, pupil.id, text))


async def opt_outs(
    query: CallbackQuery, callback_data: ClassCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    """R18: the class's parents and their e-diary opt-outs; a tap switches one."""
    await show_opt_outs(query, callback_data.cls, actor, journal, tx)


async def switch_opt_out(
    query: CallbackQuery, callback_data: OptOutCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    await accounts.set_diary_opt_out(
        journal, actor, callback_data.guardian, bool(callback_data.on), callback_data.pupil
    )
    await show_opt_outs(query, callback_data.cls, actor, journal, tx)


async def show_opt_outs(
    query: CallbackQuery, class_id: int, actor: Actor, journal: Journal, tx: Texts
) -> None:
    page = await class_views.opt_outs_page(journal, actor, class_id)
    await show(query, screens.class_teacher.opt_outs(tx, class_id, page.class_name, page.links))


async def class_codes(
    query: CallbackQuery,
    callback_data: ClassCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    bot: Bot,
) -> None:
    """Cards for those of the class who have none valid and are not in the bot; valid
    cards stay valid (R2). Reissuing is a separate, confirmed step."""
    result = await invitations.issue_for_class(
        journal, actor, callback_data.cls, {BindingRole.PARENT, BindingRole.PUPIL}
    )
    assert isinstance(query.message, Message)
    await send_codes(
        query.message, result, actor, journal, tx, bot, reissue_scope=callback_data.cls
    )


async def reissue(
    query: CallbackQuery,
    callback_data: ReissueCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    bot: Bot,
) -> None:
    """Reissue one person's valid card: pick the person, read what it does, confirm."""
    holders = await invitations.reissuable(journal, actor, callback_data.cls or None)
    if not callback_data.person:
        await show(query, screens.class_teacher.reissue_pick(tx, callback_data.cls, holders))
        return
    holder = next(
        (
            x
            for x in holders
            if x.person_id == callback_data.person and x.role.value == callback_data.role
        ),
        None,
    )
    if holder is None:
        await show(query, tx("codes.reissue_gone"))
        return
    if not callback_data.ok:
        await show(query, screens.class_teacher.reissue_confirm(tx, callback_data.cls, holder))
        return
    result = await invitations.issue_for_person(
        journal, actor, holder.person_id, holder.role, reissue=True
    )
    await show(query, tx("codes.reissued", name=quote(holder.full_name)))
    assert isinstance(query.message, Message)
    await send_codes(query.message, result, actor, journal, tx, bot)


def build() -> Router:
    router = Router(name="class_teacher")
    router.message.filter(StaffOnly())
    router.callback_query.filter(StaffOnly())
    router.callback_query.register(class_day, on(ClassCb, F.view == "t"))
    router.callback_query.register(week_absences, on(ClassCb, F.view == "w"))
    router.callback_query.register(week_absences, on(WeekPageCb))
    router.callback_query.register(class_pupils, on(ClassCb, F.view == "p"))
    router.callback_query.register(class_pupil, on(ClassPupilCb))
    router.callback_query.register(confirm_reason, on(ReasonCb))
    router.callback_query.register(class_codes, on(ClassCb, F.view == "k"))
    router.callback_query.register(opt_outs, on(ClassCb, F.view == "o"))
    router.callback_query.register(switch_opt_out, on(OptOutCb))
    router.callback_query.register(reissue, on(ReissueCb))  # core checks who may
    return router
