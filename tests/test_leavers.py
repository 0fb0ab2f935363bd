"""A pupil who leaves the school (issue 9, item 10; R21 pupil movement): the roster says
so in its «дата выбытия» column; a file that leaves a pupil out only warns."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from core import accounts, invitations
from core.access import ensure_can_view_pupil
from core.errors import InvalidValue, NotAllowed
from core.models import Binding, BindingRole, Pupil
from demo import SCHOOL_DIR, SCHOOL_NAME
from fakegram import FakeUser, MessageView
from reports import xlsx
from school_journal.cli import build_parser, dispatch
from school_journal.settings import Settings
from tests.botkit import Harness
from tests.world import PUPILS, STAFF, World

ROLE_WORDS = {"admin": "администратор", "director": "директор", "deputy": "завуч"}
TODAY = "23.11.2026"  # the tests' clock: Monday 23 November 2026


def roster(
    *, left: dict[str, str] | None = None, without: tuple[str, ...] = (), new: tuple[str, ...] = ()
) -> bytes:
    """The test school's workbook: ``left`` gives pupils (by key) a leaving date,
    ``without`` leaves pupils out, ``new`` adds pupils to 1А."""
    wb = Workbook()
    wb.remove(wb.worksheets[0])
    teachers = wb.create_sheet("Сотрудники")
    teachers.append(["ФИО", "Роли"])
    for name, roles in STAFF.values():
        teachers.append(
            [name, "; ".join(sorted(ROLE_WORDS.get(r.value, "учитель") for r in roles))]
        )
    classes = wb.create_sheet("Классы")
    classes.append(["Название", "Параллель", "Классный руководитель"])
    classes.append(["5А", 5, STAFF["math"][0]])
    classes.append(["1А", 1, STAFF["primary"][0]])
    subjects = wb.create_sheet("Предметы")
    subjects.append(["Название"])
    for name in ("Математика", "Английский язык", "Русский язык"):
        subjects.append([name])
    pupils = wb.create_sheet("Ученики")
    pupils.append(["ФИО", "Класс", "Дата выбытия"])
    for key, (name, class_name) in PUPILS.items():
        if key not in without:
            pupils.append([name, class_name, (left or {}).get(key)])
    for name in new:
        pupils.append([name, "1А", None])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


async def admin_user(bot: Harness, world: World) -> FakeUser:
    user = await bot.bound_user(world.staff("admin"), world.people["admin"], BindingRole.STAFF)
    await user.send("/menu")
    await user.wait_reply()
    return user


def answered(message: MessageView) -> bool:
    return "загружен" in (message.text or "")


async def roll_call_buttons(bot: Harness, world: World) -> list[str]:
    teacher = await bot.bound_user(world.staff("admin"), world.people["math"], BindingRole.STAFF)
    await teacher.send("/today")
    await teacher.wait_reply()
    card = await teacher.press_and_wait(lambda b: "5А Математика" in b.text)
    await bot.settle(teacher)
    return card.button_texts


async def test_a_pupil_who_left_is_off_the_roll_call_and_their_codes_no_longer_bind(
    bot: Harness, world: World
) -> None:
    """Петя and Коля move to another school. Петя's mother has two more children here;
    Коля's father has only him."""
    petya = world.people["petya"]
    admin_actor = world.staff("admin")
    pupil_user = await bot.bound_user(admin_actor, petya, BindingRole.PUPIL)
    mother = await bot.bound_user(admin_actor, world.people["mother"], BindingRole.PARENT)
    kolya_code = await invitations.issue(
        bot.journal, admin_actor, world.people["kolya"], BindingRole.PUPIL
    )
    father_code = await invitations.issue(
        bot.journal, admin_actor, world.people["sidorov"], BindingRole.PARENT
    )

    admin = await admin_user(bot, world)
    await admin.send_document(
        roster(left={"petya": TODAY, "kolya": TODAY}, new=("Новикова Алиса Павловна",)),
        "школа.xlsx",
    )
    reply = await admin.wait_reply(predicate=answered)
    text = reply.text or ""
    assert "загружен:" in text, text
    assert "Выбыли (2): Иванов Пётр Алексеевич (5А), Сидоров Николай Андреевич (5А)." in text, text
    assert "Ученики: добавлено 1, изменено 2" in text

    # Off today's roll call; the history stays (the pupil is still in the journal).
    buttons = await roll_call_buttons(bot, world)
    assert "▫️ Иванова М." in buttons
    assert not any("Иванов П." in b or "Сидоров Н." in b for b in buttons), buttons
    async with bot.journal.transaction() as s:
        left_on = dict((await s.execute(select(Pupil.person_id, Pupil.left_on))).all())
    assert left_on[petya] == left_on[world.people["kolya"]] == date(2026, 11, 23)

    # Their unused codes no longer bind: Коля's, and his father's (no child left here).
    for code in (kolya_code.code, father_code.code):
        user = bot.user("Старый", "Код")
        await user.open_deep_link(code)
        assert "отозван" in ((await user.wait_reply()).text or "")

    # Петя's own binding ended; his mother keeps hers but no longer sees him.
    async with bot.journal.transaction() as s:
        ended = dict((await s.execute(select(Binding.person_id, Binding.revoked_at))).all())
    assert ended[petya] is not None and ended[world.people["mother"]] is None
    await pupil_user.send("/marks")
    assert "Иванов Пётр" not in ((await pupil_user.wait_reply()).text or "")
    await mother.send("/marks")
    marks = await mother.wait_reply()
    await bot.settle(mother)
    assert "Пётр" not in (marks.text or "") + " ".join(marks.button_texts), marks.text
    kids = await accounts.children(bot.journal, world.parent("mother"))
    assert [k.full_name for k in kids] == ["Иванова Дарья Алексеевна", "Иванова Мария Алексеевна"]
    async with bot.journal.transaction() as s:
        with pytest.raises(NotAllowed):  # a forged button for the child who left
            await ensure_can_view_pupil(s, world.parent("mother"), petya)
        await ensure_can_view_pupil(s, world.parent("mother"), world.people["masha"])
    with pytest.raises(InvalidValue) as refused:  # no new code for a pupil who left
        await invitations.issue(bot.journal, admin_actor, petya, BindingRole.PUPIL)
    assert refused.value.key == "error.left_school"

    # The same file again: nothing changes, nobody "leaves" twice.
    await admin.send_document(
        roster(left={"petya": TODAY, "kolya": TODAY}, new=("Новикова Алиса Павловна",)),
        "школа.xlsx",
    )
    again = await admin.wait_reply(predicate=answered)
    assert "Изменений нет." in (again.text or "") and "Выбыли" not in (again.text or "")

    # R21: the movement report of the quarter lists the arrival and the leavers.
    name, data = await xlsx.movement_xlsx(
        bot.journal, admin_actor, date(2026, 11, 5), date(2026, 12, 28)
    )
    assert name.endswith(".xlsx")
    book = load_workbook(io.BytesIO(data))
    moves: list[tuple[Any, ...]] = list(book.worksheets[0].iter_rows(min_row=3, values_only=True))
    assert [(r[1], r[2], r[3]) for r in moves] == [
        ("прибыл(а)", "1А", "Новикова Алиса Павловна"),
        ("выбыл(а)", "5А", "Иванов Пётр Алексеевич"),
        ("выбыл(а)", "5А", "Сидоров Николай Андреевич"),
    ]
    summary = {r[0]: r[1:] for r in book.worksheets[1].iter_rows(min_row=3, values_only=True)}
    assert summary["5А"] == (3, 0, 2, 1)  # at the start, arrived, left, at the end
    assert summary["1А"] == (2, 1, 0, 3)


