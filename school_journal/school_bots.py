"""Schools' own Telegram bots, the composition root's part (issue 14): a token is checked
with Telegram (``getMe``: the bot's id and username), sealed with ``BOT_TOKEN_KEY`` before
core stores it, and opened again only in memory. Fernet (the ``cryptography`` package)
rather than a cipher of our own: authenticated, versioned, and a wrong key is an error,
never a wrong token."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken

from core.journal import Journal
from core.school_bots import school_bots

GET_ME_TIMEOUT = 10.0  # seconds
# The key is derived from BOT_TOKEN_KEY (any long phrase) with scrypt, under this salt.
_SALT = b"school-journal/bot-tokens/1"


class TokenKeyMismatch(Exception):
    """A stored token that ``BOT_TOKEN_KEY`` does not open (the key was changed)."""


class TokenRefused(Exception):
    """Telegram does not know the token (or it is not a bot token at all)."""


class TelegramUnreachable(Exception):
    """Telegram did not answer (no network, a timeout)."""


class TokenVault:
    """Seals and opens bot tokens with the deployment's ``BOT_TOKEN_KEY``."""

    def __init__(self, secret: str) -> None:
        derived = hashlib.scrypt(secret.encode(), salt=_SALT, n=2**14, r=8, p=1, dklen=32)
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, token: str) -> bytes:
        return self._fernet.encrypt(token.encode())

    def open(self, cipher: bytes) -> str:
        try:
            return self._fernet.decrypt(cipher).decode()
        except InvalidToken:
            raise TokenKeyMismatch() from None


@dataclass(frozen=True)
class CheckedBot:
    bot_id: int
    username: str


async def check_token(token: str, api_base: str) -> CheckedBot:
    """The bot a token belongs to, as Telegram says (``getMe``)."""
    from aiogram.exceptions import TelegramAPIError, TelegramNotFound, TelegramUnauthorizedError
    from aiogram.utils.token import TokenValidationError

    from bot.telegram.transport import build_bot

    try:
        bot = build_bot(token, api_base)
    except TokenValidationError:
        raise TokenRefused() from None
    try:
        me = await asyncio.wait_for(bot.get_me(), GET_ME_TIMEOUT)
    except (TelegramUnauthorizedError, TelegramNotFound) as err:  # 404: not a token
        raise TokenRefused() from err
    except (TelegramAPIError, TimeoutError, OSError) as err:
        raise TelegramUnreachable() from err
    finally:
        await bot.session.close()
    if not me.is_bot or not me.username:
        raise TokenRefused()
    return CheckedBot(me.id, me.username)


class SchoolBotUnreadable(Exception):
    """A school's stored token that ``BOT_TOKEN_KEY`` cannot open (the key changed or is
    missing): ``journal run`` does not start, naming the school."""

    def __init__(self, school: str) -> None:
        super().__init__(school)
        self.school = school


@dataclass(frozen=True)
class OpenedBot:
    """A school's own bot with its token opened (in memory only)."""

    school_id: int
    school_name: str
    bot_id: int
    username: str
    set_at: datetime
    token: str = field(repr=False)

    @property
    def version(self) -> tuple[int, int, datetime]:
        """What tells this setting of the school's bot from the next one."""
        return (self.school_id, self.bot_id, self.set_at)


async def open_school_bots(journal: Journal, key: str | None) -> list[OpenedBot]:
    """Every school's own bot, its token opened with ``BOT_TOKEN_KEY`` (``key``)."""
    entries = await school_bots(journal)
    if not entries:
        return []
    vault = TokenVault(key) if key else None
    opened = []
    for entry in entries:
        try:
            if vault is None:
                raise TokenKeyMismatch()
            token = vault.open(entry.token_cipher)
        except TokenKeyMismatch:
            raise SchoolBotUnreadable(entry.school_name) from None
        opened.append(
            OpenedBot(
                entry.school_id,
                entry.school_name,
                entry.bot_id,
                entry.username,
                entry.set_at,
                token,
            )
        )
    return opened
