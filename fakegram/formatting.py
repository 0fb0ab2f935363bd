"""Telegram text formatting: parse modes, entity detection, length rules.

The parsers follow the behaviour of TDLib (which the Bot API server uses): the same set of
accepted tags, the same error descriptions (they are prefixed with
``"Bad Request: can't parse entities: "`` by the caller) and UTF-16 entity offsets.
"""

from __future__ import annotations

import re
from typing import Any

Entity = dict[str, Any]

# Entity sort priorities (lower first at the same offset/length), as in TDLib.
_PRIORITY = {
    "blockquote": 0,
    "expandable_blockquote": 0,
    "pre": 11,
    "code": 20,
    "text_link": 49,
    "text_mention": 49,
    "mention": 50,
    "hashtag": 50,
    "cashtag": 50,
    "bot_command": 50,
    "url": 50,
    "email": 50,
    "phone_number": 50,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
    "custom_emoji": 99,
}


class EntityParseError(ValueError):
    """The text could not be parsed in the requested parse mode."""


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (what Telegram offsets and limits use)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _u16(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def sort_entities(entities: list[Entity]) -> list[Entity]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"], _PRIORITY.get(e["type"], 50)))


def _is_space(ch: str) -> bool:
    # TDLib's is_space also treats the terminating NUL as a space; "" marks the end here.
    return ch in ("", " ", "\t", "\r", "\n", "\v", "\f", "\0")


def _is_alnum(ch: str) -> bool:
    return ch != "" and ch.isascii() and ch.isalnum()


def check_link(url: str) -> str:
    """Return the normalized link or "" when Telegram would drop it."""
    url = url.strip()
    if not url or any(c.isspace() for c in url):
        return ""
    m = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*):", url)
    if m:
        scheme = m.group(1).lower()
        if scheme in ("http", "https", "ftp"):
            rest = url[m.end() :]
            if not rest.startswith("//") or len(rest) <= 2:
                return ""
            host = re.split(r"[/?#]", rest[2:], maxsplit=1)[0]
            if not host or host.startswith("."):
                return ""
            return url
        if scheme in ("tg", "ton"):
            return url
        return ""
    host = re.split(r"[/?#]", url, maxsplit=1)[0]
    if "." in host and not host.startswith(".") and not host.endswith("."):
        return "http://" + url
    return ""


def _tg_user_id(url: str) -> int | None:
    m = re.match(r"^tg:(?://)?user/?\?(.*)$", url.strip(), re.IGNORECASE)
    if not m:
        return None
    for part in m.group(1).split("#", 1)[0].split("&"):
        key, _, value = part.partition("=")
        if key == "id":
            return int(value) if value.isdigit() and int(value) > 0 else None
    return None


def _link_entity(offset: int, length: int, url: str) -> Entity | None:
    user_id = _tg_user_id(url)
    if user_id is not None:
        return {
            "type": "text_mention",
            "offset": offset,
            "length": length,
            "user": {"id": user_id, "is_bot": False, "first_name": ""},
        }
    checked = check_link(url)
    if not checked:
        return None
    return {"type": "text_link", "offset": offset, "length": length, "url": checked}


# --------------------------------------------------------------------------- HTML

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


