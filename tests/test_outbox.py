"""The outbox and its sender, against a real PostgreSQL and the fake Bot API (real HTTP,
a real aiogram Bot). Time moves by the injected clock; pacing waits are recorded by a
fake monotonic timer instead of being slept."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from aiogram import Bot
from sqlalchemy import Row, event, func, select, text

from bot.screen import Button
from bot.telegram.transport import build_bot
from core import digest
from core.clock import ManualClock
from core.digest.content import driver
from core.journal import Journal
from core.models import Binding, Person, School, outbox_table
from fakegram import FakeTelegram, FakeUser
from notifications.channels.telegram import TelegramChannel
from notifications.doorbell import Doorbell
from notifications.outbox import COPY_FROM, DeliveryStats, OutboxItem, delivery_stats, enqueue
from notifications.sender import Sender, SenderHalted

KEYBOARD = [[Button("Прочитано", "read:1")]]


class FakeTimer:
    """A monotonic clock that moves only when the sender sleeps; records every wait."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def make_sender(journal: Journal, bot: Bot, timer: FakeTimer | None = None, **kw: Any) -> Sender:
    options: dict[str, Any] = {"rate": 1000.0, "per_chat_interval": 0.0, "jitter": 0.0}
    if timer is not None:
        options.update(monotonic=timer.monotonic, sleep=timer.sleep)
    options.update(kw)
    return Sender(journal.sessions, TelegramChannel(bot), journal.clock, **options)


def users(fake: FakeTelegram, count: int, first_id: int = 5001) -> list[FakeUser]:
    """People who started the bot long ago: the bot may write to them."""
    return [fake.user(first_id + i, f"Родитель{i}", known=True) for i in range(count)]


def item(key: str, chat_id: int, **kw: Any) -> OutboxItem:
    return OutboxItem(key=key, chat_id=chat_id, kind="digest", text=f"<b>{key}</b>", **kw)


async def put(journal: Journal, items: list[OutboxItem]) -> int:
    async with journal.transaction() as s:
        return await enqueue(s, items)


async def row(journal: Journal, key: str) -> Row[Any]:
    async with journal.transaction() as s:
        found = (await s.execute(select(outbox_table).where(outbox_table.c.key == key))).first()
    assert found is not None, key
    return found


async def bind(journal: Journal, user_id: int, bot_id: int | None = None) -> int:
    """A parent bound to this Telegram account (through a school's own bot: ``bot_id``);
    returns the binding id."""
    async with journal.transaction() as s:
        school = await s.scalar(select(School).where(School.name == "Школа"))
        if school is None:
            school = School(name="Школа")
            s.add(school)
            await s.flush()
        person = Person(school_id=school.id, full_name=f"Родитель {user_id}")
        s.add(person)
        await s.flush()
        binding = Binding(
            user_id=user_id,
            person_id=person.id,
            role="parent",
            created_at=journal.clock.now(),
            bot_id=bot_id,
        )
        s.add(binding)
        await s.flush()
        return binding.id


def texts(user: FakeUser) -> list[str]:
    return [m.text or "" for m in user.bot_messages]


# ------------------------------------------------------------------------ enqueue


async def test_enqueueing_the_same_notification_twice_keeps_one_row(journal: Journal) -> None:
    items = [item("digest:1:2026-11-23", 5001), item("digest:2:2026-11-23", 5002)]
    assert await put(journal, items) == 2
    assert await put(journal, items) == 0
    assert await put(journal, [item("digest:1:2026-11-23", 5001), item("x:3", 5003)]) == 1
    async with journal.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(outbox_table)) == 3


async def test_a_large_broadcast_is_enqueued_in_chunks_once(journal: Journal) -> None:
    items = [item(f"round:{n}", 10_000 + n % 2000) for n in range(12_001)]
    items.append(items[0])  # a duplicate inside one call is skipped too
    assert await put(journal, items) == 12_001
    assert await put(journal, items) == 0
    assert (await delivery_stats(journal)).pending == 12_001


