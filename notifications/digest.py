"""The parents' daily digest (R16): one message per parent binding per day with all their
children — the marks recorded since the previous digest (subject, value, work type),
the marks corrected or removed since then (R9: «исправлено 25.11: 3 → 4, с разрешения
завуча», once), the day's absences and lateness with the reason's state, and the homework
for the next school day — with «Прочитано ✓» (R17) and «Указать причину пропуска» (R6) under it.

Building is set-based: a handful of queries gather the content of every due parent at
once (core/digest/), then each digest is rendered and queued. Nothing new for a parent:
no message (unless the rules say otherwise); either way the (binding, day) is recorded as
built, so re-running the job queues nothing new. What many digests share (a class's
homework, a mark line, a date) is rendered once per language.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions import digest_read_data, suggest_data
from bot.screen import Button, Limits, quote
from bot.screens.family import correction_words
from core import digest, friday_round
from core.digest import AbsenceLine, Child, DigestTarget, HomeworkLine, MarkLine
from core.lessons.changes import ChangeView, changes_on
from core.marks.history import Correction
from core.models import AbsenceReason, Presence
from core.planned.warned import warnings_of_days
from core.rules import grade_has_marks
from notifications.compose import (
    Keyboard,
    clip,
    day_label,
    first_names,
    given_name,
    items_for,
    split_blocks,
)
from notifications.outbox import OutboxItem
from notifications.rules import NotificationRules
from notifications.schedule import render_change
from texts import Texts

KIND = "digest"
HOMEWORK_CLIP = 300
REASON_ORDER = {r: i for i, r in enumerate(AbsenceReason)}

HomeworkKey = tuple[int, date, frozenset[int]]  # class, date, the pupil's subgroups
NO_GROUPS: frozenset[int] = frozenset()
NO_HOMEWORK: list[HomeworkLine] = []
NO_CHANGES: list[ChangeView] = []


@dataclass(slots=True)
class ChildDay:
    """What a digest says about one child."""

    child: Child
    marks: list[MarkLine] = field(default_factory=list)
    absences: list[AbsenceLine] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)  # since the previous digest
    homework_day: date | None = None
    homework: list[HomeworkLine] = field(default_factory=list)
    homework_key: HomeworkKey | None = None  # children with the same key share the list
    suggested: bool = False  # this parent gave the day's reason; it waits for confirmation
    own_warning: bool = False  # this parent warned of the day in advance (R16)
    next_day: date | None = None  # R25: the next school day, whose changes are ``changes``
    changes: list[ChangeView] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.marks or self.absences or self.corrections or self.homework or self.changes
        )

    @property
    def unconfirmed_absence(self) -> bool:
        return not self.suggested and digest.waits_for_reason(self.absences)


@dataclass
class DigestBatch:
    """What one run built: the outbox items, and every (binding, day, parts) it covered."""

    items: list[OutboxItem] = field(default_factory=list)
    built: list[tuple[int, date, int]] = field(default_factory=list)


def digest_key(binding_id: int, day: date) -> str:
    return f"digest:{binding_id}:{day.isoformat()}"


async def build_digests(
    s: AsyncSession,
    rules: NotificationRules,
    default_tz: ZoneInfo,
    now: datetime,
    limits: Mapping[str, Limits],
    part: tuple[int, int] = (0, 1),
) -> AsyncIterator[DigestBatch]:
    """Every digest due now (or missed less than ``rules.catch_up`` ago) and not built,
    of the schools in ``part`` (``core.digest.slice_of``), ``rules.digest_chunk``
    parents at a time: the caller queues and records each batch before the next is
    built, so memory stays one chunk's."""
    renderers: dict[tuple[str, str], DigestRenderer] = {}  # by language and channel
    names = digest.JobNames()  # subjects, work types and classes: read once for all chunks
    async for targets in digest.digest_targets(
        s, now, default_tz, rules.digest_time, rules.catch_up, rules.digest_chunk, part, names
    ):
        content = await _gather(s, rules, targets, now, default_tz, names)
        batch = DigestBatch()
        for target in targets:
            renderer = renderers.get((target.language, target.channel))
            if renderer is None:
                renderer = renderers[(target.language, target.channel)] = DigestRenderer(
                    Texts(target.language), limits[target.channel]
                )
            days = content[(target.binding_id, target.day)]
            parts, keyboard = renderer.digest(target, days, skip_empty=rules.digest_skip_empty)
            batch.built.append((target.binding_id, target.day, len(parts)))
            if parts:
                batch.items += items_for(
                    digest_key(target.binding_id, target.day),
                    target.chat_id,
                    KIND,
                    parts,
                    binding_id=target.binding_id,
                    channel=target.channel,
                    keyboard=keyboard,
                )
        del content, targets  # the chunk's content goes before it is queued, not after
        yield batch


