"""A school's own Telegram bot (issue 14): one bot per school, so that each school's
messages go at a bot's own rate and its people find it under the school's name. Core
keeps the bot's id, username and the token as ciphertext; encrypting the token and
asking Telegram about it are the composition root's (``school_journal/school_bots.py``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from core import audit
from core.access import Actor, ensure_staff
from core.errors import JournalError
from core.identity import BotLink
from core.journal import Journal
from core.models import Messenger, School, SchoolBot
from core.schools import RULE_SETTERS, audit_school_setting


class BotTaken(JournalError):
    """The bot already serves another school of the deployment."""

    key = "error.bot_taken"


@dataclass(frozen=True)
class SchoolBotEntry:
    school_id: int
    school_name: str
    bot_id: int
    username: str
    token_cipher: bytes


async def set_school_bot(
    journal: Journal, actor: Actor, *, bot_id: int, username: str, token_cipher: bytes
) -> None:
    """The school's bot (the director or admin), replacing the one it had; audited
    without the token. A bot serves one school only."""
    ensure_staff(actor, *RULE_SETTERS)
    try:
        async with journal.transaction() as s:
            taken = await s.scalar(
                select(School.name)
                .join(SchoolBot, SchoolBot.school_id == School.id)
                .where(SchoolBot.bot_id == bot_id, SchoolBot.school_id != actor.school_id)
            )
            if taken is not None:
                raise BotTaken(school=taken)
            old = await s.get(SchoolBot, actor.school_id, with_for_update=True)
            before = _public(old.bot_id, old.username) if old else None
            now = journal.clock.now()
            values = {"bot_id": bot_id, "username": username, "token_cipher": token_cipher}
            await s.execute(
                insert(SchoolBot)
                .values(school_id=actor.school_id, set_at=now, **values)
                .on_conflict_do_update(
                    index_elements=[SchoolBot.school_id], set_={"set_at": now, **values}
                )
            )
            await audit_school_setting(
                s, journal, actor, audit.Action.SCHOOL_BOT, before, _public(bot_id, username)
            )
    except IntegrityError:  # another school took the bot at the same moment
        raise BotTaken(school="?") from None


async def remove_school_bot(journal: Journal, actor: Actor) -> bool:
    """The school back on the deployment's bot (``BOT_TOKEN``); False if it had none."""
    ensure_staff(actor, *RULE_SETTERS)
    async with journal.transaction() as s:
        old = await s.get(SchoolBot, actor.school_id, with_for_update=True)
        if old is None:
            return False
        await s.execute(delete(SchoolBot).where(SchoolBot.school_id == actor.school_id))
        await audit_school_setting(
            s, journal, actor, audit.Action.SCHOOL_BOT, _public(old.bot_id, old.username), None
        )
        return True


async def school_bots(journal: Journal) -> list[SchoolBotEntry]:
    """Every school's own bot, by school name."""
    async with journal.transaction() as s:
        rows = await s.execute(
            select(
                SchoolBot.school_id,
                School.name,
                SchoolBot.bot_id,
                SchoolBot.username,
                SchoolBot.token_cipher,
            )
            .join(School, School.id == SchoolBot.school_id)
            .order_by(School.name)
        )
        return [SchoolBotEntry(*row) for row in rows]


async def with_school_bot(journal: Journal, school_id: int, bots: list[BotLink]) -> list[BotLink]:
    """``bots`` as the school's people should find them on cards and links: a school with
    its own Telegram bot is found there, whichever bot issued the card (the deployment's
    shared bot would bind them outside their school's own)."""
    async with journal.transaction() as s:
        username = await s.scalar(
            select(SchoolBot.username).where(SchoolBot.school_id == school_id)
        )
    if username is None:
        return bots
    own = BotLink(Messenger.TELEGRAM, username)
    others = [b for b in bots if b.messenger is not Messenger.TELEGRAM]
    telegram_first = bool(bots) and bots[0].messenger is Messenger.TELEGRAM
    return [own, *others] if telegram_first or not others else [*others, own]


def _public(bot_id: int, username: str) -> dict[str, object]:
    return {"bot_id": bot_id, "username": username}
