"""Send leases: which instance sends through a bot (issue 14).

A bot allows about 30 messages a second, whatever sends them. With two ``journal run``
instances on one database, each sender pacing itself at 25/s would send 50/s through the
same bot. So a sender sends through a channel (one bot) only while it holds the
channel's lease in ``send_leases``: it takes a free or expired lease, renews its own a
third of the way through, and gives it back when it stops. Another instance takes the
lease over once it has run out (``ttl`` after the holder's last renewal, by the
database's clock, so the instances' clocks need not agree); a sender that cannot renew
(the database unreachable) stops using its lease before it can have run out.

One statement does it all (``INSERT … ON CONFLICT DO UPDATE … WHERE``): PostgreSQL's row
lock on the lease makes two instances' attempts take turns, and ``RETURNING`` gives back
only the leases this holder now has.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger(__name__)

_TAKE = text(
    """
    INSERT INTO send_leases AS l (channel, holder, until)
    SELECT c, :holder, now() + CAST(:ttl AS interval)
    FROM unnest(CAST(:channels AS varchar[])) AS c
    ON CONFLICT (channel) DO UPDATE
        SET holder = EXCLUDED.holder, until = EXCLUDED.until
        WHERE l.holder = EXCLUDED.holder OR l.until <= now()
    RETURNING l.channel
    """
)
_GIVE_BACK = text("DELETE FROM send_leases WHERE holder = :holder")


class SendLease:
    """The channels one sender may send through now: ``held()`` renews when due."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        channels: Sequence[str],
        holder: str,
        ttl: timedelta,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sessions, self.channels, self.holder = sessions, list(channels), holder
        self.ttl, self.monotonic = ttl, monotonic
        self._held: list[str] = []
        self._taken_at = float("-inf")  # when the database last answered the attempt
        self._tried_at = float("-inf")

    @property
    def renew_every(self) -> float:
        return self.ttl.total_seconds() / 3

    async def held(self) -> list[str]:
        """The channels this sender holds: taken or renewed when a third of the lease has
        gone by (or, not holding them, tried again as often); none once the lease may
        have run out without a renewal."""
        now = self.monotonic()
        if now - self._tried_at >= self.renew_every:
            self._tried_at = now
            try:
                async with self.sessions() as s, s.begin():
                    rows = await s.execute(
                        _TAKE, {"holder": self.holder, "ttl": self.ttl, "channels": self.channels}
                    )
                    taken = sorted(row.channel for row in rows)
            except Exception as err:  # the database is down: the sender's loop says so
                log.warning("send lease not renewed (%s: %s)", type(err).__name__, err)
            else:
                if taken != self._held:
                    log.info("sender %s now sends through %s", self.holder, taken or "nothing")
                self._held, self._taken_at = taken, now
        # Renewed within two thirds of the lease: it still runs for at least a third.
        if now - self._taken_at > 2 * self.renew_every:
            self._held = []
        return self._held

    async def give_back(self) -> None:
        """Free this sender's leases (a graceful stop): another instance takes them at
        once instead of when they run out."""
        self._held, self._tried_at = [], float("-inf")
        try:
            async with self.sessions() as s, s.begin():
                await s.execute(_GIVE_BACK, {"holder": self.holder})
        except Exception as err:  # they run out by themselves
            log.warning("send lease not given back (%s: %s)", type(err).__name__, err)
