"""One bot per school in one deployment (issue 14): the shared ``BOT_TOKEN`` bot and two
schools' own bots served by one dispatcher (the real ``run_bot`` wiring of ``journal run``)
against the fake Bot API. A person's bindings are those made through the bot they write to;
a code binds only in its school's bot."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import pytest
from pydantic import SecretStr

from bot.telegram.runner import run_bot
from bot.telegram.transport import build_bot
from core import invitations
from core.clock import ManualClock
from core.identity import UserRef
from core.journal import Journal
from core.models import BindingRole
from core.school_bots import remove_school_bot, set_school_bot
from core.schools import ensure_school
from fakegram import FakeTelegram, FakeUser
from notifications import outbox
from notifications.outbox import OutboxItem
from notifications.scheduler import NotificationJobs
from school_journal.app import App
from school_journal.database import asyncpg_dsn
from school_journal.reloading import SchoolBotsWatch, serve_reloading
from school_journal.school_bots import TokenVault
from school_journal.service import background
from school_journal.settings import Settings
from tests.botkit import TOKEN, USERNAME, answers_settled
from tests.test_notifications import at, school_day_for_5a
from tests.test_workers import free_port, wait_until
from tests.world import MONDAY, World

KEY = "a long phrase only the admin keeps"
A_TOKEN, A_ID, A_NAME = "777001:AAschool-a-secret-part", 777001, "school_a_bot"
B_TOKEN, B_ID, B_NAME = "777002:AAschool-b-secret-part", 777002, "school_b_bot"
# School A's next bot (its first one's token leaked, say).
C_TOKEN, C_ID, C_NAME = "777003:AAschool-a-next-secret", 777003, "school_a_next_bot"
TEACHER_ID = 4001  # Кузнецова, bound in the shared bot before her school had its own


@dataclass
class Deployment:
    fake: FakeTelegram
    journal: Journal
    world: World
    app: App
    school_b: int
    watch: SchoolBotsWatch | None = None  # when served as journal run serves, reloading
    _next_user: int = 5000

    def user(self, bot: str, user_id: int | None = None) -> FakeUser:
        if user_id is None:
            self._next_user += 1
            user_id = self._next_user
        return self.fake.user(user_id, "Светлана", "Иванова", language_code="ru", bot=bot)

    async def code(self, person: str, role: BindingRole) -> str:
        issuer = self.world.staff("admin")
        return (await invitations.issue(self.journal, issuer, self.world.people[person], role)).code


async def add_school_bots(db_url: str, school_a: int, school_b: int) -> None:
    vault = TokenVault(KEY)
    conn = await asyncpg.connect(asyncpg_dsn(db_url))
    try:
        await conn.executemany(
            "INSERT INTO school_bots (school_id, bot_id, username, token_cipher, set_at)"
            " VALUES ($1, $2, $3, $4, now())",
            [
                (school_a, A_ID, A_NAME, vault.seal(A_TOKEN)),
                (school_b, B_ID, B_NAME, vault.seal(B_TOKEN)),
            ],
        )
    finally:
        await conn.close()


async def query(db_url: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(asyncpg_dsn(db_url))
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def deployment(
    journal: Journal,
    db_url: str,
    world: World,
    *,
    webhook_port: int | None = None,
    revoked: str | None = None,
    school_bots: bool = True,
    reloading: bool = False,
) -> AsyncIterator[Deployment]:
    """The deployment served by long polling, or with ``webhook_port`` by webhooks (a path
    each bot, Telegram's secret header checked); the ``revoked`` token is unknown to
    Telegram. ``school_bots``: schools 1 and 2 have their bots (A, B) from the start;
    ``reloading``: served as ``journal run`` serves (its senders and jobs beside the
    bots), looking at the schools' bots every 50 ms and serving a change of them."""
    fake = FakeTelegram()
    await fake.start()
    bots = ((TOKEN, USERNAME), (A_TOKEN, A_NAME), (B_TOKEN, B_NAME), (C_TOKEN, C_NAME))
    for token, name in bots:
        if token != revoked:
            fake.add_bot(token, name)
    # The math teacher took to the shared bot before her school had a bot of its own.
    teacher_code = await invitations.issue(
        journal, world.staff("admin"), world.people["math"], BindingRole.STAFF
    )
    await invitations.redeem(journal, UserRef.telegram(TEACHER_ID), teacher_code.code)
    async with journal.transaction() as s:
        school_b = await ensure_school(s, "Школа № 2")
    if school_bots:
        await add_school_bots(db_url, world.school_id, school_b.id)
    settings = Settings(
        _env_file=None,
        bot_token=SecretStr(TOKEN),
        bot_token_key=SecretStr(KEY),
        telegram_api_base=fake.base_url,
        database_url=db_url,
    )
    if webhook_port:
        webhook = {
            "webhook_url": f"http://127.0.0.1:{webhook_port}",
            "webhook_host": "127.0.0.1",
            "webhook_port": webhook_port,
            "webhook_secret": SecretStr("hook-secret"),
        }
        settings = settings.model_copy(update=webhook)
    app = App(settings=settings, engine=None, journal=journal, database_url=db_url)  # type: ignore[arg-type]  # App without an engine: the test has its journal
    await app.open_school_bots()
    stop = asyncio.Event()
    watch = None
    if reloading:
        watch = SchoolBotsWatch(app, every=0.05)
        serving = serve_reloading(
            app,
            stop,
            webhook=bool(webhook_port),
            alongside=lambda bot: background(app, bot),
            watch=watch,
        )
    else:
        serving = run_bot(app, handle_signals=False, stop=stop)
    task = asyncio.create_task(serving)
    try:
        yield Deployment(fake, journal, world, app, school_b.id, watch)
        await answers_settled(fake)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)
        await fake.stop()


