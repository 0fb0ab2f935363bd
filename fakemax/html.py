"""MAX's ``format: "html"``: the tag set the schema lists, checked strictly.

schema.yaml info.description "HTML support" lists the tags: ``<i>``/``<em>``,
``<b>``/``<strong>``, ``<del>``/``<s>``, ``<ins>``/``<u>``, ``<a href>``, ``<pre>``/
``<code>``, ``<mark>``, ``<blockquote>``, ``<h1>`` — "All others will be stripped". The
fake is stricter on purpose, as fakegram is for Telegram: an unknown tag, a tag left open,
a stray closing tag or an ``<a>`` without ``href`` is answered 400, because the bot that
sends one has a bug the tests should see (``FakeMax(strict_html=False)`` strips unknown
tags instead, like the real server).

The result is what a MAX client receives: the plain text and its ``markup`` (MarkupElement:
``type``, ``from``, ``length``, a link's ``url``), offsets in UTF-16 code units.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

MARKUP_OF_TAG = {
    "b": "strong",
    "strong": "strong",
    "i": "emphasized",
    "em": "emphasized",
    "s": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "a": "link",
    "pre": "monospaced",
    "code": "monospaced",
    "mark": "highlighted",
    "blockquote": "quote",
    "h1": "heading",
}
_VOID = frozenset({"br"})


class HtmlError(ValueError):
    """The text is not HTML the fake accepts."""


def _u16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _Parser(HTMLParser):
    def __init__(self, strict: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.strict = strict
        self.parts: list[str] = []
        self.position = 0
        self.stack: list[tuple[str, int, str | None]] = []
        self.markup: list[dict[str, Any]] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.position += _u16(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            self.handle_data("\n")
            return
        if tag not in MARKUP_OF_TAG:
            if self.strict:
                raise HtmlError(f"unsupported tag <{tag}>")
            return
        url = dict(attrs).get("href") if tag == "a" else None
        if tag == "a" and not url:
            raise HtmlError("<a> without href")
        self.stack.append((tag, self.position, url))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            self.handle_data("\n")
        elif self.strict:
            raise HtmlError(f"unsupported tag <{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if tag not in MARKUP_OF_TAG:
            if self.strict:
                raise HtmlError(f"unsupported tag </{tag}>")
            return
        if not self.stack or self.stack[-1][0] != tag:
            expected = f"</{self.stack[-1][0]}>" if self.stack else "no closing tag"
            raise HtmlError(f"unexpected </{tag}>, expected {expected}")
        _, start, url = self.stack.pop()
        element: dict[str, Any] = {
            "type": MARKUP_OF_TAG[tag],
            "from": start,
            "length": self.position - start,
        }
        if url is not None:
            element["url"] = url
        if element["length"] > 0:
            self.markup.append(element)


def parse_html(source: str, *, strict: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """(plain text, markup) of a MAX HTML text; raises HtmlError."""
    parser = _Parser(strict)
    parser.feed(source)
    parser.close()
    if parser.stack:
        raise HtmlError(f"unclosed tag <{parser.stack[-1][0]}>")
    markup = sorted(parser.markup, key=lambda m: (m["from"], -m["length"]))
    return "".join(parser.parts), markup
