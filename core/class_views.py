"""What the class teacher's screens show, each read in one transaction: the class's day
(``class_day_page``, R1 read-only), the week's absences with the parents' suggested
reasons (``class_week``, R6), a pupil's page (``class_pupil_page``, R1: view, not edit)
and the parents' e-diary opt-outs (``opt_outs_page``, R18). Authorised as the screens
always were, in the same order: whoever may view the class (or pupil) reads it; the
suggestions and the opt-outs are the class teacher's (or the school's administration's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.access import Actor
from core.accounts.caller import PupilRef
from core.accounts.opt_out import GuardianLink, class_guardians_in
from core.classes import PupilDayAbsence, class_absences_in, classes_led_by_in, pupil_ref_in
from core.family.views import AbsencesPage, MarksPage, absences_in, marks_in
from core.friday_round.suggestions import Suggestion, class_suggestions_in
from core.journal import Journal
from core.lessons.days import class_day_in
from core.lessons.queries import LessonSummary


@dataclass(frozen=True)
class ClassDay:
    """A class's lessons on a day (every subgroup) and the class's name."""

    class_name: str
    lessons: list[LessonSummary]


@dataclass(frozen=True)
class ClassWeek:
    """A class's absences by pupil-day in a week and the parents' suggested reasons."""

    absences: list[PupilDayAbsence]
    suggestions: dict[tuple[int, date], list[Suggestion]]


@dataclass(frozen=True)
class ClassPupilPage:
    """A pupil of the class and either their marks or their absences this period."""

    pupil: PupilRef
    shown: MarksPage | AbsencesPage


@dataclass(frozen=True)
class OptOuts:
    """The class's parents, each with whether they opted out of the e-diary (R18)."""

    class_name: str  # "" when the actor does not lead the class (the administration)
    links: list[GuardianLink]


async def class_day_page(journal: Journal, actor: Actor, class_id: int, day: date) -> ClassDay:
    async with journal.transaction() as s:
        rows = await class_day_in(s, actor, class_id, day)
        led = dict(await classes_led_by_in(s, actor))
        return ClassDay(led.get(class_id) or (rows[0].class_name if rows else ""), rows)


async def class_week(
    journal: Journal, actor: Actor, class_id: int, start: date, end: date
) -> ClassWeek:
    async with journal.transaction() as s:
        rows = await class_absences_in(s, actor, class_id, start, end)
        return ClassWeek(rows, await class_suggestions_in(s, actor, class_id, start, end))


async def class_pupil_page(
    journal: Journal, actor: Actor, pupil_id: int, *, absences: bool
) -> ClassPupilPage:
    async with journal.transaction() as s:
        pupil = await pupil_ref_in(s, actor, pupil_id)
        read = absences_in if absences else marks_in
        return ClassPupilPage(pupil, await read(s, journal, actor, pupil.id))


async def opt_outs_page(journal: Journal, actor: Actor, class_id: int) -> OptOuts:
    async with journal.transaction() as s:
        links = await class_guardians_in(s, actor, class_id)
        led = dict(await classes_led_by_in(s, actor))
        return OptOuts(led.get(class_id, ""), links)