@pytest.fixture
async def served(journal: Journal, db_url: str, world: World) -> AsyncIterator[Deployment]:
    async with deployment(journal, db_url, world) as d:
        yield d


async def test_r2_a_parent_binds_with_her_schools_code_in_her_schools_bot(
    served: Deployment, db_url: str
) -> None:
    mother = served.user(A_NAME)
    await mother.open_deep_link(await served.code("mother", BindingRole.PARENT))
    assert "Готово" in ((await mother.wait_reply()).text or "")
    [binding] = await query(db_url, "SELECT bot_id FROM bindings WHERE role = 'parent'")
    assert binding["bot_id"] == A_ID  # the binding remembers the bot it was made through
    # Each bot has its own menu.
    for token in (TOKEN, A_TOKEN, B_TOKEN):
        menu = served.fake.bot(token).commands_for()
        assert [c["command"] for c in menu] == ["start", "help"]


async def test_r2_a_code_of_school_a_typed_into_school_bs_bot_is_refused_and_nothing_stored(
    served: Deployment, db_url: str
) -> None:
    mother = served.user(B_NAME)
    await mother.send(await served.code("mother", BindingRole.PARENT))
    reply = (await mother.wait_reply()).text or ""
    assert reply.startswith("Этот код — для другой школы"), reply
    assert await query(db_url, "SELECT id FROM bindings WHERE role = 'parent'") == []
    [code] = await query(db_url, "SELECT used_at FROM invitations WHERE role = 'parent'")
    assert code["used_at"] is None  # still good in school A's bot
    assert len(await query(db_url, "SELECT 1 FROM redeem_attempts")) == 1  # counted as usual


async def test_r2_in_the_shared_bot_a_code_of_a_school_with_its_own_bot_points_to_it(
    served: Deployment, db_url: str
) -> None:
    mother = served.user(USERNAME)
    await mother.send(await served.code("mother", BindingRole.PARENT))
    reply = (await mother.wait_reply()).text or ""
    assert "откройте бот школы @school_a_bot" in reply, reply
    assert await query(db_url, "SELECT id FROM bindings WHERE role = 'parent'") == []


