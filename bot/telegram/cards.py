"""Sending invitation cards (R2) into the chat that asked for them: the printable cards
(A4 PDF, eight a page, a QR code of the deep link on each), then the same links as text,
then who was skipped. Shared by the class teacher's, the admin's and the roster's
handlers; the texts are ``bot/screens/codes.py``."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BufferedInputFile, Message
from aiogram.utils.deep_linking import create_start_link

from bot import screens
from bot.telegram.render import show
from core.access import Actor
from core.invitations import IssueResult
from core.journal import Journal
from core.models import Messenger
from reports.cards import BotLink, invite_cards
from texts import Texts


async def send_codes(
    message: Message,
    result: IssueResult,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    bot: Bot,
    *,
    reissue_scope: int | None = None,
) -> None:
    """The cards, the links, then who was skipped (``reissue_scope``: the class, 0 for the
    staff, offers to reissue valid cards)."""
    skipped = screens.codes.skipped(tx, result, reissue_scope)
    if not result.codes:
        assert skipped is not None
        await show(message, skipped)
        return
    me = await bot.me()
    bots = [BotLink(Messenger.TELEGRAM, me.username)] if me.username else []
    name, data = await invite_cards(journal, actor, result.codes, bots, tx.lang)
    await message.answer_document(
        BufferedInputFile(data, filename=name), caption=tx("card.caption", count=len(result.codes))
    )
    codes = [(c, await create_start_link(bot, c.code)) for c in result.codes]
    await show(message, screens.codes.links(tx, codes, journal.rules.timezone))
    if skipped is not None:
        await show(message, skipped)
