"""The class teacher (the class's journal read-only, the week's absences with reasons to
confirm, invitation codes, R1, R2, R6), the deputy (correction requests, R7) and the admin
(staff codes; cutting a binding from a paged list filtered by role and searched by name,
R2, R3)."""

from __future__ import annotations

from datetime import date, timedelta

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.deep_linking import create_start_link

from bot import keyboards
from bot.actions import (
    AdminCb,
    BindingsCb,
    ClassCb,
    ClassPupilCb,
    DecideCb,
    Nav,
    NavCb,
    OptOutCb,
    ReasonCb,
    ReissueCb,
    RequestsCb,
    SubCb,
    WeekPageCb,
)
from bot.filters import StaffOnly, on
from bot.handlers.family import absences_text, marks_text
from bot.handlers.notices import tell_confirmed
from bot.handlers.start import help_text
from bot.handlers.teacher import day_title, today
from bot.middlewares import CallbackAnswer
from bot.notify import request_text, tell_requester
from bot.render import h, show, split_text
from bot.screens.common import page_of
from bot.storage import side_slot
from core import accounts, classes, corrections, friday_round, invitations, lessons
from core.access import Actor
from core.errors import NotFound
from core.invitations import IssueResult
from core.journal import Journal
from core.models import AbsenceReason, BindingRole, StaffRole
from notifications.substitutions import announce_substitution
from reports.cards import invite_cards
from texts import Texts

# --- class teacher -----------------------------------------------------------------------------


