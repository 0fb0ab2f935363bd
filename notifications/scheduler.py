"""When notifications are built. Each job is a plain coroutine method of
``NotificationJobs`` that does whatever is due *now* by the journal's clock (tests call
them directly and move the injected clock); APScheduler only triggers them.

Every job runs in one transaction under a PostgreSQL advisory lock
(``pg_try_advisory_xact_lock``): with two instances of the app, one builds and the other
returns at once. Building is idempotent anyway: outbox keys are unique, digests are
recorded per (binding, day), alerts move a per-pupil-day version, and scheduled runs are
recorded per (job, school, due time) in ``notification_job_runs``.

Missed runs are caught up: every job looks at its last due time in each school's
timezone, and runs it if that passed less than ``catch_up_hours`` ago and is not recorded
as done. The scheduler calls ``run_due`` on start and every few minutes, so an app that
was down at 20:00 and starts at 21:30 still sends the day's digests; at 03:00 the next
day (beyond a 6 h window) it does not.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime, time, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.faults import log_failure
from bot.screen import Limits
from core import alerts, digest
from core import jobs as job_runs
from core.journal import Journal
from core.metrics import Metrics
from notifications import outbox
from notifications.alerts import build_absence_alerts, build_thresholds
from notifications.channels import adapters_limits
from notifications.digest_workers import PartDone, build_part, queue_digests
from notifications.friday_round import RoundKind, build_round
from notifications.outbox import OutboxItem
from notifications.reminders import build_teacher_reminders
from notifications.rules import NotificationRules
from notifications.schedule import build_during_day, build_morning
from notifications.written_work import build_written_reminders

log = logging.getLogger(__name__)

Enqueue = Callable[[AsyncSession, list[OutboxItem]], Awaitable[int]]
Build = Callable[[AsyncSession, int, datetime], Awaitable[list[OutboxItem]]]

# The second key of each job's advisory lock (the first is core.jobs.JOB_LOCK_NAMESPACE).
JOB_LOCKS = {
    "digests": 1,
    "absence_alerts": 2,
    "friday_round": 3,
    "monday_reminder": 4,
    "teacher_reminders": 5,
    "absence_thresholds": 6,
    "schedule_morning": 7,
    "schedule_changes": 8,
}


def daily_slot(now_local: datetime, at: time) -> datetime:
    """The last local moment ``at`` not after ``now_local`` (aware, in its timezone)."""
    day = now_local.date()
    slot = _combine(day, at, now_local)
    return slot if slot <= now_local else _combine(day - timedelta(days=1), at, now_local)


def weekly_slot(now_local: datetime, iso_weekday: int, at: time) -> datetime:
    """The last ``at`` on ``iso_weekday`` (1 = Monday) not after ``now_local``."""
    day = now_local.date() - timedelta(days=(now_local.isoweekday() - iso_weekday) % 7)
    slot = _combine(day, at, now_local)
    return slot if slot <= now_local else _combine(day - timedelta(days=7), at, now_local)


def _combine(day: date, at: time, like: datetime) -> datetime:
    return datetime.combine(day, at, tzinfo=like.tzinfo)


class NotificationJobs:
    """The notification jobs of one journal. ``enqueue`` defaults to the outbox's;
    ``limits`` are each channel's, by its name (the composition root passes those of the
    channels it built; by default every channel's adapter): a notification is composed
    under the limits of the channel its recipient is on."""

    def __init__(
        self,
        journal: Journal,
        rules: NotificationRules | None = None,
        enqueue: Enqueue | None = None,
        metrics: Metrics | None = None,
        limits: Mapping[str, Limits] | None = None,
    ) -> None:
        self.journal = journal
        self.rules = rules or NotificationRules()
        self._enqueue = enqueue
        self.metrics = metrics or Metrics()  # the sweep's runs of each job (GET /metrics)
        self.limits = dict(limits) if limits is not None else adapters_limits()
        self.digest_parts: list[PartDone] = []  # the last digest run's, a process each

    async def _queue(self, s: AsyncSession, items: list[OutboxItem]) -> int:
        if not items:
            return 0
        enqueue = self._enqueue or outbox.enqueue
        return int(await enqueue(s, items))

    # --- jobs ------------------------------------------------------------------------------

    async def digests(self) -> int:
        """Parents' digests due now or missed within the catch-up window (R16); by
        ``rules.digest_workers`` processes when more than a chunk's parents are due."""
        async with self.journal.transaction() as s:
            if not await job_runs.try_job_lock(s, JOB_LOCKS["digests"]):
                return 0
            now = self.journal.clock.now()
            tz = self.journal.rules.timezone
            workers = await self._digest_workers(s, now)
            if workers > 1:
                parts = await self._digests_in_processes(s, now, workers)
            else:
                built, queued = await queue_digests(
                    s, self.rules, tz, now, self.limits, self._queue
                )
                parts = [PartDone(built, queued)]
            self.digest_parts = parts
            built, queued = sum(p.built for p in parts), sum(p.queued for p in parts)
            if built:
                log.info(
                    "digests: %d built, %d messages queued (%d processes)",
                    built,
                    queued,
                    len(parts),
                )
            return queued

    async def _digest_workers(self, s: AsyncSession, now: datetime) -> int:
        """How many processes build this run's digests: ``rules.digest_workers`` when more
        than a chunk's parents are due (fewer are not worth starting a process for), and
        the job queues into the outbox itself (an injected ``enqueue`` is this process's)."""
        rules = self.rules
        if rules.digest_workers <= 1 or self._enqueue is not None:
            return 1
        if not isinstance(s.bind, AsyncEngine):
            return 1
        tz = self.journal.rules.timezone
        slots = await digest.due_digest_slots(s, now, tz, rules.digest_time, rules.catch_up)
        schools = len({x[0] for x in slots})  # a school is built by one process
        if schools < 2 or not await digest.due_parents_over(s, slots, rules.digest_chunk):
            return 1
        return min(rules.digest_workers, schools)

    async def _digests_in_processes(
        self, s: AsyncSession, now: datetime, workers: int
    ) -> list[PartDone]:
        """Part 0 of the schools built here, in the job's transaction; parts 1.. by as many
        fresh processes (spawned: nothing of this one's connections is inherited), each
        committing its own."""
        assert isinstance(s.bind, AsyncEngine)
        url = s.bind.url.render_as_string(hide_password=False)
        tz = self.journal.rules.timezone
        loop = asyncio.get_running_loop()
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers - 1, mp_context=context) as pool:
            others = [
                loop.run_in_executor(
                    pool,
                    build_part,
                    url,
                    self.rules,
                    self.journal.rules,
                    now,
                    self.limits,
                    (index, workers),
                )
                for index in range(1, workers)
            ]
            try:
                built, queued = await queue_digests(
                    s, self.rules, tz, now, self.limits, self._queue, (0, workers)
                )
            finally:
                done = await asyncio.gather(*others, return_exceptions=True)
        failed = [x for x in done if isinstance(x, BaseException)]
        if failed:
            raise failed[0]  # this part is not committed; the next sweep builds what is left
        return [PartDone(built, queued), *(x for x in done if isinstance(x, PartDone))]

    async def absence_alerts(self) -> int:
        """Instant absence alerts and corrections to parents (every minute)."""
        async with self.journal.transaction() as s:
            if not await job_runs.try_job_lock(s, JOB_LOCKS["absence_alerts"]):
                return 0
            now = self.journal.clock.now()
            items, states = await build_absence_alerts(s, self.journal.rules.timezone, now)
            queued = await self._queue(s, items)
            await alerts.save_alert_states(s, states, now)
            return queued

    async def friday_round(self) -> int:
        """R6: the class teachers' weekly absence-reason round."""
        rules = self.rules

        async def build(s: AsyncSession, school_id: int, slot: datetime) -> list[OutboxItem]:
            return await build_round(s, RoundKind.FRIDAY, school_id, slot.date(), self.limits)

        return await self._slot_job(
            "friday_round",
            lambda now: weekly_slot(now, rules.friday_round_day, rules.friday_round_time),
            build,
        )

    async def monday_reminder(self) -> int:
        """R6: what last week's round left unconfirmed, on Monday morning."""
        rules = self.rules

        async def build(s: AsyncSession, school_id: int, slot: datetime) -> list[OutboxItem]:
            return await build_round(s, RoundKind.MONDAY, school_id, slot.date(), self.limits)

        return await self._slot_job(
            "monday_reminder",
            lambda now: weekly_slot(now, 1, rules.monday_reminder_time),
            build,
        )

    async def teacher_reminders(self) -> int:
        """R4, R13: lessons of the day without roll call, topic or homework; R14: the
        written works whose marks are due today and not all in."""
        rules = self.rules

        async def build(s: AsyncSession, school_id: int, slot: datetime) -> list[OutboxItem]:
            school = await self.journal.school_rules(s, school_id)
            day = slot.date()
            return [
                *await build_teacher_reminders(
                    s, school_id, day, school.correction_deadline, self.limits
                ),
                *await build_written_reminders(s, school_id, day, self.limits),
            ]

        return await self._slot_job(
            "teacher_reminders", lambda now: daily_slot(now, rules.teacher_reminder_time), build
        )

    async def absence_thresholds(self) -> int:
        """Pupils over the absence thresholds, to their class teachers."""
        rules = self.rules

        async def build(s: AsyncSession, school_id: int, slot: datetime) -> list[OutboxItem]:
            return await build_thresholds(s, rules, school_id, slot.date())

        return await self._slot_job(
            "absence_thresholds", lambda now: daily_slot(now, rules.threshold_check_time), build
        )

    async def schedule_morning(self) -> int:
        """R25, R16: «Изменения на сегодня» to parents whose child's day changed."""
        rules = self.rules

        async def build(s: AsyncSession, school_id: int, slot: datetime) -> list[OutboxItem]:
            return await build_morning(s, school_id, slot, self.limits)

        return await self._slot_job(
            "schedule_morning", lambda now: daily_slot(now, rules.schedule_morning_time), build
        )

    async def schedule_changes(self) -> int:
        """R25: today's changes made after the morning message, to parents (every minute;
        the outbox keys send each once)."""
        async with self.journal.transaction() as s:
            if not await job_runs.try_job_lock(s, JOB_LOCKS["schedule_changes"]):
                return 0
            now = self.journal.clock.now()
            items: list[OutboxItem] = []
            for school_id, tz in await job_runs.school_zones(s, self.journal.rules.timezone):
                items += await build_during_day(
                    s, school_id, now, tz, self.rules.schedule_morning_time, self.limits
                )
            return await self._queue(s, items)

    async def run_due(self) -> dict[str, int]:
        """Run every job that is due or was missed within the catch-up window (on start
        and every few minutes). One failing job does not stop the others."""
        done: dict[str, int] = {}
        for name in (
            "digests",
            "friday_round",
            "monday_reminder",
            "teacher_reminders",
            "absence_thresholds",
            "schedule_morning",
        ):
            try:
                done[name] = await getattr(self, name)()
            except Exception as err:
                log_failure(log, f"notification job {name} failed", err)
                done[name] = 0
                self.metrics.job_ran(name, failed=True)
            else:
                self.metrics.job_ran(name)
        return done

    async def _slot_job(
        self, job: str, slot_of: Callable[[datetime], datetime], build: Build
    ) -> int:
        """Run ``build`` for each school whose last due time (``slot_of`` its local now)
        passed less than the catch-up window ago and is not recorded as done."""
        async with self.journal.transaction() as s:
            if not await job_runs.try_job_lock(s, JOB_LOCKS[job]):
                return 0
            now = self.journal.clock.now()
            total = 0
            for school_id, tz in await job_runs.school_zones(s, self.journal.rules.timezone):
                slot = slot_of(now.astimezone(tz))
                if now - slot > self.rules.catch_up:
                    continue
                if await job_runs.job_done(s, job, school_id, slot):
                    continue
                queued = await self._queue(s, await build(s, school_id, slot))
                await job_runs.record_job_run(s, job, school_id, slot, now, queued)
                log.info("%s for school %s (due %s): %d queued", job, school_id, slot, queued)
                total += queued
            return total


