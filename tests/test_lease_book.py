"""Instances divide the bots between them (issue 14): each instance's lease book holds its
share of the channels, ceil or floor of channels / live instances, gives back its surplus
when an instance starts (the newcomer takes it a grace later: the giver's sends in flight
end first), takes the bots of an instance that died once its heartbeat and
leases have run out, and hands its bots over at once when it stops. Real PostgreSQL; the
books' monotonic clock is injected, and the database's clock is moved by moving every
lease and heartbeat back by as much (``Time.elapse``)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from core.journal import Journal
from notifications.leases import LeaseBook

TTL = timedelta(seconds=30)
RENEW = TTL.total_seconds() / 3
CHANNELS = ["telegram", *(f"telegram:{700 + n}" for n in range(9))]  # 10 bots


class Time:
    """The books' monotonic clock and the database's, moved together."""

    def __init__(self, journal: Journal) -> None:
        self.journal, self.now = journal, 1000.0

    def __call__(self) -> float:
        return self.now

    async def elapse(self, seconds: float) -> None:
        self.now += seconds
        async with self.journal.transaction() as s:
            for table in ("send_leases", "send_instances"):
                await s.execute(
                    text(f"UPDATE {table} SET until = until - make_interval(secs => :d)"),
                    {"d": seconds},
                )


async def leases(journal: Journal) -> dict[str, str]:
    """channel -> holder, as the database holds them (live or not)."""
    async with journal.transaction() as s:
        rows = await s.execute(text("SELECT channel, holder FROM send_leases"))
        return {r.channel: r.holder for r in rows}


async def live_instances(journal: Journal) -> list[str]:
    async with journal.transaction() as s:
        rows = await s.execute(
            text("SELECT holder FROM send_instances WHERE until > now() ORDER BY holder")
        )
        return [r.holder for r in rows]


def book(journal: Journal, name: str, time: Time) -> LeaseBook:
    return LeaseBook(journal.sessions, name, TTL, monotonic=time)


async def renew(journal: Journal, *books: LeaseBook) -> dict[str, int]:
    """Each book asked in turn (as its senders ask); checked at every step: no channel is
    held by two books, and what each book holds is its row in the database."""
    counts = {}
    for each in books:
        await each.held(CHANNELS)
        counts[each.holder] = len(await each.held())
        await no_channel_held_twice(journal, *books)
    return counts


async def no_channel_held_twice(journal: Journal, *books: LeaseBook) -> None:
    held = [c for each in books for c in await each.held()]
    assert not [c for c, n in Counter(held).items() if n > 1], held
    in_db = await leases(journal)
    for each in books:
        for channel in await each.held():
            assert in_db[channel] == each.holder


async def test_one_instance_alone_holds_every_bot_in_one_statement(journal: Journal) -> None:
    time = Time(journal)
    alone = book(journal, "a", time)
    assert await alone.held(CHANNELS[:1]) == ["telegram"]  # its first sender asks
    assert await alone.held(CHANNELS) == CHANNELS  # the others: one renewal for them
    for _ in range(3):  # renewed every third of the lease, one statement each time
        await time.elapse(RENEW)
        for channel in CHANNELS:  # every sender asks
            assert await alone.held([channel]) == [channel]
    assert alone.renewals == 2 + 3
    assert await leases(journal) == dict.fromkeys(CHANNELS, "a")
    assert await live_instances(journal) == ["a"]


async def test_two_instances_hold_five_bots_each(journal: Journal) -> None:
    time = Time(journal)
    a, b = book(journal, "a", time), book(journal, "b", time)
    assert await renew(journal, a, b) == {"a": 10, "b": 0}  # b started after a
    await time.elapse(RENEW)
    assert await renew(journal, a, b) == {"a": 5, "b": 0}  # a gave back its surplus…
    assert set((await leases(journal)).values()) == {"a"}  # …its leases run a grace more
    await time.elapse(RENEW)
    assert await renew(journal, a, b) == {"a": 5, "b": 5}  # then b takes them
    await time.elapse(RENEW)
    assert await renew(journal, a, b) == {"a": 5, "b": 5}  # and it stays so
    assert await live_instances(journal) == ["a", "b"]


async def test_a_third_instance_gets_its_share_and_none_holds_more_than_ceil(
    journal: Journal,
) -> None:
    time = Time(journal)
    a, b, c = (book(journal, name, time) for name in "abc")
    await renew(journal, a, b)
    for _ in range(2):
        await time.elapse(RENEW)
        await renew(journal, a, b)
    assert await renew(journal, a, b) == {"a": 5, "b": 5}
    assert await renew(journal, c) == {"c": 0}  # c starts: everything is held
    await time.elapse(RENEW)
    assert await renew(journal, a, b, c) == {"a": 4, "b": 3, "c": 0}  # the surplus' grace
    await time.elapse(RENEW)
    assert await renew(journal, a, b, c) == {"a": 4, "b": 3, "c": 3}  # ceil(10 / 3) = 4
    await time.elapse(RENEW)
    assert await renew(journal, a, b, c) == {"a": 4, "b": 3, "c": 3}
    assert len(await leases(journal)) == 10


async def test_the_bots_of_a_dead_instance_are_taken_over_within_its_lease(
    journal: Journal,
) -> None:
    """c is killed: it renews no more. Within the TTL its bots are still its own (its
    heartbeat too), so the others' shares stay; once they have run out, a and b hold all
    ten, and at no step is a bot held twice."""
    time = Time(journal)
    a, b, c = (book(journal, name, time) for name in "abc")
    await renew(journal, a, b, c)
    for _ in range(2):
        await time.elapse(RENEW)
        await renew(journal, a, b, c)
    assert Counter((await leases(journal)).values()) == {"a": 4, "b": 3, "c": 3}

    await time.elapse(RENEW)  # c is dead from here on
    assert await renew(journal, a, b) == {"a": 4, "b": 3}
    await time.elapse(RENEW)
    assert await renew(journal, a, b) == {"a": 4, "b": 3}  # c's leases still run
    await time.elapse(RENEW + 0.001)  # a TTL since c's last renewal: run out
    assert await renew(journal, a, b) == {"a": 5, "b": 5}
    assert await live_instances(journal) == ["a", "b"]
    in_db = await leases(journal)
    assert sorted(in_db) == CHANNELS and set(in_db.values()) == {"a", "b"}
    # Were c only stuck (not dead), its next ask would find its bots taken: none is held
    # twice.
    assert await c.held(CHANNELS) == []
    await no_channel_held_twice(journal, a, b, c)


async def test_a_graceful_stop_hands_the_bots_over_at_the_next_renewal(journal: Journal) -> None:
    time = Time(journal)
    a, b = book(journal, "a", time), book(journal, "b", time)
    await renew(journal, a, b)
    for _ in range(2):
        await time.elapse(RENEW)
        await renew(journal, a, b)
    assert await renew(journal, a, b) == {"a": 5, "b": 5}

    await a.give_back(CHANNELS[:3])  # one of a's senders stops: those bots are freed
    assert len(await a.held()) == 2
    assert sorted(c for c, h in (await leases(journal)).items() if h == "a") == CHANNELS[3:5]
    await a.give_back()  # the rest stop: no lease, no heartbeat left
    assert set((await leases(journal)).values()) == {"b"}
    assert await live_instances(journal) == ["b"]

    await time.elapse(RENEW)  # b's next renewal, not a whole lease later
    assert await renew(journal, b) == {"b": 10}


async def test_instances_starting_together_never_hold_a_bot_twice(journal: Journal) -> None:
    """Three instances renew at the same moment, again and again: their statements take
    turns (the advisory lock), so they settle on 4/3/3 and no bot is held twice."""
    time = Time(journal)
    books = [book(journal, name, time) for name in "abc"]
    for _ in range(4):
        await asyncio.gather(*(each.held(CHANNELS) for each in books))
        await no_channel_held_twice(journal, *books)
        await time.elapse(RENEW)
    await asyncio.gather(*(each.held(CHANNELS) for each in books))
    assert [len(await each.held()) for each in books] == [4, 3, 3]
    await no_channel_held_twice(journal, *books)


async def test_a_hundred_school_bots_over_two_instances_fifty_each(journal: Journal) -> None:
    time = Time(journal)
    bots = [f"telegram:{800_000 + n}" for n in range(100)]
    a, b = book(journal, "a", time), book(journal, "b", time)
    for _ in range(3):
        for each in (a, b):
            await each.held(bots)
        await time.elapse(RENEW)
    assert [len(await a.held(bots)), len(await b.held(bots))] == [50, 50]
    assert (a.renewals, b.renewals) == (4, 4)  # one statement each per renewal
    await no_channel_held_twice(journal, a, b)


async def test_a_bot_only_one_instance_knows_is_held_and_none_is_left_unsent(
    journal: Journal,
) -> None:
    """During a rolling deploy the new instance knows a school bot added since the old one
    started: it holds that bot whatever its share, and every bot is held by one of them."""
    for old, new in (("a", "b"), ("b", "a")):  # the one knowing more first or second by id
        time = Time(journal)
        books = {name: book(journal, name, time) for name in (old, new)}
        known = {old: CHANNELS, new: [*CHANNELS, "telegram:999"]}
        for _ in range(4):
            for name, each in books.items():
                await each.held(known[name])
            await no_channel_held_twice(journal, *books.values())
            await time.elapse(RENEW)
        assert "telegram:999" in await books[new].held()
        assert sorted(await leases(journal)) == sorted(known[new])
        assert sorted([len(await each.held()) for each in books.values()]) == [5, 6]
        for each in books.values():
            await each.give_back()


async def test_a_renewal_that_failed_slowly_drops_the_leases(journal: Journal) -> None:
    """The database hangs, then the renewal fails: the time is read again after it, so
    a book whose last renewal is now two thirds of a lease old holds nothing."""
    time = Time(journal)
    a = book(journal, "a", time)
    assert len(await a.held(CHANNELS)) == 10
    unreachable = create_async_engine("postgresql+asyncpg://journal@127.0.0.1:1/journal")
    slow = SlowTime(time)
    a.sessions, a.monotonic = async_sessionmaker(unreachable), slow
    try:
        time.now += RENEW  # due: the renewal starts 10 s after the last, fails 11 s later
        assert await a.held(CHANNELS) == []
    finally:
        await unreachable.dispose()


class SlowTime:
    """The books' clock read again after a renewal that took 11 s."""

    def __init__(self, time: Time) -> None:
        self.time, self.reads = time, 0

    def __call__(self) -> float:
        self.reads += 1
        if self.reads == 2:
            self.time.now += 11
        return self.time.now
