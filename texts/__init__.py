"""Everything a user reads, in one catalogue per language. Russian is the default;
English is the second locale. Keys are stable identifiers used by core errors, the bot,
notifications and the CLI."""

from __future__ import annotations

from typing import Any

from texts.en import EN
from texts.ru import RU

DEFAULT_LANGUAGE = "ru"
CATALOGUES: dict[str, dict[str, str]] = {"ru": RU, "en": EN}


def language_of(code: str | None) -> str:
    """The catalogue for a Telegram ``language_code`` (ru unless the user reads English)."""
    if code and code.split("-")[0].lower() in CATALOGUES:
        return code.split("-")[0].lower()
    return DEFAULT_LANGUAGE


def t(key: str, lang: str = DEFAULT_LANGUAGE, **params: Any) -> str:
    """The text for ``key`` in ``lang``, falling back to Russian; unknown keys show the
    generic error rather than a raw key."""
    template = _template(key, lang)
    return template.format(**params) if params else template


def _template(key: str, lang: str) -> str:
    return CATALOGUES.get(lang, RU).get(key) or RU.get(key) or RU["error.generic"]


class Texts:
    """Texts bound to one language, handed to code that renders for one user."""

    def __init__(self, lang: str = DEFAULT_LANGUAGE) -> None:
        self.lang = lang if lang in CATALOGUES else DEFAULT_LANGUAGE

    def __call__(self, key: str, **params: Any) -> str:
        return t(key, self.lang, **params)

    def template(self, key: str) -> str:
        """``key``'s text unformatted (``self(key, **params)`` is ``template.format(**params)``),
        for code that formats one text many thousand times (the nightly digest)."""
        return _template(key, self.lang)
