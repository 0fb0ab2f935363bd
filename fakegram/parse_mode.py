"""Telegram's parse modes, as the fake Bot API accepts them: HTML only.

The bot sends every text as HTML (``bot.telegram.transport`` sets ``parse_mode=HTML`` once), so the
fake parses HTML the way TDLib (which the Bot API server uses) does: the same set of
accepted tags, the same error descriptions (the caller prefixes them with
``"Bad Request: can't parse entities: "``) and UTF-16 entity offsets. Markdown and
MarkdownV2 are answered 400 "unsupported parse_mode" on purpose: a message sent in them
is a bug of the bot the tests should catch, not a text to render.
"""

from __future__ import annotations

from fakegram.formatting import (
    Entity,
    EntityParseError,
    byte_offset,
    is_alnum,
    is_space,
    link_entity,
    sort_entities,
    u16_units,
)

_HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)

_SIMPLE_HTML = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
}


def _decode_html_entity(text: str, pos: int) -> tuple[int, int]:
    """Decode ``&...;`` at ``pos``; returns (code point or 0, position after it)."""
    n = len(text)

    def at(k: int) -> str:
        return text[k] if k < n else ""

    end = pos + 1
    code = 0
    if at(pos + 1) == "#":
        end += 1
        if at(pos + 2) == "x":
            end += 1
            while at(end) and at(end) in "0123456789abcdefABCDEF":
                code = code * 16 + int(text[end], 16)
                end += 1
        else:
            while at(end) and at(end) in "0123456789":
                code = code * 10 + int(text[end])
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while at(end).isascii() and at(end).isalpha():
            end += 1
        name = text[pos + 1 : end]
        code = {"lt": 0x3C, "gt": 0x3E, "amp": 0x26, "quot": 0x22}.get(name, 0)
        if not code:
            return 0, pos
    if at(end) == ";":
        end += 1
    return code, end


# (tag, argument, utf16 offset, index into the output, expandable)
_Open = tuple[str, str, int, int, bool]


def parse_text(text: str, parse_mode: str | None) -> tuple[str, list[Entity]]:
    """Apply a Bot API ``parse_mode``; raises EntityParseError or ValueError("unsupported")."""
    mode = (parse_mode or "").strip().lower()
    if not mode:
        return text, []
    if mode == "html":
        return parse_html(text)
    raise ValueError("unsupported parse_mode")


def parse_html(src: str) -> tuple[str, list[Entity]]:
    """Parse Telegram-flavoured HTML into (plain text, entities)."""
    return _HtmlParser(src).parse()


def _tag_argument(tag: str, attr_name: str, value: str, current: str) -> str:
    """The one attribute a tag keeps (a link's href, a code block's language, ...)."""
    if tag == "a" and attr_name == "href":
        return value
    if tag == "code" and attr_name == "class" and value.startswith("language-"):
        return value[len("language-") :]
    if tag == "span" and attr_name == "class" and value.startswith("tg-"):
        return value[3:]
    if tag == "tg-emoji" and attr_name == "emoji-id":
        return value
    return current