async def test_r3_a_teacher_bound_in_the_shared_bot_sees_nothing_of_her_school_in_its_bot(
    served: Deployment,
) -> None:
    in_school_bot = served.user(A_NAME, TEACHER_ID)
    await in_school_bot.send("/start")
    assert (await in_school_bot.wait_reply()).text.startswith("Здравствуйте! Это электронный")  # type: ignore[union-attr]  # a reply has its text
    assert "Кузнецова" not in " ".join(m.text or "" for m in in_school_bot.bot_messages)

    in_shared_bot = served.user(USERNAME, TEACHER_ID)
    await in_shared_bot.send("/start")
    menu = await in_shared_bot.wait_reply()
    assert "Здравствуйте! Это электронный" not in (menu.text or "")  # still her journal there


async def bound_in(served: Deployment, bot: str, person: str, role: BindingRole) -> FakeUser:
    """A user who opened their invitation link in ``bot`` (and, as a parent, consented)."""
    user = served.user(bot)
    await user.open_deep_link(await served.code(person, role))
    assert "Готово" in ((await user.wait_reply()).text or "")
    after = await user.wait_reply()
    if "✅ Даю согласие" in after.button_texts:
        await user.press_and_wait("✅ Даю согласие")
        await user.wait_reply()  # the menu
    return user


async def test_r16_the_evening_digest_reaches_a_parent_through_her_schools_bot(
    served: Deployment, db_url: str, clock: ManualClock
) -> None:
    mother = await bound_in(served, A_NAME, "mother", BindingRole.PARENT)
    await school_day_for_5a(served.journal, served.world)
    at(clock, MONDAY, 20, 0)
    assert await NotificationJobs(served.journal).digests() == 1
    [row] = await query(db_url, "SELECT channel FROM outbox WHERE kind = 'digest'")
    assert row["channel"] == f"telegram:{A_ID}"  # the bot the binding was made through

    shared = build_bot(TOKEN, served.fake.base_url)
    try:
        senders = served.app.senders(shared)
        own = [f"telegram:{A_ID}"], [f"telegram:{B_ID}"]
        assert [list(s.channels) for s in senders] == [["telegram"], *own]
        assert [await s.run_once() for s in senders] == [0, 1, 0]
    finally:
        await shared.session.close()
    digest = await mother.wait_reply()
    assert "Дневник за пн 23.11" in (digest.text or "")
    assert served.fake.bot(TOKEN).stats.sends == 0  # nothing went by the shared bot

    # A tap on the delivered digest finds its item by the bot's channel.
    answer = await (await mother.press("Прочитано ✓", message=digest)).wait_answered()
    assert "прочитана" in (answer.get("text") or "")


async def test_two_school_bots_deliver_in_parallel_each_at_its_own_pace(
    served: Deployment, db_url: str
) -> None:
    """One shared outbox, drained by each bot's sender at once, each within Telegram's
    30 messages a second of its bot (the fake refuses more with a 429)."""
    count = 30
    conn = await asyncpg.connect(asyncpg_dsn(db_url))
    try:
        rows = await conn.fetch(
            "INSERT INTO bindings (messenger, user_id, person_id, role, created_at, bot_id)"
            " SELECT 'telegram', 7000 + n, $1, 'parent', now(), bot"
            " FROM generate_series(1, $2) AS n, unnest($3::bigint[]) AS bot"
            " RETURNING id, user_id, bot_id",
            served.world.people["mother"],
            count,
            [A_ID, B_ID],
        )
    finally:
        await conn.close()
    for row in rows:
        served.fake.user(
            row["user_id"], bot=A_NAME if row["bot_id"] == A_ID else B_NAME, known=True
        )
    async with served.journal.transaction() as s:
        items = [
            OutboxItem(f"t:{r['id']}", r["user_id"], "test", "Дневник", binding_id=r["id"])
            for r in rows
        ]
        assert await outbox.enqueue(s, items) == 2 * count

    shared = build_bot(TOKEN, served.fake.base_url)
    stop = asyncio.Event()
    senders = served.app.senders(shared)

    async def until_drained() -> None:
        for _ in range(1500):  # as tests/test_send_leases.py waits
            if not (await outbox.delivery_stats(served.journal)).pending:
                break
            await asyncio.sleep(0.02)
        stop.set()

    try:
        await asyncio.wait_for(
            asyncio.gather(until_drained(), *(s.run(stop) for s in senders)), timeout=30
        )
    finally:
        await shared.session.close()
    assert await outbox.delivery_stats(served.journal) == outbox.DeliveryStats(sent=2 * count)
    a, b = (served.fake.bot(token).stats for token in (A_TOKEN, B_TOKEN))
    assert (a.sends, b.sends) == (count, count)
    assert a.too_many_requests == b.too_many_requests == 0  # each bot within its 30/s
    assert a.send_rate() <= 30 and b.send_rate() <= 30
    # In parallel: each bot was sending while the other was.
    assert max(a.send_times[0], b.send_times[0]) < min(a.send_times[-1], b.send_times[-1])