def build_scheduler(jobs: NotificationJobs) -> AsyncIOScheduler:
    """APScheduler in the school's timezone: cron triggers at the rules' times for
    punctuality, the absence alerts every minute, and a sweep (``run_due``) on start and
    every ``sweep_minutes`` that catches up whatever was missed. Start it inside the
    running event loop (``scheduler.start()``) and ``shutdown()`` it on exit."""
    tz = jobs.journal.rules.timezone
    rules = jobs.rules
    scheduler = AsyncIOScheduler(
        timezone=tz,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 600},
    )
    scheduler.add_job(
        jobs.absence_alerts, IntervalTrigger(minutes=1, timezone=tz), id="absence_alerts"
    )
    scheduler.add_job(
        jobs.schedule_changes, IntervalTrigger(minutes=1, timezone=tz), id="schedule_changes"
    )
    scheduler.add_job(
        jobs.run_due, IntervalTrigger(minutes=rules.sweep_minutes, timezone=tz), id="sweep"
    )
    scheduler.add_job(jobs.run_due, id="sweep_on_start")  # no trigger: once, at start
    scheduler.add_job(jobs.digests, CronTrigger(minute="0,30", timezone=tz), id="digests")

    def cron(at: time, **fields: object) -> CronTrigger:
        return CronTrigger(hour=at.hour, minute=at.minute, timezone=tz, **fields)

    scheduler.add_job(
        jobs.friday_round,
        cron(rules.friday_round_time, day_of_week=rules.friday_round_day - 1),
        id="friday_round",
    )
    scheduler.add_job(
        jobs.monday_reminder, cron(rules.monday_reminder_time, day_of_week=0), id="monday_reminder"
    )
    scheduler.add_job(
        jobs.teacher_reminders, cron(rules.teacher_reminder_time), id="teacher_reminders"
    )
    scheduler.add_job(
        jobs.absence_thresholds, cron(rules.threshold_check_time), id="absence_thresholds"
    )
    scheduler.add_job(
        jobs.schedule_morning, cron(rules.schedule_morning_time), id="schedule_morning"
    )
    return scheduler
