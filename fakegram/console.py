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
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from fakegram.server import FakeTelegram
from fakegram.state import ChatEvent
from fakegram.users import FakeUser
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


def format_message(view: MessageView, *, header: str = "", texts: ConsoleTexts = ENGLISH) -> str:
    """Render a message with its buttons numbered (as ``press N`` expects)."""
    lines = [f"{header}{view.text or ''}" if header else (view.text or "")]
    if view.document:
        doc = view.document
        name, size = doc.get("file_name", "file"), doc.get("file_size", 0)
        lines.append(texts.document.format(name=name, size=size))
    number = 1
    for row in view.buttons:
        cells = []
        for button in row:
            cells.append(f"[{number}] {button.text}")
            number += 1
        lines.append("   " + "   ".join(cells))
    return "\n".join(lines)


def _flat_buttons(view: MessageView) -> list[str]:
    return [b.text for row in view.buttons for b in row]


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
    if not users:
        raise ValueError("run_console needs at least one user")
    keys = list(users)
    state = {"current": keys[0]}

    def current() -> FakeUser:
        return users[state["current"]]

    owners: dict[tuple[str, int], str] = {(u.bot.username, u.id): key for key, u in users.items()}

    def on_event(event: ChatEvent) -> None:
        key = owners.get((event.bot_username, event.chat_id))
        if key is None:
            return
        user = users[key]
        who = f"[{key}] " if key != state["current"] else ""
        if who and announce is not None:
            if event.kind == "sent":
                output(announce(key))
            return
        if event.kind in ("sent", "edited") and event.message_id is not None:
            msg = user.chat.messages.get(event.message_id)
            if msg is None:
                return
            view = MessageView(user.chat, msg, event)
            mark = texts.edited if event.kind == "edited" else ""
            header = f"{who}🤖 {mark}#{view.message_id}: "
            output(format_message(view, header=header, texts=texts))
        elif event.kind == "deleted":
            output(who + texts.deleted.format(id=event.message_id))
        elif event.kind == "callback_answer":
            text = event.detail.get("text")
            if text:
                style = texts.alert if event.detail.get("show_alert") else texts.toast
                output(f"{who}🤖 ({style}) {text}")

    fake.add_listener(on_event)
    output(texts.welcome.format(name=current().name, key=state["current"]))
    try:
        while True:
            line_prompt = prompt if prompt is not None else f"{state['current']}> "
            try:
                line = await asyncio.to_thread(input_func, line_prompt)
            except (EOFError, KeyboardInterrupt):
                break
            line = line.strip()
            if not line:
                continue
            try:
                if not await _execute(
                    line, users, state, output, answer_wait, commands or {}, texts
                ):
                    break
            except AssertionError as exc:
                output(f"! {exc}")
            except Exception as exc:
                output(texts.error.format(error=repr(exc)))
    finally:
        fake.remove_listener(on_event)


async def _execute(
    line: str,
    users: dict[str, FakeUser],
    state: dict[str, str],
    output: OutputFunc,
    answer_wait: float,
    commands: Mapping[str, ConsoleCommand],
    texts: ConsoleTexts,
) -> bool:
    command, _, arg = line.partition(" ")
    arg = arg.strip()
    user = users[state["current"]]
    lowered = command.lower()
    if lowered in ("quit", "exit", ":q"):
        return False
    if lowered == "help":
        output("\n".join([texts.help, *(c.help for c in commands.values())]))
    elif lowered in commands:
        await commands[lowered].run(arg)
    elif lowered == "as" and arg:
        key = _find_user(users, arg)
        if key is None:
            output(texts.no_user.format(name=arg, known=", ".join(users)))
        else:
            state["current"] = key
            output(texts.switched.format(name=users[key].name, key=key))
    elif lowered == "users":
        for key, u in users.items():
            marker = "*" if key == state["current"] else " "
            output(
                texts.user.format(marker=marker, key=key, name=u.name, id=u.id, bot=u.bot.username)
            )
    elif lowered == "show":
        limit = int(arg) if arg.isdigit() else 20
        for view in user.messages[-limit:]:
            if view.deleted:
                continue
            who = "🤖" if view.from_bot else "🧑"
            output(format_message(view, header=f"{who} #{view.message_id}: ", texts=texts))
    elif lowered == "press" and arg:
        await _press(user, arg, output, answer_wait, texts)
    elif lowered == "doc" and arg:
        await user.send_document(shlex.split(arg)[0])
    elif lowered == "contact":
        await user.share_contact()
    elif lowered == "commands":
        for item in user.visible_commands:
            output(f"/{item['command']} — {item['description']}")
    elif lowered == "block":
        user.block_bot()
        output(texts.blocked)
    elif lowered == "unblock":
        user.unblock_bot()
        output(texts.unblocked)
    elif lowered == "say" and arg:
        await user.send(arg)
    else:
        await user.send(line)
    return True


def _find_user(users: dict[str, FakeUser], arg: str) -> str | None:
    if arg in users:
        return arg
    for key, u in users.items():
        if str(u.id) == arg or u.first_name.lower() == arg.lower() or u.name == arg:
            return key
    return None


async def _press(
    user: FakeUser, arg: str, output: OutputFunc, answer_wait: float, texts: ConsoleTexts
) -> None:
    if arg.isdigit():
        # The button at that place, not the first with its text: a marks grid shows «5»
        # in every row.
        view = user.last_keyboard_message
        buttons = _flat_buttons(view) if view is not None else []
        if not buttons and user.reply_keyboard:
            buttons = [b.text for row in user.reply_keyboard for b in row]
        if not 1 <= int(arg) <= len(buttons):
            output(texts.no_button.format(number=arg, count=len(buttons)))
            return
        press = await user.press_at(int(arg))
    else:
        view = user.last_keyboard_message
        shown = [*(_flat_buttons(view) if view is not None else [])]
        shown += [b.text for row in user.reply_keyboard or [] for b in row]
        if arg not in shown:
            output(texts.no_button_text.format(text=arg, buttons=" | ".join(shown)))
            return
        press = await user.press(arg)
    if press.url:
        output(texts.opens.format(url=press.url))
    elif press.query is not None and answer_wait > 0:
        # Let the answer (toast/alert) show up; a missing answer is reported, not fatal.
        try:
            await press.wait_answered(timeout=answer_wait)
        except AssertionError:
            output(texts.no_answer.format(seconds=answer_wait))