async def _gather(
    s: AsyncSession,
    rules: NotificationRules,
    targets: list[DigestTarget],
    now: datetime,
    default_tz: ZoneInfo,
    names: digest.JobNames,
) -> dict[tuple[int, date], list[ChildDay]]:
    pupils = sorted({c.pupil_id for t in targets for c in t.children})
    since = min(t.since for t in targets)
    marks = await digest.marks_recorded(s, pupils, since, now, names)
    changed = await _corrections_by_since(s, targets, pupils, now, default_tz)
    schools = {t.school_id for t in targets} | {
        c.school_id for t in targets for c in t.children if c.school_id is not None
    }  # the lessons of a child at another school than the parent's count too
    absences = await digest.day_absences(s, list(schools), pupils, [t.day for t in targets], names)
    class_days = {(c.class_id, t.day) for t in targets for c in t.children}
    next_days = await digest.next_school_days(s, class_days, rules.homework_horizon_days)
    marked = {c.class_id for t in targets for c in t.children if grade_has_marks(c.grade)}
    homework = await digest.homework_on(
        s, {(c, d) for (c, _), d in next_days.items() if c in marked}
    )
    changes = await changes_on(s, {(c, d) for (c, _), d in next_days.items()})  # R25
    by_group = any(x.group_id is not None for lines in homework.values() for x in lines) or any(
        x.group_id is not None for lines in changes.values() for x in lines
    )
    groups = (
        {p: frozenset(g) for p, g in (await digest.groups_of(s, pupils)).items()}
        if by_group
        else {}
    )
    given = await friday_round.pending_suggestions_by(
        s, [t.person_id for t in targets], pupils, [t.day for t in targets]
    )
    warnings = await warnings_of_days(s, sorted(absences))
    shared: dict[HomeworkKey, list[HomeworkLine]] = {}
    content: dict[tuple[int, date], list[ChildDay]] = {}
    no_marks: list[MarkLine] = []
    no_absences: list[AbsenceLine] = []
    no_corrections: list[Correction] = []
    for t in targets:
        days = []
        for child in t.children:
            chosen = child.choices  # R16: what this parent hears of this child
            recorded = marks.get(child.pupil_id, no_marks) if chosen.marks else no_marks
            if recorded and t.since > since:  # this parent's previous digest was later
                recorded = [m for m in recorded if m.recorded_at >= t.since]
            pupil_day = (child.pupil_id, t.day)
            told = digest.absences_told(
                chosen,
                absences.get(pupil_day, no_absences),
                warnings.get(pupil_day, []),
                t.person_id,
            )
            entry = ChildDay(child, recorded, told)
            entry.own_warning = any(
                w.person_id == t.person_id for w in warnings.get(pupil_day, ())
            )  # the absences this parent warned of are left out: not «no absences» then
            if chosen.marks:  # a correction is of a mark
                entry.corrections = changed[t.since].get(child.pupil_id, no_corrections)
            entry.suggested = (t.person_id, child.pupil_id, t.day) in given
            next_day = next_days.get((child.class_id, t.day))
            mine = groups.get(child.pupil_id, NO_GROUPS) if groups else NO_GROUPS
            if next_day is not None and chosen.schedule:  # R25: the next day as changed
                entry.next_day = next_day
                entry.changes = [
                    x
                    for x in changes.get((child.class_id, next_day), NO_CHANGES)
                    if x.group_id is None or x.group_id in mine
                ]
            if not chosen.homework:
                next_day = None
            if next_day is not None and grade_has_marks(child.grade):  # R12
                lines = homework.get((child.class_id, next_day), NO_HOMEWORK)
                key = (child.class_id, next_day, mine)
                if key not in shared:
                    shared[key] = [x for x in lines if x.group_id is None or x.group_id in mine]
                entry.homework_day, entry.homework, entry.homework_key = next_day, shared[key], key
            days.append(entry)
        content[(t.binding_id, t.day)] = days
    return content


