"""Every action a button can carry: typed, compact (ids, not names), well under the
smallest payload a messenger takes (Telegram's 64 bytes). The client can forge any of it,
so every handler re-authorises through core. Messenger-neutral: screens and notifications
build buttons from these; the adapter packs and unpacks them."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import Field

from bot.screen import Action

#: Every number a button carries is bounded, so that a forged one (a 64-bit id, a day
#: past the year 9999) does not match the button's filter at all: it is a stale button
#: («Кнопка устарела»), not a database or calendar error.
Num = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]  # what PostgreSQL's integer holds
BigId = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]  # a bigint id: lesson, mark, …
Day = Annotated[int, Field(ge=0, le=date.max.toordinal())]  # a date's ordinal (0: none)
UnixTime = Annotated[int, Field(ge=0, le=253_402_300_799)]  # up to 9999-12-31


class Nav(StrEnum):
    MENU = "m"
    TODAY = "t"
    HELP = "h"


class NavCb(Action, prefix="n"):
    to: Nav


class DayCb(Action, prefix="d"):
    """A teacher's lessons on a date (ordinal day number keeps it short)."""

    day: Day


class LessonCb(Action, prefix="l"):
    lesson: BigId


class TapCb(Action, prefix="r"):
    """One tap in the roll call."""

    lesson: BigId
    pupil: Num


class RestCb(Action, prefix="rp"):
    lesson: BigId


class RollPageCb(Action, prefix="rg"):
    """Another page of a very large class's roll call (more pupils than one keyboard
    holds)."""

    lesson: BigId
    page: Num


class LessonAct(StrEnum):
    MARKS = "m"
    TOPIC = "t"
    HOMEWORK = "h"
    BULK = "b"
    FINAL = "f"
    SUBSTITUTE = "s"
    WRITTEN = "w"  # R14: the lesson's written or control work


class LessonActCb(Action, prefix="la"):
    lesson: BigId
    act: LessonAct


class WrittenWorkCb(Action, prefix="ww"):
    """R14: make a lesson a written work of this work type (0: an ordinary lesson)."""

    lesson: BigId
    wt: Num


class OverdueCb(Action, prefix="ow"):
    """R14: the deputy's list of written works past their marks' day, paged."""

    page: Num = 0


class HomeworkDueCb(Action, prefix="hd"):
    """The lesson a lesson's homework is due at, picked from the next few (issue 9.3)."""

    lesson: BigId
    day: Day


class SubsListCb(Action, prefix="sl"):
    day: Day
    page: Num = 0


class SubCb(Action, prefix="sb"):
    """The deputy's substitutions (R5, R25): the school's lessons of a day (d), the
    teachers to pick for one lesson (l), a teacher picked (t); paged."""

    act: str = "d"
    day: Day = 0
    lesson: BigId = 0
    teacher: Num = 0
    page: Num = 0


class ChangeCb(Action, prefix="sc"):
    """The deputy's change of a lesson (R25): its menu (l), cancel asked (c) and done
    (cc), move: the day (m), the number on day ``to`` (md), done at number ``no`` (mn);
    another room typed (r); a cancel or move undone (u). ``day``: the school day the
    deputy came from."""

    act: str = "l"
    day: Day = 0
    lesson: BigId = 0
    to: Day = 0
    no: Num = 0


class ScheduleCb(Action, prefix="sh"):
    """A family's timetable (R16, R25): today (t), tomorrow (m), the week (w); ``pupil``:
    the parent's child switched to (0: the one shown)."""

    when: str = "t"
    pupil: Num = 0


class PupilMarksCb(Action, prefix="pm"):
    lesson: BigId
    pupil: Num


class AddMarkCb(Action, prefix="am"):
    lesson: BigId
    pupil: Num
    value: Num
    wt: Num


class MarkEditCb(Action, prefix="me"):
    """Change (value 1–5) or remove (value 0) an existing mark."""

    mark: BigId
    value: Num


class BulkCb(Action, prefix="bk"):
    """Bulk mode for a class test: the chosen value and work type travel in every button;
    ``pupil`` 0 only changes the choice (or, with ``page``, shows another page of a large
    class)."""

    lesson: BigId
    value: Num
    wt: Num
    pupil: Num = 0
    page: Num = 0


class PupilsScreen(StrEnum):
    MARKS = "m"
    FINAL = "f"


class PupilsPageCb(Action, prefix="pg"):
    """A page of a large class's pupils on the marks grid or the final marks screen."""

    lesson: BigId
    screen: PupilsScreen
    page: Num


class FinalCb(Action, prefix="fm"):
    lesson: BigId
    pupil: Num
    value: str = ""


