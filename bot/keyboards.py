"""Inline keyboards. They only hide what a user may not do; core decides."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.actions import (
    AddMarkCb,
    BulkCb,
    DayCb,
    DecideCb,
    FinalCb,
    HomeworkDueCb,
    LessonAct,
    LessonActCb,
    LessonCb,
    MarkEditCb,
    Nav,
    NavCb,
    PupilMarksCb,
    PupilsPageCb,
    PupilsScreen,
    RequestsCb,
    RestCb,
    RollPageCb,
    SubCb,
    SubsListCb,
    TapCb,
)
from bot.render import inline_button
from bot.screen import Action
from bot.screens.common import page_of, pager
from core.attendance import RollCall, RollCallLine
from core.lessons import HomeworkDue, LessonSummary, SchoolLesson
from core.marks import FINAL_VALUES, MarkView, WorkTypeView
from core.models import Presence
from core.people import short_name
from core.rules import grade_has_marks
from texts import Texts

STATUS_ICON = {None: "▫️", Presence.PRESENT: "✅", Presence.ABSENT: "❌", Presence.LATE: "🕒"}


def button(text: str, data: Action) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


# --- teacher -----------------------------------------------------------------------------------


def lesson_list(
    tx: Texts, day: date, lessons: list[LessonSummary], *, for_substitution: bool = False
) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    for x in lessons:
        when = x.starts_at.strftime("%H:%M") if x.starts_at else ""
        done = " ✓" if x.attendance_taken else ""
        if for_substitution:
            data: Action = LessonActCb(lesson=x.id, act=LessonAct.SUBSTITUTE)
        else:
            data = LessonCb(lesson=x.id)
        rows.append([button(f"{x.lesson_no}. {when} {x.class_name} {x.subject}{done}", data)])
    if not for_substitution:
        prev_day, next_day = day - timedelta(days=1), day + timedelta(days=1)
        rows.append(
            [
                button(f"◀ {prev_day:%d.%m}", DayCb(day=prev_day.toordinal())),
                button(f"{next_day:%d.%m} ▶", DayCb(day=next_day.toordinal())),
            ]
        )
        rows.extend(week_rows(tx, day))
        rows.append([button(tx("teacher.substitute"), SubsListCb(day=day.toordinal()))])
    else:
        rows.append([button(tx("nav.back_lessons"), DayCb(day=day.toordinal()))])
    rows.append([button(tx("nav.menu"), NavCb(to=Nav.MENU))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def week_rows(tx: Texts, day: date) -> list[list[InlineKeyboardButton]]:
    """The shown day's week and the next as two rows of days («Пн 30» … «Сб 5»): any day
    of the fortnight is one tap away; the shown day is marked with a dot."""
    monday = day - timedelta(days=day.weekday())
    rows = []
    for week in (0, 1):
        row = []
        for i in range(6):
            d = monday + timedelta(days=7 * week + i)
            label = f"{tx(f'wd.{i + 1}').capitalize()} {d.day}"
            row.append(button(f"• {label}" if d == day else label, DayCb(day=d.toordinal())))
        rows.append(row)
    return rows


def typing_prompt(tx: Texts, lesson_id: int) -> InlineKeyboardMarkup:
    """Under a topic or homework prompt: «Отмена» goes back to the card (any button press
    abandons the prompt, see ``SessionMiddleware``)."""
    return InlineKeyboardMarkup(
        inline_keyboard=[[button(tx("lesson.cancel_typing"), LessonCb(lesson=lesson_id))]]
    )


ROLL_CALL_PAGE = 80  # pupils a page: with the lesson's buttons, under Telegram's 100


def roll_call_pages(call: RollCall) -> int:
    return max(1, -(-len(call.lines) // ROLL_CALL_PAGE))


def roll_call_page_of(call: RollCall, pupil_id: int) -> int:
    """The page a pupil's button is on (a tap redraws the page it was made on)."""
    for index, line in enumerate(call.lines):
        if line.pupil.id == pupil_id:
            return index // ROLL_CALL_PAGE
    return 0


PUPILS_PAGE = 50  # pupils a page of the marks grid, bulk mode, final marks: one message


def pupils_page(call: RollCall, page: int) -> tuple[list[RollCallLine], int, int]:
    """The pupils of a page of a marks screen (clamped), the page and the pages."""
    return page_of(call.lines, page, PUPILS_PAGE)


def pupils_page_of(call: RollCall, pupil_id: int) -> int:
    """The page of a marks screen a pupil's button is on."""
    for index, line in enumerate(call.lines):
        if line.pupil.id == pupil_id:
            return index // PUPILS_PAGE
    return 0


SCHOOL_LESSONS_PAGE = 30  # a school's day has hundreds of lessons: paged