async def _corrections_by_since(
    s: AsyncSession,
    targets: list[DigestTarget],
    pupils: list[int],
    now: datetime,
    default_tz: ZoneInfo,
) -> dict[datetime, dict[int, list[Correction]]]:
    """The corrections since each previous digest (R9), read once per distinct moment (a
    few: the digest hours): a mark's net change is folded over exactly what the parent
    has not been told. ``pupils``: all the targets' children (sorted)."""
    pupils_since: dict[datetime, list[int]]
    if len({t.since for t in targets}) == 1:  # the usual chunk: one previous digest hour
        pupils_since = {targets[0].since: pupils}
    else:
        found: dict[datetime, set[int]] = defaultdict(set)
        for t in targets:
            found[t.since].update([c.pupil_id for c in t.children])
        pupils_since = {since: sorted(ids) for since, ids in found.items()}
    return {
        since: await digest.mark_corrections(s, ids, since, now, default_tz)
        for since, ids in pupils_since.items()
    }


# --- rendering ---------------------------------------------------------------------------------


class DigestRenderer:
    """Renders digests in one language, remembering what recurs across parents: its
    texts are looked up once (their templates formatted directly), and the lines many
    digests share (a date, a mark line, a class's homework, a class's name) are made once."""

    def __init__(self, tx: Texts, limits: Limits) -> None:
        self.tx = tx
        self.limits = limits
        self._quiet = tx("digest.no_marks_absences")
        self._quiet_marks = tx("digest.no_marks")  # the absences were the parent's own word
        self._nothing = tx("digest.nothing_new")
        self._child = tx.template("digest.child").format
        self._mark = tx.template("digest.mark").format
        self._mark_earlier = tx.template("digest.mark_earlier").format
        self._absent = tx.template("digest.absent").format
        self._late = tx.template("digest.late").format
        self._reasons = {r: tx(f"reason.{r.value}") for r in AbsenceReason}
        self._suggested = tx("reason.suggested")
        self._receipt = tx("digest.read")
        self._suggest = tx("digest.suggest")
        self._suggest_for = tx.template("digest.suggest_for").format
        self._titles: dict[date, str] = {}
        self._days: dict[date, str] = {}
        self._classes: dict[str, str] = {}
        self._marks: dict[tuple[str, int, str, date, bool], str] = {}
        self._homework: dict[HomeworkKey, str] = {}

    def day(self, value: date) -> str:
        label = self._days.get(value)
        if label is None:
            label = self._days[value] = day_label(self.tx, value)
        return label

    def digest(
        self, target: DigestTarget, children: list[ChildDay], *, skip_empty: bool
    ) -> tuple[list[str], Keyboard]:
        """The digest's messages (several when long) and its buttons; no messages when
        there is nothing new and empty digests are skipped."""
        nothing = all(c.empty for c in children)
        if nothing and skip_empty:
            return [], []
        title = self._titles.get(target.day)
        if title is None:
            title = self._titles[target.day] = self.tx("digest.title", day=self.day(target.day))
        blocks = [title]
        if nothing:
            blocks.append(self._nothing)
        else:
            blocks += [self.child(c, target.day) for c in children]
        absent = [c.child for c in children if c.unconfirmed_absence]
        keyboard = _buttons(
            self._receipt, self._suggest, self._suggest_for, target.binding_id, target.day, absent
        )
        return split_blocks(blocks, self.limits), keyboard

    def child(self, c: ChildDay, day: date) -> str:
        tx = self.tx
        cls = self._classes.get(c.child.class_name)
        if cls is None:
            cls = self._classes[c.child.class_name] = quote(c.child.class_name)
        lines = [self._child(name=quote(first_names(c.child.full_name)), cls=cls)]
        if not c.marks and not c.absences and not c.corrections:
            lines.append(self._quiet_marks if c.own_warning else self._quiet)
        marks = self._marks
        for m in c.marks:
            key = (m.subject, m.value, m.work_type, m.lesson_date, m.lesson_date == day)
            line = marks.get(key)
            if line is None:
                line = marks[key] = self.mark(m, day)
            lines.append(line)
        if c.corrections:
            lines += [
                tx("digest.correction", subject=quote(x.subject), what=correction_words(tx, x))
                for x in reversed(c.corrections)  # in the order they were made
            ]
        if c.absences:
            absent = [a for a in c.absences if a.status is Presence.ABSENT]
            late = [a for a in c.absences if a.status is Presence.LATE]
            if absent:
                reasons = sorted({a.reason for a in absent}, key=REASON_ORDER.__getitem__)
                lines.append(
                    self._absent(
                        lessons=lesson_list(absent),
                        reason=", ".join(
                            self._suggested
                            if c.suggested and r is AbsenceReason.UNCONFIRMED
                            else self._reasons[r]
                            for r in reasons
                        ),
                    )
                )
            if late:
                lines.append(self._late(lessons=lesson_list(late)))
        if c.homework and c.homework_key is not None and c.homework_day is not None:
            lines.append(self.homework(c.homework_key, c.homework_day, c.homework))
        if c.changes and c.next_day is not None:  # R25
            lines.append(tx("digest.changes", day=self.day(c.next_day)))
            lines += [render_change(tx, x, with_class=False) for x in c.changes]
        return "\n".join(lines)

    def mark(self, m: MarkLine, day: date) -> str:
        """A mark's line (``child`` keeps each once, by what it shows)."""
        return (self._mark if m.lesson_date == day else self._mark_earlier)(
            subject=quote(m.subject),
            value=m.value,
            work=quote(m.work_type),
            date=f"{m.lesson_date:%d.%m}",
        )

    def homework(self, key: HomeworkKey, next_day: date, lines: list[HomeworkLine]) -> str:
        block = self._homework.get(key)
        if block is None:
            tx = self.tx
            block = self._homework[key] = "\n".join(
                [tx("digest.homework", day=self.day(next_day))]
                + [
                    tx(
                        "digest.homework_line",
                        subject=quote(x.subject),
                        text=quote(clip(x.homework, HOMEWORK_CLIP)),
                    )
                    + (tx("digest.homework_not_given") if x.not_given else "")
                    for x in lines
                ]
            )
        return block


