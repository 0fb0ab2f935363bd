"""Instant absence alerts to parents: who missed lessons today, and what was last told."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.choices import CHOICES_JOIN
from core.models import (
    AbsenceChoice,
    AbsenceReason,
    Presence,
)
from core.planned.warned import Warning, warnings_of_days
from core.recipients import DELIVERS_SQL, Recipient


@dataclass(frozen=True)
class TodayMark:
    """One roll-call entry of a pupil today."""

    lesson_id: int
    lesson_no: int
    subject: str
    status: Presence
    reason: AbsenceReason = AbsenceReason.UNCONFIRMED


@dataclass
class AlertSubject:
    """A pupil absent today, or about whom an alert was sent today: today's roll call
    entries, the parents to tell and the warnings some of them gave in advance."""

    pupil_id: int
    full_name: str
    class_name: str
    day: date
    marks: list[TodayMark] = field(default_factory=list)
    parents: list[AlertParent] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)  # parents' warnings in advance

    @property
    def absent(self) -> list[TodayMark]:
        return [m for m in self.marks if m.status is Presence.ABSENT]


@dataclass
class AlertParent:
    recipient: Recipient
    version: int  # of the last message sent (0: none)
    announced: list[int]  # lesson ids the last message said were missed
    absences: AbsenceChoice = AbsenceChoice.ALL  # what they chose to hear of (R16)


_ALERT_PUPILS_SQL = text(
    """
    WITH sch AS (
        SELECT id, CAST((CAST(:now AS timestamptz) AT TIME ZONE COALESCE(timezone, :tz)) AS date)
               AS today
        FROM schools
    ), concerned AS (
        SELECT DISTINCT a.pupil_id, l.date AS day
        FROM sch
        JOIN lessons l ON l.school_id = sch.id AND l.date = sch.today
        JOIN attendance a ON a.lesson_id = l.id AND a.status = 'absent'
        UNION
        SELECT st.pupil_id, st.day
        FROM absence_alert_states st
        JOIN pupils p ON p.person_id = st.pupil_id
        JOIN classes k ON k.id = p.class_id
        JOIN sch ON sch.id = k.school_id AND st.day = sch.today
        WHERE st.lessons <> '[]'::jsonb
    )
    SELECT c.pupil_id, c.day, pe.full_name, k.name, l.id, l.lesson_no, s.name, a.status,
           a.reason
    FROM concerned c
    JOIN people pe ON pe.id = c.pupil_id
    JOIN pupils p ON p.person_id = c.pupil_id
    JOIN classes k ON k.id = p.class_id
    LEFT JOIN (
        lessons l
        JOIN attendance a ON a.lesson_id = l.id
        JOIN subjects s ON s.id = l.subject_id
    ) ON l.class_id = p.class_id AND l.date = c.day AND a.pupil_id = c.pupil_id
    ORDER BY c.pupil_id, l.lesson_no
    """
)

_ALERT_PARENTS_SQL = text(
    f"""
    SELECT x.pupil_id, b.id, b.person_id, COALESCE(a.chat_id, b.user_id),
           COALESCE(a.language, pe.language, 'ru'), b.messenger,
           COALESCE(st.version, 0), COALESCE(st.lessons, '[]'::jsonb),
           COALESCE(cc.absences, 'all')
    FROM unnest(CAST(:pupils AS integer[]), CAST(:days AS date[])) AS x(pupil_id, day)
    JOIN guardianships g ON g.pupil_id = x.pupil_id
                        AND g.consent IS TRUE AND NOT g.diary_opt_out
    JOIN bindings b ON b.person_id = g.guardian_id AND b.role = 'parent'
                   AND b.revoked_at IS NULL AND b.unreachable_at IS NULL
    JOIN people pe ON pe.id = b.person_id
    {CHOICES_JOIN}
    LEFT JOIN notification_prefs np ON np.binding_id = b.id
    LEFT JOIN accounts a ON a.messenger = b.messenger AND a.user_id = b.user_id
    LEFT JOIN absence_alert_states st
           ON st.binding_id = b.id AND st.pupil_id = x.pupil_id AND st.day = x.day
    WHERE COALESCE(np.absence_alerts, true) AND {DELIVERS_SQL}
      AND COALESCE(cc.absences, 'all') <> 'off'
    ORDER BY x.pupil_id, b.id
    """
)


async def alert_subjects(s: AsyncSession, now: datetime, tz: ZoneInfo) -> list[AlertSubject]:
    """Pupils absent today (each school's local today), and pupils whose parents were
    alerted today (a correction may be due), with today's roll call and the parents who
    want instant alerts (consent given, not opted out, reachable)."""
    subjects: dict[int, AlertSubject] = {}
    rows = await s.execute(_ALERT_PUPILS_SQL, {"now": now, "tz": tz.key})
    for pupil_id, day, name, class_name, lesson_id, no, subject, status, reason in rows:
        entry = subjects.get(pupil_id)
        if entry is None:
            entry = subjects[pupil_id] = AlertSubject(pupil_id, name, class_name, day)
        if lesson_id is not None:
            entry.marks.append(
                TodayMark(lesson_id, no, subject, Presence(status), AbsenceReason(reason))
            )
    if not subjects:
        return []
    ordered = list(subjects.values())
    parents = await s.execute(
        _ALERT_PARENTS_SQL,
        {"pupils": [x.pupil_id for x in ordered], "days": [x.day for x in ordered]},
    )
    for (
        pupil_id,
        binding_id,
        person_id,
        chat_id,
        language,
        channel,
        version,
        lessons,
        chosen,
    ) in parents:
        recipient = Recipient(binding_id, person_id, chat_id, language, channel)
        subjects[pupil_id].parents.append(
            AlertParent(recipient, version, list(lessons), AbsenceChoice(chosen))
        )
    warnings = await warnings_of_days(s, [(x.pupil_id, x.day) for x in ordered])
    for x in ordered:
        x.warnings = warnings.get((x.pupil_id, x.day), [])
    return ordered


async def save_alert_states(
    s: AsyncSession, states: list[tuple[int, int, date, int, list[int]]], at: datetime
) -> None:
    """(binding, pupil, day, version, announced lesson ids) after the messages queued."""
    if not states:
        return
    await s.execute(
        text(
            """
            INSERT INTO absence_alert_states
                (binding_id, pupil_id, day, version, lessons, updated_at)
            SELECT b, p, d, v, CAST(l AS jsonb), :at
            FROM unnest(CAST(:bindings AS bigint[]), CAST(:pupils AS integer[]),
                        CAST(:days AS date[]), CAST(:versions AS smallint[]),
                        CAST(:lessons AS text[])) AS x(b, p, d, v, l)
            ON CONFLICT (binding_id, pupil_id, day) DO UPDATE
            SET version = EXCLUDED.version, lessons = EXCLUDED.lessons,
                updated_at = EXCLUDED.updated_at
            """
        ),
        {
            "at": at,
            "bindings": [x[0] for x in states],
            "pupils": [x[1] for x in states],
            "days": [x[2] for x in states],
            "versions": [x[3] for x in states],
            "lessons": [json.dumps(x[4]) for x in states],
        },
    )
