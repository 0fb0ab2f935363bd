"""How a change made with a tap went, said at once in the callback's answer (the spinner
stops before the screen is redrawn); after the deadline a change is a request (R7): the
teacher is told so and the deputies get it. Shared by the roll call and the marks."""

from __future__ import annotations

from aiogram import Bot

from bot.telegram.middlewares import CallbackAnswer
from bot.telegram.notify import tell_approvers
from core.access import Actor
from core.entries import Outcome
from core.journal import Journal
from texts import Texts


async def tell_outcome(
    outcome: Outcome,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    bot: Bot,
    callback_answer: CallbackAnswer,
) -> None:
    """Say how a change went, at once (the spinner stops before the screen is redrawn).
    After the deadline a change is a request (R7): say so and tell the deputy."""
    if outcome is Outcome.REQUESTED:
        callback_answer.text = tx("requests.sent")
        callback_answer.show_alert = True
    elif outcome is Outcome.APPLIED:
        callback_answer.text = tx("saved")
    await callback_answer.send()
    if outcome is Outcome.REQUESTED:
        await tell_approvers(bot, journal, actor.school_id)
