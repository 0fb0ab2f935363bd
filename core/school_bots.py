"""A school's own Telegram bot (issue 14): one bot per school, so that each school's
messages go at a bot's own rate and its people find it under the school's name. Core
keeps the bot's id, username and the token as ciphertext; encrypting the token and
asking Telegram about it are the composition root's (``school_journal/school_bots.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

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
    set_at: datetime  # when the school's bot was last set (a watcher sees it change)


async def set_school_bot(
    journal: Journal, actor: Actor, *, bot_id: int, username: str, token_cipher: bytes
) -> int:
    """The school's bot (the director or admin), replacing the one it had; audited
    without the token. A bot serves one school only. The accounts bound through the bot it
    replaces move to the new one (:func:`_move_people`); returns how many."""
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
            moved = 0
            if old is not None and old.bot_id != bot_id:
                moved = await _move_people(s, journal, old.bot_id, bot_id)
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
            return moved
    except IntegrityError:  # another school took the bot at the same moment
        raise BotTaken(school="?") from None


async def remove_school_bot(journal: Journal, actor: Actor) -> int | None:
    """The school back on the deployment's bot (``BOT_TOKEN``), the accounts bound through
    its own bot with it (:func:`_move_people`): how many, None if it had no bot."""
    ensure_staff(actor, *RULE_SETTERS)
    async with journal.transaction() as s:
        old = await s.get(SchoolBot, actor.school_id, with_for_update=True)
        if old is None:
            return None
        await s.execute(delete(SchoolBot).where(SchoolBot.school_id == actor.school_id))
        moved = await _move_people(s, journal, old.bot_id, None)
        await audit_school_setting(
            s, journal, actor, audit.Action.SCHOOL_BOT, _public(old.bot_id, old.username), None
        )
        return moved


_MOVE = text(
    """
    WITH twins AS (  -- bound through both bots: the binding through the new one stays
        UPDATE bindings b SET revoked_at = :now
        WHERE b.bot_id = :old AND b.revoked_at IS NULL AND EXISTS (
            SELECT 1 FROM bindings n
            WHERE n.bot_id IS NOT DISTINCT FROM CAST(:new AS bigint) AND n.revoked_at IS NULL
              AND (n.messenger, n.user_id, n.person_id, n.role)
                  = (b.messenger, b.user_id, b.person_id, b.role))
        RETURNING b.id
    ), moved AS (
        UPDATE bindings SET bot_id = CAST(:new AS bigint)
        WHERE bot_id = :old AND id NOT IN (SELECT id FROM twins)
        RETURNING user_id, revoked_at
    ), queued AS (
        UPDATE outbox SET channel = :channel
        WHERE channel = :old_channel AND status = 'pending'
    ), forgotten AS (
        DELETE FROM account_bots WHERE bot_id = :old
    )
    SELECT count(DISTINCT user_id) FROM moved WHERE revoked_at IS NULL
    """
)


async def _move_people(s: AsyncSession, journal: Journal, old: int, new: int | None) -> int:
    """The school's people move with it from bot ``old`` to ``new`` (None: the shared
    bot): their bindings (a person bound through both keeps the new one's), the messages
    still waiting for them (else no sender would ever take them: the old bot is served no
    more) and, forgotten, the choices they made in the old bot. Each must open the new bot
    once: Telegram lets a bot write only to those who started it, so until then the
    sender finds them unreachable and their class teacher sees it. Returns how many
    accounts moved."""
    moved = await s.scalar(
        _MOVE,
        {
            "now": journal.clock.now(),
            "old": old,
            "new": new,
            "old_channel": f"{Messenger.TELEGRAM.value}:{old}",
            "channel": Messenger.TELEGRAM.value
            if new is None
            else f"{Messenger.TELEGRAM.value}:{new}",
        },
    )
    return int(moved or 0)


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
                SchoolBot.set_at,
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
