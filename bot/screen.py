"""A screen: what a person is shown, whatever the messenger. Text, then rows of buttons;
a button carries a typed action (or a link). Screens are built from core's data by the
functions in ``bot/screens/`` and by the notifications; a messenger's adapter (today
``bot/telegram/render.py`` for Telegram) turns a screen into that messenger's message and its
updates back into actions. Nothing here imports a messenger library.

The text is written in the small HTML subset both Telegram and MAX read (``<b>``, ``<i>``,
``<u>``, ``<s>``, ``<code>``, ``<pre>``, ``<a href>``, ``<blockquote>``); whatever a person
typed goes in through :func:`quote`. Each adapter states its messenger's limits as a
:class:`Limits` (text length, buttons per message and per row, bytes per action); a screen
that must be paged or split takes them as a parameter, and the adapter splits or refuses
whatever still does not fit. No number of a messenger is written outside its adapter.

Actions are packed as ``prefix:value:value`` — the wire format of aiogram's
``CallbackData``, so buttons already sent keep working. It is written here rather than
taken from aiogram because a screen must not know the messenger: aiogram's class carries
Telegram's 64-byte limit and its router filter, which belong to the adapter."""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from html import escape
from typing import Any, ClassVar, Self

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

SEPARATOR = ":"
_UNION_TYPES = {typing.Union, types.UnionType}


def quote(value: object) -> str:
    """Text a person typed (a name, a comment), made safe to put into a screen's markup."""
    if type(value) is str:  # ``html.escape(value, quote=False)``, without two calls
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escape(str(value), quote=False)


class Action(BaseModel):
    """What a button asks for: a prefix naming the action and its typed fields
    (``class LessonCb(Action, prefix="l"): lesson: int``). Anyone can forge a packed action,
    so every field is bounded (see ``bot/actions.py``) and every handler re-authorises."""

    __prefix__: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        prefix = kwargs.pop("prefix", None)
        if prefix is None:
            raise ValueError(f"{cls.__name__} needs a prefix: class X(Action, prefix='x')")
        if SEPARATOR in prefix:
            raise ValueError(f"{cls.__name__}: {SEPARATOR!r} cannot be part of a prefix")
        cls.__prefix__ = prefix
        super().__init_subclass__(**kwargs)

    def pack(self) -> str:
        parts = [self.__prefix__]
        for key, value in self.model_dump(mode="python").items():
            encoded = _encode(value)
            if SEPARATOR in encoded:
                raise ValueError(f"{type(self).__name__}.{key}: {SEPARATOR!r} in {encoded!r}")
            parts.append(encoded)
        return SEPARATOR.join(parts)

    @classmethod
    def unpack(cls, data: str) -> Self:
        """The action packed in ``data``; ``ValueError`` (pydantic's included) or
        ``TypeError`` when it is not one of these (another prefix, a forged field)."""
        prefix, *parts = data.split(SEPARATOR)
        if prefix != cls.__prefix__:
            raise ValueError(f"not {cls.__name__}: prefix {prefix!r}")
        names = list(cls.model_fields)
        if len(parts) != len(names):
            raise TypeError(f"{cls.__name__} takes {len(names)} values, got {len(parts)}")
        payload: dict[str, Any] = {}
        for name, raw in zip(names, parts, strict=True):
            info = cls.model_fields[name]
            if raw == "" and _nullable(info.annotation) and info.default != "":
                payload[name] = None if info.default is PydanticUndefined else info.default
            else:
                payload[name] = raw
        return cls(**payload)


def _encode(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int | str | float):
        return str(value)
    raise ValueError(f"{value!r} cannot be packed into an action")


def _nullable(annotation: object) -> bool:
    return typing.get_origin(annotation) in _UNION_TYPES and type(None) in typing.get_args(
        annotation
    )


class Style(StrEnum):
    """How a button reads at a glance, where the messenger colours buttons (Telegram's
    ``style`` since Bot API 9.4, MAX's ``intent``). The text keeps its emoji, so a
    messenger or an app that does not colour shows the same button as before."""

    POSITIVE = "positive"  # present, confirm, agree (green)
    NEGATIVE = "negative"  # absent, decline (red)
    PRIMARY = "primary"  # the step most people take next (blue in Telegram)


@dataclass(slots=True)
class Button:
    """A button: an action (typed, or already packed where a job packs a hundred thousand
    of them a night) or a link, and how it reads (:class:`Style`; None: the messenger's
    own). Not frozen: the nightly digest builds a hundred thousand, and a frozen
    dataclass's ``__init__`` costs twice as much."""

    text: str
    action: Action | str | None = None
    url: str | None = None
    style: Style | None = None

    def __post_init__(self) -> None:
        if (self.action is None) == (self.url is None):
            raise ValueError("a button has either an action or a link")

    @property
    def data(self) -> str | None:
        """The packed action, or ``None`` for a link."""
        if self.action is None or isinstance(self.action, str):
            return self.action
        return self.action.pack()


Row = list[Button]


@dataclass(frozen=True, slots=True)
class Screen:
    text: str
    rows: list[Row] = field(default_factory=list)

    def with_rows(self, *rows: Row) -> Screen:
        return Screen(self.text, [*self.rows, *rows])


class TextUnit(StrEnum):
    """How a messenger counts a message's length."""

    UTF16 = "utf16"  # UTF-16 code units after the markup is parsed (Telegram)
    CHARS = "chars"  # characters (code points) after the markup is parsed


@dataclass(frozen=True, slots=True)
class Limits:
    """What one message of a messenger may hold, as its adapter states it."""

    text: int  # the text's length, counted in ``unit``
    text_safe: int  # where a composed notification is cut, leaving room for a header
    buttons: int  # buttons under one message
    rows: int  # rows of buttons under one message
    buttons_per_row: int
    action_bytes: int  # a packed action
    unit: TextUnit = TextUnit.UTF16

    def text_length(self, value: str) -> int:
        """``value``'s length as the messenger counts it (an upper bound for marked-up
        text: its tags are counted too)."""
        if self.unit is TextUnit.CHARS:
            return len(value)
        return len(value.encode("utf-16-le")) // 2