async def class_day(
    query: CallbackQuery, callback_data: ClassCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    day = date.fromordinal(callback_data.day) if callback_data.day else today(journal)
    rows = await lessons.class_day(journal, actor, callback_data.cls, day)
    led = dict(await classes.classes_led_by(journal, actor))
    name = led.get(callback_data.cls) or (rows[0].class_name if rows else "")
    lines = [tx("class.day", cls=h(name), day=day_title(tx, day))]
    for x in rows:
        taken = "✓" if x.attendance_taken else "·"
        lines.append(
            f"{taken} {x.lesson_no}. {h(x.class_name)} {h(x.subject)} — {h(x.topic or '—')}"
        )
        if x.homework:
            lines.append("    " + tx("lesson.homework_line", homework=h(x.homework)))
    if not rows:
        lines.append(tx("teacher.no_lessons"))
    await show(query, "\n".join(lines), keyboards.class_views(tx, callback_data.cls, day))


WEEK_PAGE = 8  # pupil-days a screen of the week lists (5 buttons each, under Telegram's limits)


async def week_absences(
    query: CallbackQuery,
    callback_data: ClassCb | WeekPageCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    focus: tuple[int, date] | None = None,
) -> None:
    """The week's absences with one-tap reasons; more than a page of pupil-days (a flu
    week) goes over pages ◀ ▶, ``focus`` keeps the page of the entry just confirmed."""
    day = date.fromordinal(callback_data.day) if callback_data.day else today(journal)
    monday = day - timedelta(days=day.weekday())
    rows = await classes.class_absences(
        journal, actor, callback_data.cls, monday, monday + timedelta(days=6)
    )
    given = await friday_round.class_suggestions(
        journal, actor, callback_data.cls, monday, monday + timedelta(days=6)
    )
    entries = [e for e in rows if e.lessons]
    pages = max(1, -(-len(entries) // WEEK_PAGE))
    page = callback_data.page if isinstance(callback_data, WeekPageCb) else 0
    if focus is not None:
        at = [i for i, e in enumerate(entries) if (e.pupil_id, e.date) == focus]
        page = at[0] // WEEK_PAGE if at else page
    page = min(page, pages - 1)
    lines = [tx("class.week", start=f"{monday:%d.%m}", end=f"{monday + timedelta(days=6):%d.%m}")]
    if pages > 1:
        waiting = sum(1 for e in entries if not e.confirmed)
        lines.append(tx("class.week_page", page=page + 1, pages=pages, count=waiting))
    markup = InlineKeyboardMarkup(inline_keyboard=[])
    for entry in entries[page * WEEK_PAGE : (page + 1) * WEEK_PAGE]:
        reasons = ", ".join(sorted(tx(f"reason.{r.value}") for r in entry.reasons))
        lines.append(
            tx(
                "class.absence_line",
                name=h(entry.full_name),
                day=f"{entry.date:%d.%m}",
                count=len(entry.lessons),
                reason=reasons,
            )
        )
        if not entry.confirmed:  # issue 9.5: the parents' reasons waiting for her
            for sg in given.get((entry.pupil_id, entry.date), []):
                note = tx("round.note", note=h(sg.note)) if sg.note else ""
                lines.append(
                    tx(
                        "round.suggestion",
                        parent=h(sg.parent_name),
                        reason=tx(f"reason.{sg.reason.value}"),
                        note=note,
                    )
                )
        if not entry.confirmed:
            markup.inline_keyboard.append(
                [
                    keyboards.button(
                        f"{entry.full_name.split()[0]} {entry.date:%d.%m}",
                        WeekPageCb(cls=callback_data.cls, day=monday.toordinal(), page=page),
                    )
                ]
            )
            markup.inline_keyboard.append(keyboards.reasons(tx, entry.pupil_id, entry.date)[:2])
            markup.inline_keyboard.append(keyboards.reasons(tx, entry.pupil_id, entry.date)[2:])
    if len(lines) == 1:
        lines.append(tx("class.no_absences"))
    if pages > 1:
        markup.inline_keyboard.append(
            [
                keyboards.button(
                    f"◀ {(page - 1) % pages + 1}",
                    WeekPageCb(
                        cls=callback_data.cls, day=monday.toordinal(), page=(page - 1) % pages
                    ),
                ),
                keyboards.button(
                    f"{(page + 1) % pages + 1} ▶",
                    WeekPageCb(
                        cls=callback_data.cls, day=monday.toordinal(), page=(page + 1) % pages
                    ),
                ),
            ]
        )
    markup.inline_keyboard.append(
        [
            keyboards.button(
                tx("nav.back"), ClassCb(cls=callback_data.cls, view="t", day=day.toordinal())
            )
        ]
    )
    for part in split_text("\n".join(lines))[:-1]:
        assert isinstance(query.message, Message)
        await query.message.answer(part)
    await show(query, split_text("\n".join(lines))[-1], markup)


async def class_pupils(
    query: CallbackQuery, callback_data: ClassCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    pupils = await classes.class_pupils(journal, actor, callback_data.cls)
    await show(
        query,
        tx("class.pupils_title", count=len(pupils)),
        keyboards.class_pupils(tx, callback_data.cls, pupils),
    )


async def class_pupil(
    query: CallbackQuery, callback_data: ClassPupilCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    """The class teacher reads a pupil's page (R1: view, not edit)."""
    pupil = await classes.pupil_ref(journal, actor, callback_data.pupil)
    if callback_data.view == "a":
        text = await absences_text(journal, actor, pupil, tx)
    else:
        text = await marks_text(journal, actor, pupil, tx)
    await show(query, text, keyboards.class_pupil(tx, callback_data.cls, pupil.id))


async def confirm_reason(
    query: CallbackQuery,
    callback_data: ReasonCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    callback_answer: CallbackAnswer,
) -> None:
    day = date.fromordinal(callback_data.day)
    count = await friday_round.confirm_reason(
        journal, actor, callback_data.pupil, day, AbsenceReason(callback_data.reason)
    )
    callback_answer.text = tx("class.reason_saved", count=count)
    await tell_confirmed(
        journal, actor, callback_data.pupil, day, AbsenceReason(callback_data.reason)
    )
    pupil_class = await classes.class_of_pupil(journal, actor, callback_data.pupil)
    await week_absences(
        query,
        ClassCb(cls=pupil_class, view="w", day=callback_data.day),
        actor,
        journal,
        tx,
        focus=(callback_data.pupil, day),
    )


async def opt_outs(
    query: CallbackQuery, callback_data: ClassCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    """R18: the class's parents and their e-diary opt-outs; a tap switches one."""
    links = await accounts.class_guardians(journal, actor, callback_data.cls)
    await show_opt_outs(query, callback_data.cls, links, actor, journal, tx)


async def switch_opt_out(
    query: CallbackQuery, callback_data: OptOutCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    await accounts.set_diary_opt_out(
        journal, actor, callback_data.guardian, bool(callback_data.on), callback_data.pupil
    )
    links = await accounts.class_guardians(journal, actor, callback_data.cls)
    await show_opt_outs(query, callback_data.cls, links, actor, journal, tx)


async def show_opt_outs(
    query: CallbackQuery,
    class_id: int,
    links: list[accounts.GuardianLink],
    actor: Actor,
    journal: Journal,
    tx: Texts,
) -> None:
    led = dict(await classes.classes_led_by(journal, actor))
    text = tx("class.opt_outs_title", cls=h(led.get(class_id, "")))
    if not links:
        text += "\n" + tx("class.opt_outs_none")
    await show(query, text, keyboards.opt_outs(tx, class_id, links))


async def class_codes(
    query: CallbackQuery,
    callback_data: ClassCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    bot: Bot,
) -> None:
    """Cards for those of the class who have none valid and are not in the bot; valid
    cards stay valid (R2). Reissuing is a separate, confirmed step."""
    result = await invitations.issue_for_class(
        journal, actor, callback_data.cls, {BindingRole.PARENT, BindingRole.PUPIL}
    )
    await send_codes(query, result, actor, journal, tx, bot, reissue_scope=callback_data.cls)


async def reissue(
    query: CallbackQuery,
    callback_data: ReissueCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    bot: Bot,
) -> None:
    """Reissue one person's valid card: pick the person, read what it does, confirm."""
    scope = callback_data.cls or None
    holders = await invitations.reissuable(journal, actor, scope)
    if not callback_data.person:
        if not holders:
            await show(query, tx("codes.reissue_none"))
            return
        await show(
            query,
            tx("codes.reissue_pick"),
            keyboards.reissue_pick(tx, callback_data.cls, holders),
        )
        return
    holder = next(
        (
            x
            for x in holders
            if x.person_id == callback_data.person and x.role.value == callback_data.role
        ),
        None,
    )
    if holder is None:
        await show(query, tx("codes.reissue_gone"))
        return
    if not callback_data.ok:
        await show(
            query,
            tx(
                "codes.reissue_confirm",
                name=h(holder.full_name),
                role=tx(f"role.{holder.role.value}"),
            ),
            keyboards.reissue_confirm(tx, callback_data.cls, holder.person_id, holder.role.value),
        )
        return
    result = await invitations.issue_for_person(
        journal, actor, holder.person_id, holder.role, reissue=True
    )
    await show(query, tx("codes.reissued", name=h(holder.full_name)))
    await send_codes(query, result, actor, journal, tx, bot)


async def send_codes(
    query: CallbackQuery,
    result: IssueResult,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    bot: Bot,
    *,
    reissue_scope: int | None = None,
) -> None:
    """R2: the printable cards (A4 PDF, eight a page, a QR code of the deep link on each),
    then the same links as text, for handing one over in a private chat; then who was
    skipped, with the reissue button (``reissue_scope``: the class, 0 for the staff)."""
    assert isinstance(query.message, Message)
    codes = result.codes
    skipped = []
    if result.skipped_valid:
        skipped.append(tx("codes.skipped_valid", count=result.skipped_valid))
    if result.skipped_bound:
        skipped.append(tx("codes.skipped_bound", count=result.skipped_bound))
    offer = None
    if result.skipped_valid and reissue_scope is not None:
        offer = keyboards.reissue_offer(tx, reissue_scope)
    if not codes:
        await query.message.answer("\n".join(skipped) or tx("codes.none"), reply_markup=offer)
        return
    me = await bot.me()
    name, data = await invite_cards(journal, actor, codes, me.username, tx.lang)
    await query.message.answer_document(
        BufferedInputFile(data, filename=name), caption=tx("card.caption", count=len(codes))
    )
    lines = [tx("codes.title", count=len(codes))]
    for c in codes:
        until = c.expires_at.astimezone(journal.rules.timezone)
        lines.append(
            tx(
                "codes.line_parent" if c.children else "codes.line",
                name=h(c.full_name),
                role=tx(f"role.{c.role.value}"),
                link=await create_start_link(bot, c.code),
                until=f"{until:%d.%m.%Y}",
                children=h(c.children or ""),
            )
        )
    for part in split_text("\n".join(lines)):
        await query.message.answer(part)
    if skipped:
        await query.message.answer("\n".join(skipped), reply_markup=offer)


# --- deputy: correction requests (R7) --------------------------------------------------------


async def requests_command(message: Message, actor: Actor, journal: Journal, tx: Texts) -> None:
    await list_requests(message, actor, journal, tx)


async def requests_button(query: CallbackQuery, actor: Actor, journal: Journal, tx: Texts) -> None:
    await list_requests(query, actor, journal, tx)


async def requests_page(
    query: CallbackQuery, callback_data: RequestsCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    await list_requests(query, actor, journal, tx, callback_data.page)


async def list_requests(
    target: Message | CallbackQuery,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    page: int = 0,
    note: str = "",
) -> None:
    """The pending requests as one message: their count, a page of them numbered, ✅ N /
    ✖ N for each, ◀ ▶ (30 after a busy evening do not flood the deputy's chat)."""
    pending = await corrections.pending(journal, actor)
    lines = [note] if note else []
    if not pending:
        lines.append(tx("requests.none"))
        await show(target, "\n\n".join(lines), keyboards.family_back(tx))
        return
    size = keyboards.REQUESTS_PAGE
    shown, page, pages = page_of(pending, page, size)
    head = tx("requests.list", count=len(pending))
    if pages > 1:
        head += "\n" + tx("requests.page", page=page + 1, pages=pages)
    lines.append(head)
    numbered = [(page * size + n, r) for n, r in enumerate(shown, start=1)]
    lines += [f"<b>{no}.</b> {request_text(tx, r)}" for no, r in numbered]
    markup = keyboards.requests_page(tx, [(no, r.id) for no, r in numbered], page, pages)
    await show(target, "\n\n".join(lines), markup)


async def decide(
    query: CallbackQuery,
    callback_data: DecideCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    bot: Bot,
) -> None:
    request = await corrections.decide(journal, actor, callback_data.request, callback_data.approve)
    key = "requests.approved" if request.status == "approved" else "requests.declined"
    outcome = request_text(tx, request) + "\n" + tx(key)
    if callback_data.page < 0:  # the message that announced this one request
        await show(query, request_text(tx, request) + "\n\n" + tx(key))
    else:  # the list: the same page again, the decision on top
        await list_requests(query, actor, journal, tx, callback_data.page, outcome)
    await tell_requester(bot, journal, request)


# --- deputy: substitutions (R5, R25) ---------------------------------------------------------


def _lesson_name(tx: Texts, x: lessons.SchoolLesson) -> str:
    group = f" ({h(x.group)})" if x.group else ""
    return f"{x.lesson.lesson_no}. {h(x.lesson.class_name)} {h(x.lesson.subject)}{group}"


async def substitutions(
    query: CallbackQuery, callback_data: SubCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    """The school's lessons of a day (today first), paged; a tap picks a substitute."""
    day = date.fromordinal(callback_data.day) if callback_data.day else today(journal)
    rows = await lessons.school_day(journal, actor, day)
    lines = [tx("subs.day", day=day_title(tx, day))]
    if not rows:
        lines.append(tx("subs.no_lessons"))
    shown, page, pages = page_of(rows, callback_data.page, keyboards.SCHOOL_LESSONS_PAGE)
    if pages > 1:
        first = page * keyboards.SCHOOL_LESSONS_PAGE + 1
        lines.append(tx("subs.page", first=first, last=first + len(shown) - 1, total=len(rows)))
    await show(query, "\n".join(lines), keyboards.school_day_lessons(tx, day, rows, page))


async def substitute_pick(
    query: CallbackQuery, callback_data: SubCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    day = date.fromordinal(callback_data.day)
    lesson = await _school_lesson(journal, actor, day, callback_data.lesson)
    teachers = await lessons.school_teachers(journal, actor)
    await show(
        query,
        tx(
            "subs.pick_teacher",
            lesson=_lesson_name(tx, lesson),
            teacher=h(lesson.teacher),
            planned=h(lesson.planned_teacher),
        ),
        keyboards.substitute_teachers(
            tx, day, lesson.lesson.id, teachers, lesson.lesson.teacher_id, callback_data.page
        ),
    )


async def substitute_set(
    query: CallbackQuery,
    callback_data: SubCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    callback_answer: CallbackAnswer,
) -> None:
    await lessons.assign_substitute(journal, actor, callback_data.lesson, callback_data.teacher)
    await announce_substitution(journal, callback_data.lesson)  # R5: both teachers are told
    day = date.fromordinal(callback_data.day)
    lesson = await _school_lesson(journal, actor, day, callback_data.lesson)
    callback_answer.text = tx("saved")
    await show(
        query,
        tx("subs.assigned", lesson=_lesson_name(tx, lesson), teacher=h(lesson.teacher)),
        keyboards.school_day_lessons(tx, day, await lessons.school_day(journal, actor, day), 0),
    )


async def _school_lesson(
    journal: Journal, actor: Actor, day: date, lesson_id: int
) -> lessons.SchoolLesson:
    found = next(
        (x for x in await lessons.school_day(journal, actor, day) if x.lesson.id == lesson_id), None
    )
    if found is None:
        raise NotFound()
    return found


# --- admin: staff codes, cutting a binding (R2, R3) ------------------------------------------


async def staff_codes(
    query: CallbackQuery, actor: Actor, journal: Journal, tx: Texts, bot: Bot
) -> None:
    result = await invitations.issue_for_staff(journal, actor)
    await send_codes(query, result, actor, journal, tx, bot, reissue_scope=0)


ROLE_FILTERS = {
    "": None,
    "s": BindingRole.STAFF,
    "p": BindingRole.PARENT,
    "u": BindingRole.PUPIL,
}
SEARCH_SLOT = "bindings"  # the admin's last search, kept aside from conversations
SEARCH_MAX = 60


class BindingsFlow(StatesGroup):
    search = State()  # waiting for part of a name


async def bindings_list(
    query: CallbackQuery, actor: Actor, journal: Journal, tx: Texts, state: FSMContext
) -> None:
    """From the menu: the first page, every role, no search."""
    await bindings_screen(query, actor, journal, tx, state, BindingsCb())


async def bindings_page(
    query: CallbackQuery,
    callback_data: BindingsCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    state: FSMContext,
) -> None:
    await bindings_screen(query, actor, journal, tx, state, callback_data)


async def bindings_screen(
    target: Message | CallbackQuery,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    state: FSMContext,
    view: BindingsCb,
) -> None:
    """A page of the school's active bindings (R3): 20 a page (Telegram takes at most 100
    buttons under a message), filtered by role and by the admin's search."""
    if view.role not in ROLE_FILTERS:
        raise NotFound()
    if await state.get_state() == BindingsFlow.search.state:
        await state.clear()  # the admin went back instead of typing a name
    search = ""
    if view.q:
        search = str((await side_slot(state, SEARCH_SLOT).get_data()).get("q", ""))
    page = await invitations.find_bindings(
        journal, actor, role=ROLE_FILTERS[view.role], search=search, page=view.page
    )
    view = BindingsCb(role=view.role, page=page.page, q=1 if search else 0)
    lines = [tx("admin.bindings", count=page.total)]
    if view.role:
        lines.append(tx("bindings.shown", who=tx(dict(keyboards.BINDING_FILTERS)[view.role])))
    if search:
        lines.append(tx("bindings.searched", text=h(search)))
    if not page.rows:
        lines.append(tx("bindings.none"))
    elif page.pages > 1:
        first = page.page * invitations.BINDINGS_PER_PAGE + 1
        lines.append(
            tx(
                "bindings.page",
                first=first,
                last=first + len(page.rows) - 1,
                total=page.total,
                page=page.page + 1,
                pages=page.pages,
            )
        )
    markup = keyboards.admin_bindings(tx, page.rows, view, page.pages)
    await show(target, "\n".join(lines), markup)


async def bindings_search_ask(
    query: CallbackQuery,
    callback_data: BindingsCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    state: FSMContext,
) -> None:
    await invitations.find_bindings(journal, actor, per_page=1)  # core: may the actor at all
    await state.set_state(BindingsFlow.search)
    await state.update_data(role=callback_data.role)
    await show(query, tx("bindings.ask"), keyboards.bindings_search(tx, callback_data.role))


async def bindings_search_typed(
    message: Message, actor: Actor, journal: Journal, tx: Texts, state: FSMContext
) -> None:
    text = " ".join((message.text or "").split())[:SEARCH_MAX]
    if not text:
        await message.answer(tx("bindings.ask"))
        return
    role = str((await state.get_data()).get("role", ""))
    await state.clear()
    await side_slot(state, SEARCH_SLOT).set_data({"q": text})
    await bindings_screen(message, actor, journal, tx, state, BindingsCb(role=role, q=1))


async def confirm_cut(
    query: CallbackQuery, callback_data: BindingsCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    """R3: a tap on a name asks first (the list is long, a thumb slips); core checks who
    may see it."""
    await ask_to_cut(query, callback_data, callback_data.binding, actor, journal, tx)


async def ask_to_cut(
    query: CallbackQuery,
    view: BindingsCb,
    binding_id: int,
    actor: Actor,
    journal: Journal,
    tx: Texts,
) -> None:
    name, role = await invitations.binding_to_cut(journal, actor, binding_id)
    text = tx("bindings.confirm", name=h(name), role=tx(f"role.{role}"))
    await show(query, text, keyboards.confirm_cut(tx, view, binding_id))


async def revoke_from_page(
    query: CallbackQuery,
    callback_data: BindingsCb,
    actor: Actor,
    journal: Journal,
    tx: Texts,
    state: FSMContext,
    callback_answer: CallbackAnswer,
) -> None:
    """Confirmed: cut the binding at once (core checks who may), say so before redrawing
    the page it was chosen on."""
    await invitations.revoke_binding(journal, actor, callback_data.binding, "revoked by admin")
    callback_answer.text = tx("admin.revoked")
    await callback_answer.send()
    await bindings_screen(query, actor, journal, tx, state, callback_data)


async def revoke(
    query: CallbackQuery, callback_data: AdminCb, actor: Actor, journal: Journal, tx: Texts
) -> None:
    """A button of the list as it was before paging (an old message): asks first too."""
    await ask_to_cut(query, BindingsCb(), callback_data.binding, actor, journal, tx)


async def help_button(query: CallbackQuery, actor: Actor, tx: Texts) -> None:
    await show(query, help_text(tx, actor))


def build() -> Router:
    router = Router(name="staff")
    router.message.filter(StaffOnly())
    router.callback_query.filter(StaffOnly())
    router.callback_query.register(class_day, on(ClassCb, F.view == "t"))
    router.callback_query.register(week_absences, on(ClassCb, F.view == "w"))
    router.callback_query.register(week_absences, on(WeekPageCb))
    router.callback_query.register(class_pupils, on(ClassCb, F.view == "p"))
    router.callback_query.register(class_pupil, on(ClassPupilCb))
    router.callback_query.register(confirm_reason, on(ReasonCb))
    router.callback_query.register(class_codes, on(ClassCb, F.view == "k"))
    router.callback_query.register(opt_outs, on(ClassCb, F.view == "o"))
    router.callback_query.register(switch_opt_out, on(OptOutCb))
    router.callback_query.register(reissue, on(ReissueCb))  # core checks who may
    router.message.register(
        requests_command, Command("requests"), StaffOnly(StaffRole.DEPUTY, StaffRole.DIRECTOR)
    )
    router.callback_query.register(
        requests_button,
        on(AdminCb, F.act == "q"),
        StaffOnly(StaffRole.DEPUTY, StaffRole.DIRECTOR),
    )
    router.callback_query.register(
        requests_page, on(RequestsCb), StaffOnly(StaffRole.DEPUTY, StaffRole.DIRECTOR)
    )
    router.callback_query.register(decide, on(DecideCb))
    deputies = StaffOnly(StaffRole.DEPUTY, StaffRole.DIRECTOR, StaffRole.ADMIN)
    router.callback_query.register(substitutions, on(SubCb, F.act == "d"), deputies)
    router.callback_query.register(substitute_pick, on(SubCb, F.act == "l"), deputies)
    router.callback_query.register(substitute_set, on(SubCb, F.act == "t"), deputies)
    router.callback_query.register(
        staff_codes, on(AdminCb, F.act == "k"), StaffOnly(StaffRole.ADMIN, StaffRole.DIRECTOR)
    )
    router.callback_query.register(
        bindings_list, on(AdminCb, F.act == "b"), StaffOnly(StaffRole.ADMIN, StaffRole.DIRECTOR)
    )
    router.callback_query.register(
        revoke, on(AdminCb, F.act == "r"), StaffOnly(StaffRole.ADMIN, StaffRole.DIRECTOR)
    )
    # The paged list: core refuses anyone but the admin and the director.
    router.callback_query.register(bindings_page, on(BindingsCb, F.act == "l"))
    router.callback_query.register(bindings_search_ask, on(BindingsCb, F.act == "f"))
    router.callback_query.register(confirm_cut, on(BindingsCb, F.act == "r"))
    router.callback_query.register(revoke_from_page, on(BindingsCb, F.act == "y"))
    router.message.register(bindings_search_typed, BindingsFlow.search, F.text)
    router.callback_query.register(help_button, on(NavCb, F.to == Nav.HELP))
    return router
