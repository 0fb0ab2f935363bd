"""A school's own Telegram bot, as the school admin sets it (issue 14): `journal school
--bot-token` checks the token with Telegram, stores it encrypted with BOT_TOKEN_KEY (a
dump of the database alone does not reveal it) and never prints it; bad input gets a
clear answer and changes nothing."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest
from pydantic import SecretStr

from core.identity import bot_channel
from core.journal import Journal
from core.models import Messenger
from demo import SCHOOL_DIR, SCHOOL_NAME
from fakegram import FakeTelegram
from notifications.leases import LeaseBook
from notifications.outbox import OutboxItem, enqueue
from school_journal.database import asyncpg_dsn
from school_journal.school_bots import TokenKeyMismatch, TokenVault
from school_journal.settings import Settings
from tests.test_cli import journal_cmd

KEY = "a long phrase only the admin keeps"
TOKEN = "777001:AAschool-a-secret-part"
OTHER = "777002:AAschool-b-secret-part"


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    fake.add_bot(TOKEN, "school_a_bot")
    fake.add_bot(OTHER, "school_b_bot")
    yield fake
    await fake.stop()


@pytest.fixture
async def admin(
    settings: Settings, telegram: FakeTelegram, capsys: pytest.CaptureFixture[str]
) -> Settings:
    """The deployment with a token key, its Telegram the fake, and the demo school in it."""
    ready = settings.model_copy(
        update={"bot_token_key": SecretStr(KEY), "telegram_api_base": telegram.base_url}
    )
    assert await journal_cmd(ready, "import", str(SCHOOL_DIR), "--school", SCHOOL_NAME) == 0
    capsys.readouterr()
    return ready


async def stored(db_url: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(asyncpg_dsn(db_url))
    try:
        return list(
            await conn.fetch("SELECT school_id, bot_id, username, token_cipher FROM school_bots")
        )
    finally:
        await conn.close()


async def test_the_admin_sets_the_schools_bot_and_the_token_is_stored_sealed(
    admin: Settings, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await journal_cmd(admin, "school", "--bot-token", TOKEN) == 0
    out, err = capsys.readouterr()
    assert "Токен бота @school_a_bot проверен в Telegram и сохранён зашифрованным" in out
    assert TOKEN not in out + err and "secret-part" not in out + err
    [row] = await stored(db_url)
    assert (row["bot_id"], row["username"]) == (777001, "school_a_bot")
    assert b"secret-part" not in row["token_cipher"]  # a dump alone does not reveal it
    assert TokenVault(KEY).open(row["token_cipher"]) == TOKEN
    with pytest.raises(TokenKeyMismatch):  # another deployment's key opens nothing
        TokenVault("some other long phrase").open(row["token_cipher"])

    assert await journal_cmd(admin, "school") == 0
    assert "Бот школы: @school_a_bot." in capsys.readouterr().out

    conn = await asyncpg.connect(asyncpg_dsn(db_url))
    try:
        audit = await conn.fetch("SELECT old, new FROM audit_log WHERE action = 'school.bot'")
    finally:
        await conn.close()
    assert len(audit) == 1 and "secret" not in str(audit[0])  # audited, without the token


async def test_the_token_can_come_from_the_standard_input_out_of_the_shells_history(
    admin: Settings,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(TOKEN + "\n"))
    assert await journal_cmd(admin, "school", "--bot-token", "-") == 0
    assert "@school_a_bot" in capsys.readouterr().out
    [row] = await stored(db_url)
    assert TokenVault(KEY).open(row["token_cipher"]) == TOKEN


@pytest.mark.parametrize(
    ("token", "words"),
    [
        ("777003:AAunknown-to-telegram", "Telegram не узнал этот токен"),
        ("987654", "Telegram не узнал этот токен"),  # a typo: no «:»
    ],
)
async def test_a_token_telegram_does_not_know_is_refused_and_nothing_is_stored(
    admin: Settings, db_url: str, capsys: pytest.CaptureFixture[str], token: str, words: str
) -> None:
    assert await journal_cmd(admin, "school", "--bot-token", token) == 1
    out, err = capsys.readouterr()
    assert words in err and "Ничего не изменено" in err and "Traceback" not in err
    assert token not in out + err
    assert await stored(db_url) == []


async def test_telegram_out_of_reach_leaves_the_school_as_it_was(
    admin: Settings, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    down = admin.model_copy(update={"telegram_api_base": "http://127.0.0.1:9"})  # nothing listens
    assert await journal_cmd(down, "school", "--bot-token", TOKEN) == 1
    err = capsys.readouterr().err
    assert "Не удалось связаться с Telegram" in err and "Traceback" not in err
    assert await stored(db_url) == []


async def test_without_a_token_key_no_token_is_stored(
    admin: Settings, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    none = admin.model_copy(update={"bot_token_key": None})
    assert await journal_cmd(none, "school", "--bot-token", TOKEN) == 2
    assert "Не задан BOT_TOKEN_KEY" in capsys.readouterr().err
    short = admin.model_copy(update={"bot_token_key": SecretStr("short")})
    assert await journal_cmd(short, "school", "--bot-token", TOKEN) == 2
    assert "слишком короткий" in capsys.readouterr().err
    assert await stored(db_url) == []


async def test_one_bot_serves_one_school_and_a_school_can_go_back_to_the_shared_bot(
    admin: Settings, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    other_school = "Школа № 2"
    assert await journal_cmd(admin, "import", str(SCHOOL_DIR), "--school", other_school) == 0
    assert await journal_cmd(admin, "school", "--school", SCHOOL_NAME, "--bot-token", TOKEN) == 0
    capsys.readouterr()
    taken = await journal_cmd(admin, "school", "--school", other_school, "--bot-token", TOKEN)
    assert taken == 1
    assert f"Этот бот уже работает для школы «{SCHOOL_NAME}»" in capsys.readouterr().err
    assert await journal_cmd(admin, "school", "--school", other_school, "--bot-token", OTHER) == 0
    assert sorted(r["username"] for r in await stored(db_url)) == ["school_a_bot", "school_b_bot"]

    # A new token for the same school replaces its bot; --no-bot-token drops it.
    capsys.readouterr()
    assert await journal_cmd(admin, "school", "--school", SCHOOL_NAME, "--no-bot-token") == 0
    assert "школа снова в общем боте" in capsys.readouterr().out
    assert [r["username"] for r in await stored(db_url)] == ["school_b_bot"]
    assert await journal_cmd(admin, "school", "--school", SCHOOL_NAME) == 0
    assert "Собственного бота у школы нет" in capsys.readouterr().out


async def test_journal_run_refuses_to_start_when_the_key_cannot_open_a_schools_token(
    admin: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await journal_cmd(admin, "school", "--bot-token", TOKEN) == 0
    capsys.readouterr()
    changed = admin.model_copy(
        update={"bot_token": SecretStr(OTHER), "bot_token_key": SecretStr("another long phrase!")}
    )
    assert await journal_cmd(changed, "run") == 1
    err = capsys.readouterr().err
    assert f"Не удалось открыть сохранённый токен бота школы «{SCHOOL_NAME}»" in err, err
    assert "Traceback" not in err and "secret-part" not in err


async def test_r2_invite_links_of_a_school_with_its_own_bot_name_that_bot(
    admin: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await journal_cmd(admin, "invite", "--class", "5А", "--parents") == 0
    before = [x for x in capsys.readouterr().out.splitlines() if "https://t.me/" in x]
    assert before and all("school_journal_bot?start=" in x for x in before)  # BOT_USERNAME

    assert await journal_cmd(admin, "school", "--bot-token", TOKEN) == 0
    capsys.readouterr()
    assert (
        await journal_cmd(admin, "invite", "--class", "5А", "--parents", "--reissue", "--yes") == 0
    )
    after = [x for x in capsys.readouterr().out.splitlines() if "https://t.me/" in x]
    assert len(after) == len(before)
    assert all("https://t.me/school_a_bot?start=" in x for x in after), after


async def _bound_parent(db_url: str, bot_id: int) -> int:
    """A parent of the demo school bound through ``bot_id``, with a digest waiting for her
    in that bot's outbox channel (as the evening job leaves it)."""
    conn = await asyncpg.connect(asyncpg_dsn(db_url))
    try:
        guardian = await conn.fetchval("SELECT guardian_id FROM guardianships LIMIT 1")
        binding = await conn.fetchval(
            "INSERT INTO bindings (messenger, user_id, person_id, role, created_at, bot_id)"
            " VALUES ('telegram', 9001, $1, 'parent', now(), $2) RETURNING id",
            guardian,
            bot_id,
        )
        await conn.execute(
            "INSERT INTO outbox (key, chat_id, kind, text, binding_id, channel, created_at)"
            " VALUES ('digest:x', 9001, 'digest', 'Дневник', $1, $2, now())",
            binding,
            f"telegram:{bot_id}",
        )
        return int(binding)
    finally:
        await conn.close()


