"""Which update goes to which flow: a press on a button carrying an action (with a rule on
its fields), a command, or typed text (in a conversation state, or matching a test), each
for whom it is meant. The adapters register these in their own way; the order is the
order of matching (the first route that fits takes the update)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.flows.turn import Turn
from bot.screen import Action
from core.accounts import Caller
from core.models import BindingRole, StaffRole

Who = Callable[[Caller], bool]
Flow = Callable[..., Awaitable[None]]  # flow(turn) or flow(turn, action)
NO_STATE = ""  # a typed-text route outside any conversation


def anyone(caller: Caller) -> bool:
    return True


def staff(*roles: StaffRole) -> Who:
    """Staff (with one of ``roles``, if given)."""

    def who(caller: Caller) -> bool:
        actor = caller.actor
        return actor is not None and (
            actor.has(*roles) if roles else actor.role is BindingRole.STAFF
        )

    return who


def family(caller: Caller) -> bool:
    """Parents (after consent, R19) and pupils."""
    actor = caller.actor
    return actor is not None and actor.role in (BindingRole.PARENT, BindingRole.PUPIL)


@dataclass(frozen=True)
class Route:
    flow: Flow
    who: Who = anyone
    action: type[Action] | None = None  # a press on a button carrying this action
    when: Callable[[Any], bool] | None = None  # ... whose fields fit
    command: str | None = None  # "/today"
    start: bool = False  # the messenger's start (with a payload: a deep link)
    state: str | None = None  # typed text in this conversation state (NO_STATE: none; None: any)
    typed: Callable[[str], bool] | None = None  # typed text that fits
    document: bool = False  # a file sent (in any conversation state): ``turn.document``


@dataclass
class Routes:
    """A feature's routes, in order."""

    routes: list[Route] = field(default_factory=list)

    def press(
        self,
        action: type[Action],
        flow: Flow,
        when: Callable[[Any], bool] | None = None,
        who: Who = anyone,
    ) -> None:
        self.routes.append(Route(flow, who, action=action, when=when))

    def command(self, name: str, flow: Flow, who: Who = anyone) -> None:
        self.routes.append(Route(flow, who, command=name))

    def start(self, flow: Flow) -> None:
        self.routes.append(Route(flow, start=True))

    def typed(
        self,
        flow: Flow,
        state: str | None = None,
        fits: Callable[[str], bool] | None = None,
        who: Who = anyone,
    ) -> None:
        self.routes.append(Route(flow, who, state=state, typed=fits))

    def document(self, flow: Flow, who: Who = anyone) -> None:
        """A file sent, whatever the conversation is waiting for."""
        self.routes.append(Route(flow, who, document=True))


async def run(route: Route, turn: Turn, action: Action | None) -> None:
    """The route's flow for this turn (with the pressed action, for a press)."""
    if route.action is not None:
        await route.flow(turn, action)
    else:
        await route.flow(turn)
