"""When notifications go out and what triggers them: plain values with the defaults of
the regulations. The composition root maps settings onto this (nothing is read here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta


@dataclass(frozen=True)
class NotificationRules:
    # R16: the parents' daily digest, in the school's local time; a parent may choose
    # another hour or switch it off (NotificationPrefs).
    digest_time: time = time(20, 0)
    # Nothing new for a parent: no message (False sends a short "nothing new" digest).
    digest_skip_empty: bool = True
    # R6: the class teachers' weekly absence-reason round (ISO weekday, 5 = Friday).
    friday_round_day: int = 5
    friday_round_time: time = time(14, 0)
    # What the round left unconfirmed is reminded on Monday at this time.
    monday_reminder_time: time = time(8, 0)
    # R25, R16: parents' «Изменения на сегодня», when their child's day changed.
    schedule_morning_time: time = time(7, 0)
    # R4, R13: teachers whose lessons today lack roll call, topic or homework.
    teacher_reminder_time: time = time(18, 30)
    # Class teacher's alert: this many days in a week with an absence not excused …
    absence_days_threshold: int = 3
    # … or this share of a month's lessons missed (counted once the month has at least
    # ``absence_month_min_lessons`` lessons with a roll call for the pupil).
    absence_month_share: float = 0.3
    absence_month_min_lessons: int = 10
    # When the thresholds are checked each day (after the 20:00 roll-call deadline).
    threshold_check_time: time = time(20, 15)
    # A job missed while the app was down is still run if its time passed less than this ago.
    catch_up_hours: float = 6
    # How often the scheduler looks for due or missed jobs.
    sweep_minutes: int = 5
    # How far ahead "the next school day" is looked for (holidays), in days.
    homework_horizon_days: int = 21
    # Parents whose digests are built, queued and recorded together: the job's memory is
    # one chunk's whatever the number of parents (a region's included).
    digest_chunk: int = 10_000
    # Processes that build the digests when more than a chunk's parents are due: the
    # schools are split among them (school id modulo), each process builds, queues and
    # records its own in its own transaction and connection; 1 builds all in the job's.
    # 2 by measure on 2 cores (1,000,000 pupils: 96 s, against 150 s with 1).
    digest_workers: int = 2

    @property
    def catch_up(self) -> timedelta:
        return timedelta(hours=self.catch_up_hours)