def parse_html(src: str) -> tuple[str, list[Entity]]:
    """Parse Telegram-flavoured HTML into (plain text, entities)."""
    n = len(src)

    def at(k: int) -> str:
        return src[k] if k < n else ""

    out: list[str] = []
    out_len = 0  # characters in ``out``
    utf16 = 0
    entities: list[Entity] = []
    # (tag, argument, utf16 offset, index into the output, expandable)
    stack: list[tuple[str, str, int, int, bool]] = []
    i = 0
    while i < n:
        c = src[i]
        if c == "&":
            code, new_i = _decode_html_entity(src, i)
            if code:
                ch = chr(code)
                out.append(ch)
                out_len += 1
                utf16 += _u16(ch)
                i = new_i
                continue
        if c != "<":
            out.append(c)
            out_len += 1
            utf16 += _u16(c)
            i += 1
            continue

        begin = i
        i += 1
        if at(i) != "/":
            while not _is_space(at(i)) and at(i) != ">":
                i += 1
            if at(i) == "":
                raise EntityParseError(
                    f"Unclosed start tag at byte offset {_byte_offset(src, begin)}"
                )
            tag = src[begin + 1 : i].lower()
            if tag not in _HTML_TAGS:
                raise EntityParseError(
                    f'Unsupported start tag "{tag}" at byte offset {_byte_offset(src, begin)}'
                )
            argument = ""
            expandable = False
            while at(i) != ">":
                while at(i) != "" and _is_space(at(i)):
                    i += 1
                if at(i) == ">":
                    break
                attr_begin = i
                while not _is_space(at(i)) and at(i) not in ("=", ">"):
                    i += 1
                attr_name = src[attr_begin:i]
                if not attr_name:
                    raise EntityParseError(
                        f'Empty attribute name in the tag "{tag}" at byte offset '
                        f"{_byte_offset(src, begin)}"
                    )
                while at(i) != "" and _is_space(at(i)):
                    i += 1
                if at(i) != "=":
                    if tag == "blockquote" and attr_name.lower() == "expandable":
                        expandable = True
                        continue
                    raise EntityParseError(
                        f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                        f"at byte offset {_byte_offset(src, begin)}"
                    )
                i += 1
                while at(i) != "" and _is_space(at(i)):
                    i += 1
                if at(i) == "":
                    raise EntityParseError(
                        f'Unclosed start tag "{tag}" at byte offset {_byte_offset(src, begin)}'
                    )
                if at(i) not in ("'", '"'):
                    token_begin = i
                    while _is_alnum(at(i)) or at(i) in (".", "-"):
                        i += 1
                    value = src[token_begin:i].lower()
                    if not _is_space(at(i)) and at(i) != ">":
                        raise EntityParseError(
                            "Unexpected end of name token at byte offset "
                            f"{_byte_offset(src, token_begin)}"
                        )
                else:
                    quote = src[i]
                    i += 1
                    chars: list[str] = []
                    while at(i) != quote and at(i) != "":
                        if at(i) == "&":
                            code, new_i = _decode_html_entity(src, i)
                            if code:
                                chars.append(chr(code))
                                i = new_i
                                continue
                        chars.append(src[i])
                        i += 1
                    if at(i) == quote:
                        i += 1
                    value = "".join(chars)
                if at(i) == "":
                    raise EntityParseError(
                        f"Unclosed start tag at byte offset {_byte_offset(src, begin)}"
                    )
                if tag == "a" and attr_name == "href":
                    argument = value
                elif tag == "code" and attr_name == "class" and value.startswith("language-"):
                    argument = value[len("language-") :]
                elif tag == "span" and attr_name == "class" and value.startswith("tg-"):
                    argument = value[3:]
                elif tag == "tg-emoji" and attr_name == "emoji-id":
                    argument = value
            if tag == "span" and argument != "spoiler":
                raise EntityParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset '
                    f"{_byte_offset(src, begin)}"
                )
            stack.append((tag, argument, utf16, out_len, expandable))
            i += 1  # skip '>'
            continue

        # an end tag
        if not stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {_byte_offset(src, begin)}")
        while not _is_space(at(i)) and at(i) != ">":
            i += 1
        end_tag = src[begin + 2 : i].lower()
        while at(i) != "" and _is_space(at(i)):
            i += 1
        if at(i) != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {_byte_offset(src, begin)}")
        tag, argument, offset, out_begin, expandable = stack[-1]
        if end_tag and end_tag != tag:
            raise EntityParseError(
                f"Unmatched end tag at byte offset {_byte_offset(src, begin)}, "
                f'expected "</{tag}>", found "</{end_tag}>"'
            )
        i += 1  # skip '>'
        stack.pop()
        length = utf16 - offset
        if length <= 0:
            continue
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
            url = argument or "".join(out[out_begin:])
            entity = _link_entity(offset, length, url)
            if entity is not None:
                entities.append(entity)
        elif tag == "pre":
            last = entities[-1] if entities else None
            if (
                last is not None
                and last["type"] == "code"
                and last["offset"] == offset
                and last["length"] == length
                and last.get("language")
            ):
                last["type"] = "pre"
            else:
                entities.append({"type": "pre", "offset": offset, "length": length})
        elif tag == "code":
            last = entities[-1] if entities else None
            if (
                last is not None
                and last["type"] == "pre"
                and last["offset"] == offset
                and last["length"] == length
                and "language" not in last
                and argument
            ):
                last["language"] = argument
            else:
                entity = {"type": "code", "offset": offset, "length": length}
                if argument:
                    entity["language"] = argument
                entities.append(entity)
        elif tag == "blockquote":
            entities.append(
                {
                    "type": "expandable_blockquote" if expandable else "blockquote",
                    "offset": offset,
                    "length": length,
                }
            )
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    return "".join(out), sort_entities(entities)