async def test_a_digest_chunk_goes_in_by_copy_as_the_same_rows_as_small_batches(
    journal: Journal, clock: ManualClock
) -> None:
    """From COPY_FROM items the rows go in by COPY: the outbox then holds what the INSERT
    of small batches makes of the same items (channel, a school's own bot's too, order,
    buttons, meta, not_before), and a duplicate or a key already queued is skipped."""
    binding = await bind(journal, 5001)
    own_bot = await bind(journal, 5002, bot_id=777)
    later = clock.now() + timedelta(hours=1)

    def made(prefix: str) -> list[OutboxItem]:
        return [
            item(
                f"{prefix}:{n}",
                5001 + n % 7,
                binding_id=binding if n % 3 == 0 else own_bot if n % 3 == 1 else None,
                channel="max" if n % 5 == 0 else "telegram",
                buttons=[[Button("Прочитано", f"dgr:{n}")]] if n % 2 else None,
                meta={"part": 1, "parts": 2} if n % 11 == 0 else {},
                not_before=later if n % 13 == 0 else None,
            )
            for n in range(COPY_FROM + 10)
        ]

    copied = made("copy")
    assert await put(journal, copied) == COPY_FROM + 10  # one COPY
    assert await put(journal, copied) == 0
    again = made("again")  # with a key queued already and one twice: the INSERT's way
    assert await put(journal, [copied[5], *again, again[0]]) == COPY_FROM + 10
    small = made("small")
    assert sum([await put(journal, small[i : i + 100]) for i in range(0, len(small), 100)]) == (
        COPY_FROM + 10
    )
    async with journal.transaction() as s:
        rows = (
            await s.execute(
                text(
                    "SELECT split_part(key, ':', 1), split_part(key, ':', 2), kind, channel,"
                    " chat_id, binding_id, text, buttons, meta, not_before, next_attempt_at"
                    " FROM outbox ORDER BY id"
                )
            )
        ).all()

    def without_text(prefix: str) -> list[tuple[Any, ...]]:
        return [(*r[1:6], *r[7:]) for r in rows if r[0] == prefix]

    by_copy = without_text("copy")
    assert [r[0] for r in by_copy] == [str(n) for n in range(COPY_FROM + 10)]  # in order
    assert by_copy == without_text("small") == without_text("again")
    assert [r[6] for r in rows if r[0] == "copy"][:3] == [
        "<b>copy:0</b>",
        "<b>copy:1</b>",
        "<b>copy:2</b>",
    ]
    # n, kind, channel, chat_id, binding_id, buttons, meta, not_before, next_attempt_at
    two = {"part": 1, "parts": 2}
    assert by_copy[0] == ("0", "digest", "max", 5001, binding, None, two, later, later)
    read = [[{"text": "Прочитано", "data": "dgr:1"}]]
    assert by_copy[1] == ("1", "digest", "telegram:777", 5002, own_bot, read, {}, None, None)
    assert by_copy[2][1:4] == ("digest", "telegram", 5003) and by_copy[2][4] is None
    assert by_copy[10][1:4] == ("digest", "max:777", 5004)
    assert by_copy[11][6] == {"part": 1, "parts": 2} and by_copy[13][7] == later == by_copy[13][8]


async def test_enqueue_refuses_a_naive_not_before(journal: Journal) -> None:
    with pytest.raises(ValueError, match="aware"):
        await put(journal, [item("k", 1, not_before=journal.clock.now().replace(tzinfo=None))])


# ------------------------------------------------------------------------ sending


async def test_sender_delivers_pending_rows_and_records_telegram_message_id(
    journal: Journal, fake: FakeTelegram, telegram_bot: Bot, clock: ManualClock
) -> None:
    anna, boris = users(fake, 2)
    await put(
        journal,
        [
            item("a:1", anna.id, buttons=KEYBOARD),
            item("a:2", anna.id),
            item("b:1", boris.id),
        ],
    )
    sender = make_sender(journal, telegram_bot)
    sent = 0
    while n := await sender.run_once():
        sent += n
    assert sent == 3
    assert texts(anna) == ["a:1", "a:2"]  # in enqueue order, HTML parsed
    assert anna.bot_messages[0].button_texts == ["Прочитано"]
    assert texts(boris) == ["b:1"]
    for key, user, index in (("a:1", anna, 0), ("a:2", anna, 1), ("b:1", boris, 0)):
        stored = await row(journal, key)
        assert stored.status == "sent"
        assert stored.sent_at == clock.now()
        assert stored.message_id == str(user.bot_messages[index].message_id)
        assert stored.attempts == 1
        assert stored.claimed_until is None
    assert await delivery_stats(journal) == DeliveryStats(sent=3)
    assert await sender.run_once() == 0


