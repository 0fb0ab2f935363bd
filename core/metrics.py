"""What the running app counts, for ``GET /metrics`` (Prometheus) and ``GET /health``.

One ``Metrics`` per app (built in the composition root, ``school_journal.app``), with a
``CollectorRegistry`` of its own: nothing is registered in prometheus_client's global
default registry, so every test gets fresh counters. The adapters report to it in one
line each: the bot's update middleware (updates and their latency), the Bot API transport
(429 waits, the last successful request), the outbox sender (sent, failed, unreachable,
429 waits), its recorder (failed writes of outcomes) and the scheduler (job runs and
failures). What lives in the database (outbox rows by state) and on disk (the last
backup's age) is read at scrape time into ``Metrics.scraped`` and exposed by a custom
collector.

No messenger library here: Telegram's terms stay in ``bot/``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

#: Every state an outbox row can be in (``outbox.status``).
OUTBOX_STATES = ("pending", "sent", "failed", "unreachable")
#: How an outbox row ends, as the sender counts it.
MESSAGE_RESULTS = ("sent", "failed", "unreachable")
#: Who waited out a 429: the bot answering users, or the outbox sender.
FLOOD_SOURCES = ("bot", "sender")
#: APScheduler runs a job once at start under this suffix; counted under the job's name.
ON_START = "_on_start"


@dataclass
class Scraped:
    """Values read just before a scrape (None: could not be read, not exposed)."""

    outbox: dict[str, int] | None = None
    backup_ages: dict[str, float] = field(default_factory=dict)  # folder → seconds (inf: none)
    database_up: bool | None = None


class _ScrapedCollector(Collector):
    """Exposes ``Metrics.scraped`` as gauges (collected when the registry is read)."""

    def __init__(self, scraped: Callable[[], Scraped]) -> None:
        self.scraped = scraped

    def describe(self) -> list[Metric]:
        return list(self._families(Scraped()))

    def collect(self) -> Iterator[Metric]:
        return self._families(self.scraped())

    @staticmethod
    def _families(values: Scraped) -> Iterator[Metric]:
        outbox = GaugeMetricFamily(
            "journal_outbox_rows", "Outbox rows by state, read at scrape time", labels=["state"]
        )
        for state in OUTBOX_STATES:
            if values.outbox is not None:
                outbox.add_metric([state], values.outbox.get(state, 0))
        yield outbox
        backup = GaugeMetricFamily(
            "journal_backup_age_seconds",
            "Seconds since the newest complete backup in each of BACKUP_DIRS (+Inf: none)",
            labels=["dir"],
        )
        for folder, seconds in values.backup_ages.items():
            backup.add_metric([folder], seconds)
        yield backup
        database = GaugeMetricFamily(
            "journal_database_up", "1 if the database answered at scrape time, else 0"
        )
        if values.database_up is not None:
            database.add_metric([], 1.0 if values.database_up else 0.0)
        yield database


@dataclass
class Metrics:
    """The app's counters. ``monotonic`` measures latency and ages (injectable)."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    monotonic: Callable[[], float] = time.monotonic
    scraped: Scraped = field(default_factory=Scraped)
    last_update_at: float | None = None
    last_reached: dict[str, float] = field(default_factory=dict)  # messenger -> monotonic
    updates: Counter = field(init=False)
    update_seconds: Histogram = field(init=False)
    messages: Counter = field(init=False)
    flood_waits: Counter = field(init=False)
    flood_wait_seconds: Counter = field(init=False)
    outcome_write_failures: Counter = field(init=False)
    job_runs: Counter = field(init=False)
    job_failures: Counter = field(init=False)

    def __post_init__(self) -> None:
        r = self.registry
        self.updates = Counter(
            "journal_updates",
            "Updates handled, by kind and messenger",
            ["kind", "messenger"],
            registry=r,
        )
        self.update_seconds = Histogram(
            "journal_update_duration_seconds",
            "Time to handle one update, by kind and messenger",
            ["kind", "messenger"],
            registry=r,
        )
        self.messages = Counter(
            "journal_messages",
            "Outbox messages by how they ended: sent, failed, unreachable",
            ["result"],
            registry=r,
        )
        self.flood_waits = Counter(
            "journal_flood_waits", "429 answers from Telegram waited out", ["source"], registry=r
        )
        self.flood_wait_seconds = Counter(
            "journal_flood_wait_seconds",
            "Seconds waited on Telegram's 429 retry_after",
            ["source"],
            registry=r,
        )
        self.outcome_write_failures = Counter(
            "journal_outcome_write_failures",
            "Failed writes of sent messages' outcomes to the database, each try counted",
            registry=r,
        )
        self.job_runs = Counter("journal_job_runs", "Scheduled job runs", ["job"], registry=r)
        self.job_failures = Counter(
            "journal_job_failures", "Scheduled job runs that failed", ["job"], registry=r
        )
        for result in MESSAGE_RESULTS:  # shown as 0 before the first one
            self.messages.labels(result)
        for source in FLOOD_SOURCES:
            self.flood_waits.labels(source)
            self.flood_wait_seconds.labels(source)
        r.register(_ScrapedCollector(lambda: self.scraped))

    # --- hooks (one call each where it happens) ---------------------------------------------

    def update_handled(self, kind: str, seconds: float, messenger: str) -> None:
        self.updates.labels(kind, messenger).inc()
        self.update_seconds.labels(kind, messenger).observe(seconds)
        self.last_update_at = self.monotonic()

    def reached(self, messenger: str) -> None:
        """A request to ``messenger``'s Bot API succeeded (it is reachable)."""
        self.last_reached[messenger] = self.monotonic()

    def reached_ago(self, messenger: str) -> float | None:
        """Seconds since ``messenger``'s Bot API last answered (None: not yet)."""
        return self.age(self.last_reached.get(messenger))

    def message_ended(self, result: str, channel: str) -> None:
        self.messages.labels(result).inc()
        if result == "sent":
            self.reached(channel)

    def flood_waited(self, source: str, seconds: float) -> None:
        self.flood_waits.labels(source).inc()
        self.flood_wait_seconds.labels(source).inc(seconds)

    def outcome_write_failed(self) -> None:
        """The recorder could not write a batch of outcomes (it tries again, or gives up
        and the rows are sent again after their lease)."""
        self.outcome_write_failures.inc()

    def job_ran(self, job_id: str, *, failed: bool = False) -> None:
        job = job_name(job_id)
        self.job_runs.labels(job).inc()
        if failed:
            self.job_failures.labels(job).inc()

    def job_failed(self, job_id: str) -> None:
        """A job that catches its own errors (so its run counted as done) failed."""
        self.job_failures.labels(job_name(job_id)).inc()

    # --- ages --------------------------------------------------------------------------------

    def age(self, moment: float | None) -> float | None:
        return None if moment is None else max(0.0, self.monotonic() - moment)


def job_name(job_id: str) -> str:
    return job_id.removesuffix(ON_START)
