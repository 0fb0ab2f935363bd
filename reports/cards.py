"""Printable invitation cards (R2): an A4 PDF, eight cards a page (2 × 4) with dashed
cut lines. Each card names the school, the person, their role and class, and carries
the code in a readable monospace and a QR code of the bot's deep link in each messenger
the school uses (``https://t.me/<bot>?start=<code>``, ``https://max.ru/<bot>?start=<code>``;
with both, two QR codes labelled «Telegram» and «MAX»), each bot's @username under its QR
code and three lines of instructions that name the bots (a parent whose phone cannot scan
finds the bot by name and sends it the code).

The codes themselves are issued by ``core.invitations`` (which checks who may issue
them); a card only prints what was issued.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from aiogram.utils.deep_linking import create_deep_link as telegram_deep_link
from maxapi.utils.deep_linking import create_deep_link as max_deep_link
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from core.access import Actor
from core.identity import BotLink
from core.invitations import IssuedCode, grouped
from core.journal import Journal
from core.models import BindingRole, Messenger
from core.private import write_private
from core.reports import school_name as find_school_name
from reports import MONO, SANS, SANS_BOLD, day_text, file_name, register_fonts
from texts import Texts

COLUMNS, ROWS = 2, 4
CARDS_PER_PAGE = COLUMNS * ROWS
MARGIN = 10 * mm  # printers do not print to the edge of the sheet
PADDING = 11
QR_SIZE = 108  # points, the quiet zone included (≈ 38 mm)
QR_SIZE_TWO = 72  # two side by side (≈ 25 mm each: a phone still scans it from 20 cm)
GREY = Color(0.35, 0.35, 0.35)
CUT = Color(0.6, 0.6, 0.6)


def deep_link(bot: BotLink | None, code: str) -> str:
    """The link a phone opens (from the QR code) to the bot with the code, in its
    messenger's format (each library's own helper); the bare code when no bot's name is
    known (the person then sends the code to the bot)."""
    if bot is None:
        return code
    name = bot.username.lstrip("@")
    if bot.messenger is Messenger.MAX:
        return max_deep_link(name, "start", code)
    return telegram_deep_link(name, "start", code)


@dataclass(frozen=True)
class Card:
    school: str
    full_name: str
    role: str  # as the card reads: родитель / ученик / сотрудник
    class_name: str | None
    code: str  # as printed: in groups of four
    valid_until: date
    raw_code: str = ""  # as the links carry it (the deep links are built from it)
    children: str | None = None  # a parent's card names the child
    bots: tuple[BotLink, ...] = ()  # the school's bots; none known: the QR code is the code

    @property
    def links(self) -> list[str]:
        """What each QR code holds, one for each bot (the bare code when none is known)."""
        return [deep_link(b, self.raw_code) for b in self.bots] or [self.raw_code]


def cards_for(
    codes: Sequence[IssuedCode],
    school_name: str,
    bots: Sequence[BotLink],
    timezone: ZoneInfo,
    lang: str = "ru",
) -> list[Card]:
    tx = Texts(lang)
    return [
        Card(
            school=school_name,
            full_name=c.full_name,
            role=tx(f"role.{c.role.value}"),
            class_name=c.class_name,
            code=grouped(c.code),
            raw_code=c.code,
            valid_until=c.expires_at.astimezone(timezone).date(),
            children=c.children,
            bots=tuple(bots),
        )
        for c in codes
    ]


def cards_pdf(cards: Sequence[Card], lang: str = "ru") -> bytes:
    """The cards laid out on A4 pages, eight a page."""
    register_fonts()
    tx = Texts(lang)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(tx("card.title"))
    canvas.setCreator("school-journal-bot")
    width, height = A4
    card_w = (width - 2 * MARGIN) / COLUMNS
    card_h = (height - 2 * MARGIN) / ROWS
    for start in range(0, len(cards), CARDS_PER_PAGE):
        page = cards[start : start + CARDS_PER_PAGE]
        _cut_lines(canvas, card_w, card_h, len(page))
        for n, card in enumerate(page):
            col, row = n % COLUMNS, n // COLUMNS
            x = MARGIN + col * card_w
            y = height - MARGIN - (row + 1) * card_h
            _card(canvas, tx, card, x, y, card_w, card_h)
        canvas.showPage()
    if not cards:
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _cut_lines(canvas: Canvas, card_w: float, card_h: float, count: int) -> None:
    """Dashed lines around every card on the page: cut along them."""
    canvas.saveState()
    canvas.setStrokeColor(CUT)
    canvas.setLineWidth(0.5)
    canvas.setDash(4, 3)
    _, height = A4
    for n in range(count):
        col, row = n % COLUMNS, n // COLUMNS
        x = MARGIN + col * card_w
        y = height - MARGIN - (row + 1) * card_h
        canvas.rect(x, y, card_w, card_h, stroke=1, fill=0)
    canvas.restoreState()


def _fitting(canvas: Canvas, text: str, font: str, size: float, width: float) -> float:
    """The font size at which the text's longest word fits ``width`` (a long double
    surname is never split, and must not run into the QR code)."""
    longest = max((canvas.stringWidth(w, font, size) for w in text.split()), default=0)
    while size > 6 and longest > width:
        size -= 0.5
        longest = max(canvas.stringWidth(w, font, size) for w in text.split())
    return size


def _lines(text: str, font: str, size: float, width: float, limit: int) -> list[str]:
    lines = simpleSplit(text, font, size, width) or [""]
    if len(lines) > limit:
        lines = lines[:limit]
        lines[-1] = lines[-1].rstrip() + "…"
    return lines


def _card(canvas: Canvas, tx: Texts, card: Card, x: float, y: float, w: float, h: float) -> None:
    top = y + h - PADDING
    # The QR codes in the top right corner (their own white quiet zone included), each
    # with its bot's @username under it (and the messenger's name, when there are two).
    links = card.links
    size = QR_SIZE if len(links) == 1 else QR_SIZE_TWO
    qr_x = x + w - PADDING - size * len(links) + 6
    qr_y = top - size + 6
    for n, link in enumerate(links):
        qr = QrCodeWidget(link, barLevel="M", barWidth=size, barHeight=size)
        drawing = Drawing(size, size)
        drawing.add(qr)
        renderPDF.draw(drawing, canvas, qr_x + n * size, qr_y)
    below_whom = _whom(canvas, tx, card, x + PADDING, top - 8, qr_x - x - PADDING)
    code_y = min(_handles(canvas, card, qr_x, qr_y, size), below_whom - 2)
    _code(canvas, tx, card, x, w, code_y)
    _steps(canvas, tx, card, x, y, w)


def _handles(canvas: Canvas, card: Card, qr_x: float, qr_y: float, size: float) -> float:
    """Under each QR code its bot's @username (with «Telegram» or «MAX» above it when
    there are two), for finding the bot by name; returns where the code line goes."""
    if not card.bots:
        return qr_y - 8
    two = len(card.bots) > 1
    for n, bot in enumerate(card.bots):
        centre = qr_x + n * size + size / 2
        lines = [bot.messenger.label, bot.handle] if two else [bot.handle]
        cursor = qr_y - 2
        for line in lines:
            font_size = 8.5
            while font_size > 5 and canvas.stringWidth(line, SANS_BOLD, font_size) > size - 2:
                font_size -= 0.5
            canvas.setFont(SANS_BOLD, font_size)
            canvas.setFillColor(black)
            canvas.drawCentredString(centre, cursor, line)
            cursor -= 9
    return qr_y - (26 if two else 17)


def _whom(canvas: Canvas, tx: Texts, card: Card, left: float, cursor: float, width: float) -> float:
    """Left of the QR code, from ``cursor`` down: the school, the person, the role and
    class, a parent's children; returns where the next line would go."""
    canvas.setFillColor(GREY)
    for line in _lines(card.school, SANS, 7.5, width, 2):
        canvas.setFont(SANS, 7.5)
        canvas.drawString(left, cursor, line)
        cursor -= 9.5
    cursor -= 5
    canvas.setFillColor(black)
    name_size = _fitting(canvas, card.full_name, SANS_BOLD, 11.5, width)
    for line in _lines(card.full_name, SANS_BOLD, name_size, width, 3):
        canvas.setFont(SANS_BOLD, name_size)
        canvas.drawString(left, cursor, line)
        cursor -= name_size + 2.5
    cursor -= 1
    role = card.role + (f" · {tx('card.class', cls=card.class_name)}" if card.class_name else "")
    for line in _lines(role, SANS, 9, width, 2):
        canvas.setFont(SANS, 9)
        canvas.drawString(left, cursor, line)
        cursor -= 11
    if card.children:
        for line in _lines(tx("card.child", names=card.children), SANS, 8.5, width, 2):
            canvas.setFont(SANS, 8.5)
            canvas.drawString(left, cursor, line)
            cursor -= 10
    return cursor