async def where_she_is(db_url: str, binding: int) -> tuple[int | None, str]:
    conn = await asyncpg.connect(asyncpg_dsn(db_url))
    try:
        row = await conn.fetchrow(
            "SELECT b.bot_id, o.channel FROM bindings b JOIN outbox o ON o.binding_id = b.id"
            " WHERE b.id = $1 AND b.revoked_at IS NULL",
            binding,
        )
        assert row is not None, "her binding was revoked"
        return row["bot_id"], row["channel"]
    finally:
        await conn.close()


async def test_a_new_bot_for_the_school_takes_its_people_and_their_waiting_messages_along(
    admin: Settings, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The admin replaces the school's bot (say its token leaked) and later goes back to
    the shared bot: the parents bound through the old bot are not stranded with messages
    no sender would ever take; the admin is told who must open the new bot."""
    assert await journal_cmd(admin, "school", "--bot-token", TOKEN) == 0
    capsys.readouterr()
    mother = await _bound_parent(db_url, 777001)

    assert await journal_cmd(admin, "school", "--bot-token", OTHER) == 0
    out = capsys.readouterr().out
    assert "перенесены в @school_b_bot: 1" in out, out
    assert "подхватит изменение сам примерно за 30 с" in out, out
    assert await where_she_is(db_url, mother) == (777002, "telegram:777002")

    assert await journal_cmd(admin, "school", "--no-bot-token") == 0
    out = capsys.readouterr().out
    assert "Собственный бот школы убран" in out and "перенесены в @school_journal_bot: 1" in out
    assert await where_she_is(db_url, mother) == (None, "telegram")


async def test_bound_through_both_bots_she_keeps_one_binding_when_the_school_leaves_its_bot(
    admin: Settings, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await journal_cmd(admin, "school", "--bot-token", TOKEN) == 0
    through_school_bot = await _bound_parent(db_url, 777001)
    conn = await asyncpg.connect(asyncpg_dsn(db_url))
    try:
        await conn.execute(  # the same parent, the same phone, bound in the shared bot too
            "INSERT INTO bindings (messenger, user_id, person_id, role, created_at)"
            " SELECT messenger, user_id, person_id, role, now() FROM bindings WHERE id = $1",
            through_school_bot,
        )
        capsys.readouterr()
        assert await journal_cmd(admin, "school", "--no-bot-token") == 0
        active = await conn.fetch("SELECT bot_id FROM bindings WHERE revoked_at IS NULL")
    finally:
        await conn.close()
    assert [row["bot_id"] for row in active] == [None]  # one binding, in the shared bot
    assert "перенесены" not in capsys.readouterr().out  # nobody has to open a new bot


async def test_status_names_the_schools_bot_and_the_journal_run_that_sends_through_it(
    admin: Settings, journal: Journal, capsys: pytest.CaptureFixture[str]
) -> None:
    """With a bot per school and instances sharing them (issue 14), the admin reads in
    ``journal status`` which bot is the school's, whether a ``journal run`` sends through
    it now, and what waits for it."""
    assert await journal_cmd(admin, "school", "--bot-token", TOKEN) == 0
    capsys.readouterr()
    channel = bot_channel(Messenger.TELEGRAM.value, 777001)
    async with journal.transaction() as s:
        await enqueue(s, [OutboxItem("digest:x", 5001, "digest", "Сводка", channel=channel)])

    def bot_lines() -> list[str]:
        lines = capsys.readouterr().out.splitlines()
        return [x for x in lines if x.startswith(("Бот школы", "Через бота школы"))]

    assert await journal_cmd(admin, "status") == 0  # nothing runs
    assert bot_lines() == [
        "Бот школы: @school_a_bot. Через него сейчас не отправляет ни один journal run:"
        " сообщения ждут. Проверьте, что journal run запущен, и посмотрите его журнал"
        " (например, не отклонён ли токен бота).",
        "Через бота школы ждут отправки 1, дольше всех — 0 мин.",
    ]

    book = LeaseBook(journal.sessions, "school-server:4242:ab12cd", timedelta(seconds=30))
    assert await book.held([channel]) == [channel]  # as journal run's senders take it
    assert await journal_cmd(admin, "status") == 0
    [sending, waiting] = bot_lines()
    assert sending.startswith(
        "Бот школы: @school_a_bot. Через него отправляет сообщения journal run"
        " «school-server:4242:ab12cd» (продлевает право отправки, сейчас до "
    )
    assert waiting == "Через бота школы ждут отправки 1, дольше всех — 0 мин."

    await book.give_back([channel])  # journal run stopped
    assert await journal_cmd(admin, "status") == 0
    assert "ни один journal run" in bot_lines()[0]

    assert await journal_cmd(admin, "school", "--no-bot-token") == 0
    capsys.readouterr()
    assert await journal_cmd(admin, "status") == 0
    assert bot_lines()[0].startswith("Бот школы: общий бот журнала. Через него сейчас не")
