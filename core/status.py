"""What the admin's ``journal status`` reads from the database: the outbox backlog, the
last parents' digest run and the last Friday round with the delivery state of their
messages, active bindings per role and pending correction requests. Data only; the CLI
puts it in words (``texts``).

Nothing new is recorded for this: a digest run is the set of ``digests`` rows built at
one moment (the job writes them all with its ``now``), a Friday round is its row in
``notification_job_runs``, and each message's fate is its ``outbox`` row (its key names
the digest or round it belongs to).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity import bot_channel
from core.jobs import school_zones
from core.journal import Journal
from core.models import BindingRole, Messenger

DELIVERY_STATES = ("pending", "sent", "failed", "unreachable")


def _states(rows: object) -> dict[str, int]:
    found = {state: 0 for state in DELIVERY_STATES}
    for state, n in rows:  # type: ignore[attr-defined]  # a Result of (status, count) rows
        found[str(state)] = int(n)
    return found


@dataclass(frozen=True)
class OutboxBacklog:
    """Every outbox row by its state; how long the oldest pending one has waited."""

    by_state: dict[str, int]
    oldest_pending_age: timedelta | None


@dataclass(frozen=True)
class DigestRun:
    """The last run of the parents' digests (R16) for the school."""

    at: datetime
    digests: int  # parents' digests built
    empty: int  # of them, with nothing new (no message: DIGEST_SKIP_EMPTY)
    messages: dict[str, int]  # its outbox messages by delivery state


@dataclass(frozen=True)
class RoundRun:
    """The last Friday absence-reason round (R6) for the school."""

    due: datetime
    done_at: datetime
    messages: dict[str, int]


@dataclass(frozen=True)
class BotSending:
    """The Telegram bot the school's messages go through, and who sends through it: the
    ``journal run`` instance holding the bot's send lease (``send_leases``, issue 14), or
    nobody (no instance runs, or none can open the bot: its messages wait)."""

    username: str | None  # the school's own bot; None: the deployment's shared bot
    holder: str | None  # the instance sending through it now (its lease not run out)
    until: datetime | None  # the lease runs out then unless renewed
    pending: int  # messages waiting for this bot (the school's own bot's only)
    oldest_pending_age: timedelta | None


@dataclass(frozen=True)
class JournalStatus:
    outbox: OutboxBacklog
    last_digest: DigestRun | None
    last_round: RoundRun | None
    bot: BotSending | None = None
    bindings: dict[str, int] = field(default_factory=dict)  # role -> active bindings
    unreachable: dict[str, int] = field(default_factory=dict)  # role -> of them, 403
    pending_requests: int = 0


async def journal_status(journal: Journal, school_id: int) -> JournalStatus:
    """The school's status now, read in one transaction."""
    default = journal.rules.timezone
    async with journal.transaction() as s:
        zones = dict(await school_zones(s, default))
        return JournalStatus(
            outbox=await _outbox(s),
            last_digest=await _last_digest(s, school_id),
            last_round=await _last_round(s, school_id, zones.get(school_id, default)),
            bot=await _bot_sending(s, school_id),
            **await _bindings(s, school_id),
            pending_requests=int(
                await s.scalar(
                    text(
                        "SELECT count(*) FROM correction_requests"
                        " WHERE school_id = :school AND status = 'pending'"
                    ),
                    {"school": school_id},
                )
                or 0
            ),
        )


async def _bot_sending(s: AsyncSession, school_id: int) -> BotSending:
    """The school's own bot (channel ``telegram:<bot id>``) or the shared one
    (``telegram``), its lease, and what waits for it."""
    own = (
        await s.execute(
            text("SELECT bot_id, username FROM school_bots WHERE school_id = :school"),
            {"school": school_id},
        )
    ).one_or_none()
    channel = bot_channel(Messenger.TELEGRAM.value, own[0] if own else None)
    lease = (
        await s.execute(
            text(
                "SELECT holder, until FROM send_leases WHERE channel = :channel AND until > now()"
            ),
            {"channel": channel},
        )
    ).one_or_none()
    pending, age = 0, None
    if own is not None:  # the shared bot's queue is every school's: the line above says it
        pending, age = await _pending(s, channel)
    return BotSending(
        own[1] if own else None,
        lease[0] if lease else None,
        lease[1] if lease else None,
        pending,
        age,
    )


async def _outbox(s: AsyncSession) -> OutboxBacklog:
    # Every bot's messages, the deployment's: each school's own bot has its line (_bot_sending).
    return OutboxBacklog(*await outbox_states(s))


