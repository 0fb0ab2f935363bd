"""The code itself: new, printed in groups, read back as typed, hashed (pure, no I/O)."""

from __future__ import annotations

import hashlib
import re
import secrets

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: readable on paper
CODE_LENGTH = 28  # 28 · log2(31) ≈ 138.7 random bits
CODE_GROUP = 4  # printed as ABCD-EFGH-…
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015]+")  # spaces, dashes (also typographic ones)
# Cyrillic letters that look like Latin ones, as typed from paper on a Russian layout
# (a mapping of what people type, not text shown to anyone).
_CYRILLIC = str.maketrans("АВЕКМНРСТУХавекмнрстух", "ABEKMHPCTYXABEKMHPCTYX")


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def grouped(code: str) -> str:
    """The code as printed: groups of four joined by dashes (still a valid deep link)."""
    return "-".join(code[i : i + CODE_GROUP] for i in range(0, len(code), CODE_GROUP))


def normalised(code: str) -> str:
    """A typed code: spaces and dashes dropped, upper case, Cyrillic look-alikes as Latin."""
    return _SEPARATORS.sub("", code).translate(_CYRILLIC).upper()


def code_hash(code: str) -> str:
    """The stored hash of a code as issued (or as typed: separators and case do not count
    for codes of the readable alphabet)."""
    return hashlib.sha256(code.encode()).hexdigest()


def hashes_of(typed: str) -> list[str]:
    """Hashes a typed code may match: the readable form, and the text as typed (codes
    issued before the readable alphabet were case-sensitive base64url)."""
    return list(dict.fromkeys([code_hash(normalised(typed)), code_hash(typed.strip())]))


def looks_like_code(text: str | None) -> bool:
    """Text that may be a code (a document or a photo has no text: not a code)."""
    if text is None:
        return False
    if CODE_PATTERN.match(text.strip()):
        return True
    typed = normalised(text)  # typed from paper: groups, any case
    return len(typed) == CODE_LENGTH and all(c in CODE_ALPHABET for c in typed)
