"""MAX updates to flows: who is acting (core's caller, by the MAX account), which route
takes the update (``bot/flows/``, in their order), and the guarantees the Telegram
adapter's middlewares give: typed text cleaned, a pending prompt abandoned by any press or
command, every press answered once, a core error told in the user's language, never a
traceback to the user."""

from __future__ import annotations

import logging

from maxapi import Bot
from pydantic import ValidationError

from bot.conversation import ConversationStore
from bot.faults import database_unavailable, out_of_range
from bot.flows.routes import NO_STATE, Route, run
from bot.max.client import max_unavailable
from bot.max.turn import MaxTurn, conversation_key
from bot.max.updates import Incoming, Kind
from bot.screen import Action
from core import accounts
from core.accounts import Caller
from core.errors import JournalError
from core.identity import BotLink, UserRef
from core.journal import Journal
from core.metrics import Metrics
from core.models import Messenger
from notifications.rules import NotificationRules
from texts import Texts, language_of

log = logging.getLogger(__name__)


class MaxDispatcher:
    def __init__(
        self,
        journal: Journal,
        bot: Bot,
        routes: list[Route],
        notification_rules: NotificationRules | None = None,
        other_bots: list[BotLink] | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.journal, self.bot, self.routes = journal, bot, routes
        self.metrics = metrics or Metrics()
        self.notification_rules = notification_rules or NotificationRules()
        self.other_bots = other_bots or []  # the school's bots on other messengers
        self._own: list[BotLink] | None = None
        self.store = ConversationStore(journal.sessions)

    async def handle(self, update: Incoming) -> None:
        """One update, whatever happens: the person always gets an answer. Counted by
        kind and how long it took (``GET /metrics``), however it ended."""
        started = self.metrics.monotonic()
        try:
            await self._handle(update)
        except Exception as err:
            if not max_unavailable(err):
                raise
            log.warning("MAX did not take the answer to user %s: %s", update.user_id, err)
        finally:
            elapsed = self.metrics.monotonic() - started
            self.metrics.update_handled(update.kind.value, elapsed, Messenger.MAX.value)

    async def _handle(self, update: Incoming) -> None:
        user = UserRef.max(update.user_id)
        if update.kind is Kind.STOPPED:
            await accounts.set_reachable(self.journal, user, False)
            return
        key = conversation_key(update.chat_id, update.user_id)
        try:
            caller = await accounts.identify(self.journal, user, update.chat_id, update.locale, key)
        except Exception as err:
            if not database_unavailable(err):
                raise
            log.warning("database unavailable: %s: %s", type(err).__name__, err)
            await self.unavailable(update)
            return
        tx = Texts(caller.language or language_of(update.locale))
        turn = MaxTurn(
            update,
            self.journal,
            caller,
            tx,
            self.bot,
            self.store,
            self.notification_rules,
            [*await self.own_bot(), *self.other_bots],
        )
        command, _, args = update.text.partition(" ")
        if update.kind is Kind.MESSAGE and command.startswith("/"):
            turn.text = args  # a command's arguments (a typed «/start CODE»: the code)
        state = caller.conversation_state
        if state is not None and _abandons_prompt(update):
            await turn.conversation.clear()  # a pending prompt never catches a later message
            state = None
        try:
            found = self.match(update, caller, state)
            if found is None:
                await self.fallback(turn, update)
            else:
                route, action = found
                await run(route, turn, action)
        except JournalError as err:
            await _tell(turn, tx(err.key, **err.params))
        except Exception as err:
            if database_unavailable(err):
                log.warning("database unavailable: %s: %s", type(err).__name__, err)
                await _tell(turn, tx("error.journal_unavailable"))
            elif update.kind is Kind.PRESS and out_of_range(err):
                log.warning("forged button %r: %s", update.payload, err)
                turn.answer(tx("fallback.stale_button"), alert=True)
            elif max_unavailable(err):  # telling the person would not get through either
                raise
            else:
                log.exception("a MAX update failed")
                await _tell(turn, tx("error.generic"))
        finally:
            await turn.finish()

    def match(
        self, update: Incoming, caller: Caller, state: str | None
    ) -> tuple[Route, Action | None] | None:
        command = update.text.partition(" ")[0]
        for route in self.routes:
            if not route.who(caller):
                continue
            if update.kind is Kind.PRESS:
                if route.action is None:
                    continue
                try:
                    action = route.action.unpack(update.payload or "")
                except (TypeError, ValueError, ValidationError):
                    continue
                if route.when is None or route.when(action):
                    return route, action
            elif update.file is not None or route.document:
                if update.file is not None and route.document:  # a sent file, in any state
                    return route, None
            elif update.kind is Kind.START or command == "/start":
                if route.start:
                    return route, None
            elif command.startswith("/"):
                if route.command == command[1:]:
                    return route, None
            elif route.action is None and route.command is None and not route.start:
                wanted = None if route.state == NO_STATE else route.state
                in_state = route.state is None or wanted == state
                if in_state and (route.typed is None or route.typed(update.text)):
                    return route, None
        return None

    async def fallback(self, turn: MaxTurn, update: Incoming) -> None:
        if update.kind is Kind.PRESS:
            log.info("stale or forged button from MAX user %s: %r", update.user_id, update.payload)
            turn.answer(turn.tx("fallback.stale_button"), alert=True)
            return
        unbound = turn.caller.actor is None
        await turn.show(turn.tx("fallback.unbound" if unbound else "fallback.unknown"))

    async def own_bot(self) -> list[BotLink]:
        """This MAX bot, by its username (asked once)."""
        if self._own is None:
            try:
                me = await self.bot.get_me()
            except Exception as err:  # MAX unreachable: the cards go without it this time
                log.warning("MAX did not say the bot's name: %s: %s", type(err).__name__, err)
                return []
            self._own = [BotLink(Messenger.MAX, me.username)] if me.username else []
        return self._own

    async def unavailable(self, update: Incoming) -> None:
        """No database, so no account and no saved language: the MAX client's language."""
        text = Texts(language_of(update.locale))("error.journal_unavailable")
        if update.kind is Kind.PRESS and update.callback_id is not None:
            await self.bot.send_callback(update.callback_id, notification=text)
        else:
            await self.bot.send_message(chat_id=update.chat_id, text=text)


def _abandons_prompt(update: Incoming) -> bool:
    return update.kind is Kind.PRESS or update.text.startswith("/")


async def _tell(turn: MaxTurn, text: str) -> None:
    """Say ``text`` in the press's answer if it is not answered yet, else in the chat."""
    if not turn.answered:
        turn.answer(text, alert=True)
    else:
        await turn.send(text)