_WAITING = (
    "SELECT 'pending', count(*), now() - min(created_at) FROM outbox WHERE status = 'pending'"
)
# One statement, so one snapshot: read in two, a row closed between them (its recorder
# committing) was counted both pending and closed.
_STATES = text(f"{_WAITING} UNION ALL SELECT status, rows, NULL FROM outbox_closed")


async def outbox_states(s: AsyncSession) -> tuple[dict[str, int], timedelta | None]:
    """Every outbox row by its state, and how long the oldest pending one has waited: the
    closed rows as the recorder counted them when it closed them (``outbox_closed``), the
    pending ones counted now. Neither reads the outbox's history, which only grows."""
    rows = (await s.execute(_STATES)).all()
    age = next(waited for state, _, waited in rows if state == "pending")
    return _states((state, n) for state, n, _ in rows), _waited(age)


async def _pending(s: AsyncSession, channel: str) -> tuple[int, timedelta | None]:
    """How many messages wait for one channel's bot and how long the oldest of them has
    waited (None: none waits)."""
    found = await s.execute(text(_WAITING + " AND channel = :channel"), {"channel": channel})
    _, count, age = found.one()
    return int(count), _waited(age)


def _waited(age: timedelta | None) -> timedelta | None:
    # created_at is the database's clock (its default), so the age is measured by it too.
    return max(age, timedelta(0)) if age is not None else None


async def _last_digest(s: AsyncSession, school_id: int) -> DigestRun | None:
    at = await s.scalar(
        text(
            "SELECT max(d.built_at) FROM digests d JOIN bindings b ON b.id = d.binding_id"
            " JOIN people p ON p.id = b.person_id WHERE p.school_id = :school"
        ),
        {"school": school_id},
    )
    if at is None:
        return None
    run = (
        "SELECT d.binding_id, d.day, d.parts FROM digests d"
        " JOIN bindings b ON b.id = d.binding_id JOIN people p ON p.id = b.person_id"
        " WHERE p.school_id = :school AND d.built_at = :at"
    )
    counts = (
        await s.execute(
            text(f"SELECT count(*), count(*) FILTER (WHERE parts = 0) FROM ({run}) r"),
            {"school": school_id, "at": at},
        )
    ).one()
    # A digest's messages are keyed digest:<binding>:<day> (and …:partN when split).
    messages = _states(
        await s.execute(
            text(
                f"""
                SELECT o.status, count(*) FROM ({run}) r
                JOIN outbox o ON o.kind = 'digest' AND o.binding_id = r.binding_id
                 AND (o.key = 'digest:' || r.binding_id || ':' || r.day
                      OR o.key LIKE 'digest:' || r.binding_id || ':' || r.day || :parts)
                GROUP BY o.status
                """
            ),
            {"school": school_id, "at": at, "parts": ":part%"},
        )
    )
    return DigestRun(at, int(counts[0]), int(counts[1]), messages)


async def _last_round(s: AsyncSession, school_id: int, tz: ZoneInfo) -> RoundRun | None:
    row = (
        await s.execute(
            text(
                "SELECT slot, done_at FROM notification_job_runs"
                " WHERE job = 'friday_round' AND school_id = :school"
                " ORDER BY slot DESC LIMIT 1"
            ),
            {"school": school_id},
        )
    ).one_or_none()
    if row is None:
        return None
    due: datetime = row[0]
    # The round covers the week of its day; its messages carry the week's Monday.
    local = due.astimezone(tz).date()
    monday: date = local - timedelta(days=local.weekday())
    messages = _states(
        await s.execute(
            text(
                """
                SELECT o.status, count(*) FROM outbox o
                JOIN classes c ON c.id = CAST(o.meta->>'class_id' AS bigint)
                WHERE o.kind = 'friday_round' AND o.meta->>'start' = :start
                  AND c.school_id = :school
                GROUP BY o.status
                """
            ),
            {"school": school_id, "start": monday.isoformat()},
        )
    )
    return RoundRun(due, row[1], messages)


async def _bindings(s: AsyncSession, school_id: int) -> dict[str, dict[str, int]]:
    rows = await s.execute(
        text(
            """
            SELECT b.role, count(*), count(*) FILTER (WHERE b.unreachable_at IS NOT NULL)
            FROM bindings b JOIN people p ON p.id = b.person_id
            WHERE p.school_id = :school AND b.revoked_at IS NULL
            GROUP BY b.role
            """
        ),
        {"school": school_id},
    )
    active = {role.value: 0 for role in BindingRole}
    unreachable = {role.value: 0 for role in BindingRole}
    for role, n, lost in rows:
        active[role], unreachable[role] = int(n), int(lost)
    return {"bindings": active, "unreachable": unreachable}
