"""Telegram text formatting: entities, their order and links, trimming, detection of
mentions and URLs, UTF-16 lengths, and entities back to HTML (what a user's client shows).
The parse mode itself is in ``fakegram.parse_mode``."""

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


def u16_units(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


def byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def sort_entities(entities: list[Entity]) -> list[Entity]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"], _PRIORITY.get(e["type"], 50)))


def is_space(ch: str) -> bool:
    # TDLib's is_space also treats the terminating NUL as a space; "" marks the end here.
    return ch in ("", " ", "\t", "\r", "\n", "\v", "\f", "\0")


def is_alnum(ch: str) -> bool:
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


def link_entity(offset: int, length: int, url: str) -> Entity | None:
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
