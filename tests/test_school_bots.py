"""A school's own Telegram bot, as the school admin sets it (issue 14): `journal school
--bot-token` checks the token with Telegram, stores it encrypted with BOT_TOKEN_KEY (a
dump of the database alone does not reveal it) and never prints it; bad input gets a
clear answer and changes nothing."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import asyncpg
import pytest
from pydantic import SecretStr

from demo import SCHOOL_DIR, SCHOOL_NAME
from fakegram import FakeTelegram
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
