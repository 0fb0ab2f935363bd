"""Printable and downloadable documents for the school's staff: QR invitation cards (R2),
XLSX reports (R9, R21) and the monthly statement for parents who opted out of the
electronic diary (R18). The data comes from ``core.reports`` (which checks who may see
what); these modules only render it. Every text a user reads comes from ``texts``.

PDFs use the DejaVu fonts shipped in ``reports/fonts`` (reportlab's built-in fonts have
no Cyrillic); nothing is read from the system's font folders.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent / "fonts"
SANS = "DejaVuSans"
SANS_BOLD = "DejaVuSans-Bold"
MONO = "DejaVuSansMono"

_registered = False


def register_fonts() -> None:
    """Register the shipped fonts with reportlab once per process."""
    global _registered
    if _registered:
        return
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for name in (SANS, SANS_BOLD, MONO):
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / f"{name}.ttf")))
    addMapping(SANS, 0, 0, SANS)
    addMapping(SANS, 1, 0, SANS_BOLD)
    addMapping(SANS, 0, 1, SANS)
    addMapping(SANS, 1, 1, SANS_BOLD)
    _registered = True


def decimal_text(value: Decimal | None, lang: str = "ru", empty: str = "—") -> str:
    """4.25 → «4,25» in Russian (a decimal comma), «4.25» in English."""
    if value is None:
        return empty
    shown = f"{value:.2f}"
    return shown.replace(".", ",") if lang == "ru" else shown


def day_text(day: date | datetime) -> str:
    return f"{day:%d.%m.%Y}"


def file_name(stem: str, extension: str) -> str:
    """A file name a phone and Windows accept: no path separators or reserved signs."""
    cleaned = re.sub(r'[\\/:*?"<>|\s]+', "_", stem.strip()).strip("._") or "report"
    return f"{cleaned}.{extension}"