def _rows_read(plan: dict[str, Any], table: str) -> int:
    """The rows a plan's scans of ``table`` went through (returned, or removed by a filter)."""
    rows = 0
    if plan.get("Relation Name") == table:
        loops = plan.get("Actual Loops", 1)
        for field in ("Actual Rows", "Rows Removed by Filter", "Rows Removed by Index Recheck"):
            rows += int(plan.get(field, 0) * loops)
    return rows + sum(_rows_read(p, table) for p in plan.get("Plans", ()))


async def test_the_outbox_counts_of_every_scrape_read_what_waits_not_the_history(
    journal: Journal, fake: FakeTelegram, telegram_bot: Bot
) -> None:
    """/metrics counts the outbox by state at every scrape (and the status screen too).
    The outbox keeps every message ever sent, about 12 million rows a school year for a
    district: counting them all grew with every evening (38 ms at a region's 725,000 rows
    vacuumed, 400 ms fresh), passing the scrape's 3-second timeout within months at a
    region's size, and the scrape then said the database was down. The counts must cost
    what waits, not the history: here 1,000 delivered, 2 waiting."""
    people = users(fake, 1000)
    await put(journal, [item(f"h:{i}", u.id) for i, u in enumerate(people)])
    sender = make_sender(journal, telegram_bot)
    while await sender.run_once():
        pass
    await put(journal, [item("w:1", people[0].id), item("w:2", people[1].id)])
    async with journal.transaction() as s:
        await s.execute(text("ANALYZE outbox"))  # as autovacuum would have, long since
    engine = journal.sessions.kw["bind"].sync_engine
    statements: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        statements.append((statement, params))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        stats = await delivery_stats(journal)
    finally:
        event.remove(engine, "before_cursor_execute", capture)

    assert stats == DeliveryStats(pending=2, sent=1000)
    read = 0
    async with journal.transaction() as s:
        raw = await driver(s)
        for statement, params in statements:
            if "outbox" in statement:
                explain = "EXPLAIN (ANALYZE, FORMAT JSON) " + statement
                (plan,) = await raw.fetchval(explain, *params)  # the json codec's: decoded
                read += _rows_read(plan["Plan"], "outbox")
    assert read <= 2, f"the counts went through {read} outbox rows for 2 waiting"


async def test_two_senders_side_by_side_deliver_every_message_exactly_once(
    journal: Journal, fake: FakeTelegram, telegram_bot: Bot
) -> None:
    people = users(fake, 50)
    await put(journal, [item(f"m:{u.id}:{n}", u.id) for n in range(4) for u in people])
    stop = asyncio.Event()
    senders = [
        make_sender(journal, telegram_bot, batch=10, worker_id=f"w{i}", idle_poll=0.02)
        for i in range(2)
    ]

    async def until_drained() -> None:
        for _ in range(600):
            if not (await delivery_stats(journal)).pending:
                break
            await asyncio.sleep(0.05)
        stop.set()

    await asyncio.wait_for(
        asyncio.gather(until_drained(), *(s.run(stop) for s in senders)), timeout=30
    )
    for u in people:  # each exactly once, and in order
        assert texts(u) == [f"m:{u.id}:{n}" for n in range(4)]
    assert fake.stats.calls["sendMessage"] == 200
    assert sum(s.stats.sent for s in senders) == 200
    assert all(s.stats.sent > 0 for s in senders)
    assert await delivery_stats(journal) == DeliveryStats(sent=200)