class _HtmlParser:
    """One pass over the source: text and entities out, a stack of open tags."""

    def __init__(self, src: str) -> None:
        self.src = src
        self.n = len(src)
        self.i = 0
        self.out: list[str] = []
        self.out_len = 0  # characters in ``out``
        self.utf16 = 0
        self.entities: list[Entity] = []
        self.stack: list[_Open] = []

    def at(self, k: int) -> str:
        return self.src[k] if k < self.n else ""

    def offset(self, k: int) -> str:
        return f"at byte offset {byte_offset(self.src, k)}"

    def parse(self) -> tuple[str, list[Entity]]:
        while self.i < self.n:
            c = self.src[self.i]
            if c == "&":
                code, new_i = _decode_html_entity(self.src, self.i)
                if code:
                    self._emit(chr(code))
                    self.i = new_i
                    continue
            if c != "<":
                self._emit(c)
                self.i += 1
            elif self.at(self.i + 1) != "/":
                self._start_tag()
            else:
                self._end_tag()
        if self.stack:
            raise EntityParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1][0]}"'
            )
        for entity in self.entities:
            if entity["type"] == "code":
                entity.pop("language", None)
        return "".join(self.out), sort_entities(self.entities)

    def _emit(self, ch: str) -> None:
        self.out.append(ch)
        self.out_len += 1
        self.utf16 += u16_units(ch)

    def _skip_spaces(self) -> None:
        while self.at(self.i) != "" and is_space(self.at(self.i)):
            self.i += 1

    def _start_tag(self) -> None:
        begin = self.i
        self.i += 1
        while not is_space(self.at(self.i)) and self.at(self.i) != ">":
            self.i += 1
        if self.at(self.i) == "":
            raise EntityParseError(f"Unclosed start tag {self.offset(begin)}")
        tag = self.src[begin + 1 : self.i].lower()
        if tag not in _HTML_TAGS:
            raise EntityParseError(f'Unsupported start tag "{tag}" {self.offset(begin)}')
        argument = ""
        expandable = False
        while self.at(self.i) != ">":
            self._skip_spaces()
            if self.at(self.i) == ">":
                break
            attr_begin = self.i
            while not is_space(self.at(self.i)) and self.at(self.i) not in ("=", ">"):
                self.i += 1
            attr_name = self.src[attr_begin : self.i]
            if not attr_name:
                raise EntityParseError(
                    f'Empty attribute name in the tag "{tag}" {self.offset(begin)}'
                )
            self._skip_spaces()
            if self.at(self.i) != "=":
                if tag == "blockquote" and attr_name.lower() == "expandable":
                    expandable = True
                    continue
                raise EntityParseError(
                    f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                    f"{self.offset(begin)}"
                )
            self.i += 1
            self._skip_spaces()
            if self.at(self.i) == "":
                raise EntityParseError(f'Unclosed start tag "{tag}" {self.offset(begin)}')
            value = self._attribute_value()
            if self.at(self.i) == "":
                raise EntityParseError(f"Unclosed start tag {self.offset(begin)}")
            argument = _tag_argument(tag, attr_name, value, argument)
        if tag == "span" and argument != "spoiler":
            raise EntityParseError(f'Tag "span" must have class "tg-spoiler" {self.offset(begin)}')
        self.stack.append((tag, argument, self.utf16, self.out_len, expandable))
        self.i += 1  # skip '>'

    def _attribute_value(self) -> str:
        if self.at(self.i) not in ("'", '"'):
            token_begin = self.i
            while is_alnum(self.at(self.i)) or self.at(self.i) in (".", "-"):
                self.i += 1
            value = self.src[token_begin : self.i].lower()
            if not is_space(self.at(self.i)) and self.at(self.i) != ">":
                raise EntityParseError(f"Unexpected end of name token {self.offset(token_begin)}")
            return value
        quote = self.src[self.i]
        self.i += 1
        chars: list[str] = []
        while self.at(self.i) != quote and self.at(self.i) != "":
            if self.at(self.i) == "&":
                code, new_i = _decode_html_entity(self.src, self.i)
                if code:
                    chars.append(chr(code))
                    self.i = new_i
                    continue
            chars.append(self.src[self.i])
            self.i += 1
        if self.at(self.i) == quote:
            self.i += 1
        return "".join(chars)

    def _end_tag(self) -> None:
        begin = self.i
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag {self.offset(begin)}")
        self.i += 1
        while not is_space(self.at(self.i)) and self.at(self.i) != ">":
            self.i += 1
        end_tag = self.src[begin + 2 : self.i].lower()
        self._skip_spaces()
        if self.at(self.i) != ">":
            raise EntityParseError(f"Unclosed end tag {self.offset(begin)}")
        tag, argument, offset, out_begin, expandable = self.stack[-1]
        if end_tag and end_tag != tag:
            raise EntityParseError(
                f'Unmatched end tag {self.offset(begin)}, expected "</{tag}>", found "</{end_tag}>"'
            )
        self.i += 1  # skip '>'
        self.stack.pop()
        length = self.utf16 - offset
        if length > 0:
            self._close(tag, argument, offset, length, out_begin, expandable)

    def _close(
        self, tag: str, argument: str, offset: int, length: int, out_begin: int, expandable: bool
    ) -> None:
        """The entity a closed tag makes (none for an empty one or a dropped link)."""
        entities = self.entities
        if tag in _SIMPLE_HTML:
            entities.append({"type": _SIMPLE_HTML[tag], "offset": offset, "length": length})
        elif tag == "span":
            entities.append({"type": "spoiler", "offset": offset, "length": length})
        elif tag == "tg-emoji":
            if not argument.isdigit() or int(argument) == 0:
                raise EntityParseError("Invalid custom emoji identifier specified")
            entities.append(
                {
                    "type": "custom_emoji",
                    "offset": offset,
                    "length": length,
                    "custom_emoji_id": argument,
                }
            )
        elif tag == "a":
            entity = link_entity(offset, length, argument or "".join(self.out[out_begin:]))
            if entity is not None:
                entities.append(entity)
        elif tag == "pre":
            _close_pre(entities, offset, length)
        elif tag == "code":
            _close_code(entities, offset, length, argument)
        elif tag == "blockquote":
            kind = "expandable_blockquote" if expandable else "blockquote"
            entities.append({"type": kind, "offset": offset, "length": length})


def _same_span(entity: Entity | None, kind: str, offset: int, length: int) -> bool:
    return (
        entity is not None
        and entity["type"] == kind
        and entity["offset"] == offset
        and entity["length"] == length
    )


def _close_pre(entities: list[Entity], offset: int, length: int) -> None:
    """``<pre><code class="language-x">`` is one pre block with a language."""
    last = entities[-1] if entities else None
    if last is not None and _same_span(last, "code", offset, length) and last.get("language"):
        last["type"] = "pre"
    else:
        entities.append({"type": "pre", "offset": offset, "length": length})


def _close_code(entities: list[Entity], offset: int, length: int, language: str) -> None:
    last = entities[-1] if entities else None
    if (
        last is not None
        and _same_span(last, "pre", offset, length)
        and "language" not in last
        and language
    ):
        last["language"] = language
    else:
        entity: Entity = {"type": "code", "offset": offset, "length": length}
        if language:
            entity["language"] = language
        entities.append(entity)