def _pager(page: int, pages: int, data: Action) -> list[InlineKeyboardButton]:
    """◀ ▶ between pages (until the screens using it move to ``bot/screens/``)."""
    return [inline_button(b) for b in pager(page, pages, data)]


def school_lesson_label(tx: Texts, x: SchoolLesson) -> str:
    """A lesson told apart from the others at the same hour: its teacher and subgroup."""
    lesson = x.lesson
    return tx(
        "teacher.substitute_button",
        no=lesson.lesson_no,
        time=lesson.starts_at.strftime("%H:%M") if lesson.starts_at else "",
        cls=lesson.class_name,
        subject=lesson.subject,
        group=f" ({x.group})" if x.group else "",
        teacher=x.teacher,
    )


def substitution_list(
    tx: Texts, day: date, others: list[SchoolLesson], page: int
) -> InlineKeyboardMarkup:
    """Other teachers' lessons of the day to take as a substitute (R5), paged."""
    shown, page, pages = page_of(others, page, SCHOOL_LESSONS_PAGE)
    rows = [
        [
            button(
                school_lesson_label(tx, x),
                LessonActCb(lesson=x.lesson.id, act=LessonAct.SUBSTITUTE),
            )
        ]
        for x in shown
    ]
    pager = _pager(page, pages, SubsListCb(day=day.toordinal(), page=page))
    if pager:
        rows.append(pager)
    rows.append([button(tx("nav.back_lessons"), DayCb(day=day.toordinal()))])
    rows.append([button(tx("nav.menu"), NavCb(to=Nav.MENU))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def school_day_lessons(
    tx: Texts, day: date, rows_in: list[SchoolLesson], page: int
) -> InlineKeyboardMarkup:
    """The deputy's day (R5, R25): a tap on a lesson picks its substitute; paged."""
    shown, page, pages = page_of(rows_in, page, SCHOOL_LESSONS_PAGE)
    rows = [
        [
            button(
                ("🔁 " if x.lesson.substituted else "") + school_lesson_label(tx, x),
                SubCb(act="l", day=day.toordinal(), lesson=x.lesson.id),
            )
        ]
        for x in shown
    ]
    pager = _pager(page, pages, SubCb(act="d", day=day.toordinal(), page=page))
    if pager:
        rows.append(pager)
    prev_day, next_day = day - timedelta(days=1), day + timedelta(days=1)
    rows.append(
        [
            button(f"◀ {prev_day:%d.%m}", SubCb(act="d", day=prev_day.toordinal())),
            button(f"{next_day:%d.%m} ▶", SubCb(act="d", day=next_day.toordinal())),
        ]
    )
    rows.append([button(tx("nav.menu"), NavCb(to=Nav.MENU))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


TEACHERS_PAGE = 30


def substitute_teachers(
    tx: Texts, day: date, lesson_id: int, teachers: list[tuple[int, str]], current: int, page: int
) -> InlineKeyboardMarkup:
    shown, page, pages = page_of(teachers, page, TEACHERS_PAGE)
    kb = InlineKeyboardBuilder()
    for teacher_id, name in shown:
        kb.button(
            text=("• " if teacher_id == current else "") + short_name(name),
            callback_data=SubCb(
                act="t", day=day.toordinal(), lesson=lesson_id, teacher=teacher_id
            ).pack(),
        )
    kb.adjust(2)
    pager = _pager(page, pages, SubCb(act="l", day=day.toordinal(), lesson=lesson_id, page=page))
    if pager:
        kb.row(*pager)
    kb.row(button(tx("nav.back"), SubCb(act="d", day=day.toordinal())))
    return kb.as_markup()


def lesson_card(
    tx: Texts, lesson: LessonSummary, call: RollCall, page: int = 0
) -> InlineKeyboardMarkup:
    """The roll call: two pupils a row (a class larger than one keyboard holds is paged,
    ◀ ▶). Built directly: InlineKeyboardBuilder deep-copies every button, which made this
    keyboard cost ~30 times more (the hot path, R4)."""
    pages = roll_call_pages(call)
    page = min(max(page, 0), pages - 1)
    lines = call.lines
    if pages > 1:
        lines = lines[page * ROLL_CALL_PAGE : (page + 1) * ROLL_CALL_PAGE]
    taps = [
        InlineKeyboardButton(
            text=f"{STATUS_ICON[line.status]} {line.pupil.short_name}",
            callback_data=TapCb(lesson=lesson.id, pupil=line.pupil.id).pack(),
        )
        for line in lines
    ]
    rows = [taps[i : i + 2] for i in range(0, len(taps), 2)]
    if pages > 1:
        pager = []
        if page > 0:
            pager.append(button(f"◀ {page}", RollPageCb(lesson=lesson.id, page=page - 1)))
        if page < pages - 1:
            pager.append(button(f"{page + 2} ▶", RollPageCb(lesson=lesson.id, page=page + 1)))
        rows.append(pager)
    if call.counts.not_taken:
        rows.append([button(tx("rollcall.rest_present"), RestCb(lesson=lesson.id))])
    has_marks = grade_has_marks(lesson.grade)  # R12
    row = []
    if has_marks:
        row.append(button(tx("lesson.marks"), LessonActCb(lesson=lesson.id, act=LessonAct.MARKS)))
    row.append(button(tx("lesson.topic"), LessonActCb(lesson=lesson.id, act=LessonAct.TOPIC)))
    if has_marks:
        row.append(
            button(tx("lesson.homework"), LessonActCb(lesson=lesson.id, act=LessonAct.HOMEWORK))
        )
    rows.append(row)
    if has_marks:
        rows.append(
            [
                button(tx("lesson.bulk"), LessonActCb(lesson=lesson.id, act=LessonAct.BULK)),
                button(tx("lesson.final"), LessonActCb(lesson=lesson.id, act=LessonAct.FINAL)),
            ]
        )
    rows.append([button(tx("nav.back_lessons"), DayCb(day=lesson.date.toordinal()))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def marks_pupils(
    tx: Texts, lesson_id: int, call: RollCall, marks: dict[int, list[MarkView]], page: int = 0
) -> InlineKeyboardMarkup:
    """The marks grid: a pupil a button, two a row; a large class is paged (◀ ▶)."""
    lines, page, pages = pupils_page(call, page)
    kb = InlineKeyboardBuilder()
    for line in lines:
        values = ",".join(str(m.value) for m in marks.get(line.pupil.id, []))
        suffix = f" {values}" if values else ""
        kb.button(
            text=f"{line.pupil.short_name}{suffix}",
            callback_data=PupilMarksCb(lesson=lesson_id, pupil=line.pupil.id).pack(),
        )
    kb.adjust(2)
    pager = _pager(page, pages, PupilsPageCb(lesson=lesson_id, screen=PupilsScreen.MARKS, page=0))
    if pager:
        kb.row(*pager)
    kb.row(button(tx("nav.back_lesson"), LessonCb(lesson=lesson_id)))
    return kb.as_markup()


def pupil_marks(
    tx: Texts,
    lesson_id: int,
    pupil_id: int,
    existing: list[MarkView],
    work_types: list[WorkTypeView],
    back_page: int = 0,
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for wt in work_types:
        kb.row(
            button(
                tx("marks.work_type", work=wt.name, weight=weight_text(wt.weight)),
                PupilMarksCb(lesson=lesson_id, pupil=pupil_id),
            ),
            *[
                button(str(v), AddMarkCb(lesson=lesson_id, pupil=pupil_id, value=v, wt=wt.id))
                for v in (2, 3, 4, 5)
            ],
        )
    for m in existing:
        kb.row(
            button(
                tx("marks.change_label", value=m.value, work=m.work_type),
                PupilMarksCb(lesson=lesson_id, pupil=pupil_id),
            ),
            *[
                button(tx("marks.change_to", value=v), MarkEditCb(mark=m.id, value=v))
                for v in (2, 3, 4, 5)
                if v != m.value
            ],
        )
        kb.row(
            button(
                tx("marks.remove", value=m.value, work=m.work_type), MarkEditCb(mark=m.id, value=0)
            )
        )
    back = PupilsPageCb(lesson=lesson_id, screen=PupilsScreen.MARKS, page=back_page)
    kb.row(button(tx("nav.back_marks"), back))
    return kb.as_markup()


def bulk(
    tx: Texts,
    lesson_id: int,
    value: int,
    wt: int,
    work_types: list[WorkTypeView],
    call: RollCall,
    marks: dict[int, list[MarkView]],
    page: int = 0,
) -> InlineKeyboardMarkup:
    """Bulk mode: the value and the work type, then the pupils (a large class paged, the
    page kept when the value or the work type changes)."""
    lines, page, pages = pupils_page(call, page)
    kb = InlineKeyboardBuilder()
    kb.row(
        *[
            button(
                ("• " if v == value else "") + str(v),
                BulkCb(lesson=lesson_id, value=v, wt=wt, page=page),
            )
            for v in (2, 3, 4, 5)
        ]
    )
    kb.row(
        *[
            button(
                ("• " if w.id == wt else "")
                + tx("marks.work_type", work=w.name.split()[0], weight=weight_text(w.weight)),
                BulkCb(lesson=lesson_id, value=value, wt=w.id, page=page),
            )
            for w in work_types
        ]
    )
    pupils = InlineKeyboardBuilder()
    for line in lines:
        given = [m for m in marks.get(line.pupil.id, []) if m.work_type == _wt_name(work_types, wt)]
        suffix = f" — {given[-1].value}" if given else ""
        pupils.button(
            text=f"{line.pupil.short_name}{suffix}",
            callback_data=BulkCb(lesson=lesson_id, value=value, wt=wt, pupil=line.pupil.id).pack(),
        )
    pupils.adjust(2)
    kb.attach(pupils)
    pager = _pager(page, pages, BulkCb(lesson=lesson_id, value=value, wt=wt, page=page))
    if pager:
        kb.row(*pager)
    kb.row(button(tx("nav.back_lesson"), LessonCb(lesson=lesson_id)))
    return kb.as_markup()


def weight_text(weight: Decimal) -> str:
    """A work type's weight as a teacher reads it: 1, 1.5, 2."""
    return format(weight.normalize(), "f")


def due_day(tx: Texts, day: date) -> str:
    """«Вт 24.11»: a lesson the homework may be due at."""
    return tx("lesson.due_day", wd=tx(f"wd.{day.isoweekday()}").capitalize(), day=f"{day:%d.%m}")


def homework_due(tx: Texts, due: HomeworkDue) -> InlineKeyboardMarkup:
    """The next lessons of the subject in one row, the one the homework is due at ticked."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(
                    ("✓ " if day == due.due else "") + due_day(tx, day),
                    HomeworkDueCb(lesson=due.lesson_id, day=day.toordinal()),
                )
                for day in due.choices
            ]
        ]
    )


def mark_reason_cancel(
    tx: Texts, lesson_id: int, pupil_id: int, bulk: BulkCb | None = None
) -> InlineKeyboardMarkup:
    """Under the prompt for a correction's reason: «Отмена» goes back to the pupil's marks
    (or to the class test's screen, ``bulk``, the change was asked from)."""
    back = bulk if bulk is not None else PupilMarksCb(lesson=lesson_id, pupil=pupil_id)
    return InlineKeyboardMarkup(inline_keyboard=[[button(tx("marks.reason_cancel"), back)]])


def _wt_name(work_types: list[WorkTypeView], wt: int) -> str:
    return next((w.name for w in work_types if w.id == wt), "")


def final_pupils(
    tx: Texts, lesson_id: int, call: RollCall, finals: dict[int, str], page: int = 0
) -> InlineKeyboardMarkup:
    lines, page, pages = pupils_page(call, page)
    kb = InlineKeyboardBuilder()
    for line in lines:
        value = finals.get(line.pupil.id)
        kb.button(
            text=f"{line.pupil.short_name}" + (f" — {value}" if value else ""),
            callback_data=FinalCb(lesson=lesson_id, pupil=line.pupil.id).pack(),
        )
    kb.adjust(2)
    pager = _pager(page, pages, PupilsPageCb(lesson=lesson_id, screen=PupilsScreen.FINAL, page=0))
    if pager:
        kb.row(*pager)
    kb.row(button(tx("nav.back_lesson"), LessonCb(lesson=lesson_id)))
    return kb.as_markup()


def final_values(
    tx: Texts, lesson_id: int, pupil_id: int, back_page: int = 0
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.row(
        *[button(v, FinalCb(lesson=lesson_id, pupil=pupil_id, value=v)) for v in FINAL_VALUES[:5]]
    )
    kb.row(
        *[button(v, FinalCb(lesson=lesson_id, pupil=pupil_id, value=v)) for v in FINAL_VALUES[5:]]
    )
    back = PupilsPageCb(lesson=lesson_id, screen=PupilsScreen.FINAL, page=back_page)
    kb.row(button(tx("nav.back"), back))
    return kb.as_markup()


REQUESTS_PAGE = 8  # correction requests a page of the deputy's list (R7)


def requests_page(
    tx: Texts, numbered: list[tuple[int, int]], page: int, pages: int
) -> InlineKeyboardMarkup:
    """The deputy's list: ✅ N / ✖ N for each request N of the page, ◀ ▶, the menu."""
    rows = [
        [
            button(
                tx("requests.approve_no", no=no),
                DecideCb(request=request_id, approve=True, page=page),
            ),
            button(
                tx("requests.decline_no", no=no),
                DecideCb(request=request_id, approve=False, page=page),
            ),
        ]
        for no, request_id in numbered
    ]
    pager = _pager(page, pages, RequestsCb(page=page))
    if pager:
        rows.append(pager)
    rows.append([button(tx("nav.menu"), NavCb(to=Nav.MENU))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def decide(tx: Texts, request_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(tx("requests.approve"), DecideCb(request=request_id, approve=True)),
                button(tx("requests.decline"), DecideCb(request=request_id, approve=False)),
            ]
        ]
    )


# --- family ------------------------------------------------------------------------------------


def family_back(tx: Texts) -> InlineKeyboardMarkup:
    """«В меню» (the deputy's requests still use it; ``bot.screens.nav.menu_row``)."""
    return InlineKeyboardMarkup(inline_keyboard=[[button(tx("nav.menu"), NavCb(to=Nav.MENU))]])
