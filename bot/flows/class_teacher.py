"""The class teacher: the class's journal read-only (R1), the week's absences with reasons
to confirm (R6), the month's attendance as a picture (``reports/charts``), the pupils'
pages and the parents' e-diary opt-outs (R18). The screens are in
``bot/screens/class_teacher.py``; core checks that the class is hers. And the class's
invitation cards (R2)."""

from __future__ import annotations

from datetime import date, timedelta

from bot import screens
from bot.actions import ClassCb, ClassPupilCb, OptOutCb, ReasonCb, ReissueCb, WeekPageCb
from bot.flows.codes import send_codes
from bot.flows.routes import Routes, staff
from bot.flows.turn import Turn, actor_of
from bot.screen import quote
from bot.screens.class_teacher import Week
from core import accounts, class_views, classes, friday_round, invitations
from core import reports as reporting
from core.clock import local_today
from core.family import AbsencesPage
from core.journal import Journal
from core.models import AbsenceReason, BindingRole
from notifications import reasons
from reports.charts.attendance import attendance_chart


def day_of(journal: Journal, ordinal: int) -> date:
    """The day a button names, or today."""
    return (
        date.fromordinal(ordinal) if ordinal else local_today(journal.clock, journal.rules.timezone)
    )


async def class_day(turn: Turn, action: ClassCb) -> None:
    day = day_of(turn.journal, action.day)
    page = await class_views.class_day_page(turn.journal, actor_of(turn), action.cls, day)
    await turn.show(
        screens.class_teacher.class_day(turn.tx, action.cls, page.class_name, day, page.lessons)
    )


async def week_absences(
    turn: Turn, action: ClassCb | WeekPageCb, focus: tuple[int, date] | None = None
) -> None:
    """``focus`` keeps the page of the entry just confirmed."""
    day = day_of(turn.journal, action.day)
    monday = day - timedelta(days=day.weekday())
    sunday = monday + timedelta(days=6)
    read = await class_views.class_week(turn.journal, actor_of(turn), action.cls, monday, sunday)
    week = Week(action.cls, day, [e for e in read.absences if e.lessons], read.suggestions)
    page = action.page if isinstance(action, WeekPageCb) else 0
    await turn.show(screens.class_teacher.week_absences(turn.tx, week, week.page_of(page, focus)))


async def confirm_reason(turn: Turn, action: ReasonCb) -> None:
    journal, actor = turn.journal, actor_of(turn)
    day = date.fromordinal(action.day)
    reason = AbsenceReason(action.reason)
    count = await friday_round.confirm_reason(journal, actor, action.pupil, day, reason)
    turn.answer(turn.tx("class.reason_saved", count=count))
    # The parents who gave a reason for the pupil-day learn the confirmed one (issue 9.5).
    answer = await friday_round.parents_to_tell(journal, actor, action.pupil, day)
    await reasons.announce_confirmed(journal, answer, action.pupil, day, reason)
    pupil_class = await classes.class_of_pupil(journal, actor, action.pupil)
    view = ClassCb(cls=pupil_class, view="w", day=action.day)
    await week_absences(turn, view, focus=(action.pupil, day))


async def class_pupils(turn: Turn, action: ClassCb) -> None:
    pupils = await classes.class_pupils(turn.journal, actor_of(turn), action.cls)
    await turn.show(screens.class_teacher.class_pupils(turn.tx, action.cls, pupils))


async def class_pupil(turn: Turn, action: ClassPupilCb) -> None:
    """The class teacher reads a pupil's page (R1: view, not edit)."""
    page = await class_views.class_pupil_page(
        turn.journal, actor_of(turn), action.pupil, absences=action.view == "a"
    )
    pupil, shown, tx = page.pupil, page.shown, turn.tx
    if isinstance(shown, AbsencesPage):
        text = screens.family.absences_text(tx, pupil, shown.absences)
    else:
        text = screens.family.marks_text(tx, pupil, shown.period, shown.subjects)
    await turn.show(screens.class_teacher.class_pupil(tx, action.cls, pupil.id, text))


