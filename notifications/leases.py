"""Send leases: which instance sends through which bot (issue 14).

A bot allows about 30 messages a second, whatever sends them. With two ``journal run``
instances on one database, each sender pacing itself at 25/s would send 50/s through the
same bot. So a sender sends through a channel (one bot) only while its instance holds
the channel's lease in ``send_leases``.

Each instance has one :class:`LeaseBook` (built in the composition root,
``school_journal.app``), shared by all its senders. A third of the way through the lease
(``ttl``) the book renews, in one statement, the instance's heartbeat (a row in
``send_instances`` naming the channels it can send through, live until ``now() + ttl``
by the database's clock, so the instances' clocks need not agree) and its leases:

* its **share** is channels / live instances, the channels being those of every live
  instance (heartbeat not run out): of n channels over k instances, the first n % k in
  the order of their ids hold ceil(n / k), the others floor(n / k), so they add up to n;
* it keeps first the channels no other live instance can send through, then the ones it
  holds, then takes free or run-out ones, up to its share (an orphan, a bot nobody
  leases or whose holder's heartbeat has run out, up to ceil(n / k) even beyond it: no
  bot is left unsent when the shares disagree, e.g. while an instance that knows fewer
  bots still runs);
* holding more than its share (an instance has started), it gives the surplus back: it
  stops claiming their rows at once, and their leases run out a third of the lease later
  (the rows it had claimed are sent meanwhile, so two instances never send through one
  bot at once); the newcomer takes them at its first renewal after that;
* an instance that dies stops renewing: its heartbeat and its leases run out together,
  the survivors' share grows and they take its bots over at their next renewal (within
  ``ttl`` and a third);
* a graceful stop gives the leases back and deletes the heartbeat: the others take over
  at their next renewal.

Two instances never hold one channel: the lease is taken by ``INSERT … ON CONFLICT DO
UPDATE … WHERE`` (held by this instance or run out), which PostgreSQL checks on the
row's latest version under its row lock. The renewals of all instances take turns under
a transaction-level advisory lock, so each computes its share from the others' committed
leases and heartbeats. A book that cannot renew (the database unreachable) treats its
leases as lost two thirds of the way through, before they can have run out.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger(__name__)

# pg_advisory_xact_lock(namespace, key): one book renews at a time, across instances.
LEASE_LOCK_NAMESPACE = 0x6C656173  # "leas"
_LOCK = text(f"SELECT pg_advisory_xact_lock({LEASE_LOCK_NAMESPACE}, 0)")

# One statement: the heartbeat, the share, the leases taken or renewed, the surplus given
# back. Every CTE sees the same snapshot (taken after the advisory lock), so ``others``
# does not see this instance's new heartbeat, nor ``candidates`` its new leases.
_RENEW = text(
    """
    WITH beat AS (
        INSERT INTO send_instances AS i (holder, channels, until)
        VALUES (:holder, CAST(:channels AS varchar[]), now() + CAST(:ttl AS interval))
        ON CONFLICT (holder) DO UPDATE SET channels = EXCLUDED.channels, until = EXCLUDED.until
        RETURNING i.holder
    ),
    others AS (
        SELECT holder, channels FROM send_instances WHERE until > now() AND holder <> :holder
    ),
    every AS (
        SELECT count(*) AS n FROM (SELECT unnest(CAST(:channels AS varchar[]))
                                   UNION SELECT unnest(channels) FROM others) AS c
    ),
    live AS (  -- this instance among the live ones, in the order of their ids
        SELECT count(*) + 1 AS n, count(*) FILTER (WHERE holder < :holder) AS rank FROM others
    ),
    -- n channels over k instances: the first n % k (by id) hold one more than n / k
    share AS (
        SELECT every.n / live.n + CASE WHEN live.rank < every.n % live.n THEN 1 ELSE 0 END AS n,
               (every.n + live.n - 1) / live.n AS ceil
        FROM every, live
    ),
    candidates AS (
        SELECT m.c AS channel,
               NOT EXISTS (SELECT 1 FROM others o WHERE m.c = ANY (o.channels)) AS only_mine,
               COALESCE(l.holder = :holder, false) AS held,
               -- nobody's, or another's that ran out and its instance too (dead or stuck)
               l.channel IS NULL OR (l.holder <> :holder AND l.holder NOT IN (
                   SELECT holder FROM others)) AS orphan
        FROM unnest(CAST(:channels AS varchar[])) AS m (c)
        LEFT JOIN send_leases l ON l.channel = m.c
        WHERE l.channel IS NULL OR l.holder = :holder OR l.until <= now()
    ),
    wanted AS (
        SELECT channel FROM (
            SELECT channel, only_mine, orphan,
                   row_number() OVER (ORDER BY only_mine DESC, held DESC, orphan DESC, channel)
                       AS rank
            FROM candidates
        ) AS ranked, share
        WHERE only_mine OR rank <= share.n OR (orphan AND rank <= share.ceil)
    ),
    taken AS (
        INSERT INTO send_leases AS l (channel, holder, until)
        SELECT channel, :holder, now() + CAST(:ttl AS interval) FROM wanted
        ON CONFLICT (channel) DO UPDATE
            SET holder = EXCLUDED.holder, until = EXCLUDED.until
            WHERE l.holder = EXCLUDED.holder OR l.until <= now()
        RETURNING l.channel
    ),
    surplus AS (  -- given back, but only after a grace: the sends in flight end first
        UPDATE send_leases SET until = LEAST(until, now() + CAST(:grace AS interval))
        WHERE holder = :holder AND channel <> ALL (ARRAY(SELECT channel FROM wanted))
        RETURNING channel
    ),
    forgotten AS (  -- heartbeats of instances gone long ago (a new id each start)
        DELETE FROM send_instances WHERE until < now() - interval '1 day'
        RETURNING holder
    )
    SELECT channel FROM taken
    """
)
_GIVE_BACK = text(
    "DELETE FROM send_leases WHERE holder = :holder AND channel = ANY(CAST(:channels AS varchar[]))"
)
_UPDATE_BEAT = text(
    "UPDATE send_instances SET channels = CAST(:channels AS varchar[]) WHERE holder = :holder"
)
_END_BEAT = text("DELETE FROM send_instances WHERE holder = :holder")


class LeaseBook:
    """One instance's send leases, shared by its senders: ``held(channels)`` says which of a
    sender's channels the instance holds now, renewing them all when due."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        holder: str,
        ttl: timedelta,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sessions, self.holder, self.ttl, self.monotonic = sessions, holder, ttl, monotonic
        self._channels: set[str] = set()  # those of the senders running (asked, not given back)
        self._held: set[str] = set()
        self._new = False  # a sender has asked for channels the last renewal did not have
        self._taken_at = float("-inf")  # when the database last answered a renewal
        self._tried_at = float("-inf")
        self._lock = asyncio.Lock()
        self.renewals = 0  # statements sent (one per renewal, whatever the senders)

    @property
    def renew_every(self) -> float:
        return self.ttl.total_seconds() / 3

    @property
    def channels(self) -> list[str]:
        return sorted(self._channels)

    async def held(self, channels: Iterable[str] = ()) -> list[str]:
        """Which of ``channels`` this instance holds (all it holds when none are named):
        renewed when a third of the lease has gone by, or at once when a sender asks for a
        channel the book did not have; none once the lease may have run out unrenewed."""
        asked = list(channels)
        if not self._channels.issuperset(asked):
            self._channels.update(asked)
            self._new = True
        async with self._lock:  # the senders asking meanwhile wait for one renewal
            now = self.monotonic()
            if self._new or now - self._tried_at >= self.renew_every:
                await self._renew(now)
            # Renewed within two thirds of the lease: it still runs for at least a third
            # (the time read again: a renewal that failed may have taken long).
            if self.monotonic() - self._taken_at > 2 * self.renew_every:
                self._held = set()
        return sorted(self._held if not asked else self._held.intersection(asked))

    async def _renew(self, now: float) -> None:
        self._tried_at, self._new = now, False
        channels = self.channels
        try:
            async with self.sessions() as s, s.begin():
                await s.execute(_LOCK)
                rows = await s.execute(
                    _RENEW,
                    {
                        "holder": self.holder,
                        "ttl": self.ttl,
                        "grace": self.ttl / 3,
                        "channels": channels,
                    },
                )
                taken = {row.channel for row in rows}
        except Exception as err:  # the database is down: the senders' loops say so
            log.warning("send leases not renewed (%s: %s)", type(err).__name__, err)
            return
        finally:
            self.renewals += 1
        if taken != self._held:
            log.info(
                "instance %s now sends through %d of its %d channels (taken: %s; given up: %s)",
                self.holder,
                len(taken),
                len(channels),
                ", ".join(sorted(taken - self._held)) or "none",
                ", ".join(sorted(self._held - taken)) or "none",
            )
        self._held, self._taken_at = taken, now

    async def give_back(self, channels: Sequence[str] | None = None) -> None:
        """Free the leases of ``channels`` (a sender's graceful stop; all when None): another
        instance takes them at its next renewal instead of when they run out. The last
        channels given back end the instance's heartbeat."""
        async with self._lock:
            gone = self.channels if channels is None else list(channels)
            self._channels.difference_update(gone)
            self._held.difference_update(gone)
            remaining = self.channels
            try:
                async with self.sessions() as s, s.begin():
                    params = {"holder": self.holder, "channels": gone}
                    await s.execute(_GIVE_BACK, params)
                    if remaining:
                        await s.execute(
                            _UPDATE_BEAT, {"holder": self.holder, "channels": remaining}
                        )
                    else:
                        await s.execute(_END_BEAT, {"holder": self.holder})
            except Exception as err:  # they run out by themselves
                log.warning("send leases not given back (%s: %s)", type(err).__name__, err)
            if not remaining:
                self._tried_at = self._taken_at = float("-inf")


class SendLease:
    """The leases of one sender's channels in a book of its own (a sender built without
    the instance's book): ``held()`` renews when due."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        channels: Sequence[str],
        holder: str,
        ttl: timedelta,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.book = LeaseBook(sessions, holder, ttl, monotonic=monotonic)
        self.channels = list(channels)

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self.book.sessions

    @sessions.setter
    def sessions(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.book.sessions = sessions

    async def held(self) -> list[str]:
        return await self.book.held(self.channels)

    async def give_back(self) -> None:
        await self.book.give_back(self.channels)
