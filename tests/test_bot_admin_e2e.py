"""End to end for the school's administration in the bot (issue 5): printable invitation
cards (R2) — for the pupils a roster upload added too, the roster sent as a document,
reports as documents (R9, R18, R21), the bindings list (paged, filtered, searched) and
voiding a compromised account's actions (R3), closing / reopening periods (R10), the
school's rules (R7, R8) and the staff's /help."""

from __future__ import annotations

import io
import re
from datetime import datetime, time

import pypdfium2 as pdfium
import pytest
import zxingcpp
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import func, select, update

from bot.actions import AdminCb, BindingsCb, CardsCb, ReportCb, RevertCb, RulesCb
from bot.flows import roster as roster_flows
from core import attendance, invitations, lessons, marks, periods
from core.clock import ManualClock
from core.errors import NotAllowed, NotFound
from core.journal import Journal
from core.models import (
    AuditEntry,
    Binding,
    BindingRole,
    Guardianship,
    Mark,
    Period,
    Person,
    Presence,
    Pupil,
    School,
)
from fakegram import FakeUser, MessageView
from tests.botkit import USERNAME, Harness, forge_press
from tests.conftest import MOSCOW
from tests.world import GUARDIANS, MONDAY, PUPILS, STAFF, World


async def staff_user(bot: Harness, world: World, who: str) -> FakeUser:
    user = await bot.bound_user(world.staff("admin"), world.people[who], BindingRole.STAFF)
    await user.send("/menu")
    await user.wait_reply()
    return user


def pdf_pages(data: bytes) -> list[tuple[str, list[str]]]:
    """Each page's text and the QR codes a phone's camera reads on it."""
    pdf = pdfium.PdfDocument(data)
    try:
        pages = []
        for page in pdf:
            text = page.get_textpage().get_text_range().replace("\ufffe", "-\n")
            found = zxingcpp.read_barcodes(page.render(scale=200 / 72).to_pil())
            pages.append((text, [b.text for b in found]))
        return pages
    finally:
        pdf.close()


def is_document(view: MessageView) -> bool:
    return view.document is not None


# --- R2: invitation cards --------------------------------------------------------------------


async def test_r2_admin_gets_staff_cards_only_for_staff_without_a_card_or_the_bot(
    bot: Harness, world: World
) -> None:
    old = await invitations.issue(
        bot.journal, world.staff("admin"), world.people["english"], BindingRole.STAFF
    )
    admin = await staff_user(bot, world, "admin")  # the admin is in the bot already
    await admin.press("🔑 Коды сотрудников")
    cards = await admin.wait_reply(predicate=is_document)
    assert cards.document is not None
    assert cards.document["file_name"] == "Коды_приглашения_сотрудники.pdf"
    assert "Распечатайте" in (cards.caption or "")
    data = cards.file_bytes
    assert data is not None and data.startswith(b"%PDF")
    pages = pdf_pages(data)
    assert len(pages) == 1
    links = pages[0][1]
    assert len(links) == len(STAFF) - 2  # not the admin (in the bot), not English (a card)
    assert all(link.startswith(f"https://t.me/{USERNAME}?start=") for link in links)
    text = re.sub(r"\s+", " ", pages[0][0])
    assert "Школа № 1" in text and "Смирнов Павел Олегович" not in text

    # The links follow as text too, for handing one over in a private chat.
    listing = await admin.wait_reply(predicate=lambda m: "Коды приглашения" in (m.text or ""))
    assert " — сотрудник: https://t.me/" in (listing.text or "")
    skipped = await admin.wait_reply(predicate=lambda m: "Не выданы" in (m.text or ""))
    assert "Не выданы 1: у них уже есть действующая карточка" in (skipped.text or "")
    assert "Не выданы 1: они уже вошли в бот." in (skipped.text or "")
    assert skipped.button_texts == ["🔁 Перевыпустить"]

    # The card printed before still works; so does a new card's QR code.
    english = bot.user("Павел", "Смирнов")
    await english.open_deep_link(old.code)
    assert "Готово" in ((await english.wait_reply()).text or "")
    await english.wait_reply()
    scanned = bot.user("Новый", "Сотрудник")
    await scanned.open_deep_link(links[0].split("start=")[1])
    assert "Готово" in ((await scanned.wait_reply()).text or "")
    await scanned.wait_reply()  # the menu follows: let the bot finish before it stops


