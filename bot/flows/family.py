"""Parents and pupils: marks with plain and weighted averages (and as a picture), absences,
homework for the next school day (R16) and a child switcher. Pupils only view, and only
themselves (R1); parents see nothing before consent (R19); a parent's notification
settings (R16). The screens are in ``bot/screens/family.py``, the picture is drawn by
``reports/charts``."""

from __future__ import annotations

from datetime import time

from bot import screens
from bot.actions import ChildCb, FamilyCb, FamilyView, PrefCb
from bot.flows.routes import Routes, family
from bot.flows.turn import Turn, actor_of
from bot.screen import quote
from bot.screens.family import ABSENCE_CHOICES, TOPICS
from core import accounts
from core import family as family_reads
from core.errors import InvalidValue
from core.rules import grade_has_marks
from reports.charts import marks as charts


async def gate(turn: Turn) -> bool:
    """Nothing is shown before a parent's consent (R19); nothing without a child."""
    caller = turn.caller
    if caller.pupil is None:
        await turn.show(screens.family.no_children(turn.tx))
        return False
    if caller.consent_needed and caller.actor and caller.actor.binding_id is not None:
        await turn.show(screens.start.consent(turn.tx, caller.actor.binding_id))
        return False
    return True


# --- marks, absences, homework -----------------------------------------------------------------


async def show_marks(turn: Turn, action: FamilyCb | None = None) -> None:
    if not await gate(turn):
        return
    caller = turn.caller
    assert caller.actor and caller.pupil
    page = await family_reads.pupil_marks_page(turn.journal, caller.actor, caller.pupil.id)
    await turn.show(
        screens.family.marks(turn.tx, caller.pupil, page.period, page.subjects, page.children)
    )


async def show_absences(turn: Turn, action: FamilyCb | None = None) -> None:
    if not await gate(turn):
        return
    caller = turn.caller
    assert caller.actor and caller.pupil
    page = await family_reads.pupil_absences_page(turn.journal, caller.actor, caller.pupil.id)
    await turn.show(screens.family.absences(turn.tx, caller.pupil, page.absences, page.children))


async def show_homework(turn: Turn, action: FamilyCb | None = None) -> None:
    if not await gate(turn):
        return
    caller = turn.caller
    assert caller.actor and caller.pupil
    page = await family_reads.homework_page(turn.journal, caller.actor, caller.pupil.id)
    await turn.show(screens.family.homework(turn.tx, caller.pupil, page.lessons, page.children))


async def send_marks_chart(turn: Turn, action: FamilyCb) -> None:
    """«📈 График»: the period's marks as a picture, gated as the marks screen (R19 here,
    R1 in core); no mark at all gets a short text, not an empty picture."""
    if not await gate(turn):
        return
    caller, tx = turn.caller, turn.tx
    assert caller.actor and caller.pupil
    pupil = caller.pupil
    page = await family_reads.pupil_marks_of_period(turn.journal, caller.actor, pupil.id)
    if not any(s.marks for s in page.subjects):
        await turn.send(
            tx("chart.no_marks" if grade_has_marks(pupil.grade) else "family.grade1_no_marks")
        )
        return
    await turn.sending_file()
    chart = await charts.marks_chart(tx, pupil, page)
    assert chart is not None  # there are marks
    caption = tx("chart.marks_caption", title=quote(chart.title))
    await turn.send_file(chart.filename, chart.data, caption)


# --- child switcher ----------------------------------------------------------------------------


async def switch_child(turn: Turn, action: ChildCb) -> None:
    caller = turn.caller
    assert caller.actor is not None
    await accounts.switch_pupil(turn.journal, caller.actor, caller.user, action.pupil)
    await turn.reidentify()
    await show_marks(turn)


# --- notification settings -------------------------------------------------------------------


async def settings_screen(turn: Turn, action: FamilyCb) -> None:
    await show_prefs(turn, await accounts.get_prefs(turn.journal, actor_of(turn), _shown(turn)))


def _shown(turn: Turn) -> int | None:
    """The child whose choices the settings show: the one the parent is looking at."""
    return turn.caller.pupil.id if turn.caller.pupil else None


async def show_prefs(turn: Turn, prefs: accounts.Prefs) -> None:
    school_hour = (prefs.school_time or turn.notification_rules.digest_time).hour
    await turn.show(screens.family.prefs(turn.tx, prefs, school_hour))