def _code(canvas: Canvas, tx: Texts, card: Card, x: float, w: float, code_y: float) -> None:
    """The code itself, for typing it in by hand."""
    label = tx("card.code")
    canvas.setFont(SANS, 8)
    canvas.setFillColor(GREY)
    canvas.drawString(x + PADDING, code_y, label)
    label_w = canvas.stringWidth(label + " ", SANS, 8)
    code_size = 11.0
    while code_size > 6 and (
        canvas.stringWidth(card.code, MONO, code_size) > w - 2 * PADDING - label_w
    ):
        code_size -= 0.5
    canvas.setFont(MONO, code_size)
    canvas.setFillColor(black)
    canvas.drawString(x + PADDING + label_w, code_y, card.code)


def _steps(canvas: Canvas, tx: Texts, card: Card, x: float, y: float, w: float) -> None:
    """At the bottom of the card: what to do with it."""
    steps = [
        (_first_step(tx, card.bots), 3),
        (tx(_second_step(card.bots)), 2),
        (tx("card.step3", until=day_text(card.valid_until)), 2),
    ]
    lines = [
        line for step, limit in steps for line in _lines(step, SANS, 7.5, w - 2 * PADDING, limit)
    ]
    cursor = y + PADDING + 9.5 * (len(lines) - 1)
    canvas.setFont(SANS, 7.5)
    for line in lines:
        canvas.drawString(x + PADDING, cursor, line)
        cursor -= 9.5


