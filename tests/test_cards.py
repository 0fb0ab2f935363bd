"""Printable invitation cards (R2): eight a page, each with the person, the role, the code
and a QR code that a phone's camera turns into the bot's deep link."""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp

from core import invitations
from core.identity import BotLink, UserRef
from core.invitations import IssuedCode, code_hash, grouped
from core.journal import Journal
from core.models import BindingRole, Messenger
from reports import FONT_DIR
from reports.cards import cards_pdf, invite_cards, invite_pdf
from tests.world import World

BOT = "school1_journal_bot"
TELEGRAM_BOT = [BotLink(Messenger.TELEGRAM, BOT)]
MAX_BOT = BotLink(Messenger.MAX, "id7700123456_bot")


@pytest.fixture
async def nine_codes(journal: Journal, world: World) -> list[IssuedCode]:
    """The seven staff members and the two pupils of 1А."""
    admin = world.staff("admin")
    staff = await invitations.issue_for_staff(journal, admin)
    pupils = await invitations.issue_for_class(
        journal, admin, world.classes["1А"], {BindingRole.PUPIL}
    )
    assert (len(staff.codes), len(pupils.codes)) == (7, 2)
    return staff.codes + pupils.codes


def pages_of(data: bytes) -> list[tuple[str, list[str]]]:
    """Each page's text and the QR codes a scanner reads on it (rendered at 200 dpi)."""
    pdf = pdfium.PdfDocument(data)
    try:
        pages = []
        for page in pdf:
            # pdfium reports a hyphen ending a line as U+FFFE (a "soft hyphen"); a code may
            # end with "-".
            text = page.get_textpage().get_text_range().replace("\ufffe", "-\n")
            image = page.render(scale=200 / 72).to_pil()
            found = zxingcpp.read_barcodes(image)
            assert all(b.format == zxingcpp.BarcodeFormat.QRCode for b in found)
            pages.append((text, [b.text for b in found]))
        return pages
    finally:
        pdf.close()


async def test_r2_nine_cards_print_on_two_pages_with_scannable_deep_links(
    journal: Journal, world: World, nine_codes: list[IssuedCode], tmp_path: Path
) -> None:
    target = tmp_path / "cards.pdf"
    written = await invite_pdf(journal, nine_codes, "Школа № 1", TELEGRAM_BOT, target)
    assert written == target
    pages = pages_of(target.read_bytes())
    assert len(pages) == 2
    assert [len(links) for _, links in pages] == [8, 1]
    links = sorted(link for _, found in pages for link in found)
    assert links == sorted(f"https://t.me/{BOT}?start={c.code}" for c in nine_codes)


async def test_r2_a_card_names_the_person_role_class_and_code_in_russian(
    journal: Journal, world: World, nine_codes: list[IssuedCode]
) -> None:
    name, data = await invite_cards(journal, world.staff("admin"), nine_codes, TELEGRAM_BOT)
    assert name == "Коды_приглашения_школа.pdf"
    text = re.sub(r"\s+", " ", " ".join(t for t, _ in pages_of(data)))
    for code in nine_codes:
        surname, *_ = code.full_name.split()
        assert surname in text
        assert grouped(code.code) in text  # typed by hand when there is no camera
    assert "Школа № 1" in text
    assert "Иванова Дарья Алексеевна" in text and "ученик · класс 1А" in text
    assert "сотрудник" in text
    # The instructions, and the code's expiry: the clock's day + 14 (R2).
    assert "1. Отсканируйте QR-код камерой телефона." in text
    assert "2. Нажмите «Запустить» (Start) в Telegram." in text
    assert "3. Готово — журнал откроется. Код действует до 07.12.2026." in text
    assert b"/FontFile2" in data  # the Cyrillic font travels inside the PDF


async def test_r2_class_teacher_gets_the_class_cards_as_a_document(
    journal: Journal, world: World
) -> None:
    teacher = world.staff("math")  # 5А's class teacher
    codes = (
        await invitations.issue_for_class(
            journal, teacher, world.classes["5А"], {BindingRole.PARENT, BindingRole.PUPIL}
        )
    ).codes
    name, data = await invite_cards(journal, teacher, codes, TELEGRAM_BOT)
    assert name == "Коды_приглашения_5А.pdf"
    ((text, links),) = pages_of(data)  # 3 pupils and 2 parents: one page
    assert len(links) == 5
    assert "родитель · класс 5А" in re.sub(r"\s+", " ", text)
    # The printed codes are the live ones: each redeems to its person.
    mother = next(c for c in codes if c.full_name == "Иванова Светлана Николаевна")
    assert len(mother.code) >= 28 and code_hash(mother.code) != mother.code
    bound = await invitations.redeem(journal, UserRef.telegram(4242), mother.code)
    assert (bound.role, bound.full_name) == (BindingRole.PARENT, mother.full_name)


async def test_r2_admin_gets_the_staff_cards_as_a_document(journal: Journal, world: World) -> None:
    admin = world.staff("admin")
    codes = (await invitations.issue_for_staff(journal, admin)).codes
    name, data = await invite_cards(journal, admin, codes, TELEGRAM_BOT)
    assert name == "Коды_приглашения_сотрудники.pdf"
    assert [len(links) for _, links in pages_of(data)] == [7]


