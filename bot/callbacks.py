"""Callback data: typed, compact (ids, not names), well under Telegram's 64 bytes. The
client can forge any of it, so every handler re-authorises through core."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class Nav(StrEnum):
    MENU = "m"
    TODAY = "t"
    HELP = "h"


class NavCb(CallbackData, prefix="n"):
    to: Nav


class DayCb(CallbackData, prefix="d"):
    """A teacher's lessons on a date (ordinal day number keeps it short)."""

    day: int


class LessonCb(CallbackData, prefix="l"):
    lesson: int


class TapCb(CallbackData, prefix="r"):
    """One tap in the roll call."""

    lesson: int
    pupil: int


class RestCb(CallbackData, prefix="rp"):
    lesson: int


class RollPageCb(CallbackData, prefix="rg"):
    """Another page of a very large class's roll call (more pupils than one keyboard
    holds)."""

    lesson: int
    page: int


class LessonAct(StrEnum):
    MARKS = "m"
    TOPIC = "t"
    HOMEWORK = "h"
    BULK = "b"
    FINAL = "f"
    SUBSTITUTE = "s"


class LessonActCb(CallbackData, prefix="la"):
    lesson: int
    act: LessonAct


class SubsListCb(CallbackData, prefix="sl"):
    day: int
    page: int = 0


class SubCb(CallbackData, prefix="sb"):
    """The deputy's substitutions (R5, R25): the school's lessons of a day (d), the
    teachers to pick for one lesson (l), a teacher picked (t); paged."""

    act: str = "d"
    day: int = 0
    lesson: int = 0
    teacher: int = 0
    page: int = 0


class PupilMarksCb(CallbackData, prefix="pm"):
    lesson: int
    pupil: int


class AddMarkCb(CallbackData, prefix="am"):
    lesson: int
    pupil: int
    value: int
    wt: int


class MarkEditCb(CallbackData, prefix="me"):
    """Change (value 1–5) or remove (value 0) an existing mark."""

    mark: int
    value: int


class BulkCb(CallbackData, prefix="bk"):
    """Bulk mode for a class test: the chosen value and work type travel in every button;
    ``pupil`` 0 only changes the choice."""

    lesson: int
    value: int
    wt: int
    pupil: int = 0


class FinalCb(CallbackData, prefix="fm"):
    lesson: int
    pupil: int
    value: str = ""


class ChildCb(CallbackData, prefix="ch"):
    pupil: int


class RoleCb(CallbackData, prefix="ro"):
    binding: int


class ConsentCb(CallbackData, prefix="cs"):
    binding: int


class FamilyView(StrEnum):
    MARKS = "m"
    ABSENCES = "a"
    HOMEWORK = "h"
    SETTINGS = "s"


class FamilyCb(CallbackData, prefix="f"):
    view: FamilyView


class PrefCb(CallbackData, prefix="pf"):
    """Parent's settings: ``what`` is d (digest on/off), a (alerts on/off), h (hour)."""

    what: str
    hour: int = -1


class ClassCb(CallbackData, prefix="c"):
    """A class teacher's read-only views: a day (t), week absences (w), pupils (p),
    codes (k)."""

    cls: int
    view: str
    day: int = 0


class ClassPupilCb(CallbackData, prefix="cp"):
    """A pupil's page for the class teacher: marks (m) or absences (a)."""

    cls: int
    pupil: int
    view: str = "m"


class ReasonCb(CallbackData, prefix="rs"):
    pupil: int
    day: int
    reason: str


class DecideCb(CallbackData, prefix="dc"):
    request: int
    approve: bool


class AdminCb(CallbackData, prefix="ad"):
    """Admin actions: staff codes (k), bindings list (b), revoke a binding (r), the
    accounts whose actions may be voided (v), void one's actions: cut, ask since when (w),
    how to load the roster (i)."""

    act: str
    binding: int = 0


class LogoutCb(CallbackData, prefix="lo"):
    binding: int


class ReportCb(CallbackData, prefix="rpt"):
    """Reports (R9, R18, R21): ``kind`` empty shows the list; ``cls`` 0 is the whole school
    (or, for a kind that needs a class, asks for one); ``when`` 0 is the current month,
    period or year, else a month's first day (ordinal) or a period id."""

    kind: str = ""
    cls: int = 0
    when: int = 0


class RevertCb(CallbackData, prefix="rv"):
    """Voiding a compromised account's actions (R3): preview (p) from the moment ``at``
    (Unix time), execute (x), cancel (c)."""

    binding: int
    act: str
    at: int = 0


class PeriodCb(CallbackData, prefix="pd"):
    """Reporting periods (R10): the list (period 0), one period (s), close it (c), ask
    the director's reason to reopen it (o)."""

    period: int = 0
    act: str = "s"


class BindingsCb(CallbackData, prefix="bl"):
    """The school's active bindings, for the admin to cut one (R3): a page (l), ask to
    cut one (r), cut it once confirmed (y), ask for a name to search (f). ``role``
    filters: "" all, s staff, p parents, u pupils; ``q`` 1 applies the admin's last
    search (kept in the FSM storage)."""

    act: str = "l"
    role: str = ""
    page: int = 0
    q: int = 0
    binding: int = 0


class RulesCb(CallbackData, prefix="sr"):
    """The school's rules (R7, R8): show (what ""), set the edit window (w: days, -1 the
    deployment's default) or the same-day deadline (d: minutes after midnight)."""

    what: str = ""
    value: int = 0


class CardsCb(CallbackData, prefix="nc"):
    """Invitation cards for the pupils an import has just added (R2); ``token`` names the
    import (its pupils are kept in the FSM storage)."""

    token: int