# ---------------------------------------------------------------------- MarkdownV2

_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
    "blockquote": "BlockQuote",
}


def _reserved(ch: str) -> EntityParseError:
    return EntityParseError(
        f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
    )


def parse_markdown_v2(src: str) -> tuple[str, list[Entity]]:
    """Parse MarkdownV2 into (plain text, entities)."""
    n = len(src)

    def at(k: int) -> str:
        return src[k] if k < n else ""

    out: list[str] = []
    utf16 = 0
    entities: list[Entity] = []
    # [type, argument, utf16 offset, byte offset in source, index into out]
    stack: list[list[Any]] = []
    have_blockquote = False
    i = 0
    while i < n:
        c = src[i]
        nxt = at(i + 1)
        if c == "\\" and nxt != "" and 0 < ord(nxt) <= 126:
            out.append(nxt)
            utf16 += 1
            i += 2
            continue
        top = stack[-1][0] if stack else None
        reserved = "`" if top in ("code", "pre") else "_*[]()~`>#+-=|{}.!\n"
        if c not in reserved:
            out.append(c)
            utf16 += _u16(c)
            i += 1
            continue

        is_end = False
        if stack:
            if have_blockquote and c == "\n" and (i + 1 == n or nxt != ">"):
                is_end = True
            elif top == "bold":
                is_end = c == "*"
            elif top == "italic":
                is_end = c == "_" and nxt != "_"
            elif top == "code":
                is_end = c == "`"
            elif top == "pre":
                is_end = c == "`" and nxt == "`" and at(i + 2) == "`"
            elif top in ("text_link", "custom_emoji"):
                is_end = c == "]"
            elif top == "underline":
                is_end = c == "_" and nxt == "_"
            elif top == "strikethrough":
                is_end = c == "~"
            elif top == "spoiler":
                is_end = c == "|" and nxt == "|"

        if not is_end:
            etype: str | None
            argument = ""
            byte_begin = _byte_offset(src, i)
            if c == "_":
                if nxt == "_":
                    etype = "underline"
                    i += 1
                else:
                    etype = "italic"
            elif c == "*":
                etype = "bold"
            elif c == "~":
                etype = "strikethrough"
            elif c == "|":
                if nxt != "|":
                    raise _reserved(c)
                etype = "spoiler"
                i += 1
            elif c == "[":
                etype = "text_link"
            elif c == "`":
                if nxt == "`" and at(i + 2) == "`":
                    i += 3
                    etype = "pre"
                    lang_end = i
                    while not _is_space(at(lang_end)) and at(lang_end) != "`":
                        lang_end += 1
                    if i != lang_end and lang_end < n and at(lang_end) != "`":
                        argument = src[i:lang_end]
                        i = lang_end
                    if at(i) in ("\n", "\r"):
                        if at(i + 1) in ("\n", "\r") and at(i) != at(i + 1):
                            i += 2
                        else:
                            i += 1
                    i -= 1
                else:
                    etype = "code"
            elif c == "!":
                if nxt != "[":
                    raise _reserved(c)
                etype = "custom_emoji"
                i += 1
            elif c == "\n":
                out.append("\n")
                utf16 += 1
                etype = None
                if i + 1 < n and nxt == ">":
                    i += 1
                    if not have_blockquote:
                        etype = "blockquote"
                        have_blockquote = True
            elif c == ">":
                if i != 0:
                    raise _reserved(c)
                etype = "blockquote"
                have_blockquote = True
            else:
                raise _reserved(c)
            i += 1
            if etype is not None:
                stack.append([etype, argument, utf16, byte_begin, len(out)])
            continue

        # end of an entity
        etype, argument, offset, byte_begin, out_begin = stack[-1]
        if c == "\n" and etype != "blockquote":
            raise EntityParseError(
                f"Can't find end of {_MDV2_NAMES[etype]} entity at byte offset {byte_begin}"
            )
        skip = utf16 == offset
        extra: dict[str, Any] = {}
        if etype in ("underline", "spoiler"):
            i += 1
        elif etype == "pre":
            i += 2
        elif etype == "text_link":
            if at(i + 1) != "(":
                url = "".join(out[out_begin:])
            else:
                i += 2
                url_begin = i
                chars: list[str] = []
                while i < n and src[i] != ")":
                    if src[i] == "\\" and at(i + 1) != "" and 0 < ord(at(i + 1)) <= 126:
                        chars.append(src[i + 1])
                        i += 2
                        continue
                    chars.append(src[i])
                    i += 1
                if at(i) != ")":
                    raise EntityParseError(
                        f"Can't find end of a URL at byte offset {_byte_offset(src, url_begin)}"
                    )
                url = "".join(chars)
            link = _link_entity(offset, utf16 - offset, url)
            if link is None:
                skip = True
            else:
                extra = {k: v for k, v in link.items() if k not in ("offset", "length")}
        elif etype == "custom_emoji":
            if at(i + 1) != "(":
                raise EntityParseError("Custom emoji entity must contain a tg://emoji URL")
            i += 2
            url_begin = i
            chars = []
            while i < n and src[i] != ")":
                chars.append(src[i])
                i += 1
            if at(i) != ")":
                raise EntityParseError(
                    "Can't find end of a custom emoji URL at byte offset "
                    f"{_byte_offset(src, url_begin)}"
                )
            m = re.match(r"^tg://emoji\?id=(\d+)$", "".join(chars))
            if not m or int(m.group(1)) == 0:
                raise EntityParseError("Invalid custom emoji URL specified")
            extra = {"custom_emoji_id": m.group(1)}
        elif etype == "blockquote":
            have_blockquote = False
            out.append(c)
            utf16 += 1
        if not skip:
            entity: Entity = {"type": etype, "offset": offset, "length": utf16 - offset}
            if etype == "pre" and argument:
                entity["language"] = argument
            entity.update(extra)
            entities.append(entity)
        stack.pop()
        i += 1

    if have_blockquote and stack and stack[-1][0] == "blockquote":
        offset = stack[-1][2]
        if utf16 != offset:
            entities.append({"type": "blockquote", "offset": offset, "length": utf16 - offset})
        stack.pop()
    if stack:
        etype, _, _, byte_begin, _ = stack[-1]
        raise EntityParseError(
            f"Can't find end of {_MDV2_NAMES[etype]} entity at byte offset {byte_begin}"
        )
    return "".join(out), sort_entities(entities)