async def heat_map(turn: Turn, action: ClassCb) -> None:
    """The month's attendance of the class as a picture (pupils × school days), the month
    of the day the screen showed; core checks the class is hers (R21's report)."""
    tx, day = turn.tx, day_of(turn.journal, action.day)
    report = await reporting.class_attendance_month(turn.journal, actor_of(turn), action.cls, day)
    if not report.days or not report.pupils:
        await turn.send(tx("chart.no_attendance"))
        return
    await turn.sending_file()
    chart = await attendance_chart(tx, report)
    assert chart is not None  # there is something to draw
    caption = tx("chart.attendance_caption", title=quote(chart.title))
    await turn.send_file(chart.filename, chart.data, caption)


async def opt_outs(turn: Turn, action: ClassCb) -> None:
    """R18: the class's parents and their e-diary opt-outs; a tap switches one."""
    await show_opt_outs(turn, action.cls)


async def switch_opt_out(turn: Turn, action: OptOutCb) -> None:
    await accounts.set_diary_opt_out(
        turn.journal, actor_of(turn), action.guardian, bool(action.on), action.pupil
    )
    await show_opt_outs(turn, action.cls)


async def show_opt_outs(turn: Turn, class_id: int) -> None:
    page = await class_views.opt_outs_page(turn.journal, actor_of(turn), class_id)
    await turn.show(screens.class_teacher.opt_outs(turn.tx, class_id, page.class_name, page.links))


# --- the class's invitation cards -------------------------------------------------------------


async def class_codes(turn: Turn, action: ClassCb) -> None:
    """Cards for those of the class who have none valid and are not in the bot; valid
    cards stay valid (R2). Reissuing is a separate, confirmed step."""
    actor = actor_of(turn)
    result = await invitations.issue_for_class(
        turn.journal, actor, action.cls, {BindingRole.PARENT, BindingRole.PUPIL}
    )
    await send_codes(turn, result, actor, reissue_scope=action.cls)


async def reissue(turn: Turn, action: ReissueCb) -> None:
    """Reissue one person's valid card: pick the person, read what it does, confirm."""
    actor, tx = actor_of(turn), turn.tx
    holders = await invitations.reissuable(turn.journal, actor, action.cls or None)
    if not action.person:
        await turn.show(screens.class_teacher.reissue_pick(tx, action.cls, holders))
        return
    holder = next(
        (x for x in holders if x.person_id == action.person and x.role.value == action.role),
        None,
    )
    if holder is None:
        await turn.show(tx("codes.reissue_gone"))
        return
    if not action.ok:
        await turn.show(screens.class_teacher.reissue_confirm(tx, action.cls, holder))
        return
    result = await invitations.issue_for_person(
        turn.journal, actor, holder.person_id, holder.role, reissue=True
    )
    await turn.show(tx("codes.reissued", name=quote(holder.full_name)))
    await send_codes(turn, result, actor)


def routes() -> Routes:
    r = Routes()
    any_staff = staff()
    r.press(ClassCb, class_day, when=lambda a: a.view == "t", who=any_staff)
    r.press(ClassCb, week_absences, when=lambda a: a.view == "w", who=any_staff)
    r.press(WeekPageCb, week_absences, who=any_staff)
    r.press(ClassCb, class_pupils, when=lambda a: a.view == "p", who=any_staff)
    r.press(ClassPupilCb, class_pupil, who=any_staff)
    r.press(ReasonCb, confirm_reason, who=any_staff)
    r.press(ClassCb, opt_outs, when=lambda a: a.view == "o", who=any_staff)
    r.press(ClassCb, heat_map, when=lambda a: a.view == "h", who=any_staff)  # core checks
    r.press(OptOutCb, switch_opt_out, who=any_staff)
    r.press(ClassCb, class_codes, when=lambda a: a.view == "k", who=any_staff)
    r.press(ReissueCb, reissue, who=any_staff)  # core checks who may
    return r
