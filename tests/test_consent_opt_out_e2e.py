"""End to end: a parent refuses consent (R19) or opts out of the e-diary (R18), and the
small screen and text fixes around them (the parent's child switcher, /help, wording)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pypdfium2
import pytest
from sqlalchemy import delete, select, update

from core import attendance, directory, lessons
from core.clock import ManualClock
from core.journal import Journal
from core.models import BindingRole, Guardianship, Period, Presence, StaffRole, StaffRoleRow
from core.people import gender
from demo import SCHOOL_DIR, SCHOOL_NAME
from school_journal.console import school_for
from school_journal.settings import Settings
from tests.botkit import Harness, running_bot
from tests.test_cli import journal_cmd
from tests.test_notifications_e2e import deliver
from tests.world import MONDAY, World


async def test_r19_refusing_consent_hides_the_child_and_tells_the_class_teacher(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    parent = await bot.bound_user(
        world.staff("math"), world.people["sidorov"], BindingRole.PARENT, consent=False
    )
    await parent.send("/menu")
    asked = await parent.wait_reply()
    assert "❌ Не согласен" in asked.button_texts
    refused = await parent.press_and_wait("❌ Не согласен")
    assert "Отказ от согласия записан" in (refused.text or "")

    async with bot.journal.transaction() as s:
        row = (
            await s.execute(
                select(Guardianship).where(Guardianship.guardian_id == world.people["sidorov"])
            )
        ).scalar_one()
        assert row.consent is False and row.consent_at == clock.now()

    # Nothing of the child: marks, absences, homework.
    for command in ("/marks", "/absences", "/homework"):
        await parent.send(command)
        reply = await parent.wait_reply()
        assert "Сидоров Николай" not in (reply.text or ""), command
        assert "✅ Даю согласие" in reply.button_texts

    # The class teacher is told at once.
    assert await deliver(bot) >= 1
    notice = await teacher.wait_reply()
    assert "Сидоров Андрей Петрович" in (notice.text or "")
    assert "Сидоров Николай Андреевич" in (notice.text or "")

    # The parent changes their mind from /menu.
    await bot.settle(parent)
    await parent.send("/menu")
    await parent.wait_reply()
    await parent.press_and_wait("✅ Даю согласие")
    await bot.settle(parent)
    await parent.send("/marks")
    marks = await parent.wait_reply()
    assert "Сидоров Николай Андреевич" in (marks.text or "")


def pdf_text(path: Path) -> str:
    pdf = pypdfium2.PdfDocument(path.read_bytes())
    return "\n".join(page.get_textpage().get_text_range() for page in pdf)


def statement_pdf(out: Path) -> Path:
    (written,) = [p for p in out.iterdir() if p.suffix == ".pdf"]
    return written


async def test_r18_opt_out_from_roster_cli_and_class_teacher_screen_enables_the_statement(
    settings: Settings,
    journal: Journal,
    db_url: str,
    clock: ManualClock,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The roster says Акимов Руслан opted out (a column of the Родители sheet).
    roster = tmp_path / "school"
    shutil.copytree(SCHOOL_DIR, roster)
    guardians = roster / "guardians.csv"
    lines = guardians.read_text(encoding="utf-8").splitlines()
    lines[0] += ",отказ_от_электронного_дневника"
    lines[1:] = [line + (",да" if line.startswith("G0001,") else ",") for line in lines[1:]]
    guardians.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert await journal_cmd(settings, "import", str(roster), "--school", SCHOOL_NAME) == 0
    capsys.readouterr()

    out = tmp_path / "out"
    out.mkdir()
    assert await journal_cmd(settings, "report", "statement", "--class", "1А", "-o", str(out)) == 0
    text = pdf_text(statement_pdf(out))
    assert "Акимова Стефания" in text
    assert "Александрова Арина" not in text

    # The console records another parent's opt-out.
    code = await journal_cmd(settings, "opt-out", "--parent", "Александрова Людмила Семёновна")
    assert code == 0
    assert "Александрова Арина Михайловна" in capsys.readouterr().out
    for old in out.iterdir():
        old.unlink()
    assert await journal_cmd(settings, "report", "statement", "--class", "1А", "-o", str(out)) == 0
    text = pdf_text(statement_pdf(out))
    assert "Акимова Стефания" in text and "Александрова Арина" in text

    # The class teacher switches a third parent on her class's screen.
    school = await school_for(journal, SCHOOL_NAME)
    assert school is not None
    (teacher_ref,) = await directory.find_people(journal, school.id, "Грачёва Валерия Павловна")
    async with running_bot(journal, db_url) as harness:
        teacher = await harness.bound_user(school.admin, teacher_ref.id, BindingRole.STAFF)
        await teacher.send("/menu")
        await teacher.wait_reply()
        await teacher.press_and_wait("👥 Мой класс 1А")
        screen = await teacher.press_and_wait("📄 Отказ от эл. дневника")
        assert "1А" in (screen.text or "")
        assert "📄 Акимов Р. → Акимова С." in screen.button_texts
        assert "📄 Александрова Л. → Александрова А." in screen.button_texts
        after = await teacher.press_and_wait("📱 Александров М. → Александрова А.")
        assert "📄 Александров М. → Александрова А." in after.button_texts
    (father,) = await directory.find_people(journal, school.id, "Александров Михаил Аркадьевич")
    async with journal.transaction() as s:
        link = (
            await s.execute(select(Guardianship).where(Guardianship.guardian_id == father.id))
        ).scalar_one()
        assert link.diary_opt_out is True and link.opt_out_at == clock.now()

    # Importing the same roster again keeps the opt-outs (the cells are empty).
    assert await journal_cmd(settings, "import", str(roster), "--school", SCHOOL_NAME) == 0
    async with journal.transaction() as s:
        kept = await s.get(Guardianship, (father.id, link.pupil_id))
        assert kept is not None and kept.diary_opt_out is True
    code = await journal_cmd(settings, "opt-out", "--parent", "Нет Такого Человека")
    assert code == 1
    assert "Не нашёл" in capsys.readouterr().err


async def test_absence_of_a_girl_reads_ne_byla(bot: Harness, world: World) -> None:
    lesson = (await lessons.teacher_day(bot.journal, world.staff("math"), MONDAY))[0]
    for pupil in ("masha", "kolya"):
        await attendance.set_status(
            bot.journal, world.staff("math"), lesson.id, world.people[pupil], Presence.ABSENT
        )
    class_teacher = await bot.bound_user(
        world.staff("admin"), world.people["math"], BindingRole.STAFF
    )
    await class_teacher.send("/menu")
    await class_teacher.wait_reply()
    day = await class_teacher.press_and_wait("👥 Мой класс 5А")
    assert (day.text or "").startswith("Класс 5А:")  # the class view says whose data it is
    await class_teacher.press_and_wait("👤 Ученики")
    await class_teacher.press_and_wait("Иванова М.")
    page = await class_teacher.press_and_wait("🚫 Пропуски")
    assert "Иванова Мария Алексеевна" in (page.text or "")
    assert "23.11: не была на уроках (1): " in (page.text or "")

    mother = await bot.bound_user(world.staff("math"), world.people["mother"], BindingRole.PARENT)
    await mother.send("/menu")
    await mother.wait_reply()
    await mother.press_and_wait(lambda b: b.text.endswith("Мария"))
    await bot.settle(mother)
    await mother.send("/absences")
    seen = await mother.wait_reply()
    assert "не была на уроках" in (seen.text or "")
    assert "не был на" not in (seen.text or "")


def test_a_name_without_a_patronymic_gets_neutral_wording() -> None:
    assert gender("Иванова Мария Алексеевна") == "f"
    assert gender("Алиева Лейла Рашид кызы") == "f"
    assert gender("Алиев Тимур Рашид оглы") == "m"
    assert gender("Сидоров Николай Андреевич") == "m"
    assert gender("Smith John") is None


async def test_parent_menu_has_a_child_switcher(bot: Harness, world: World) -> None:
    mother = await bot.bound_user(world.staff("math"), world.people["mother"], BindingRole.PARENT)
    await mother.send("/menu")
    menu = await mother.wait_reply()
    names = {b.lstrip("• ") for b in menu.button_texts}
    assert {"Пётр", "Мария", "Дарья"} <= names
    shown = await mother.press_and_wait(lambda b: b.text.endswith("Дарья"))
    assert "Иванова Дарья Алексеевна" in (shown.text or "")
    await bot.settle(mother)
    await mother.send("/menu")
    again = await mother.wait_reply()
    assert "Иванова Дарья Алексеевна" in (again.text or "")
    assert "• Дарья" in again.button_texts


@pytest.mark.parametrize("who", ["deputy", "admin"])
async def test_help_for_a_deputy_names_only_commands_that_work(
    bot: Harness, world: World, who: str
) -> None:
    async with bot.journal.transaction() as s:  # a deputy who teaches no lessons
        await s.execute(
            delete(StaffRoleRow).where(
                StaffRoleRow.person_id == world.people[who],
                StaffRoleRow.role == StaffRole.TEACHER.value,
            )
        )
    user = await bot.bound_user(world.staff("admin"), world.people[who], BindingRole.STAFF)
    await user.send("/help")
    help_text = (await user.wait_reply()).text or ""
    commands = sorted(set(re.findall(r"/[a-z]+", help_text)) - {"/logout"})
    assert "/today" not in commands and "/menu" in commands
    for command in commands:
        await bot.settle(user)
        await user.send(command)
        reply = await user.wait_reply()
        assert "Не понял сообщение" not in (reply.text or ""), command


async def test_help_for_a_parent_names_the_schools_own_period(bot: Harness, world: World) -> None:
    async with bot.journal.transaction() as s:  # a school with trimesters
        await s.execute(
            update(Period).where(Period.id == world.periods["2 четверть"]).values(name="1 триместр")
        )
    parent = await bot.bound_user(world.staff("math"), world.people["sidorov"], BindingRole.PARENT)
    await parent.send("/help")
    text = (await parent.wait_reply()).text or ""
    assert "за 1 триместр" in text
    assert "четверть" not in text