async def test_r2_tapping_class_codes_twice_keeps_handed_out_cards_and_reissue_asks_first(
    bot: Harness, world: World
) -> None:
    teacher = await staff_user(bot, world, "math")
    await teacher.press_and_wait("👥 Мой класс 5А")
    await teacher.press("🔑 Коды для родителей и учеников")
    first = await teacher.wait_reply(predicate=lambda m: "Коды приглашения" in (m.text or ""))
    petya_line = next(x for x in (first.text or "").splitlines() if "Иванов Пётр" in x)
    petya_old = petya_line.split("start=")[1].split()[0]
    masha_line = next(x for x in (first.text or "").splitlines() if "Иванова Мария" in x)
    masha_code = masha_line.split("start=")[1].split()[0]
    assert "родитель: https://t.me/" in (first.text or "")
    assert "ребёнок: Сидоров Николай Андреевич" in (first.text or "")

    # Again: nobody's card is revoked, nothing new is printed; the reissue is offered.
    await teacher.send("/menu")
    await teacher.wait_reply()
    await teacher.press_and_wait("👥 Мой класс 5А")
    await teacher.press("🔑 Коды для родителей и учеников")
    again = await teacher.wait_reply(predicate=lambda m: "Не выданы" in (m.text or ""))
    assert "Не выданы 5: у них уже есть действующая карточка, она остаётся в силе." == again.text
    pick = await teacher.press_and_wait("🔁 Перевыпустить")
    assert "Прежняя карточка этого человека перестанет действовать" in (pick.text or "")
    ask = await teacher.press_and_wait("Иванов Пётр Алексеевич · ученик")
    assert "Перевыпустить карточку: Иванов Пётр Алексеевич (ученик)?" in (ask.text or "")
    assert "Прежняя карточка перестанет действовать сразу" in (ask.text or "")
    assert ask.button_texts == ["Да, перевыпустить", "« Назад"]
    await teacher.press("Да, перевыпустить")
    cards = await teacher.wait_reply(predicate=is_document)
    assert cards.file_bytes is not None
    [(_, links)] = pdf_pages(cards.file_bytes)
    assert len(links) == 1
    petya_new = links[0].split("start=")[1]

    old_card = bot.user("Пётр", "Иванов")
    await old_card.open_deep_link(petya_old)
    assert "отозван" in ((await old_card.wait_reply()).text or "")
    new_card = bot.user("Пётр", "Иванов")
    await new_card.open_deep_link(petya_new)
    assert "Готово" in ((await new_card.wait_reply()).text or "")
    await new_card.wait_reply()
    sister = bot.user("Мария", "Иванова")  # another pupil's card was not touched
    await sister.open_deep_link(masha_code)
    assert "Готово" in ((await sister.wait_reply()).text or "")
    await sister.wait_reply()


async def test_r2_class_teacher_gets_the_class_cards_as_a_pdf(bot: Harness, world: World) -> None:
    teacher = await staff_user(bot, world, "math")
    await teacher.press_and_wait("👥 Мой класс 5А")
    await teacher.press("🔑 Коды для родителей и учеников")
    cards = await teacher.wait_reply(predicate=is_document)
    assert cards.document is not None
    assert cards.document["file_name"] == "Коды_приглашения_5А.pdf"
    assert cards.file_bytes is not None
    [(text, links)] = pdf_pages(cards.file_bytes)  # three pupils and two parents: one page
    assert len(links) == 5
    text = re.sub(r"\s+", " ", text)
    assert "родитель · класс 5А" in text
    assert "ребёнок: Сидоров Николай Андреевич" in text  # a parent's card names the child


# --- the roster sent as a document --------------------------------------------------------------

ROLE_WORDS = {"admin": "администратор", "director": "директор", "deputy": "завуч"}


def world_roster(
    *,
    extra_pupil: str | None = None,
    wrong_class: bool = False,
    extra_parents: tuple[str, ...] = (),
) -> bytes:
    """The test school as its administrator keeps it in Excel (plus a change); with
    ``extra_parents``, a parents sheet too, where they are the extra pupil's."""
    wb = Workbook()
    wb.remove(wb.worksheets[0])
    teachers = wb.create_sheet("Сотрудники")
    teachers.append(["ФИО", "Роли"])
    for _, (name, roles) in STAFF.items():
        words = sorted(ROLE_WORDS.get(r.value, "учитель") for r in roles)
        teachers.append([name, "; ".join(words)])
    classes = wb.create_sheet("Классы")
    classes.append(["Название", "Параллель", "Классный руководитель"])
    classes.append(["5А", 5, STAFF["math"][0]])
    classes.append(["1А", 1, STAFF["primary"][0]])
    subjects = wb.create_sheet("Предметы")
    subjects.append(["Название"])
    for name in ("Математика", "Английский язык", "Русский язык"):
        subjects.append([name])
    pupils = wb.create_sheet("Ученики")
    pupils.append(["ФИО", "Класс"])
    for name, class_name in PUPILS.values():
        pupils.append([name, "5Б" if wrong_class and class_name == "5А" else class_name])
    if extra_pupil:
        pupils.append([extra_pupil, "1А"])
    if extra_parents:
        parents = wb.create_sheet("Родители")
        parents.append(["ФИО", "Ученик", "Класс"])
        for name, children in GUARDIANS.values():
            for child in children:
                parents.append([name, *PUPILS[child]])
        for name in extra_parents:
            parents.append([name, extra_pupil, "1А"])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


async def pupil_count(journal: Journal) -> int:
    async with journal.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(Pupil)) or 0)


