"""A hand-playable console: type as simulated users, watch the bot answer.

Commands (anything else is sent as a message, so "/start CODE" just works):

    as <user>        switch to another user (key, id or first name)
    users            list users
    press <N|text>   press button N (numbered across the last keyboard) or by its text
    show [N]         print the last N messages of the current chat (default 20)
    doc <path>       send a file as a document
    contact          share the current user's phone number
    commands         show the command menu the user sees
    block / unblock  block or unblock the bot
    say <text>       send text literally (e.g. "say show")
    help             this help
    quit             leave the console
"""

from __future__ import annotations

import asyncio
import shlex
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, Generic, Protocol, TypeVar

from fakegram.server import FakeTelegram
from fakegram.state import ChatEvent
from fakegram.users import FakeUser, Press
from fakegram.views import MessageView

HELP = (__doc__ or "").split("\n\n", 1)[1].rstrip()

InputFunc = Callable[[str], str]
OutputFunc = Callable[[str], Any]


@dataclass(frozen=True)
class ConsoleTexts:
    """What the console itself says (the bot's messages are the bot's): ``str.format``
    templates, English for ``python -m fakegram``. A program embedding the console passes
    its own; the sandbox passes Russian ones from the product's catalogue
    (``ConsoleTexts.from_catalogue``, keys ``sandbox.console.<field>``)."""

    help: str = HELP
    welcome: str = "fakegram console — you are {name} ({key}). Type 'help'."
    switched: str = "you are now {name} ({key})"
    no_user: str = "! no user «{name}»; known: {known}"
    user: str = "{marker} {key}: {name} (id {id}) with @{bot}"
    edited: str = "✎ edited "
    deleted: str = "🤖 deleted #{id}"
    toast: str = "toast"
    alert: str = "alert"
    document: str = "📎 {name} ({size} bytes)"
    blocked: str = "bot blocked"
    unblocked: str = "bot unblocked"
    no_button: str = "! no button {number}; there are {count}"
    no_button_text: str = "! no button «{text}»; there are: {buttons}"
    opens: str = "(opens {url})"
    no_answer: str = "! the bot did not answer the button within {seconds}s"
    error: str = "! error: {error}"
    unsupported: str = "! «{command}» is not there in this messenger"

    @classmethod
    def from_catalogue(cls, text: Callable[[str], str]) -> ConsoleTexts:
        """Every field from ``text(f"sandbox.console.{field}")`` (the raw template)."""
        return cls(**{f.name: text(f"sandbox.console.{f.name}") for f in fields(cls)})


ENGLISH = ConsoleTexts()


@dataclass(frozen=True)
class ConsoleCommand:
    """A command a program embedding the console adds (the sandbox's ``time``): its line
    in ``help`` and what it does with the rest of the line."""

    help: str
    run: Callable[[str], Awaitable[None]]


class _Bot(Protocol):
    @property
    def username(self) -> str: ...