async def test_r2_cards_a_class_teacher_takes_in_the_shared_bot_name_her_schools_bot(
    served: Deployment, db_url: str
) -> None:
    """Her school has a bot of its own: the class's cards and links send the parents there,
    and the link works in it (in the shared bot the code would be turned away)."""
    teacher = served.user(USERNAME, TEACHER_ID)
    await teacher.send("/menu")
    await teacher.wait_reply()
    await teacher.press_and_wait("👥 Мой класс 5А")
    await teacher.press("🔑 Коды для родителей и учеников")
    codes = await teacher.wait_reply(predicate=lambda m: m.document is None)  # after the PDF
    lines = [x for x in (codes.text or "").splitlines() if "https://t.me/" in x]
    assert lines and all(f"https://t.me/{A_NAME}?start=" in x for x in lines), lines
    link = next(x for x in lines if "Сидоров Андрей" in x)

    father = served.user(A_NAME)
    await father.open_deep_link(link.split("start=")[1].split()[0])
    assert "Готово" in ((await father.wait_reply()).text or "")
    bound = await query(db_url, "SELECT bot_id FROM bindings WHERE role = 'parent'")
    assert [row["bot_id"] for row in bound] == [A_ID]


async def test_r3_a_choice_made_in_the_schools_bot_stays_there_after_a_visit_to_the_shared_bot(
    served: Deployment, db_url: str
) -> None:
    """The math teacher has her staff binding in the shared bot (from before her school had
    its own) and, in the school's bot, a staff and a parent binding. She looks at her
    second child as a parent in the school's bot, reads the shared bot, and comes back: the
    school's bot is still where she left it (before, the visit reset it to her first
    binding and her first child)."""
    in_school_bot = served.user(A_NAME, TEACHER_ID)
    await in_school_bot.open_deep_link(await served.code("math", BindingRole.STAFF))
    assert "Готово" in ((await in_school_bot.wait_reply()).text or "")
    await in_school_bot.wait_reply()  # her menu
    await in_school_bot.open_deep_link(await served.code("mother", BindingRole.PARENT))
    assert "Готово" in ((await in_school_bot.wait_reply()).text or "")
    consent = await in_school_bot.wait_reply()
    await in_school_bot.press_and_wait("✅ Даю согласие", message=consent)
    parent_menu = await in_school_bot.wait_reply(predicate=lambda m: "Мария" in m.button_texts)
    assert "👥 Мой класс 5А" not in parent_menu.button_texts  # she acts as the parent now
    await in_school_bot.press_and_wait("Мария", message=parent_menu)  # her second child
    chosen = await query(db_url, f"SELECT active_pupil_id FROM account_bots WHERE bot_id = {A_ID}")

    assert [row["active_pupil_id"] for row in chosen] == [served.world.people["masha"]]

    in_shared_bot = served.user(USERNAME, TEACHER_ID)
    await in_shared_bot.send("/start")
    shared_menu = await in_shared_bot.wait_reply()
    assert "👥 Мой класс 5А" in shared_menu.button_texts  # her staff binding there

    await in_school_bot.send("/start")
    again = await in_school_bot.wait_reply()
    assert "👥 Мой класс 5А" not in again.button_texts, again.button_texts  # still the parent
    assert (
        await query(db_url, f"SELECT active_pupil_id FROM account_bots WHERE bot_id = {A_ID}")
        == chosen
    )  # and still on the child she chose
    bots = await query(db_url, "SELECT bot_id FROM account_bots ORDER BY bot_id")
    assert [row["bot_id"] for row in bots] == [0, A_ID]  # a choice in each bot