def _first_step(tx: Texts, bots: tuple[BotLink, ...]) -> str:
    if not bots:
        return tx("card.step1")
    if len(bots) > 1:
        return tx(
            "card.step1_bots", bots=", ".join(f"{b.messenger.label} {b.handle}" for b in bots)
        )
    (bot,) = bots
    if bot.messenger is Messenger.MAX:
        return tx("card.step1_max", bot=bot.handle)
    return tx("card.step1_bot", bot=bot.handle, link=f"t.me/{bot.username.lstrip('@')}")


def _second_step(bots: tuple[BotLink, ...]) -> str:
    messengers = {b.messenger for b in bots}
    if messengers == {Messenger.MAX}:
        return "card.step2_max"
    return "card.step2_both" if Messenger.MAX in messengers else "card.step2"


async def invite_pdf(
    journal: Journal,
    codes: list[IssuedCode],
    school_name: str,
    bots: Sequence[BotLink],
    path: Path | str,
    lang: str = "ru",
) -> Path:
    """For ``journal invite … --pdf FILE``: write the cards of the issued codes."""
    cards = cards_for(codes, school_name, bots, journal.rules.timezone, lang)
    data = await asyncio.to_thread(cards_pdf, cards, lang)
    target = Path(path)
    await asyncio.to_thread(write_private, target, data)  # live codes: 0600
    return target


async def invite_cards(
    journal: Journal,
    actor: Actor,
    codes: list[IssuedCode],
    bots: Sequence[BotLink],
    lang: str = "ru",
) -> tuple[str, bytes]:
    """For the bot's «Коды приглашения»: the cards as a document, (file name, bytes), to
    send with ``BufferedInputFile``."""
    school = await find_school_name(journal, actor.school_id)
    cards = cards_for(codes, school, bots, journal.rules.timezone, lang)
    data = await asyncio.to_thread(cards_pdf, cards, lang)
    classes = {c.class_name for c in codes if c.class_name}
    tx = Texts(lang)
    if codes and all(c.role is BindingRole.STAFF for c in codes):
        who = tx("card.file_staff")
    elif len(classes) == 1 and all(c.class_name for c in codes):
        who = classes.pop()
    else:
        who = tx("card.file_all")
    stem = tx("card.file", who=who)
    return file_name(stem, "pdf"), data
