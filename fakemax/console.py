"""The hand-playable console over the fake MAX: the commands, their parsing and the
console's own words are ``fakegram.console``'s; here is how a MAX user's dialog is shown
(a message by its sequence number, its inline keyboard numbered as ``press N`` counts, a
press's ``notification`` as a toast) and what the MAX user does (``doc`` sends a file,
``unblock`` presses Start again; MAX's users share no contact here)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from fakegram.console import Console, Verb, numbered
from fakemax.state import Dialog, DialogEvent
from fakemax.users import FakeMaxUser, MessageView, Press

Listener = Callable[[Dialog, DialogEvent], None]


class Events(Protocol):
    """What the console needs of ``fakemax.FakeMax`` (seen so, the server stays on top of
    the package's imports)."""

    def add_listener(self, listener: Listener) -> None: ...

    def remove_listener(self, listener: Listener) -> None: ...


def format_message(view: MessageView, *, header: str = "", document: str = "") -> str:
    """A MAX message with its files (``document``: the template naming one) and its
    buttons numbered (as ``press N`` expects)."""
    lines = [f"{header}{view.text or ''}"]
    for file in view.files:
        name, size = file.get("filename", "file"), file.get("size", 0)
        lines.append(document.format(name=name, size=size))
    lines += numbered([[b.get("text", "") for b in row] for row in view.buttons])
    return "\n".join(lines)


class MaxConsole(Console[FakeMaxUser, Press]):
    """The console over the fake MAX (options as ``fakegram.console.run_console``'s)."""

    def __init__(self, fake: Events, users: dict[str, FakeMaxUser], **options: Any) -> None:
        super().__init__(users, **options)
        self.fake = fake
        self.owners = {(u.bot.token, u.id): key for key, u in users.items()}

    def listen(self) -> Callable[[], None]:
        self.fake.add_listener(self.on_event)
        return lambda: self.fake.remove_listener(self.on_event)

    def on_event(self, dialog: Dialog, event: DialogEvent) -> None:
        key = self.owners.get((dialog.bot.token, dialog.user_id))
        if key is not None:
            self.event(key, event.kind == "sent", lambda who: self.render(dialog, event, who))

    def render(self, dialog: Dialog, event: DialogEvent, who: str) -> str | None:
        stored = dialog.bot.messages.get(event.mid) if event.mid is not None else None
        if stored is None:
            return None
        if event.kind in ("sent", "edited"):
            mark = self.texts.edited if event.kind == "edited" else ""
            header = f"{who}🤖 {mark}#{stored.seq}: "
            view = MessageView(dialog, stored)
            return format_message(view, header=header, document=self.texts.document)
        if event.kind == "deleted":
            return who + self.texts.deleted.format(id=stored.seq)
        if event.kind == "answered":
            return self.answer(who, event.detail.get("notification"))
        return None

    def verbs(self) -> Mapping[str, Verb[FakeMaxUser]]:
        return {
            "show": self.show,
            "doc": self.send_document,
            "commands": self.show_commands,
            "block": self.block,
            "unblock": self.unblock,
        }

    async def send(self, user: FakeMaxUser, text: str) -> None:
        await user.send(text)

    async def show(self, user: FakeMaxUser, arg: str) -> None:
        limit = int(arg) if arg.isdigit() else 20
        dialog = user.dialog
        for stored in dialog.messages()[-limit:]:
            if not stored.deleted:
                header = f"{'🤖' if stored.outgoing else '🧑'} #{stored.seq}: "
                view = MessageView(dialog, stored)
                self.output(format_message(view, header=header, document=self.texts.document))

    async def send_document(self, user: FakeMaxUser, arg: str) -> None:
        path = Path(arg.strip().strip("\"'"))
        await user.send_file(await asyncio.to_thread(path.read_bytes), path.name)

    async def show_commands(self, user: FakeMaxUser, _: str) -> None:
        for item in user.bot.commands:
            self.output(f"/{item.get('name')} — {item.get('description', '')}")

    async def block(self, user: FakeMaxUser, _: str) -> None:
        user.block_bot()
        self.output(self.texts.blocked)

    async def unblock(self, user: FakeMaxUser, _: str) -> None:
        await user.start()  # in MAX, a stopped bot is started again
        self.output(self.texts.unblocked)

    def buttons(self, user: FakeMaxUser, *, by_number: bool) -> list[str]:
        for view in reversed(user.messages):
            if not view.deleted and view.buttons:
                return view.button_texts
        return []

    async def press_at(self, user: FakeMaxUser, number: int) -> Press:
        return await user.press_at(number)

    async def press_text(self, user: FakeMaxUser, text: str) -> Press:
        return await user.press(text)

    def expects_answer(self, press: Press) -> bool:
        return press.callback is not None


async def run_console(fake: Events, users: dict[str, FakeMaxUser], **options: Any) -> None:
    """Play the given MAX users until EOF/quit (``options``: ``input_func``, ``output``,
    ``prompt``, ``answer_wait``, ``commands``, ``announce``, ``texts``, as for
    ``fakegram.console.run_console``)."""
    await MaxConsole(fake, users, **options).run()