async def test_r2_by_webhook_each_bot_has_its_path_and_answers_in_its_own_school(
    journal: Journal, db_url: str, world: World
) -> None:
    """``journal run`` in webhook mode: one port, a path per bot (the shared bot at
    ``WEBHOOK_PATH``, a school's at ``WEBHOOK_PATH/<bot_id>``); each bot's people are
    answered by that bot in its school's context, as with long polling."""
    port = free_port()
    async with deployment(journal, db_url, world, webhook_port=port) as served:
        await wait_until(lambda: all(served.fake.bot(t).webhook for t in (TOKEN, A_TOKEN, B_TOKEN)))
        base = f"http://127.0.0.1:{port}/telegram/webhook"
        hooks = {t: served.fake.bot(t).webhook for t in (TOKEN, A_TOKEN, B_TOKEN)}
        assert {t: h.url for t, h in hooks.items() if h} == {
            TOKEN: base,
            A_TOKEN: f"{base}/{A_ID}",
            B_TOKEN: f"{base}/{B_ID}",
        }
        assert all(h and h.secret_token == "hook-secret" for h in hooks.values())

        code = await served.code("mother", BindingRole.PARENT)
        in_b = served.user(B_NAME)
        await in_b.send(code)
        assert ((await in_b.wait_reply()).text or "").startswith("Этот код — для другой школы")
        mother = served.user(A_NAME)
        await mother.open_deep_link(code)
        assert "Готово" in ((await mother.wait_reply()).text or "")
        teacher = served.user(USERNAME, TEACHER_ID)
        await teacher.send("/start")
        assert "👥 Мой класс 5А" in (await teacher.wait_reply()).button_texts
    [binding] = await query(db_url, "SELECT bot_id FROM bindings WHERE role = 'parent'")
    assert binding["bot_id"] == A_ID
    assert all(h and h.delivered >= 1 for h in hooks.values())  # every bot's by its webhook


