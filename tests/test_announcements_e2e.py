"""Announcements (issue 13.3) through the real bot: the class teacher writes to the class's
parents, the director to a grade, the admin to the whole school; the messages go through
the outbox and the sender, the readers tap «Прочитано ✓» (on Telegram or MAX), the author
sees «Кто прочитал» and reminds the rest once. R16 (who gets what is sent to parents),
R12 (the first grade: no marks, but messages), R17 (the receipt), R3 (forged buttons)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from sqlalchemy import func, select

from bot.actions import AnnounceCb, AnnounceReadCb, AnnounceViewCb
from core.clock import ManualClock
from core.journal import Journal
from core.models import (
    Announcement,
    AnnouncementReceipt,
    BindingRole,
    Guardianship,
    Person,
    Pupil,
)
from core.models.notifications import outbox_table
from fakegram import FakeUser, MessageView
from tests.botkit import Harness, forge_press
from tests.maxkit import MaxHarness, running_max_bot
from tests.test_notifications import bind
from tests.test_notifications_e2e import deliver
from tests.world import World

TEXT = "Родительское собрание в четверг в 18:00, кабинет 12. Приходите <обязательно> & вовремя."


@pytest_asyncio.fixture
async def max_bot(journal: Journal, world: World) -> AsyncIterator[MaxHarness]:
    async with running_max_bot(journal) as harness:
        yield harness


async def staff_user(bot: Harness, world: World, who: str) -> FakeUser:
    return await bot.bound_user(world.staff("admin"), world.people[who], BindingRole.STAFF)


async def compose(author: FakeUser, target: str, audience: str, text: str) -> MessageView:
    """«📣 Объявление» from the menu -> the target -> the audience -> the text: the preview."""
    await author.send("/menu")
    menu = await author.wait_reply()
    targets = await author.press_and_wait("📣 Объявление", message=menu)
    audiences = await author.press_and_wait(target, message=targets)
    prompt = await author.press_and_wait(audience, message=audiences)
    assert "не длиннее 3000 знаков" in (prompt.text or "")
    return await author.send_and_wait(text)


async def outbox_rows(journal: Journal) -> list[tuple[str, str, int]]:
    async with journal.transaction() as s:
        rows = await s.execute(
            select(outbox_table.c.kind, outbox_table.c.channel, outbox_table.c.binding_id)
            .where(outbox_table.c.kind.like("announcement%"))
            .order_by(outbox_table.c.id)
        )
        return [(k, c, b) for k, c, b in rows]


async def announcements_saved(journal: Journal) -> int:
    async with journal.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(Announcement)) or 0)


async def test_r16_r17_class_teacher_announces_to_the_parents_and_sees_who_has_read(
    bot: Harness, world: World
) -> None:
    """The mother of Петя and Маша (both in 5А) gets it once: one receipt per person and
    announcement, since the text is the same for both children and the author counts
    people («1 из 2»), not copies."""
    teacher = await staff_user(bot, world, "math")
    mother = await bot.bound_user(world.staff("admin"), world.people["mother"], BindingRole.PARENT)
    sidorov = await bot.bound_user(
        world.staff("admin"), world.people["sidorov"], BindingRole.PARENT
    )

    preview = await compose(teacher, "Класс 5А", "👪 Родители", TEXT)
    assert "Так его увидят" in (preview.text or "")
    assert "От: Кузнецова Елена Викторовна" in (preview.text or "")
    assert "Приходите <обязательно> & вовремя." in (preview.text or "")  # quoted, as typed
    await teacher.press("📤 Отправить", message=preview)
    await teacher.press("📤 Отправить", message=preview)  # a double tap sends once
    report = await teacher.wait_reply()
    await bot.settle(teacher)
    assert "Кто прочитал: 0 из 2" in (report.text or "")
    assert await announcements_saved(bot.journal) == 1
    assert len(await outbox_rows(bot.journal)) == 2  # one per parent binding

    assert await deliver(bot) == 2
    got = await mother.wait_reply()
    assert "📣 Объявление" in (got.text or "") and "Класс 5А" in (got.text or "")
    assert "Родительское собрание в четверг" in (got.text or "")
    assert got.button_texts == ["Прочитано ✓"]
    first = await mother.press("Прочитано ✓", message=got)
    second = await mother.press("Прочитано ✓", message=got)  # a double tap
    answers = {(await press.wait_answered()).get("text") for press in (first, second)}
    # One of the two taps is the receipt, the other is told so (whichever came first).
    assert answers == {
        "Спасибо! Отметили, что объявление прочитано.",
        "Объявление уже отмечено как прочитанное.",
    }
    await sidorov.wait_reply()

    again = await teacher.press_and_wait("🔄 Обновить", message=report)
    assert "Кто прочитал: 1 из 2" in (again.text or "")
    assert "Сидоров Андрей Петрович (Николай 5А)" in (again.text or "")
    assert "Иванова Светлана" not in (again.text or "")

    reminded = await teacher.press("🔔 Напомнить непрочитавшим", message=again)
    toast = await reminded.wait_answered()
    assert "Напоминание отправлено: 1" in (toast.get("text") or "")
    await teacher.wait_reply()
    assert "🔔 Напомнить непрочитавшим" not in again.button_texts  # once
    forged = await forge_press(
        teacher, again, AnnounceViewCb(ann=await _only_announcement(bot.journal), remind=1).pack()
    )
    toast = await forged.wait_answered()
    assert "напомнить можно один раз" in (toast.get("text") or "")
    assert await deliver(bot) == 1
    reminder = await sidorov.wait_reply()
    assert "🔔 Напоминание" in (reminder.text or "")
    assert [k for k, _, _ in await outbox_rows(bot.journal)].count("announcement_reminder") == 1


async def _only_announcement(journal: Journal) -> int:
    async with journal.transaction() as s:
        found = await s.scalar(select(Announcement.id))
    assert found is not None
    return found


async def test_r12_the_first_grade_class_teacher_writes_to_parents_and_pupils(
    bot: Harness, world: World
) -> None:
    """1А has no marks and no homework (R12), but its class teacher writes to it: the
    mother of Даша (and of two in 5А) and the pupil Ваня each get it once."""
    teacher = await staff_user(bot, world, "primary")
    mother = await bot.bound_user(world.staff("admin"), world.people["mother"], BindingRole.PARENT)
    vanya = await bot.bound_user(world.staff("admin"), world.people["vanya"], BindingRole.PUPIL)
    preview = await compose(teacher, "Класс 1А", "👪 Родители и 🎒 ученики", "Завтра экскурсия.")
    report = await teacher.press_and_wait("📤 Отправить", message=preview)
    assert "Кто прочитал: 0 из 2" in (report.text or "")
    assert await deliver(bot) == 2
    for reader in (mother, vanya):
        got = await reader.wait_reply()
        assert "Завтра экскурсия." in (got.text or "") and "Класс 1А" in (got.text or "")
    await vanya.press("Прочитано ✓")
    await vanya.wait_reply()
    again = await teacher.press_and_wait("🔄 Обновить", message=report)
    assert "Кто прочитал: 1 из 2" in (again.text or "")
    assert "Иванова Светлана Николаевна (Пётр 5А, Дарья 1А, Мария 5А)" in (again.text or "")


async def test_a_text_over_3000_characters_is_refused_and_the_prompt_stays(
    bot: Harness, max_bot: MaxHarness, world: World
) -> None:
    """3001 characters are refused in words (the text stays in the chat, to shorten and
    send again; an emoji counts two, as Telegram counts, and ``<&>`` as MAX receives
    them); the longest allowed goes out in one message on each messenger."""
    teacher = await staff_user(bot, world, "math")
    in_telegram = await bot.bound_user(
        world.staff("admin"), world.people["mother"], BindingRole.PARENT
    )
    in_max = await max_bot.bound_user(
        world.staff("admin"), world.people["mother"], BindingRole.PARENT
    )
    refused = await compose(teacher, "Класс 5А", "👪 Родители", "а" * 3001)
    assert "Слишком длинно: 3001 знаков, можно не больше 3000" in (refused.text or "")
    emoji = await teacher.send_and_wait("а" * 2999 + "👍")
    assert "Слишком длинно: 3001" in (emoji.text or "")
    marked = await teacher.send_and_wait("а" * 2988 + "<&>")  # sent as &lt;&amp;&gt;
    assert "Слишком длинно: 3001" in (marked.text or "")
    assert await announcements_saved(bot.journal) == 0
    longest = "а" * 2987 + "<&>"
    preview = await teacher.send_and_wait(longest)
    assert "Так его увидят" in (preview.text or "")
    await teacher.press_and_wait("📤 Отправить", message=preview)
    assert await max_bot.deliver() == 1
    assert await deliver(bot) + await deliver(bot) == 2  # and R3's notice of the MAX account
    assert longest in ((await in_max.wait_reply()).text or "")
    got = await in_telegram.wait_reply(predicate=lambda m: "Объявление" in (m.text or ""))
    assert longest in (got.text or "")
    async with bot.journal.transaction() as s:
        states = await s.scalars(
            select(outbox_table.c.status).where(outbox_table.c.kind == "announcement")
        )
        assert list(states) == ["sent", "sent"]


async def test_abandoning_the_prompt_or_the_preview_sends_nothing(
    bot: Harness, world: World
) -> None:
    teacher = await staff_user(bot, world, "math")
    await bot.bound_user(world.staff("admin"), world.people["mother"], BindingRole.PARENT)
    await teacher.send("/menu")
    menu = await teacher.wait_reply()
    targets = await teacher.press_and_wait("📣 Объявление", message=menu)
    audiences = await teacher.press_and_wait("Класс 5А", message=targets)
    await teacher.press_and_wait("👪 Родители", message=audiences)
    await teacher.send("/today")  # moved on: the prompt is abandoned
    await teacher.wait_reply()
    await bot.settle(teacher)
    await teacher.send("Это не объявление")
    await teacher.wait_reply()
    preview = await compose(teacher, "Класс 5А", "👪 Родители", TEXT)
    send = next(b.data for row in preview.buttons for b in row if b.text == "📤 Отправить")
    cancelled = await teacher.press_and_wait("✖️ Отмена", message=preview)
    assert "Объявление не отправлено" in (cancelled.text or "")
    assert send is not None
    gone = await forge_press(teacher, preview, send)  # «Отправить» after «Отмена»
    await gone.wait_answered()
    after = await teacher.wait_reply()
    assert "черновика больше нет" in (after.text or "").lower()
    assert await announcements_saved(bot.journal) == 0
    assert await outbox_rows(bot.journal) == []


async def test_the_director_writes_to_the_fifth_grade_pupils_only(
    bot: Harness, world: World
) -> None:
    director = await staff_user(bot, world, "director")
    petya = await bot.bound_user(world.staff("admin"), world.people["petya"], BindingRole.PUPIL)
    vanya = await bot.bound_user(world.staff("admin"), world.people["vanya"], BindingRole.PUPIL)
    mother = await bot.bound_user(world.staff("admin"), world.people["mother"], BindingRole.PARENT)
    preview = await compose(director, "5-е классы", "🎒 Ученики", "Олимпиада по математике.")
    assert "От: Соколова Ирина Павловна" in (preview.text or "")
    report = await director.press_and_wait("📤 Отправить", message=preview)
    assert "Кто прочитал: 0 из 1" in (report.text or "")
    assert "Петр" not in (report.text or "") and "Иванов Пётр Алексеевич (5А)" in (
        report.text or ""
    )
    assert await deliver(bot) == 1
    got = await petya.wait_reply()
    assert "Олимпиада по математике." in (got.text or "") and "5-е классы" in (got.text or "")
    for other in (vanya, mother):
        assert other.last_message is None or "Олимпиада" not in (other.last_message.text or "")


async def test_r3_forged_announcement_buttons_are_refused(bot: Harness, world: World) -> None:
    """The 5А class teacher names 1А, the school, a group of 1А; a parent presses the
    receipt of someone else's binding; a teacher opens the director's announcement."""
    teacher = await staff_user(bot, world, "math")
    director = await staff_user(bot, world, "director")
    mother = await bot.bound_user(world.staff("admin"), world.people["mother"], BindingRole.PARENT)
    sidorov = await bot.bound_user(
        world.staff("admin"), world.people["sidorov"], BindingRole.PARENT
    )
    await teacher.send("/menu")
    menu = await teacher.wait_reply()
    for forged in (
        AnnounceCb(act="t", scope="class", target=world.classes["1А"]),
        AnnounceCb(act="a", scope="school", target=0, aud="parents"),
        AnnounceCb(act="a", scope="class", target=world.classes["5А"], aud="everyone"),
    ):
        press = await forge_press(teacher, menu, forged.pack())
        refused = (await press.wait_answered()).get("text") or ""
        assert "Писать объявление можно" in refused or "Недопустимое" in refused, refused

    preview = await compose(director, "🏫 Вся школа", "👪 Родители", "Каникулы с 28.12.")
    await director.press_and_wait("📤 Отправить", message=preview)
    ann = await _only_announcement(bot.journal)
    press = await forge_press(teacher, menu, AnnounceViewCb(ann=ann).pack())
    assert "недоступно" in ((await press.wait_answered()).get("text") or "")

    await deliver(bot)
    got = await mother.wait_reply()
    await sidorov.wait_reply()
    async with bot.journal.transaction() as s:
        sidorov_binding = await s.scalar(
            select(outbox_table.c.binding_id).where(
                outbox_table.c.kind == "announcement",
                outbox_table.c.chat_id == sidorov.id,
            )
        )
    assert sidorov_binding is not None
    press = await forge_press(mother, got, AnnounceReadCb(binding=sidorov_binding, ann=ann).pack())
    assert "Доступ с этого аккаунта закрыт" in ((await press.wait_answered()).get("text") or "")
    async with bot.journal.transaction() as s:
        read = await s.scalar(select(func.count()).where(AnnouncementReceipt.read_at.is_not(None)))
    assert read == 0


async def test_a_school_wide_announcement_to_a_class_of_30_pages_those_who_have_not_read(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    """30 more pupils in 5А, each with a parent in the bot: the admin's announcement to
    the school reaches 32 parents; «Не прочитали» is paged, 30 names a page."""
    async with bot.journal.transaction() as s:
        for i in range(30):
            pupil = Person(school_id=world.school_id, full_name=f"Ученик{i:02} Имя{i:02}")
            parent = Person(school_id=world.school_id, full_name=f"Родитель{i:02} Имя{i:02}")
            s.add_all([pupil, parent])
            await s.flush()
            s.add(Pupil(person_id=pupil.id, class_id=world.classes["5А"]))
            await s.flush()
            s.add(Guardianship(guardian_id=parent.id, pupil_id=pupil.id))
            world.people[f"parent{i}"] = parent.id
    for i in range(30):
        await bind(bot.journal, world.people[f"parent{i}"])
    await bind(bot.journal, world.people["mother"])
    await bind(bot.journal, world.people["sidorov"])
    admin = await staff_user(bot, world, "admin")
    preview = await compose(admin, "🏫 Вся школа", "👪 Родители", TEXT)
    report = await admin.press_and_wait("📤 Отправить", message=preview)
    assert "Кто прочитал: 0 из 32" in (report.text or "")
    assert "Не прочитали (1–30 из 32)" in (report.text or "")
    second = await admin.press_and_wait("2 ▶", message=report)
    assert "Не прочитали (31–32 из 32)" in (second.text or "")
    assert len(await outbox_rows(bot.journal)) == 32


async def test_r17_a_parent_on_both_messengers_reads_in_max_and_is_counted_once(
    bot: Harness, max_bot: MaxHarness, world: World
) -> None:
    """The mother is in Telegram and in MAX and gets notifications on both: the
    announcement comes on both, she reads it in MAX, the teacher sees «1 из 1»."""
    teacher = await staff_user(bot, world, "math")
    in_telegram = await bot.bound_user(
        world.staff("admin"), world.people["mother"], BindingRole.PARENT
    )
    in_max = await max_bot.bound_user(
        world.staff("admin"), world.people["mother"], BindingRole.PARENT
    )
    preview = await compose(teacher, "Класс 5А", "👪 Родители", TEXT)
    report = await teacher.press_and_wait("📤 Отправить", message=preview)
    assert "Кто прочитал: 0 из 1" in (report.text or "")
    assert sorted(c for _, c, _ in await outbox_rows(bot.journal)) == ["max", "telegram"]
    assert await max_bot.deliver() == 1
    assert await deliver(bot) + await deliver(bot) == 2  # R3's notice of the MAX account too
    got = await in_max.wait_reply()
    assert "Родительское собрание" in (got.text or "")
    await in_max.press("Прочитано ✓", message=got)
    answer = await in_max.wait_answered()
    assert "прочитано" in (answer.get("notification") or "")
    in_tg = await in_telegram.wait_reply(predicate=lambda m: "Объявление" in (m.text or ""))
    toast = await (await in_telegram.press("Прочитано ✓", message=in_tg)).wait_answered()
    assert "уже отмечено" in (toast.get("text") or "")
    again = await teacher.press_and_wait("🔄 Обновить", message=report)
    assert "Кто прочитал: 1 из 1" in (again.text or "")
    assert "Прочитали все" in (again.text or "")


async def test_the_class_teacher_edits_the_draft_and_writes_to_one_group_only(
    bot: Harness, world: World
) -> None:
    """«✏️ Изменить» gives the text back to copy; the corrected one replaces it. The 5А
    English «1 группа» (Петя, Маша) is for their mother, not for Сидоров (2 группа)."""
    teacher = await staff_user(bot, world, "math")
    mother = await bot.bound_user(world.staff("admin"), world.people["mother"], BindingRole.PARENT)
    await bot.bound_user(world.staff("admin"), world.people["sidorov"], BindingRole.PARENT)
    group = "Группа 5А, 1 группа (Английский язык)"
    preview = await compose(teacher, group, "👪 Родители", "Контрольная в пятницу.")
    await teacher.press("✏️ Изменить", message=preview)
    ask = await teacher.wait_reply()
    assert "Отправьте исправленный текст" in (ask.text or "")
    current = await teacher.wait_reply()
    assert current.text == "Контрольная в пятницу."
    fixed = await teacher.send_and_wait("Контрольная в четверг.")
    assert "Контрольная в четверг." in (fixed.text or "") and group in (fixed.text or "")
    report = await teacher.press_and_wait("📤 Отправить", message=fixed)
    assert "Кто прочитал: 0 из 1" in (report.text or "")
    # «Отправить» on the first preview: the same draft, sent already.
    old_send = await teacher.press("📤 Отправить", message=preview)
    assert "уже отправлено" in ((await old_send.wait_answered()).get("text") or "")
    await bot.settle(teacher)
    assert await announcements_saved(bot.journal) == 1
    assert await deliver(bot) == 1
    got = await mother.wait_reply()
    assert "Контрольная в четверг." in (got.text or "")
    assert "пятницу" not in (got.text or "")