class Player(Protocol):
    """A simulated user as the console names them (a fake Telegram or fake MAX user)."""

    @property
    def id(self) -> int: ...

    @property
    def first_name(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def bot(self) -> _Bot: ...


class Pressed(Protocol):
    """What pressing a button did (a fake Telegram or fake MAX ``Press``)."""

    @property
    def url(self) -> str | None: ...

    async def wait_answered(
        self,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> dict[str, Any]: ...


U = TypeVar("U", bound=Player)
P = TypeVar("P", bound=Pressed)
Verb = Callable[[U, str], Awaitable[Any]]


def numbered(rows: list[list[str]]) -> list[str]:
    """Button rows as printed: numbered from 1 across the rows (as ``press N`` counts)."""
    lines, number = [], 1
    for row in rows:
        cells = []
        for text in row:
            cells.append(f"[{number}] {text}")
            number += 1
        lines.append("   " + "   ".join(cells))
    return lines


class Console(ABC, Generic[U, P]):
    """The console's loop and the commands every messenger shares (``as``, ``users``,
    ``press``, ``say``, ``help``, ``quit``, a program's own); a messenger's subclass
    renders its users' messages and events and adds its verbs (``show``, ``doc``...)."""

    def __init__(
        self,
        users: dict[str, U],
        *,
        input_func: InputFunc = input,
        output: OutputFunc = print,
        prompt: str | None = None,
        answer_wait: float = 2.0,
        commands: Mapping[str, ConsoleCommand] | None = None,
        announce: Callable[[str], str] | None = None,
        texts: ConsoleTexts = ENGLISH,
    ) -> None:
        if not users:
            raise ValueError("run_console needs at least one user")
        self.users, self.input_func, self.output = users, input_func, output
        self.prompt, self.answer_wait = prompt, answer_wait
        self.commands, self.announce, self.texts = commands or {}, announce, texts
        self.key = next(iter(users))

    @property
    def user(self) -> U:
        return self.users[self.key]

    # ---------------------------------------------------------- a messenger's part

    @abstractmethod
    def listen(self) -> Callable[[], None]:
        """Start printing the fake's events (through :meth:`event`); returns the undo."""

    @abstractmethod
    def verbs(self) -> Mapping[str, Verb[U]]:
        """The messenger's commands (``show``, ``doc``...): name → what it does."""

    @abstractmethod
    def buttons(self, user: U, *, by_number: bool) -> list[str]:
        """The button texts ``press`` can reach (``by_number``: in the printed order)."""

    @abstractmethod
    async def press_at(self, user: U, number: int) -> P: ...

    @abstractmethod
    async def press_text(self, user: U, text: str) -> P: ...

    @abstractmethod
    def expects_answer(self, press: P) -> bool:
        """Whether the bot is to answer this press (a callback, not a link)."""

    # --------------------------------------------------------------- shared part

    def event(self, key: str, sent: bool, render: Callable[[str], str | None]) -> None:
        """Print what happened in ``key``'s chat (``render(prefix)``); with ``announce``, a
        new message for another user than the current one is only announced."""
        who = f"[{key}] " if key != self.key else ""
        if who and self.announce is not None:
            if sent:
                self.output(self.announce(key))
            return
        if (shown := render(who)) is not None:
            self.output(shown)

    def answer(self, who: str, text: str | None, alert: bool = False) -> str | None:
        """A press's answer (toast/alert) as printed, None without a text."""
        if not text:
            return None
        style = self.texts.alert if alert else self.texts.toast
        return f"{who}🤖 ({style}) {text}"

    async def run(self) -> None:
        """Read commands (in a thread) and act as the users until EOF/quit."""
        unlisten = self.listen()
        self.output(self.texts.welcome.format(name=self.user.name, key=self.key))
        try:
            while True:
                line_prompt = self.prompt if self.prompt is not None else f"{self.key}> "
                try:
                    line = await asyncio.to_thread(self.input_func, line_prompt)
                except (EOFError, KeyboardInterrupt):
                    break
                line = line.strip()
                if not line:
                    continue
                try:
                    if not await self.execute(line):
                        break
                except AssertionError as exc:
                    self.output(f"! {exc}")
                except Exception as exc:
                    self.output(self.texts.error.format(error=repr(exc)))
        finally:
            unlisten()

    async def execute(self, line: str) -> bool:
        """Do one line; False to leave."""
        command, _, arg = line.partition(" ")
        arg, lowered, texts = arg.strip(), command.lower(), self.texts
        verbs = self.verbs()
        if lowered in ("quit", "exit", ":q"):
            return False
        if lowered == "help":
            self.output("\n".join([texts.help, *(c.help for c in self.commands.values())]))
        elif lowered in self.commands:
            await self.commands[lowered].run(arg)
        elif lowered == "as" and arg:
            self.switch(arg)
        elif lowered == "users":
            for key, u in self.users.items():
                marker = "*" if key == self.key else " "
                line = texts.user.format(
                    marker=marker, key=key, name=u.name, id=u.id, bot=u.bot.username
                )
                self.output(line)
        elif lowered == "press" and arg:
            await self.press(arg)
        elif lowered == "say" and arg:
            await self.send(self.user, arg)
        elif lowered in verbs and (arg or lowered in NO_ARGUMENT):
            await verbs[lowered](self.user, arg)
        elif lowered in UNSUPPORTED_WITHOUT_VERB and (arg or lowered in NO_ARGUMENT):
            self.output(texts.unsupported.format(command=lowered))
        else:
            await self.send(self.user, line)
        return True

    @abstractmethod
    async def send(self, user: U, text: str) -> None: ...

    def switch(self, arg: str) -> None:
        key = self.find(arg)
        if key is None:
            self.output(self.texts.no_user.format(name=arg, known=", ".join(self.users)))
        else:
            self.key = key
            self.output(self.texts.switched.format(name=self.users[key].name, key=key))

    def find(self, arg: str) -> str | None:
        if arg in self.users:
            return arg
        for key, u in self.users.items():
            if str(u.id) == arg or u.first_name.lower() == arg.lower() or u.name == arg:
                return key
        return None

    async def press(self, arg: str) -> None:
        user, texts = self.user, self.texts
        if arg.isdigit():
            # The button at that place, not the first with its text: a marks grid shows
            # «5» in every row.
            count = len(self.buttons(user, by_number=True))
            if not 1 <= int(arg) <= count:
                self.output(texts.no_button.format(number=arg, count=count))
                return
            press = await self.press_at(user, int(arg))
        else:
            shown = self.buttons(user, by_number=False)
            if arg not in shown:
                self.output(texts.no_button_text.format(text=arg, buttons=" | ".join(shown)))
                return
            press = await self.press_text(user, arg)
        if press.url:
            self.output(texts.opens.format(url=press.url))
        elif self.expects_answer(press) and self.answer_wait > 0:
            # Let the answer (toast/alert) show up; a missing answer is reported, not fatal.
            try:
                await press.wait_answered(timeout=self.answer_wait)
            except AssertionError:
                self.output(texts.no_answer.format(seconds=self.answer_wait))


# The verbs that take no argument (``show`` takes an optional one).
NO_ARGUMENT = frozenset({"show", "contact", "commands", "block", "unblock"})
# A verb a messenger lacks is said to be missing, not sent to the bot as text.
UNSUPPORTED_WITHOUT_VERB = frozenset({"doc", "contact", "commands", "block", "unblock"})


def format_message(view: MessageView, *, header: str = "", texts: ConsoleTexts = ENGLISH) -> str:
    """Render a message with its buttons numbered (as ``press N`` expects)."""
    lines = [f"{header}{view.text or ''}" if header else (view.text or "")]
    if view.document:
        doc = view.document
        name, size = doc.get("file_name", "file"), doc.get("file_size", 0)
        lines.append(texts.document.format(name=name, size=size))
    lines += numbered([[b.text for b in row] for row in view.buttons])
    return "\n".join(lines)


def _flat_buttons(view: MessageView | None) -> list[str]:
    return [b.text for row in view.buttons for b in row] if view is not None else []


class TelegramConsole(Console[FakeUser, Press]):
    """The console over the fake Telegram."""

    def __init__(self, fake: FakeTelegram, users: dict[str, FakeUser], **options: Any) -> None:
        super().__init__(users, **options)
        self.fake = fake
        self.owners = {(u.bot.username, u.id): key for key, u in users.items()}

    def listen(self) -> Callable[[], None]:
        self.fake.add_listener(self.on_event)
        return lambda: self.fake.remove_listener(self.on_event)

    def on_event(self, event: ChatEvent) -> None:
        key = self.owners.get((event.bot_username, event.chat_id))
        if key is not None:
            self.event(key, event.kind == "sent", lambda who: self.render(key, event, who))

    def render(self, key: str, event: ChatEvent, who: str) -> str | None:
        user = self.users[key]
        if event.kind in ("sent", "edited") and event.message_id is not None:
            msg = user.chat.messages.get(event.message_id)
            if msg is None:
                return None
            view = MessageView(user.chat, msg, event)
            mark = self.texts.edited if event.kind == "edited" else ""
            header = f"{who}🤖 {mark}#{view.message_id}: "
            return format_message(view, header=header, texts=self.texts)
        if event.kind == "deleted":
            return who + self.texts.deleted.format(id=event.message_id)
        if event.kind == "callback_answer":
            detail = event.detail
            return self.answer(who, detail.get("text"), bool(detail.get("show_alert")))
        return None

    def verbs(self) -> Mapping[str, Verb[FakeUser]]:
        return {
            "show": self.show,
            "doc": lambda user, arg: user.send_document(shlex.split(arg)[0]),
            "contact": lambda user, _: user.share_contact(),
            "commands": self.show_commands,
            "block": self.block,
            "unblock": self.unblock,
        }

    async def send(self, user: FakeUser, text: str) -> None:
        await user.send(text)

    async def show(self, user: FakeUser, arg: str) -> None:
        limit = int(arg) if arg.isdigit() else 20
        for view in user.messages[-limit:]:
            if not view.deleted:
                who = "🤖" if view.from_bot else "🧑"
                header = f"{who} #{view.message_id}: "
                self.output(format_message(view, header=header, texts=self.texts))

    async def show_commands(self, user: FakeUser, _: str) -> None:
        for item in user.visible_commands:
            self.output(f"/{item['command']} — {item['description']}")

    async def block(self, user: FakeUser, _: str) -> None:
        user.block_bot()
        self.output(self.texts.blocked)

    async def unblock(self, user: FakeUser, _: str) -> None:
        user.unblock_bot()
        self.output(self.texts.unblocked)

    def buttons(self, user: FakeUser, *, by_number: bool) -> list[str]:
        inline = _flat_buttons(user.last_keyboard_message)
        reply = [b.text for row in user.reply_keyboard or [] for b in row]
        if by_number:
            return inline or reply
        return inline + reply

    async def press_at(self, user: FakeUser, number: int) -> Press:
        return await user.press_at(number)

    async def press_text(self, user: FakeUser, text: str) -> Press:
        return await user.press(text)

    def expects_answer(self, press: Press) -> bool:
        return press.query is not None


async def run_console(
    fake: FakeTelegram,
    users: dict[str, FakeUser],
    *,
    input_func: InputFunc = input,
    output: OutputFunc = print,
    prompt: str | None = None,
    answer_wait: float = 2.0,
    commands: Mapping[str, ConsoleCommand] | None = None,
    announce: Callable[[str], str] | None = None,
    texts: ConsoleTexts = ENGLISH,
) -> None:
    """Read commands from stdin (in a thread) and act as the given users until EOF/quit.

    After ``press`` the console waits up to ``answer_wait`` seconds for the bot's callback
    answer so a toast/alert is printed right after the press. ``commands`` are added to
    the built-in ones. With ``announce``, a message for another user than the current one
    is not printed but announced with ``announce(user key)`` (read it after ``as``).
    """
    console = TelegramConsole(
        fake,
        users,
        input_func=input_func,
        output=output,
        prompt=prompt,
        answer_wait=answer_wait,
        commands=commands,
        announce=announce,
        texts=texts,
    )
    await console.run()