# ------------------------------------------------------------------ legacy Markdown


def parse_markdown(src: str) -> tuple[str, list[Entity]]:
    """Parse the legacy Markdown parse mode into (plain text, entities)."""
    n = len(src)

    def at(k: int) -> str:
        return src[k] if k < n else ""

    out: list[str] = []
    utf16 = 0
    entities: list[Entity] = []
    i = 0
    while i < n:
        c = src[i]
        if c == "\\" and at(i + 1) in ("_", "*", "`", "["):
            out.append(src[i + 1])
            utf16 += 1
            i += 2
            continue
        if c not in ("_", "*", "`", "["):
            out.append(c)
            utf16 += _u16(c)
            i += 1
            continue
        begin = i
        end_char = "]" if c == "[" else c
        is_pre = False
        i += 1
        language = ""
        if c == "`" and at(i) == "`" and at(i + 1) == "`":
            i += 2
            is_pre = True
            lang_end = i
            while not _is_space(at(lang_end)) and at(lang_end) != "`":
                lang_end += 1
            if i != lang_end and lang_end < n and at(lang_end) != "`":
                language = src[i:lang_end]
                i = lang_end
            if at(i) in ("\n", "\r"):
                if at(i + 1) in ("\n", "\r") and at(i) != at(i + 1):
                    i += 2
                else:
                    i += 1
        offset = utf16
        out_begin = len(out)
        while i < n and (
            src[i] != end_char or (is_pre and not (at(i + 1) == "`" and at(i + 2) == "`"))
        ):
            out.append(src[i])
            utf16 += _u16(src[i])
            i += 1
        if i >= n:
            raise EntityParseError(
                f"Can't find end of the entity starting at byte offset {_byte_offset(src, begin)}"
            )
        length = utf16 - offset
        if length > 0:
            if c == "_":
                entities.append({"type": "italic", "offset": offset, "length": length})
            elif c == "*":
                entities.append({"type": "bold", "offset": offset, "length": length})
            elif c == "[":
                if at(i + 1) != "(":
                    url = "".join(out[out_begin:])
                else:
                    i += 2
                    url_chars: list[str] = []
                    while i < n and src[i] != ")":
                        url_chars.append(src[i])
                        i += 1
                    url = "".join(url_chars)
                link = _link_entity(offset, length, url)
                if link is not None:
                    entities.append(link)
            elif is_pre:
                entity: Entity = {"type": "pre", "offset": offset, "length": length}
                if language:
                    entity["language"] = language
                entities.append(entity)
            else:
                entities.append({"type": "code", "offset": offset, "length": length})
        if is_pre:
            i += 2
        i += 1
    return "".join(out), sort_entities(entities)