@pytest.mark.parametrize("leave", ["block_bot", "deactivate"])
async def test_a_user_who_blocked_the_bot_is_marked_unreachable_and_left_alone(
    journal: Journal, fake: FakeTelegram, telegram_bot: Bot, clock: ManualClock, leave: str
) -> None:
    gone, stays = users(fake, 2)
    binding_id = await bind(journal, gone.id)
    getattr(gone, leave)()
    await put(
        journal,
        [
            item("gone:1", gone.id, binding_id=binding_id),
            item("gone:2", gone.id, binding_id=binding_id),
            item("stays:1", stays.id),
        ],
    )
    sender = make_sender(journal, telegram_bot)
    while await sender.run_once() or (await delivery_stats(journal)).pending:
        pass
    assert texts(stays) == ["stays:1"]
    assert gone.bot_messages == []
    assert len(gone.chat.errors) == 1  # one 403, then nothing more is tried
    first, second = await row(journal, "gone:1"), await row(journal, "gone:2")
    assert (first.status, first.error_code) == ("unreachable", 403)
    assert "Forbidden" in (first.last_error or "")
    assert second.status == "unreachable" and second.attempts == 0
    async with journal.transaction() as s:
        binding = await s.get(Binding, binding_id)
    assert binding is not None and binding.unreachable_at == clock.now()

    # Later notifications for that binding are closed without calling Telegram.
    await put(journal, [item("gone:3", gone.id, binding_id=binding_id)])
    assert await sender.run_once() == 0
    assert (await row(journal, "gone:3")).status == "unreachable"
    assert len(gone.chat.errors) == 1
    assert sender.stats.unreachable == 1 and sender.stats.closed_unreachable == 1
    assert await delivery_stats(journal) == DeliveryStats(sent=1, unreachable=3)


async def test_bad_request_marks_the_row_failed_with_telegrams_reason(
    journal: Journal, fake: FakeTelegram, telegram_bot: Bot
) -> None:
    (known,) = users(fake, 1)
    await put(journal, [item("stranger", 777_000), item("known", known.id)])
    sender = make_sender(journal, telegram_bot)
    await sender.run_once()
    stranger = await row(journal, "stranger")
    assert (stranger.status, stranger.error_code) == ("failed", 400)
    assert stranger.last_error == "Bad Request: chat not found"
    assert stranger.failed_at is not None
    assert texts(known) == ["known"]
    assert await delivery_stats(journal, kind="digest") == DeliveryStats(sent=1, failed=1)


async def test_429_is_waited_out_then_the_message_is_delivered(
    journal: Journal, fake: FakeTelegram, telegram_bot: Bot, clock: ManualClock
) -> None:
    first, second = users(fake, 2)
    await put(journal, [item("one", first.id)])
    fake.faults.flood_next("sendMessage", retry_after=1)
    timer = FakeTimer()
    sender = make_sender(journal, telegram_bot, timer)

    assert await sender.run_once() == 0
    flooded = await row(journal, "one")
    assert (flooded.status, flooded.error_code, flooded.attempts) == ("pending", 429, 1)
    assert flooded.next_attempt_at == clock.now() + timedelta(seconds=1)

    await put(journal, [item("two", second.id)])
    assert await sender.run_once() == 1  # another chat, but only after the pause
    assert texts(first) == [] and texts(second) == ["two"]
    assert max(timer.waits) == pytest.approx(1.0, abs=0.01)  # the whole sender paused 1 s
    assert await sender.run_once() == 0  # not before retry_after has passed

    clock.advance(timedelta(seconds=1))
    assert await sender.run_once() == 1
    assert texts(first) == ["one"]
    assert (await row(journal, "one")).attempts == 2
    assert sender.stats.flood_waits == 1 and fake.stats.too_many_requests == 1


@pytest.mark.parametrize(
    "fault",
    [
        lambda f: f.faults.server_error_next("sendMessage", times=2, error_code=502),
        lambda f: f.faults.server_error_next("sendMessage", times=2, error_code=502, html=True),
        lambda f: f.faults.drop_next("sendMessage", times=2),
    ],
    ids=["5xx", "5xx-html-page", "connection-dropped"],
)
async def test_server_and_network_errors_are_retried_with_backoff(
    journal: Journal, fake: FakeTelegram, telegram_bot: Bot, clock: ManualClock, fault: Any
) -> None:
    (parent,) = users(fake, 1)
    await put(journal, [item("retry-me", parent.id)])
    fault(fake)
    sender = make_sender(journal, telegram_bot, base_backoff=1.0)

    assert await sender.run_once() == 0
    assert (await row(journal, "retry-me")).next_attempt_at == clock.now() + timedelta(seconds=1)
    clock.advance(timedelta(seconds=1))
    assert await sender.run_once() == 0
    stored = await row(journal, "retry-me")
    assert stored.next_attempt_at == clock.now() + timedelta(seconds=2)  # doubled
    assert stored.last_error

    clock.advance(timedelta(seconds=1))
    assert await sender.run_once() == 0  # still backing off
    clock.advance(timedelta(seconds=1))
    assert await sender.run_once() == 1
    assert texts(parent) == ["retry-me"]
    stored = await row(journal, "retry-me")
    assert (stored.status, stored.attempts) == ("sent", 3)