class ChildCb(Action, prefix="ch"):
    pupil: Num


class PlanCb(Action, prefix="pa"):
    """A parent warns of a child's absence in advance (issue 13). ``act``: the children
    (k), the days menu (d), pick the first day (f) or the last (t), the day of some lessons
    (o), toggle its lessons (l, ``mask``: bit n is lesson n), the category (r), the
    summary (c), save (y), the warnings (ls), withdraw one (x, ``plan``). ``reason``:
    i illness, f family circumstances, o another good reason."""

    act: str
    pupil: Num = 0
    first: Day = 0
    last: Day = 0
    mask: Annotated[int, Field(ge=0, le=2**31 - 1)] = 0
    reason: str = ""
    plan: BigId = 0


class RoleCb(Action, prefix="ro"):
    binding: BigId


class ConsentCb(Action, prefix="cs"):
    binding: BigId
    refuse: Annotated[int, Field(ge=0, le=1)] = 0  # R19: 1 = «Не согласен»


class FamilyView(StrEnum):
    MARKS = "m"
    ABSENCES = "a"
    HOMEWORK = "h"
    SETTINGS = "s"
    CHART = "g"  # the marks chart (a picture)


class FamilyCb(Action, prefix="f"):
    view: FamilyView


class PrefCb(Action, prefix="pf"):
    """Parent's settings: ``what`` is d (digest on/off), a (alerts on/off), h (hour), w
    (where: notifications to ``binding``, one of the parent's own, on or off); per child
    ``pupil`` (R16): c (show that child's choices), k (``kind`` m marks, h homework,
    n announcements, s schedule changes, set to ``value`` 1 on or 0 off), b (absences set
    to ``value`` 0 all, 1 only without a reason, 2 none); q (quiet hours from ``hour`` to
    ``end``; ``hour`` -1: none). Each button carries the choice it makes, not a toggle."""

    what: str
    hour: Num = -1
    binding: Num = -1
    pupil: Num = -1
    kind: str = ""
    value: Num = -1
    end: Num = -1


class ClassCb(Action, prefix="c"):
    """A class teacher's read-only views: a day (t), week absences (w), pupils (p),
    codes (k), parents' e-diary opt-outs (o, R18), the month's attendance map of ``day``'s
    month (h, a picture)."""

    cls: Num
    view: str
    day: Day = 0


class OptOutCb(Action, prefix="oo"):
    """R18: the class teacher switches a parent's e-diary opt-out for one child."""

    cls: Num
    guardian: Num
    pupil: Num
    on: Annotated[int, Field(ge=0, le=1)]


class WeekPageCb(Action, prefix="cw"):
    """A page of a class teacher's week of absences (a flu week takes several)."""

    cls: Num
    day: Day
    page: Annotated[int, Field(ge=0, le=1000)]


class ReissueCb(Action, prefix="ri"):
    """Reissuing invitation cards of a class (``cls``) or, with ``cls`` 0, of the staff:
    ``person`` 0 lists the holders of valid cards; a person asks to confirm; ``ok`` 1 does
    it (the person's valid card is revoked and a new one issued)."""

    cls: Num = 0
    person: Num = 0
    role: str = ""
    ok: Num = 0


class ClassPupilCb(Action, prefix="cp"):
    """A pupil's page for the class teacher: marks (m) or absences (a)."""

    cls: Num
    pupil: Num
    view: str = "m"


class ReasonCb(Action, prefix="rs"):
    pupil: Num
    day: Day
    reason: str


class DecideCb(Action, prefix="dc"):
    """Approve or decline a correction request (R7): ``page`` -1 from the message that
    announced it, else from that page of the deputy's list (which is then redrawn)."""

    request: BigId
    approve: bool
    page: Num = -1


class RequestsCb(Action, prefix="rq"):
    """A page of the deputy's pending correction requests (R7)."""

    page: Num = 0


class AdminCb(Action, prefix="ad"):
    """Admin actions: staff codes (k), bindings list (b), revoke a binding (r), the
    accounts whose actions may be voided (v), void one's actions: cut, ask since when (w),
    how to load the roster (i), the blank roster template (t)."""

    act: str
    binding: BigId = 0


class LogoutCb(Action, prefix="lo"):
    binding: BigId


class ReportCb(Action, prefix="rpt"):
    """Reports (R9, R18, R21): ``kind`` empty shows the list; ``cls`` 0 is the whole school
    (or, for a kind that needs a class, asks for one); ``when`` 0 is the current month,
    period or year, else a month's first day (ordinal) or a period id."""

    kind: str = ""
    cls: Num = 0
    when: Num = 0