def test_cards_use_only_the_fonts_shipped_with_the_project() -> None:
    assert sorted(p.name for p in FONT_DIR.glob("*.ttf")) == [
        "DejaVuSans-Bold.ttf",
        "DejaVuSans.ttf",
        "DejaVuSansMono.ttf",
    ]
    assert "Bitstream" in (FONT_DIR / "LICENSE").read_text()
    assert cards_pdf([]).startswith(b"%PDF")


def card_texts(data: bytes, school: str) -> list[str]:
    """Each card's text, in print order: a card's text starts with the school's name."""
    texts = []
    for text, _ in pages_of(data):
        flat = re.sub(r"\s+", " ", text)
        texts += [school + part for part in flat.split(school)[1:]]
    return texts


async def test_r2_every_card_names_the_bot_for_a_parent_who_cannot_scan(
    journal: Journal, world: World, nine_codes: list[IssuedCode], tmp_path: Path
) -> None:
    bots = [BotLink(Messenger.TELEGRAM, "school_journal_bot")]
    written = await invite_pdf(journal, nine_codes, "Школа № 1", bots, tmp_path / "cards.pdf")
    cards = card_texts(written.read_bytes(), "Школа № 1")
    assert len(cards) == len(nine_codes) == 9
    for card, code in zip(cards, nine_codes, strict=True):
        assert code.full_name.split()[0] in card
        assert card.count("@school_journal_bot") == 2  # under the QR code and in step 1
        assert "t.me/school_journal_bot" in card  # the link, to type in
        assert "Нет камеры — найдите в Telegram @school_journal_bot" in card
        assert grouped(code.code) in card  # … and the code to send it

    # An unknown bot name prints no @ and the plain first step.
    _, data = await invite_cards(journal, world.staff("admin"), nine_codes[:1], [])
    (only,) = card_texts(data, "Школа № 1")
    assert "@" not in only and "1. Отсканируйте QR-код камерой телефона. 2." in only


def test_r2_a_long_double_surname_stays_clear_of_the_qr_code() -> None:
    from datetime import date

    from reportlab.lib.pagesizes import A4

    from reports import cards

    card = cards.Card(
        school="Школа № 1",
        full_name="Константинопольская-Шереметьева Александра Вячеславовна",
        role="родитель",
        class_name="10Б",
        code=grouped("23456789ABCDEFGHJKMNPQRSTUVW"),
        raw_code="23456789ABCDEFGHJKMNPQRSTUVW",
        valid_until=date(2026, 12, 7),
        bots=tuple(TELEGRAM_BOT),
    )
    pdf = pdfium.PdfDocument(cards_pdf([card]))
    try:
        text = pdf[0].get_textpage()
        width, height = A4
        card_w = (width - 2 * cards.MARGIN) / cards.COLUMNS
        top = height - cards.MARGIN - cards.PADDING
        qr_left = cards.MARGIN + card_w - cards.PADDING - cards.QR_SIZE + 6
        qr_bottom = top - cards.QR_SIZE + 6
        beside_qr = []
        for i in range(text.count_chars()):
            left, bottom, right, _ = text.get_charbox(i)
            if bottom > qr_bottom and right > left:  # a drawn glyph level with the QR code
                beside_qr.append((text.get_text_range(i, 1), right))
        assert "".join(c for c, _ in beside_qr).startswith("Школа")
        assert all(right < qr_left for _, right in beside_qr), beside_qr
    finally:
        pdf.close()


async def test_r2_a_school_on_both_messengers_prints_a_qr_code_for_each(
    journal: Journal, world: World, nine_codes: list[IssuedCode], tmp_path: Path
) -> None:
    """Telegram and MAX: two QR codes a card, labelled, each the deep link of its bot."""
    bots = [*TELEGRAM_BOT, MAX_BOT]
    written = await invite_pdf(journal, nine_codes, "Школа № 1", bots, tmp_path / "both.pdf")
    pages = pages_of(written.read_bytes())
    links = sorted(link for _, found in pages for link in found)
    assert links == sorted(
        [f"https://t.me/{BOT}?start={c.code}" for c in nine_codes]
        + [f"https://max.ru/{MAX_BOT.username}?start={c.code}" for c in nine_codes]
    )
    cards = card_texts(written.read_bytes(), "Школа № 1")
    for card in cards:
        assert "Telegram" in card and "MAX" in card and f"@{MAX_BOT.username}" in card
        assert "«Начать» в MAX" in card


async def test_r2_a_school_on_max_only_prints_its_deep_link(
    journal: Journal, world: World, nine_codes: list[IssuedCode]
) -> None:
    _, data = await invite_cards(journal, world.staff("admin"), nine_codes[:2], [MAX_BOT])
    links = [link for _, found in pages_of(data) for link in found]
    assert sorted(links) == sorted(
        f"https://max.ru/{MAX_BOT.username}?start={c.code}" for c in nine_codes[:2]
    )
    (card, _) = card_texts(data, "Школа № 1")
    assert "найдите в MAX" in card and "Telegram" not in card