async def test_admin_sends_a_broken_roster_gets_every_problem_and_nothing_changes(
    bot: Harness, world: World
) -> None:
    admin = await staff_user(bot, world, "admin")
    await admin.press_and_wait("📥 Загрузить список школы")
    before = await pupil_count(bot.journal)
    await admin.send_document(world_roster(wrong_class=True), "школа.xlsx")
    reply = await admin.wait_reply(predicate=lambda m: "не загружен" in (m.text or ""))
    text = reply.text or ""
    assert "ошибок — 3" in text and "ничего не изменилось" in text
    assert "лист «Ученики», строка 2, столбец «Класс» (B): класс «5Б» не найден" in text
    assert reply.edits >= 1  # the progress message became the answer
    assert await pupil_count(bot.journal) == before


async def test_admin_sends_a_good_roster_and_gets_the_summary(bot: Harness, world: World) -> None:
    admin = await staff_user(bot, world, "admin")
    await admin.send_document(world_roster(extra_pupil="Новикова Алиса Павловна"), "школа.xlsx")
    reply = await admin.wait_reply(predicate=lambda m: "загружен:" in (m.text or ""))
    text = reply.text or ""
    assert "Ученики: добавлено 1" in text
    async with bot.journal.transaction() as s:
        found = await s.scalar(
            select(func.count())
            .select_from(Pupil)
            .join(Person, Person.id == Pupil.person_id)
            .where(Person.full_name == "Новикова Алиса Павловна")
        )
    assert found == 1
    # The same file again changes nothing.
    await admin.send_document(world_roster(extra_pupil="Новикова Алиса Павловна"), "школа.xlsx")
    again = await admin.wait_reply(predicate=lambda m: "загружен:" in (m.text or ""))
    assert "Изменений нет." in (again.text or "")