async def test_a_pupil_missing_from_the_file_is_named_and_stays(bot: Harness, world: World) -> None:
    admin = await admin_user(bot, world)
    await admin.send_document(roster(without=("kolya",)), "школа.xlsx")
    reply = await admin.wait_reply(predicate=answered)
    text = reply.text or ""
    assert "⚠️ В журнале, но нет в файле (1): Сидоров Николай Андреевич (5А)." in text, text
    assert "«дата выбытия»" in text
    assert "▫️ Сидоров Н." in await roll_call_buttons(bot, world)  # not deleted


async def test_a_leaving_date_still_to_come_is_refused_and_nothing_changes(
    bot: Harness, world: World
) -> None:
    admin = await admin_user(bot, world)
    await admin.send_document(roster(left={"kolya": "30.11.2026"}), "школа.xlsx")
    reply = await admin.wait_reply(predicate=answered)
    text = reply.text or ""
    assert (
        "лист «Ученики», строка 4, столбец «Дата выбытия» (C): дата выбытия 30.11.2026 ещё не "
        "наступила" in text
    ), text
    async with bot.journal.transaction() as s:
        assert (
            await s.scalar(select(Pupil.left_on).where(Pupil.person_id == world.people["kolya"]))
            is None
        )


async def test_r21_journal_report_movement_lists_arrivals_and_leavers(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(
        _env_file=None,
        database_url=db_url,
        data_dir=tmp_path / "data",
        bot_username="school_journal_bot",
    )

    async def journal_cmd(*argv: str) -> int:
        return await dispatch(build_parser().parse_args(list(argv)), settings)

    assert await journal_cmd("import", str(SCHOOL_DIR), "--school", SCHOOL_NAME) == 0
    folder = tmp_path / "school"
    folder.mkdir()
    for f in SCHOOL_DIR.glob("*.csv"):
        (folder / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    lines = (SCHOOL_DIR / "pupils.csv").read_text(encoding="utf-8").splitlines()
    header, first, *rest = lines
    leaver = first.split(",")[1]
    (folder / "pupils.csv").write_text(
        "\n".join(
            [
                header + ",дата выбытия,дата прибытия",
                first + ",15.09.2026,",
                *(line + ",," for line in rest),
                "P9999,Новиков Пётр Павлович,1А,2019-05-05,,01.10.2026",
            ]
        ),
        encoding="utf-8",
    )
    assert await journal_cmd("import", str(folder)) == 0
    out = capsys.readouterr().out
    assert f"Выбыли (1): {leaver} (1А)." in out

    target = tmp_path / "movement.xlsx"
    code = await journal_cmd(
        "report", "movement", "--from", "2026-09-01", "--to", "2027-05-31", "-o", str(target)
    )
    assert code == 0, capsys.readouterr().err
    book = load_workbook(target)
    moves: list[tuple[Any, ...]] = list(book.worksheets[0].iter_rows(min_row=3, values_only=True))
    assert [(r[0].date(), r[1], r[3]) for r in moves] == [
        (date(2026, 9, 15), "выбыл(а)", leaver),
        (date(2026, 10, 1), "прибыл(а)", "Новиков Пётр Павлович"),
    ]
