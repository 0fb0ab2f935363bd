"""Text that people type or import, made safe to store and to show.

Pure functions, no I/O. ``clean_typed`` is applied to every message a person types to the
bot (one middleware, ``bot.telegram.middlewares.TypedTextMiddleware``); ``normalise_name`` to every
name read from a roster; ``first_grapheme`` and ``cut`` shorten text without splitting a
character a reader sees as one (a letter with its accents, a combined emoji)."""

from __future__ import annotations

import unicodedata

import regex

# Control characters (C0, DEL, C1) but the line breaks and the tab a message may hold.
# PostgreSQL refuses NUL in text outright; the others are invisible or break layouts.
_TYPED_CONTROLS = regex.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

# In a name: every control character (line breaks too) and every invisible format
# character (zero-width space, word joiner, BOM, soft hyphen, direction marks and
# overrides), except the zero-width joiner inside an emoji sequence (👨‍👩‍👧), which is
# part of what the reader sees.
_NAME_INVISIBLE = regex.compile(
    r"(?!(?<=[\p{Extended_Pictographic}\uFE0F\p{Emoji_Modifier}])\u200d"
    r"(?=\p{Extended_Pictographic}))[\p{Cc}\p{Cf}]"
)
_LINE_BREAKS = str.maketrans(dict.fromkeys("\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029", " "))
_GRAPHEME = regex.compile(r"\X")


def clean_typed(text: str) -> str:
    """What a person typed, without control characters; newlines and tabs stay.
    ``\\r\\n`` and a lone ``\\r`` become ``\\n``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not _TYPED_CONTROLS.search(text):
        return text
    return _TYPED_CONTROLS.sub("", text)


def has_controls(text: str) -> bool:
    """Whether ``clean_typed`` would change the text (cheap: one search)."""
    return "\r" in text or _TYPED_CONTROLS.search(text) is not None


def normalise_name(text: str) -> str:
    """A name as it is stored: Unicode NFC, no control or invisible characters, single
    spaces, no spaces at the ends. «Иван\\u200bов  Пётр» → «Иванов Пётр»."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if not text.isprintable():  # control, format or separator characters (rare)
        text = _NAME_INVISIBLE.sub("", text.translate(_LINE_BREAKS))
    return " ".join(text.split())


def graphemes(text: str) -> list[str]:
    """The characters a reader sees (extended grapheme clusters)."""
    return _GRAPHEME.findall(text)


def first_grapheme(text: str) -> str:
    """The first character a reader sees: «👨‍👩‍👧 …» gives the whole family, not 👨."""
    found = _GRAPHEME.match(text)
    return found.group() if found else ""


def cut(text: str, limit: int, ellipsis: str = "…") -> str:
    """At most ``limit`` visible characters, cut between graphemes (the ellipsis counts)."""
    parts = graphemes(text)
    if len(parts) <= limit:
        return text
    return "".join(parts[: max(limit - len(ellipsis), 0)]) + ellipsis