async def test_a_large_roster_shows_its_progress_in_one_message(
    bot: Harness, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(roster_flows, "PROGRESS_EVERY", 0.0)  # as if each stage took long
    admin = await staff_user(bot, world, "admin")
    await admin.send_document(world_roster(extra_pupil="Новикова Алиса Павловна"), "школа.xlsx")
    reply = await admin.wait_reply(predicate=lambda m: "загружен:" in (m.text or ""))
    stages = [version.get("text", "") for version in reply.history]
    assert stages[0] == "⏳ Получаю файл «школа.xlsx»…"
    assert len(stages) >= 2 and all(text.startswith("⏳") for text in stages)
    assert len([m for m in admin.bot_messages if m.message_id > reply.message_id]) == 0


async def test_roster_that_is_not_a_workbook_or_too_large_or_not_from_an_admin_is_refused(
    bot: Harness, world: World
) -> None:
    admin = await staff_user(bot, world, "admin")
    await admin.send_document(b"just some notes", "notes.txt")
    assert "не книга Excel" in ((await admin.wait_reply()).text or "")
    await admin.send_document(b"x" * (11 * 1024 * 1024), "huge.xlsx")
    assert "слишком большой" in ((await admin.wait_reply()).text or "")

    teacher = await staff_user(bot, world, "english")
    before = await pupil_count(bot.journal)
    await teacher.send_document(world_roster(extra_pupil="Чужой Ученик Иванович"), "school.xlsx")
    assert "недоступно" in ((await teacher.wait_reply()).text or "")
    assert await pupil_count(bot.journal) == before


async def test_r2_pupils_added_by_an_upload_get_their_cards_at_once(
    bot: Harness, world: World
) -> None:
    """A pupil admitted during the year: the summary names them, and one press gives the
    cards of the pupil and of their parents not yet in the bot (the mother of three is)."""
    await bot.bound_user(world.staff("admin"), world.people["mother"], BindingRole.PARENT)
    admin = await staff_user(bot, world, "admin")
    roster = world_roster(
        extra_pupil="Новикова Алиса Павловна",
        extra_parents=("Новиков Павел Игоревич", GUARDIANS["mother"][0]),
    )
    await admin.send_document(roster, "школа.xlsx")
    reply = await admin.wait_reply(predicate=lambda m: "загружен:" in (m.text or ""))
    assert "Новые ученики (1):\n• Новикова Алиса Павловна, 1А" in (reply.text or "")
    assert reply.button_texts == ["🖨 Карточки для новых учеников (1)"]

    await admin.press("🖨 Карточки для новых учеников (1)")
    cards = await admin.wait_reply(predicate=is_document)
    assert cards.document is not None and cards.file_bytes is not None
    assert cards.document["file_name"] == "Коды_приглашения_1А.pdf"
    [(text, links)] = pdf_pages(cards.file_bytes)
    text = re.sub(r"\s+", " ", text)
    assert len(links) == 2
    assert "Новикова Алиса Павловна" in text and "Новиков Павел Игоревич" in text
    assert GUARDIANS["mother"][0] not in text  # already in the bot: the new child shows up
    listing = await admin.wait_reply(predicate=lambda m: "Коды приглашения" in (m.text or ""))
    assert "Новикова Алиса Павловна — ученик: https://t.me/" in (listing.text or "")
    for link in links:
        scanned = bot.user("Новый", "Пользователь")
        await scanned.open_deep_link(link.split("start=")[1])
        assert "Готово" in ((await scanned.wait_reply()).text or "")
        await scanned.wait_reply()  # the consent question or the menu

    # The same file again adds nobody: no button; a button of another upload is refused.
    await admin.send_document(roster, "школа.xlsx")
    again = await admin.wait_reply(predicate=lambda m: "загружен:" in (m.text or ""))
    assert "Изменений нет." in (again.text or "") and again.button_texts == []
    press = await forge_press(admin, again, CardsCb(token=1).pack())
    answer = await press.wait_answered()
    assert "больше не хранится" in (answer.get("text") or "") and answer.get("show_alert")


async def test_a_whole_school_upload_sends_the_cards_to_the_class_teachers(
    bot: Harness, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(roster_flows, "NEW_CARDS_MAX", 0)  # as if a thousand were added
    admin = await staff_user(bot, world, "admin")
    await admin.send_document(world_roster(extra_pupil="Новикова Алиса Павловна"), "школа.xlsx")
    reply = await admin.wait_reply(predicate=lambda m: "загружен:" in (m.text or ""))
    assert "• Новикова Алиса Павловна, 1А" in (reply.text or "")
    assert "«Мой класс» → «Коды для родителей и учеников»" in (reply.text or "")
    assert reply.button_texts == []


async def test_r2_new_pupils_cards_are_refused_to_those_who_may_not_issue_them(
    world: World, journal: Journal
) -> None:
    """Core checks every card: a teacher of another class gets nothing, even with the ids."""
    with pytest.raises(NotAllowed):
        await invitations.issue_for_pupils(
            journal, world.staff("english"), [world.people["dasha"]], {BindingRole.PUPIL}
        )
    with pytest.raises(NotFound):  # not a pupil
        await invitations.issue_for_pupils(
            journal, world.staff("admin"), [world.people["mother"]], {BindingRole.PUPIL}
        )
    issued = await invitations.issue_for_pupils(
        journal, world.staff("primary"), [world.people["dasha"]], {BindingRole.PARENT}
    )
    assert [(c.full_name, c.role) for c in issued.codes] == [
        (GUARDIANS["mother"][0], BindingRole.PARENT)
    ]


# --- reports as documents ---------------------------------------------------------------------


async def test_r21_admin_gets_the_class_attendance_for_the_month_as_xlsx(
    bot: Harness, world: World
) -> None:
    [lesson] = await lessons.teacher_day(bot.journal, world.staff("math"), MONDAY)
    await attendance.set_status(
        bot.journal, world.staff("math"), lesson.id, world.people["kolya"], Presence.ABSENT
    )
    admin = await staff_user(bot, world, "admin")
    await admin.press_and_wait("📊 Отчёты")
    await admin.press_and_wait("Посещаемость за месяц")
    await admin.press("5А")
    report = await admin.wait_reply(predicate=is_document)
    assert report.document is not None
    assert report.document["file_name"] == "Посещаемость_5А_2026-11.xlsx"
    assert "5А, ноябрь 2026 г." in (report.caption or "")
    assert report.file_bytes is not None
    ws = load_workbook(io.BytesIO(report.file_bytes)).active
    assert isinstance(ws, Worksheet)
    rows = list(ws.iter_rows(values_only=True))
    assert "— Посещаемость класса 5А за ноябрь 2026 г." in str(rows[0][0])
    header = rows[1]
    kolya = next(r for r in rows if r[1] == "Сидоров Николай Андреевич")
    assert kolya[header.index("23.11")] == 1
    assert kolya[header.index("Пропущено уроков")] == 1
    # The menu now offers the same report for another month.
    sent = await admin.wait_reply(predicate=lambda m: "отправлен" in (m.text or ""))
    assert "• ноябрь" in sent.button_texts and "октябрь" in sent.button_texts


async def test_r21_whole_school_report_and_class_teacher_report_for_own_class(
    bot: Harness, world: World
) -> None:
    director = await staff_user(bot, world, "director")
    await director.press_and_wait("📊 Отчёты")
    await director.press("Накопляемость отметок")
    report = await director.wait_reply(predicate=is_document)
    assert report.document is not None and report.document["file_name"].endswith(".xlsx")
    assert "вся школа, 2 четверть" in (report.caption or "")

    teacher = await staff_user(bot, world, "math")
    await teacher.press_and_wait("👥 Мой класс 5А")
    menu = await teacher.press_and_wait("📊 Отчёты по классу")
    assert "класс 5А" in (menu.text or "")
    await teacher.press("Сводная ведомость отметок")
    marks_report = await teacher.wait_reply(predicate=is_document)
    assert marks_report.document is not None
    assert marks_report.document["file_name"].startswith("Сводная_ведомость_5А")


async def test_r18_class_teacher_gets_statements_for_opted_out_parents_as_pdf(
    bot: Harness, world: World
) -> None:
    teacher = await staff_user(bot, world, "math")
    await teacher.press_and_wait("👥 Мой класс 5А")
    await teacher.press_and_wait("📊 Отчёты по классу")
    press = await teacher.press("Ведомости для родителей без эл. дневника")
    answer = await press.wait_answered()
    assert "отказались от электронного дневника" in (answer.get("text") or "")

    async with bot.journal.transaction() as s:
        await s.execute(
            update(Guardianship)
            .where(Guardianship.guardian_id == world.people["mother"])
            .values(diary_opt_out=True)
        )
    await teacher.press("Ведомости для родителей без эл. дневника")
    statements = await teacher.wait_reply(predicate=is_document)
    assert statements.document is not None
    assert statements.document["file_name"].endswith(".pdf")
    assert statements.file_bytes is not None
    pages = pdf_pages(statements.file_bytes)
    text = " ".join(t for t, _ in pages)
    assert "Иванов Пётр Алексеевич" in text and "Иванова Мария Алексеевна" in text
    assert "Сидоров" not in text  # his father reads the diary in the bot


async def test_r1_forged_report_and_revert_buttons_change_nothing(
    bot: Harness, world: World
) -> None:
    victim = await staff_user(bot, world, "director")
    teacher = await staff_user(bot, world, "math")  # 5А's class teacher, not 1А's
    screen = teacher.last_message
    assert screen is not None

    press = await forge_press(teacher, screen, ReportCb(kind="m", cls=world.classes["1А"]).pack())
    answer = await press.wait_answered()
    assert "недоступно" in (answer.get("text") or "") and answer.get("show_alert")
    press = await forge_press(teacher, screen, ReportCb(kind="n").pack())  # whole school
    await press.wait_answered()

    async with bot.journal.transaction() as s:
        director_binding = await s.scalar(
            select(Binding.id).where(Binding.person_id == world.people["director"])
        )
    assert director_binding is not None
    for data in (
        AdminCb(act="w", binding=director_binding).pack(),
        RevertCb(binding=director_binding, act="x", at=1).pack(),
        AdminCb(act="v").pack(),
    ):
        press = await forge_press(teacher, screen, data)
        answer = await press.wait_answered()
        assert answer.get("show_alert")
    async with bot.journal.transaction() as s:
        assert (
            await s.scalar(select(Binding.revoked_at).where(Binding.id == director_binding)) is None
        )
    assert not any(
        m.document and m.document["file_name"].startswith("Посещаемость_1А")
        for m in teacher.bot_messages
    )
    await victim.send("/menu")
    assert "Соколова" in ((await victim.wait_reply()).text or "")


# --- R3: a compromised account ------------------------------------------------------------------


def at(clock: ManualClock, hour: int, minute: int = 0) -> datetime:
    moment = datetime(2026, 11, 23, hour, minute, tzinfo=MOSCOW)
    clock.set(moment)
    return moment


async def test_r3_admin_cuts_the_account_and_undoes_its_marks_since_the_moment(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    teacher = await staff_user(bot, world, "math")
    admin = await staff_user(bot, world, "admin")
    math, p = world.staff("math"), world.people
    [lesson] = await lessons.teacher_day(bot.journal, math, MONDAY)

    at(clock, 10, 10)  # an ordinary morning
    await marks.add_mark(bot.journal, math, lesson.id, p["petya"], 5, "answer")
    at(clock, 10, 40)  # after the phone was stolen (reported at 10:30)
    await marks.add_mark(bot.journal, math, lesson.id, p["kolya"], 2, "answer")
    async with bot.journal.transaction() as s:
        petya_mark = await s.scalar(select(Mark.id).where(Mark.pupil_id == p["petya"]))
    assert petya_mark is not None
    await marks.change_mark(bot.journal, math, petya_mark, 2)
    at(clock, 11, 0)

    await admin.press_and_wait("⛔ Отключить аккаунт")
    await admin.press_and_wait("↩️ Отменить действия с аккаунта")
    ask = await admin.press_and_wait(lambda b: "Кузнецова Елена Викторовна — сотрудник" in b.text)
    assert "закрыт" in (ask.text or "") and "ДД.ММ.ГГГГ ЧЧ:ММ" in (ask.text or "")
    assert "Сегодня с 00:00" in ask.button_texts
    # The account is cut at once, before the admin even answers.
    await teacher.send("/today")
    assert "код приглашения" in ((await teacher.wait_reply()).text or "")

    bad = await admin.send_and_wait("вчера вечером")
    assert "ДД.ММ.ГГГГ ЧЧ:ММ" in (bad.text or "")
    preview = await admin.send_and_wait("23.11.2026 10:30")
    text = preview.text or ""
    assert "после 23.11.2026 10:30 — 2, будет отменено — 2" in text
    assert "Сидоров Николай Андреевич" in text
    await admin.press("✅ Отменить эти изменения")
    done = await admin.wait_reply(predicate=lambda m: "Отменены" in (m.text or ""))
    assert "Доступ с аккаунта был закрыт раньше." in (done.text or "")
    assert "после 23.11.2026 10:30: 2" in (done.text or "")

    async with bot.journal.transaction() as s:
        rows = (await s.execute(select(Mark.pupil_id, Mark.value))).all()
    assert rows == [(p["petya"], 5)]  # the journal as it was at 10:30


async def test_r3_admin_may_cancel_after_the_cut(bot: Harness, world: World) -> None:
    await staff_user(bot, world, "english")
    admin = await staff_user(bot, world, "admin")
    await admin.press_and_wait("⛔ Отключить аккаунт")
    await admin.press_and_wait("↩️ Отменить действия с аккаунта")
    await admin.press_and_wait(lambda b: "Смирнов Павел Олегович — сотрудник" in b.text)
    done = await admin.press_and_wait("✖️ Не отменять действия")
    assert "остаётся закрытым" in (done.text or "")
    # The conversation is over: the next text is not taken for a moment.
    reply = await admin.send_and_wait("23.11.2026 09:00")
    assert "Не понял сообщение" in (reply.text or "")


# --- R10: closing and reopening a period ------------------------------------------------------


async def test_r10_admin_closes_a_period_and_only_the_director_reopens_it_with_a_reason(
    bot: Harness, world: World
) -> None:
    q2 = world.periods["2 четверть"]
    admin = await staff_user(bot, world, "admin")
    await admin.press_and_wait("🔒 Учебные периоды")
    card = await admin.press_and_wait(lambda b: b.text.startswith("🔓 2 четверть"))
    assert "Закрыть его?" in (card.text or "")
    await admin.press_and_wait("🔒 Закрыть период")  # before its last day: asks first
    closed = await admin.press_and_wait("🔒 Да, закрыть досрочно")
    assert "закрыт" in (closed.text or "")
    assert "🔓 Открыть период" not in closed.button_texts  # the admin cannot reopen
    async with bot.journal.transaction() as s:
        assert await s.scalar(select(Period.closed_at).where(Period.id == q2)) is not None

    director = await staff_user(bot, world, "director")
    await director.press_and_wait("🔒 Учебные периоды")
    await director.press_and_wait(lambda b: b.text.startswith("🔒 2 четверть"))
    ask = await director.press_and_wait("🔓 Открыть период")
    assert "основание" in (ask.text or "")
    await director.send("Приказ № 45 от 23.11.2026")
    reopened = await director.wait_reply()
    assert "открыт" in (reopened.text or "")
    async with bot.journal.transaction() as s:
        assert await s.scalar(select(Period.closed_at).where(Period.id == q2)) is None
        reason = await s.scalar(
            select(AuditEntry.reason).where(AuditEntry.action == "period.reopen")
        )
    assert reason == "Приказ № 45 от 23.11.2026"


async def test_r10_closing_a_period_early_asks_to_confirm(bot: Harness, world: World) -> None:
    q2 = world.periods["2 четверть"]  # ends 28.12.2026; today is 23.11.2026
    deputy = await staff_user(bot, world, "deputy")
    await deputy.press_and_wait("🔒 Учебные периоды")
    await deputy.press_and_wait(lambda b: b.text.startswith("🔓 2 четверть"))
    ask = await deputy.press_and_wait("🔒 Закрыть период")
    assert "ещё не закончился" in (ask.text or "")
    assert "28.12.2026" in (ask.text or "")
    async with bot.journal.transaction() as s:
        assert await s.scalar(select(Period.closed_at).where(Period.id == q2)) is None
    kept = await deputy.press_and_wait("✖️ Не закрывать")
    assert "открыт" in (kept.text or "")
    async with bot.journal.transaction() as s:
        assert await s.scalar(select(Period.closed_at).where(Period.id == q2)) is None
    await deputy.press_and_wait("🔒 Закрыть период")
    await deputy.press_and_wait("🔒 Да, закрыть досрочно")
    async with bot.journal.transaction() as s:
        assert await s.scalar(select(Period.closed_at).where(Period.id == q2)) is not None
    # A period whose last day has passed closes without the question.
    q1 = world.periods["1 четверть"]
    await deputy.press_and_wait("« Назад")
    await deputy.press_and_wait(lambda b: b.text.startswith("🔓 1 четверть"))
    closed = await deputy.press_and_wait("🔒 Закрыть период")
    assert "ещё не закончился" not in (closed.text or "")
    async with bot.journal.transaction() as s:
        assert await s.scalar(select(Period.closed_at).where(Period.id == q1)) is not None


async def test_r10_reopening_needs_a_real_reason(bot: Harness, world: World) -> None:
    q2 = world.periods["2 четверть"]
    await periods.close_period(bot.journal, world.staff("director"), q2)
    director = await staff_user(bot, world, "director")
    await director.press_and_wait("🔒 Учебные периоды")
    await director.press_and_wait(lambda b: b.text.startswith("🔒 2 четверть"))
    await director.press_and_wait("🔓 Открыть период")
    for lazy in ("ok", "да да", "1234567890"):
        refused = await director.send_and_wait(lazy)
        assert "Это не основание" in (refused.text or "")
    async with bot.journal.transaction() as s:
        assert await s.scalar(select(Period.closed_at).where(Period.id == q2)) is not None
    # Still asked: the next message is taken as the reason.
    await director.send("приказ № 15")
    reopened = await director.wait_reply()
    assert "открыт" in (reopened.text or "")
    async with bot.journal.transaction() as s:
        assert await s.scalar(select(Period.closed_at).where(Period.id == q2)) is None
        reason = await s.scalar(
            select(AuditEntry.reason).where(AuditEntry.action == "period.reopen")
        )
    assert reason == "приказ № 15"


# --- R3: the bindings list, paged, filtered and searched -----------------------------------------


async def add_bindings(journal: Journal, world: World) -> None:
    """150 active bindings straight in the database: 100 parents (Ковалёва Анна among
    them), 40 pupils and 10 staff members."""
    async with journal.transaction() as s:
        people = []
        for n in range(150):
            name = "Ковалёва Анна Игоревна" if n == 42 else f"Тестов{n:03d} Тест Тестович"
            people.append(Person(school_id=world.school_id, full_name=name))
        s.add_all(people)
        await s.flush()
        now = journal.clock.now()
        for n, person in enumerate(people):
            role = BindingRole.PARENT if n < 100 else BindingRole.PUPIL if n < 140 else "staff"
            s.add(
                Binding(
                    user_id=900_000 + n,
                    person_id=person.id,
                    role=str(role),
                    created_at=now,
                )
            )


def button_count(view: MessageView) -> int:
    return len(view.button_texts)


async def test_r3_the_bindings_list_pages_filters_and_finds_among_150(
    bot: Harness, world: World
) -> None:
    await add_bindings(bot.journal, world)
    admin = await staff_user(bot, world, "admin")  # the 151st binding
    first = await admin.press_and_wait("⛔ Отключить аккаунт")
    assert "Активные входы (151)" in (first.text or "")
    assert "1–20 из 151 (страница 1 из 8)" in (first.text or "")
    assert button_count(first) < 40  # Telegram refuses more than 100
    assert "2 ▶" in first.button_texts and not any(b.startswith("◀") for b in first.button_texts)
    second = await admin.press_and_wait("2 ▶")
    assert "21–40 из 151 (страница 2 из 8)" in (second.text or "")
    assert "◀ 1" in second.button_texts and "3 ▶" in second.button_texts

    parents = await admin.press_and_wait("Родители")
    assert "Активные входы (100)" in (parents.text or "") and "Показаны: Родители." in (
        parents.text or ""
    )
    assert "• Родители" in parents.button_texts
    assert all(t.endswith("— родитель") for t in parents.button_texts if t.startswith("⛔"))
    last = await forge_press(admin, parents, BindingsCb(role="p", page=99).pack())
    await last.wait_answered()
    shown = admin.last_keyboard_message
    assert shown is not None and "(страница 5 из 5)" in (shown.text or "")

    ask = await admin.press_and_wait("🔎 Найти")
    assert "часть ФИО" in (ask.text or "")
    found = await admin.send_and_wait("коВАЛЕВА   ан")  # any case, ё = е
    assert "🔎 Поиск: «коВАЛЕВА ан»" in (found.text or "")
    cut = [t for t in found.button_texts if t.startswith("⛔")]
    assert cut == ["⛔ Ковалёва Анна Игоревна — родитель"]
    await admin.press_and_wait("⛔ Ковалёва Анна Игоревна — родитель")
    press = await admin.press("⛔ Да, отключить")
    assert "Доступ закрыт" in ((await press.wait_answered()).get("text") or "")
    after = await admin.wait_reply()
    assert "Никого не нашлось." in (after.text or "")
    async with bot.journal.transaction() as s:
        revoked = await s.scalar(
            select(Binding.revoked_at)
            .join(Person, Person.id == Binding.person_id)
            .where(Person.full_name == "Ковалёва Анна Игоревна")
        )
    assert revoked is not None
    back = await admin.press_and_wait("✖️ Сбросить поиск")
    assert "Активные входы (99)" in (back.text or "")
    everyone = await admin.press_and_wait("Все")
    assert "Активные входы (150)" in (everyone.text or "")

    # A teacher's forged buttons: core refuses, nothing is cut.
    teacher = await staff_user(bot, world, "english")
    screen = teacher.last_message
    assert screen is not None
    async with bot.journal.transaction() as s:
        victim = await s.scalar(
            select(Binding.id).where(Binding.person_id == world.people["admin"])
        )
    assert victim is not None
    forged = (
        BindingsCb().pack(),
        BindingsCb(act="r", binding=victim).pack(),
        BindingsCb(act="y", binding=victim).pack(),
    )
    for data in forged:
        press = await forge_press(teacher, screen, data)
        answer = await press.wait_answered()
        assert "недоступно" in (answer.get("text") or "") and answer.get("show_alert")
    async with bot.journal.transaction() as s:
        assert await s.scalar(select(Binding.revoked_at).where(Binding.id == victim)) is None


async def test_r3_cutting_asks_first_and_no_cuts_nothing(bot: Harness, world: World) -> None:
    teacher = await staff_user(bot, world, "english")
    admin = await staff_user(bot, world, "admin")
    await admin.press_and_wait("⛔ Отключить аккаунт")
    ask = await admin.press_and_wait("⛔ Смирнов Павел Олегович — сотрудник")
    assert "Смирнов Павел Олегович — сотрудник?" in (ask.text or "")
    assert "новым кодом приглашения" in (ask.text or "")
    back = await admin.press_and_wait("◀ Нет, к списку")
    assert "Активные входы (2)" in (back.text or "")
    await teacher.send("/today")
    assert "код приглашения" not in ((await teacher.wait_reply()).text or "")

    # Cut meanwhile (by another admin): the stale list's button says so, nothing breaks.
    async with bot.journal.transaction() as s:
        binding = await s.scalar(
            select(Binding.id).where(Binding.person_id == world.people["english"])
        )
    assert binding is not None
    await invitations.revoke_binding(bot.journal, world.staff("admin"), binding, "test")
    press = await admin.press("⛔ Смирнов Павел Олегович — сотрудник")
    answer = await press.wait_answered()
    assert "уже закрыт" in (answer.get("text") or "") and answer.get("show_alert")


# --- R7, R8: the school's rules -----------------------------------------------------------------


async def school_rules(journal: Journal, world: World) -> tuple[time, int | None]:
    async with journal.transaction() as s:
        school = await s.get(School, world.school_id)
        assert school is not None
        return school.correction_deadline, school.edit_window_days


async def test_r7_r8_the_director_sets_the_deadline_and_the_edit_window(
    bot: Harness, world: World
) -> None:
    director = await staff_user(bot, world, "director")
    screen = await director.press_and_wait("⚙️ Правила школы")
    text = screen.text or ""
    assert "Правила школы «Школа № 1»" in text and "до 20:00 в день урока" in text
    assert "без ограничения срока. Действует настройка сервера по умолчанию." in text
    assert "• По умолчанию сервера: без ограничения" in screen.button_texts
    assert "• ⏰ 20:00" in screen.button_texts
    assert [b for b in screen.button_texts if "дн." in b or b == "Нет"] == [
        "Нет",
        "7 дн.",
        "14 дн.",
        "21 дн.",
        "30 дн.",
    ]

    press = await director.press("14 дн.")
    assert (await press.wait_answered()).get("text") == "Правила школы изменены ✓"
    changed = await director.wait_reply()
    assert "в течение 14 дн. после урока" in (changed.text or "")
    assert "• 14 дн." in changed.button_texts
    await director.press_and_wait("⏰ 18:00")
    assert await school_rules(bot.journal, world) == (time(18, 0), 14)
    await director.press_and_wait("Нет")
    assert await school_rules(bot.journal, world) == (time(18, 0), 0)
    back = await director.press_and_wait("По умолчанию сервера: без ограничения")
    assert "• По умолчанию сервера: без ограничения" in back.button_texts
    assert await school_rules(bot.journal, world) == (time(18, 0), None)
    async with bot.journal.transaction() as s:
        audited = list(
            await s.scalars(select(AuditEntry.new).where(AuditEntry.action == "school.rules"))
        )
    assert audited[0] == {
        "correction_deadline": "20:00",
        "edit_window_days": 14,
        "digest_time": None,
    }
    assert len(audited) == 4

    # Forged values: core accepts only the windows offered.
    for data, words in (
        (RulesCb(what="w", value=5).pack(), "Окно для пересдачи может быть только таким"),
        (RulesCb(what="d", value=5000).pack(), "Недопустимое значение"),
    ):
        press = await forge_press(director, back, data)
        answer = await press.wait_answered()
        assert words in (answer.get("text") or "") and answer.get("show_alert")
    assert await school_rules(bot.journal, world) == (time(18, 0), None)


async def test_r7_r8_a_deputy_or_teacher_cannot_change_the_rules(
    bot: Harness, world: World
) -> None:
    deputy = await staff_user(bot, world, "deputy")
    menu = deputy.last_message
    assert menu is not None and "⚙️ Правила школы" not in menu.button_texts
    for who in (deputy, await staff_user(bot, world, "math")):
        screen = who.last_message
        assert screen is not None
        for data in (RulesCb(what="w", value=7).pack(), RulesCb(what="d", value=18 * 60).pack()):
            press = await forge_press(who, screen, data)
            answer = await press.wait_answered()
            assert "недоступно" in (answer.get("text") or "") and answer.get("show_alert")
    assert await school_rules(bot.journal, world) == (time(20, 0), None)
    # The deputy, who applies them, may read them; a teacher may not even do that.
    teacher = who
    assert screen is not None
    press = await forge_press(teacher, screen, RulesCb().pack())
    assert "недоступно" in ((await press.wait_answered()).get("text") or "")
    deputy_screen = deputy.last_message
    assert deputy_screen is not None
    await forge_press(deputy, deputy_screen, RulesCb().pack())
    shown = await deputy.wait_reply(predicate=lambda m: "Правила школы" in (m.text or ""))
    assert shown.button_texts == ["☰ Меню"]


# --- /help ---------------------------------------------------------------------------------------


async def test_help_tells_the_administration_about_its_tools(bot: Harness, world: World) -> None:
    admin = await staff_user(bot, world, "admin")
    text = (await admin.send_and_wait("/help")).text or ""
    for words in ("📊 Отчёты", "Учебные периоды", ".xlsx", "отменить действия", "Правила школы"):
        assert words in text, words
    teacher = await staff_user(bot, world, "math")
    text = (await teacher.send_and_wait("/help")).text or ""
    assert "/today" in text and "Правила школы" not in text