async def change_pref(turn: Turn, action: PrefCb) -> None:
    actor, journal, shown = actor_of(turn), turn.journal, _shown(turn)
    current = await accounts.get_prefs(journal, actor, shown)
    if action.what == "d":
        enabled = not current.digest_enabled
        prefs = await accounts.set_prefs(journal, actor, digest_enabled=enabled, pupil_id=shown)
    elif action.what == "a":
        alerts = not current.absence_alerts
        prefs = await accounts.set_prefs(journal, actor, absence_alerts=alerts, pupil_id=shown)
    elif action.what == "w":
        channel = next((c for c in current.channels if c.binding_id == action.binding), None)
        if channel is None:  # not one of this parent's (a forged or an old button)
            turn.answer(turn.tx("fallback.stale_button"), alert=True)
            return
        try:
            prefs = await accounts.set_delivery(
                journal, actor, channel.binding_id, not channel.delivers, shown
            )
        except InvalidValue as refused:
            turn.answer(turn.tx(refused.key), alert=True)
            return
    else:
        if not 0 <= action.hour <= 23:
            return
        prefs = await accounts.set_prefs(
            journal, actor, digest_time=time(action.hour), pupil_id=shown
        )
    await show_prefs(turn, prefs)


async def change_child_pref(turn: Turn, action: PrefCb) -> None:
    """R16: what to hear of one child (``action.pupil``), the choice the button carries;
    core refuses someone else's child in words."""
    journal, actor = turn.journal, actor_of(turn)
    if action.what == "k" and action.kind in TOPICS and action.value in (0, 1):
        await accounts.set_choice(
            journal, actor, action.pupil, TOPICS[action.kind], on=bool(action.value)
        )
    elif action.what == "b" and 0 <= action.value < len(ABSENCE_CHOICES):
        await accounts.set_choice(
            journal, actor, action.pupil, absences=ABSENCE_CHOICES[action.value]
        )
    else:
        turn.answer(turn.tx("fallback.stale_button"), alert=True)
        return
    await show_prefs(turn, await accounts.get_prefs(journal, actor, action.pupil))


async def switch_prefs_child(turn: Turn, action: PrefCb) -> None:
    """The settings of another of the parent's children (it becomes the one shown)."""
    caller = turn.caller
    assert caller.actor is not None
    await accounts.switch_pupil(turn.journal, caller.actor, caller.user, action.pupil)
    await turn.reidentify()
    await show_prefs(turn, await accounts.get_prefs(turn.journal, actor_of(turn), _shown(turn)))


async def change_quiet_hours(turn: Turn, action: PrefCb) -> None:
    """Quiet hours from the presets, or none; anything else is a stale button."""
    hours = None if action.hour == -1 else (action.hour, action.end)
    if hours is not None and hours not in accounts.QUIET_PRESETS:
        turn.answer(turn.tx("fallback.stale_button"), alert=True)
        return
    journal, actor = turn.journal, actor_of(turn)
    await accounts.set_quiet_hours(journal, actor, hours)
    await show_prefs(turn, await accounts.get_prefs(journal, actor, _shown(turn)))


def routes() -> Routes:
    r = Routes()
    r.command("marks", show_marks, who=family)
    r.press(FamilyCb, show_marks, when=lambda a: a.view == FamilyView.MARKS, who=family)
    r.command("absences", show_absences, who=family)
    r.press(FamilyCb, show_absences, when=lambda a: a.view == FamilyView.ABSENCES, who=family)
    r.command("homework", show_homework, who=family)
    r.press(FamilyCb, show_homework, when=lambda a: a.view == FamilyView.HOMEWORK, who=family)
    r.press(FamilyCb, send_marks_chart, when=lambda a: a.view == FamilyView.CHART, who=family)
    r.press(ChildCb, switch_child, who=family)
    r.press(FamilyCb, settings_screen, when=lambda a: a.view == FamilyView.SETTINGS, who=family)
    r.press(PrefCb, change_child_pref, when=lambda a: a.what in ("k", "b"), who=family)
    r.press(PrefCb, switch_prefs_child, when=lambda a: a.what == "c", who=family)
    r.press(PrefCb, change_quiet_hours, when=lambda a: a.what == "q", who=family)
    r.press(PrefCb, change_pref, when=lambda a: a.what in ("d", "a", "w", "h"), who=family)
    return r