async def test_retries_end_in_failed_with_the_last_error(
    journal: Journal, fake: FakeTelegram, telegram_bot: Bot, clock: ManualClock
) -> None:
    (parent,) = users(fake, 1)
    await put(journal, [item("doomed", parent.id)])
    fake.faults.server_error_next("sendMessage", times=3, error_code=500)
    sender = make_sender(journal, telegram_bot, max_attempts=3, base_backoff=1.0)
    for _ in range(3):
        await sender.run_once()
        clock.advance(timedelta(minutes=1))
    stored = await row(journal, "doomed")
    assert (stored.status, stored.attempts) == ("failed", 3)
    assert stored.last_error is not None and stored.last_error.startswith("gave up after 3")
    assert await delivery_stats(journal) == DeliveryStats(failed=1)


async def test_not_before_is_respected_and_does_not_hold_back_later_messages(
    journal: Journal, fake: FakeTelegram, telegram_bot: Bot, clock: ManualClock
) -> None:
    (parent,) = users(fake, 1)
    tomorrow = clock.now() + timedelta(hours=20)
    await put(journal, [item("later", parent.id, not_before=tomorrow), item("now", parent.id)])
    sender = make_sender(journal, telegram_bot)
    assert await sender.run_once() == 1
    assert texts(parent) == ["now"]
    clock.set(tomorrow - timedelta(seconds=1))
    assert await sender.run_once() == 0
    clock.set(tomorrow)
    assert await sender.run_once() == 1
    assert texts(parent) == ["now", "later"]


async def lease_left(journal: Journal, key: str) -> float:
    """Seconds of the row's lease left, by the database's clock."""
    async with journal.transaction() as s:
        left = await s.scalar(
            text("SELECT extract(epoch FROM claimed_until - now()) FROM outbox WHERE key = :k"),
            {"k": key},
        )
    return float(left)


async def let_leases_run_out(journal: Journal, seconds: float) -> None:
    """The database's clock cannot be moved: move the leases back instead."""
    async with journal.transaction() as s:
        await s.execute(
            text("UPDATE outbox SET claimed_until = claimed_until - make_interval(secs => :s)"),
            {"s": seconds},
        )


async def test_a_row_claimed_by_a_crashed_sender_is_sent_after_its_lease(
    journal: Journal, fake: FakeTelegram, telegram_bot: Bot, clock: ManualClock
) -> None:
    (parent,) = users(fake, 1)
    await put(journal, [item("orphan", parent.id)])
    crashed = make_sender(journal, telegram_bot, worker_id="crashed", lease=timedelta(seconds=60))
    assert [r.key for r in await crashed.claim()] == ["orphan"]  # ... and then it died
    assert 55 < await lease_left(journal, "orphan") <= 60

    survivor = make_sender(journal, telegram_bot, worker_id="survivor")
    assert await survivor.run_once() == 0  # the lease still holds
    await let_leases_run_out(journal, 55)
    assert await survivor.run_once() == 0
    await let_leases_run_out(journal, 5)
    assert await survivor.run_once() == 1
    assert texts(parent) == ["orphan"]
    stored = await row(journal, "orphan")
    assert (stored.status, stored.attempts, stored.claimed_by) == ("sent", 2, None)


async def outcome_writes_waiting(journal: Journal) -> int:
    """Sessions whose write of outcomes waits for a row lock (what an operator would see in
    pg_stat_activity)."""
    async with journal.transaction() as s:
        found = await s.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND query LIKE '%UPDATE outbox o%SET status = ''sent''%'"
            )
        )
    return int(found or 0)