def digest_buttons(
    tx: Texts, binding_id: int, day: date, absent: list[Child], *, read: bool
) -> Keyboard:
    """A digest's buttons: the read receipt (R17; «Прочитано ✓» once read) and, for each
    child absent that day without a reason, one to suggest it (R6). Drawn when the
    digest is built and again, from fresh data, when the parent taps the receipt."""
    return _buttons(
        tx("digest.read_mark" if read else "digest.read"),
        tx("digest.suggest"),
        tx.template("digest.suggest_for").format,
        binding_id,
        day,
        absent,
    )


def _buttons(
    receipt: str,
    suggest: str,
    suggest_for: Callable[..., str],
    binding_id: int,
    day: date,
    absent: list[Child],
) -> Keyboard:
    """``digest_buttons`` with its labels given (a renderer looks them up once)."""
    ordinal = day.toordinal()
    keyboard: Keyboard = [[Button(receipt, digest_read_data(binding_id, ordinal))]]
    for child in absent:
        label = suggest if len(absent) == 1 else suggest_for(name=given_name(child.full_name))
        keyboard.append([Button(label, suggest_data(binding_id, child.pupil_id, ordinal))])
    return keyboard


def render_digest(
    tx: Texts, target: DigestTarget, children: list[ChildDay], limits: Limits, *, skip_empty: bool
) -> tuple[list[str], Keyboard]:
    """One digest's messages and buttons (see ``DigestRenderer.digest``)."""
    return DigestRenderer(tx, limits).digest(target, children, skip_empty=skip_empty)


def lesson_list(lines: list[AbsenceLine]) -> str:
    """«1 (Математика), 2 (Английский язык)»."""
    return ", ".join(f"{a.lesson_no} ({quote(a.subject)})" for a in lines)