async def test_a_schools_revoked_token_leaves_that_bot_out_and_the_others_serve(
    journal: Journal, db_url: str, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """School 2's admin revoked its bot's token in BotFather: ``journal run`` still starts
    (before, the whole district stopped with «Telegram не принял BOT_TOKEN»), serves the
    shared bot and school A's, and says on the console which school's bot is left out."""
    async with deployment(journal, db_url, world, revoked=B_TOKEN) as served:
        mother = served.user(A_NAME)
        await mother.open_deep_link(await served.code("mother", BindingRole.PARENT))
        assert "Готово" in ((await mother.wait_reply()).text or "")
        teacher = served.user(USERNAME, TEACHER_ID)
        await teacher.send("/start")
        assert "👥 Мой класс 5А" in (await teacher.wait_reply()).button_texts
        assert [b.school_name for b in served.app.school_bots] == ["Школа № 1"]
    said = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert any(
        "Telegram не принимает токен бота школы «Школа № 2» (@school_b_bot)" in line
        and "--bot-token" in line
        for line in said
    ), said


# --- journal run picks a change of the schools' bots up without a restart ----------------


async def set_bot(served: Deployment, token: str, bot_id: int, username: str) -> None:
    """What ``journal school --bot-token`` stores for school 1 (its admin), Telegram asked."""
    await set_school_bot(
        served.journal,
        served.world.staff("admin"),
        bot_id=bot_id,
        username=username,
        token_cipher=TokenVault(KEY).seal(token),
    )


def said(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "Боты школ обновлены" in r.getMessage()]


async def test_a_school_given_its_bot_while_journal_run_serves_is_answered_in_it(
    journal: Journal, db_url: str, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """The admin runs ``journal school --bot-token`` while the district's ``journal run``
    serves: a parent who opens her invitation in the new bot at once (before the running
    bot has looked) is answered there and bound through it, without a restart."""
    caplog.set_level("INFO")
    async with deployment(journal, db_url, world, school_bots=False, reloading=True) as served:
        assert served.watch is not None
        await set_bot(served, A_TOKEN, A_ID, A_NAME)
        mother = served.user(A_NAME)
        await mother.open_deep_link(await served.code("mother", BindingRole.PARENT))
        assert "Готово" in ((await mother.wait_reply()).text or "")
        assert served.watch.reloads == 1
        menu = served.fake.bot(A_TOKEN).commands_for()
        assert [c["command"] for c in menu] == ["start", "help"]  # its menu set too
    [binding] = await query(db_url, "SELECT bot_id FROM bindings WHERE role = 'parent'")
    assert binding["bot_id"] == A_ID
    assert said(caplog) == [
        "Боты школ обновлены без перезапуска: добавлены — «Школа № 1» (@school_a_bot);"
        " убраны — нет."
    ]


async def test_a_replaced_school_bot_is_served_no_more_and_the_new_one_delivers_the_digest(
    journal: Journal,
    db_url: str,
    world: World,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """School 1's bot token leaked: the admin gives it a new bot while ``journal run``
    serves. The old bot answers nobody from then on; the mother, moved to the new bot
    (she has started it), gets the evening digest through it and is answered there."""
    caplog.set_level("INFO")
    async with deployment(journal, db_url, world, reloading=True) as served:
        assert served.watch is not None
        mother = await bound_in(served, A_NAME, "mother", BindingRole.PARENT)
        in_new_bot = served.fake.user(mother.id, "Светлана", bot=C_NAME, known=True)

        await set_bot(served, C_TOKEN, C_ID, C_NAME)  # her binding moves to the new bot
        await school_day_for_5a(served.journal, served.world)
        at(clock, MONDAY, 20, 0)
        assert await NotificationJobs(served.journal).digests() == 1  # queued for the new bot
        digest = await in_new_bot.wait_reply(
            predicate=lambda m: "Дневник за пн 23.11" in (m.text or ""), timeout=15
        )
        assert digest is not None
        assert served.watch.reloads == 1

        await mother.send("/start")  # in the old bot: nobody takes it any more
        await in_new_bot.send("/start")
        menu = await in_new_bot.wait_reply()
        assert "Здравствуйте! Это электронный" not in (menu.text or "")  # bound there
        assert served.fake.bot(A_TOKEN).pending_update_count == 1  # the old bot's /start
    [row] = await query(db_url, "SELECT channel, status FROM outbox WHERE kind = 'digest'")
    assert (row["channel"], row["status"]) == (f"telegram:{C_ID}", "sent")
    assert said(caplog) == [
        "Боты школ обновлены без перезапуска: добавлены — «Школа № 1» (@school_a_next_bot);"
        " убраны — «Школа № 1» (@school_a_bot)."
    ]


async def test_a_school_that_drops_its_bot_is_back_in_the_shared_bot_while_journal_run_serves(
    journal: Journal, db_url: str, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    async with deployment(journal, db_url, world, reloading=True) as served:
        assert served.watch is not None
        mother = await bound_in(served, A_NAME, "mother", BindingRole.PARENT)
        assert await remove_school_bot(served.journal, served.world.staff("admin")) == 1
        await wait_until(lambda: served.watch is not None and served.watch.reloads == 1)

        await mother.send("/start")  # the school's bot: served no more
        in_shared_bot = served.fake.user(mother.id, "Светлана", bot=USERNAME, known=True)
        await in_shared_bot.send("/start")
        menu = await in_shared_bot.wait_reply()
        assert "Здравствуйте! Это электронный" not in (menu.text or "")  # her binding moved
        assert served.fake.bot(A_TOKEN).pending_update_count == 1
        assert [b.username for b in served.app.school_bots] == [B_NAME]
    [binding] = await query(db_url, "SELECT bot_id FROM bindings WHERE role = 'parent'")
    assert binding["bot_id"] is None
    assert said(caplog) == [
        "Боты школ обновлены без перезапуска: добавлены — нет;"
        " убраны — «Школа № 1» (@school_a_bot)."
    ]


async def test_nothing_changed_nothing_reloads(journal: Journal, db_url: str, world: World) -> None:
    async with deployment(journal, db_url, world, reloading=True) as served:
        watch = served.watch
        assert watch is not None
        await wait_until(lambda: bool(served.app.school_telegram_bots()))
        bots = served.app.school_telegram_bots()
        await wait_until(lambda: watch.checks >= 5)
        assert watch.reloads == 0
        assert served.app.school_telegram_bots() is bots  # the same bots, never rebuilt
        mother = served.user(B_NAME)
        await mother.send("/start")
        assert (await mother.wait_reply()).text
    assert served.fake.bot(B_TOKEN).pending_update_count == 0


async def test_by_webhook_a_school_given_its_bot_gets_its_path_while_journal_run_serves(
    journal: Journal, db_url: str, world: World
) -> None:
    port = free_port()
    async with deployment(
        journal, db_url, world, webhook_port=port, school_bots=False, reloading=True
    ) as served:
        await wait_until(lambda: served.fake.bot(TOKEN).webhook is not None)
        await set_bot(served, A_TOKEN, A_ID, A_NAME)
        await wait_until(lambda: served.fake.bot(A_TOKEN).webhook is not None)
        hook = served.fake.bot(A_TOKEN).webhook
        assert hook is not None and hook.url == f"http://127.0.0.1:{port}/telegram/webhook/{A_ID}"
        mother = served.user(A_NAME)
        await mother.open_deep_link(await served.code("mother", BindingRole.PARENT))
        assert "Готово" in ((await mother.wait_reply()).text or "")
        teacher = served.user(USERNAME, TEACHER_ID)  # the shared bot's path, served again
        await teacher.send("/start")
        assert "👥 Мой класс 5А" in (await teacher.wait_reply()).button_texts
    [binding] = await query(db_url, "SELECT bot_id FROM bindings WHERE role = 'parent'")
    assert binding["bot_id"] == A_ID


async def test_by_webhook_a_replaced_bot_whose_token_is_revoked_is_said_once_and_the_new_served(
    journal: Journal, db_url: str, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """The old bot's webhook is deleted when its school's bot is replaced, if its token
    still works; a token revoked in BotFather meanwhile (Telegram answers 401) is one
    warning, and the new bot is served."""
    caplog.set_level("INFO")
    port = free_port()
    async with deployment(journal, db_url, world, webhook_port=port, reloading=True) as served:
        await wait_until(lambda: served.fake.bot(A_TOKEN).webhook is not None)
        del served.fake.bots[A_TOKEN]  # revoked: Telegram no longer knows the token
        await set_bot(served, C_TOKEN, C_ID, C_NAME)
        await wait_until(lambda: served.fake.bot(C_TOKEN).webhook is not None)
        in_new_bot = served.user(C_NAME)
        await in_new_bot.send("/start")
        assert (await in_new_bot.wait_reply()).text
    kept = [r for r in caplog.records if "не снят" in r.getMessage()]
    assert [(r.levelname, r.exc_info) for r in kept] == [("WARNING", None)]
    assert "@school_a_bot («Школа № 1»)" in kept[0].getMessage()
    assert not any("снят в Telegram" in r.getMessage() for r in caplog.records)