async def test_while_outcomes_cannot_be_written_a_sender_sends_no_more_than_it_may_send_twice(
    journal: Journal, fake: FakeTelegram, telegram_bot: Bot
) -> None:
    """A stalled database (a long transaction holds the rows) must not let the sender run
    ahead of its records: every send it makes meanwhile is one a SIGKILL would make it send
    again. It stops at ``max_unrecorded`` and goes on once the writes go through."""
    parents = users(fake, 20)
    await put(journal, [item(f"d{i}", p.id) for i, p in enumerate(parents)])
    sender = make_sender(journal, telegram_bot, FakeTimer(), max_unrecorded=3)
    rows = await sender.claim()
    assert len(rows) == 20
    async with journal.sessions() as blocker, blocker.begin():
        await blocker.execute(text("SELECT id FROM outbox FOR UPDATE"))
        delivering = asyncio.create_task(sender.deliver(rows))
        async with asyncio.timeout(30):
            while not await outcome_writes_waiting(journal):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        received = sum(len(texts(p)) for p in parents)
        assert received == 3  # sent and not recorded: the most a kill now would send twice
        assert not delivering.done()
    assert await delivering == 20  # the lock gone, the rest follow, each once
    assert [texts(p) for p in parents] == [[f"d{i}"] for i in range(20)]
    async with journal.transaction() as s:
        statuses = (await s.execute(text("SELECT status, count(*) FROM outbox GROUP BY 1"))).all()
    assert [tuple(x) for x in statuses] == [("sent", 20)]


async def test_idle_school_bots_share_one_look_at_the_outbox_and_only_the_one_with_mail_wakes(
    journal: Journal, fake: FakeTelegram
) -> None:
    """A district's instance: a sender per school's bot, all idle in the afternoon. They
    do not each claim every second; the instance's doorbell looks once a poll, and a
    message queued for one school wakes that school's sender only."""
    timer = FakeTimer()
    doorbell = Doorbell(journal.sessions, journal.clock, poll=1.0, sleep=timer.sleep)
    bots = [build_bot(f"{900100 + n}:SCHOOL-{n}", fake.base_url) for n in range(20)]
    for n, school_bot in enumerate(bots):
        fake.add_bot(school_bot.token, f"school_{n}_bot")
    senders = [
        Sender(
            journal.sessions,
            TelegramChannel(school_bot, school_bot=True),
            journal.clock,
            rate=1000.0,
            per_chat_interval=0.0,
            doorbell=doorbell,
            monotonic=timer.monotonic,
            sleep=timer.sleep,
        )
        for school_bot in bots
    ]
    stop = asyncio.Event()
    runs = [asyncio.create_task(sender.run(stop)) for sender in senders]
    try:
        async with asyncio.timeout(30):
            while doorbell.looks < 20:  # noqa: ASYNC110 (the looks are the doorbell's)
                await asyncio.sleep(0.01)
        assert [sender.claims for sender in senders] == [1] * 20  # one each, at the start

        parent = fake.user(5001, "Мама", bot=fake.bots[bots[7].token], known=True)
        [channel] = senders[7].channels
        await put(journal, [item("digest:7", parent.id, channel=channel)])
        async with asyncio.timeout(30):
            while not texts(parent):  # noqa: ASYNC110 (the fake's chat, another task)
                await asyncio.sleep(0.01)
        assert texts(parent) == ["digest:7"]
        assert senders[7].claims > 1
        assert [s.claims for n, s in enumerate(senders) if n != 7] == [1] * 19
    finally:
        stop.set()
        await asyncio.gather(*runs)
        for school_bot in bots:
            await school_bot.session.close()


async def test_two_senders_whose_clocks_differ_by_minutes_never_take_each_others_rows(
    journal: Journal, fake: FakeTelegram, telegram_bot: Bot, clock: ManualClock
) -> None:
    parents = users(fake, 6)
    await put(journal, [item(f"m{i}", p.id) for i, p in enumerate(parents)])
    behind = ManualClock(clock.now() - timedelta(minutes=5))
    ahead = ManualClock(clock.now() + timedelta(minutes=5))
    slow = Sender(
        journal.sessions,
        TelegramChannel(telegram_bot),
        behind,
        worker_id="slow",
        batch=3,
        rate=1000.0,
    )
    fast = Sender(
        journal.sessions,
        TelegramChannel(telegram_bot),
        ahead,
        worker_id="fast",
        batch=10,
        rate=1000.0,
    )
    taken_slow = {r.key for r in await slow.claim()}
    taken_fast = {r.key for r in await fast.claim()}
    assert len(taken_slow) == 3 and len(taken_fast) == 3
    assert taken_slow.isdisjoint(taken_fast)
    assert await fast.claim() == []  # ten minutes ahead, and still the slow one's rows wait
    for key in taken_slow:
        assert 55 < await lease_left(journal, key) <= 60  # the database's minute, not 5 min off