def parse_text(text: str, parse_mode: str | None) -> tuple[str, list[Entity]]:
    """Apply a Bot API ``parse_mode``; raises EntityParseError or ValueError("unsupported")."""
    mode = (parse_mode or "").strip().lower()
    if not mode:
        return text, []
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return parse_markdown(text)
    raise ValueError("unsupported parse_mode")


# ------------------------------------------------------------ trimming & detection


def _utf16_index_map(text: str) -> list[int]:
    """utf16 offset -> python index, for every code-unit boundary (len = utf16_len + 1)."""
    mapping: list[int] = []
    for idx, ch in enumerate(text):
        mapping.append(idx)
        if ord(ch) > 0xFFFF:
            mapping.append(idx)
    mapping.append(len(text))
    return mapping


def strip_text(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Trim leading/trailing whitespace like Telegram does, fixing entity offsets."""
    start = 0
    while start < len(text) and text[start].isspace():
        start += 1
    end = len(text)
    while end > start and text[end - 1].isspace():
        end -= 1
    if start == 0 and end == len(text):
        return text, entities
    lead = utf16_len(text[:start])
    new_text = text[start:end]
    total = utf16_len(new_text)
    fixed: list[Entity] = []
    for entity in entities:
        begin = max(entity["offset"] - lead, 0)
        stop = min(entity["offset"] + entity["length"] - lead, total)
        if stop > begin:
            fixed.append({**entity, "offset": begin, "length": stop - begin})
    return new_text, fixed


_TLDS = frozenset(
    "com org net ru su io me dev app edu gov info biz ua by kz uk de fr it es pl nl eu us ca "
    "co tv ai online site xyz рф".split()
)
_DETECTORS: list[tuple[str, re.Pattern[str]]] = [
    (
        "bot_command",
        re.compile(r"(?<![\w/<>])/[a-zA-Z0-9_]{1,64}(?:@[a-zA-Z0-9_]{3,32})?(?![\w/<>])"),
    ),
    ("email", re.compile(r"(?<![\w.@+-])[\w.+-]+@(?:[\w-]+\.)+(\w{2,})(?![\w@])")),
    ("mention", re.compile(r"(?<![\w@])@[a-zA-Z0-9_]{2,32}(?!\w)")),
    ("hashtag", re.compile(r"(?<![\w#])#\w*[^\W\d_]\w*")),
    ("url", re.compile(r"(?<![\w@/.])(?:https?://|tg://)[^\s<>\"]+", re.IGNORECASE)),
    (
        "url",
        re.compile(
            r"(?<![\w@/.:])(?:[a-zA-Z0-9-]+\.)+([a-zA-Zа-яА-Я]{2,})(?:/[^\s<>\"]*)?(?![\w@])"
        ),
    ),
]


def detect_entities(text: str, existing: list[Entity] | None = None) -> list[Entity]:
    """Add the entities Telegram detects automatically (commands, mentions, links...).

    Detected entities overlapping the given ones (or each other) are skipped.
    """
    existing = list(existing or [])
    taken: list[tuple[int, int]] = [(e["offset"], e["offset"] + e["length"]) for e in existing]
    found: list[Entity] = []
    for etype, pattern in _DETECTORS:
        for m in pattern.finditer(text):
            start, end = m.span()
            value = m.group(0)
            if etype == "url":
                while value and value[-1] in ".,;:!?)'":
                    value = value[:-1]
                end = start + len(value)
                if m.lastindex and (m.group(1) or "").lower() not in _TLDS:
                    continue
            if etype == "email" and (m.group(1) or "").lower() not in _TLDS:
                continue
            if end <= start:
                continue
            offset = utf16_len(text[:start])
            length = utf16_len(text[start:end])
            span = (offset, offset + length)
            if any(span[0] < b and a < span[1] for a, b in taken):
                continue
            taken.append(span)
            found.append({"type": etype, "offset": offset, "length": length})
    return sort_entities(existing + found) if found else existing


def normalize_entities(raw: Any, text: str) -> list[Entity]:
    """Validate explicitly passed ``entities`` (the parse_mode alternative)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ValueError("can't parse entities JSON object")
    total = utf16_len(text)
    result: list[Entity] = []
    for item in raw:
        if not isinstance(item, dict) or "type" not in item:
            raise ValueError('can\'t parse MessageEntity: Field "type" must be of type String')
        try:
            offset = int(item.get("offset", 0))
            length = int(item.get("length", 0))
        except (TypeError, ValueError) as exc:
            raise ValueError("can't parse MessageEntity") from exc
        if offset < 0 or length <= 0 or offset >= total:
            continue
        length = min(length, total - offset)
        entity = {k: v for k, v in item.items() if v is not None}
        entity["offset"] = offset
        entity["length"] = length
        result.append(entity)
    return sort_entities(result)


# --------------------------------------------------------------------- rendering

_HTML_RENDER = {
    "bold": ("<b>", "</b>"),
    "italic": ("<i>", "</i>"),
    "underline": ("<u>", "</u>"),
    "strikethrough": ("<s>", "</s>"),
    "spoiler": ("<tg-spoiler>", "</tg-spoiler>"),
    "code": ("<code>", "</code>"),
    "blockquote": ("<blockquote>", "</blockquote>"),
    "expandable_blockquote": ("<blockquote expandable>", "</blockquote>"),
}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_html(text: str, entities: list[Entity]) -> str:
    """Render text + formatting entities back to Telegram HTML (auto entities are dropped)."""
    mapping = _utf16_index_map(text)
    opens: dict[int, list[tuple[int, str]]] = {}
    closes: dict[int, list[tuple[int, str]]] = {}
    for order, entity in enumerate(sort_entities(entities)):
        etype = entity["type"]
        if etype in _HTML_RENDER:
            open_tag, close_tag = _HTML_RENDER[etype]
        elif etype == "pre":
            lang = entity.get("language")
            if lang:
                open_tag, close_tag = f'<pre><code class="language-{lang}">', "</code></pre>"
            else:
                open_tag, close_tag = "<pre>", "</pre>"
        elif etype == "text_link":
            open_tag, close_tag = f'<a href="{_escape(entity["url"])}">', "</a>"
        elif etype == "text_mention":
            open_tag, close_tag = f'<a href="tg://user?id={entity["user"]["id"]}">', "</a>"
        elif etype == "custom_emoji":
            open_tag = f'<tg-emoji emoji-id="{entity["custom_emoji_id"]}">'
            close_tag = "</tg-emoji>"
        else:
            continue
        start = entity["offset"]
        end = min(entity["offset"] + entity["length"], len(mapping) - 1)
        opens.setdefault(mapping[start], []).append((order, open_tag))
        closes.setdefault(mapping[end], []).append((order, close_tag))
    parts: list[str] = []
    for idx in range(len(text) + 1):
        for _, tag in sorted(closes.get(idx, []), reverse=True):
            parts.append(tag)
        for _, tag in sorted(opens.get(idx, [])):
            parts.append(tag)
        if idx < len(text):
            parts.append(_escape(text[idx]))
    return "".join(parts)
