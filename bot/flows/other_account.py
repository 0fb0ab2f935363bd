"""Another account bound to the same person (R3): «Отключить этот аккаунт» under the
notice cuts it; the button names the binding the notice went to, core checks it belongs
to whoever pressed. The notice keeps its text and loses its button."""

from __future__ import annotations

from bot.actions import CutOtherCb
from bot.flows.routes import Routes
from bot.flows.turn import Turn
from core import invitations


async def cut_other_account(turn: Turn, action: CutOtherCb) -> None:
    cut = await invitations.cut_own_other_account(
        turn.journal,
        turn.user,
        action.binding,
        action.other,
        "R3: cut by the owner from another account",
    )
    said = turn.tx("account.cut_other_done" if cut else "account.cut_other_before")
    turn.answer(said)
    await turn.show_buttons([])
    await turn.send(said)


def routes() -> Routes:
    r = Routes()
    r.press(CutOtherCb, cut_other_account)
    return r