class RevertCb(Action, prefix="rv"):
    """Voiding a compromised account's actions (R3): preview (p) from the moment ``at``
    (Unix time), execute (x), cancel (c)."""

    binding: BigId
    act: str
    at: UnixTime = 0


class PeriodCb(Action, prefix="pd"):
    """Reporting periods (R10): the list (period 0), one period (s), close it (c), ask
    the director's reason to reopen it (o)."""

    period: Num = 0
    act: str = "s"


class BindingsCb(Action, prefix="bl"):
    """The school's active bindings, for the admin to cut one (R3): a page (l), ask to
    cut one (r), cut it once confirmed (y), ask for a name to search (f). ``role``
    filters: "" all, s staff, p parents, u pupils; ``q`` 1 applies the admin's last
    search (kept in the FSM storage)."""

    act: str = "l"
    role: str = ""
    page: Num = 0
    q: Num = 0
    binding: BigId = 0


class RulesCb(Action, prefix="sr"):
    """The school's rules (R7, R8): show (what ""), set the edit window (w: days, -1 the
    deployment's default) or the same-day deadline (d: minutes after midnight)."""

    what: str = ""
    value: Num = 0


class CardsCb(Action, prefix="nc"):
    """Invitation cards for the pupils an import has just added (R2); ``token`` names the
    import (its pupils are kept in the FSM storage)."""

    token: Num


class AnnounceCb(Action, prefix="an"):
    """Writing an announcement (issue 13.3): the targets (n), a target picked: the
    audience (t), the audience picked: the prompt (a), send the draft ``token`` (s), type
    it again (e), drop it (x)."""

    act: str
    scope: str = ""
    target: Num = 0
    aud: str = ""
    token: Annotated[str, Field(max_length=16, pattern=r"^[0-9a-f]*$")] = ""


class AnnounceViewCb(Action, prefix="av"):
    """Who has read an announcement, a page of those who have not; ``remind`` 1:
    «Напомнить непрочитавшим» (once)."""

    ann: BigId
    page: Annotated[int, Field(ge=0, le=10_000)] = 0
    remind: Annotated[int, Field(ge=0, le=1)] = 0


# The buttons notifications carry. Each names the binding the message was sent to, so
# that it acts in that role even when the account has since switched to another of its
# bindings; core checks that the binding belongs to whoever presses.


class DigestReadCb(Action, prefix="dgr"):
    """«Прочитано ✓» under a digest (R17)."""

    binding: int
    day: int  # date ordinal


class SuggestCb(Action, prefix="sgr"):
    """A parent suggests the reason of an absence: ``reason`` empty shows the choices."""

    binding: int
    pupil: int
    day: int
    reason: str = ""


class SuggestDoneCb(Action, prefix="sgd"):
    """The parent adds no comment to the suggestion."""

    binding: int


class RejectCb(Action, prefix="rjs"):
    """The class teacher does not accept a parent's suggested reason for a pupil-day."""

    binding: int
    pupil: int
    day: int


class RoundCb(Action, prefix="rnd"):
    """A class teacher confirms a pupil's day of absences from the round (R6); ``reason``
    empty is the entry's title button."""

    binding: int
    pupil: int
    day: int
    reason: str = ""


class CutOtherCb(Action, prefix="cuo"):
    """«Отключить этот аккаунт» under the notice that another account was bound to the
    same person (R3): sent to ``binding``, cuts ``other``."""

    binding: int
    other: int


class AnnounceReadCb(Action, prefix="anr"):
    """«Прочитано ✓» under an announcement (R17's receipt)."""

    binding: int
    ann: int


class UnreadCb(Action, prefix="unr"):
    """The class teacher's list of parents who have not read this week's digests (R17)."""

    cls: int
    day: int = 0  # any date of the week (ordinal); 0: this week


# Packed by hand where a job packs one per parent (a hundred thousand a night): the same
# strings as ``.pack()`` (a test keeps them equal), without pydantic's cost each time.


def digest_read_data(binding_id: int, day: int) -> str:
    """``DigestReadCb(binding=binding_id, day=day).pack()``."""
    return f"{DigestReadCb.__prefix__}:{binding_id}:{day}"


def suggest_data(binding_id: int, pupil_id: int, day: int) -> str:
    """``SuggestCb(binding=binding_id, pupil=pupil_id, day=day).pack()``."""
    return f"{SuggestCb.__prefix__}:{binding_id}:{pupil_id}:{day}:"


def lesson_button_data(lesson_id: int) -> str:
    """``LessonCb(lesson=lesson_id).pack()`` (opens a lesson card)."""
    return f"{LessonCb.__prefix__}:{lesson_id}"