async def test_a_rejected_token_halts_the_sender_without_touching_the_rows(
    journal: Journal, fake: FakeTelegram
) -> None:
    (parent,) = users(fake, 1)
    await put(journal, [item("kept", parent.id)])
    wrong = build_bot("999:WRONG", fake.base_url)
    try:
        with pytest.raises(SenderHalted, match="401"):
            await make_sender(journal, wrong).run_once()
    finally:
        await wrong.session.close()
    stored = await row(journal, "kept")
    assert (stored.status, stored.attempts, stored.claimed_until) == ("pending", 0, None)


async def test_the_sender_keeps_its_pace_globally_and_per_chat(
    journal: Journal, fake: FakeTelegram, telegram_bot: Bot
) -> None:
    a, b, c = users(fake, 3)
    await put(journal, [item(f"{u.id}:{n}", u.id) for n in range(2) for u in (a, b, c)])
    timer = FakeTimer()
    sender = make_sender(journal, telegram_bot, timer, rate=10.0, per_chat_interval=1.0)
    assert await sender.run_once() == 3  # one message per chat per batch
    assert timer.waits == pytest.approx([0.1, 0.1])  # 10 messages/s, evenly spaced
    assert await sender.run_once() == 0  # every chat had a message less than 1 s ago
    sent = 3
    while sent < 6:
        if not (n := await sender.run_once()):
            await timer.sleep(sender.pace.next_ready_in() or 0.0)
        sent += n
    # Each chat's second message went 1 s after its first (at 1.0, 1.1 and 1.2 s).
    assert timer.now - 1000.0 == pytest.approx(1.2)
    assert (await delivery_stats(journal)).sent == 6
    for u in (a, b, c):
        assert texts(u) == [f"{u.id}:0", f"{u.id}:1"]


async def test_a_stopped_sender_finishes_its_sends_and_gives_back_the_rest(
    journal: Journal, fake: FakeTelegram, telegram_bot: Bot
) -> None:
    people = users(fake, 3)
    await put(journal, [item(f"stop:{u.id}", u.id) for u in people])
    sender = make_sender(journal, telegram_bot, rate=0.5)  # one message, then a 2 s wait
    stop = asyncio.Event()
    running = asyncio.create_task(sender.run(stop))
    for _ in range(500):
        if fake.stats.sends:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(running, timeout=5)
    assert await delivery_stats(journal) == DeliveryStats(pending=2, sent=1)
    for u in people[1:]:
        stored = await row(journal, f"stop:{u.id}")
        assert (stored.claimed_by, stored.claimed_until, stored.attempts) == (None, None, 0)
    assert sender.stats.released == 2


async def test_a_deleted_parent_takes_their_digests_and_leaves_the_sent_history(
    journal: Journal,
) -> None:
    """The outbox and the digests keep no foreign key to bindings (a region's evening
    writes a million rows into each); deleting a person (by hand: the journal only
    revokes) still deletes their binding's digests and keeps the outbox rows without it."""
    kept, gone = await bind(journal, 5001), await bind(journal, 5002)
    day = journal.clock.now().date()
    await put(journal, [item(f"digest:{b}:{day}", 5000 + b, binding_id=b) for b in (kept, gone)])
    async with journal.transaction() as s:
        await digest.record_digests(s, [(kept, day, 1), (gone, day, 1)], journal.clock.now())
    async with journal.transaction() as s:
        await s.execute(
            text("DELETE FROM people WHERE id = (SELECT person_id FROM bindings WHERE id = :b)"),
            {"b": gone},
        )
    async with journal.transaction() as s:
        digests = (await s.execute(text("SELECT binding_id FROM digests"))).scalars().all()
        outbox = (await s.execute(text("SELECT key, binding_id FROM outbox ORDER BY id"))).all()
    assert digests == [kept]
    assert [tuple(r) for r in outbox] == [
        (f"digest:{kept}:{day}", kept),
        (f"digest:{gone}:{day}", None),
    ]
