"""``journal sandbox``: play the bot in a terminal without a bot token.

It starts a private database in its own folder, imports the demo school, starts the local
fake of the Bot API and the real bot against it, binds a few demo people to simulated
Telegram users, and hands the keyboard to you. With ``--max`` the people are simulated
users of the fake MAX API, served by the MAX adapter, each bound through the bot's deep
link (as a parent scanning the invitation's QR code). On a weekend or a holiday the clock
is moved to the next school day at 10:00, so there are lessons to take.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from bot.telegram.runner import run_bot
from core import invitations
from core.access import Actor
from core.clock import Clock, ShiftedClock, SystemClock, local_today
from core.directory import find_people
from core.journal import Journal
from core.models import BindingRole, Messenger
from core.periods import period_on
from core.roster import import_roster
from core.schools import find_school
from demo import SCHOOL_DIR, SCHOOL_NAME
from demo.generate import read_csv_folder
from fakegram import FakeTelegram
from fakegram import console as telegram_console
from fakegram.console import ConsoleCommand, ConsoleTexts, InputFunc, OutputFunc
from fakemax import FakeMax
from fakemax import console as max_console
from notifications.scheduler import NotificationJobs
from school_journal.app import App, application
from school_journal.service import background, max_updates
from school_journal.settings import Settings
from texts import t

TOKEN = "100000:SANDBOX"
USERNAME = "school_journal_sandbox_bot"
MAX_TOKEN = "max-sandbox-token"

# Who you can play: console key → (full name in the demo school, role).
CAST = {
    "teacher": ("Степанова Мария Валентиновна", BindingRole.STAFF),
    "classteacher": ("Никитина Валентина Петровна", BindingRole.STAFF),
    "director": ("Федотова Наталья Викторовна", BindingRole.STAFF),
}


@dataclass(frozen=True)
class Invited:
    """A demo person to bind: their binding's invitation code and their name."""

    code: str
    role: BindingRole
    user_id: int
    first_name: str
    last_name: str


async def run_sandbox(
    data_dir: Path,
    *,
    messenger: Messenger = Messenger.TELEGRAM,
    database_url: str | None = None,
    base_clock: Clock | None = None,
    input_func: InputFunc = input,
    output: OutputFunc = print,
) -> int:
    """Play until the console is left, as users of ``messenger``. ``database_url`` instead
    of the private database, ``base_clock`` instead of the system's, and the console's
    input and output are for tests."""
    on_max = messenger is Messenger.MAX
    settings = Settings(
        _env_file=None,
        bot_token=SecretStr(TOKEN),
        bot_username=USERNAME,
        max_bot_token=SecretStr(MAX_TOKEN) if on_max else None,
        max_bot_username=USERNAME if on_max else None,
        data_dir=data_dir,
        database_url=database_url,
        send_idle_poll=0.2,
    )
    base = base_clock or SystemClock()
    clock = ShiftedClock(base, timedelta(0))
    async with application(settings, clock) as app:
        journal = app.journal
        await import_roster(journal, SCHOOL_DIR, school_name=SCHOOL_NAME)
        async with journal.transaction() as s:
            school = await find_school(s, SCHOOL_NAME)
            assert school is not None
            clock.offset = await _offset_to_school_day(s, school.id, journal, base)
        cast = await _invite_cast(journal, Actor.system(school.id), school.id)
        today = local_today(clock, journal.rules.timezone)
        jobs = app.jobs()
        options: dict[str, Any] = {
            "input_func": input_func,
            "output": output,
            "commands": {
                "time": ConsoleCommand(
                    t("sandbox.help_time"), lambda arg: _move_clock(arg, clock, jobs, output)
                )
            },
            "texts": ConsoleTexts.from_catalogue(t),
            "announce": lambda key: t("sandbox.new_message", who=t(f"sandbox.who_{key}"), user=key),
        }

        def intro(users: list[str]) -> None:
            output(t("sandbox.intro", school=SCHOOL_NAME, day=f"{today:%d.%m.%Y}"))
            output(t("sandbox.users", users=", ".join(users)))
            output(t("sandbox.try_time"))

        play = _play_max if on_max else _play_telegram
        await play(app, cast, intro, options)
    return 0


@contextlib.asynccontextmanager
async def _telegram_bot(app: App) -> AsyncIterator[FakeTelegram]:
    """The fake Telegram and the real bot against it, with what runs beside the bot (the
    scheduler and the outbox sender)."""
    fake = FakeTelegram()
    await fake.start()
    fake.add_bot(TOKEN, USERNAME)
    app.settings.telegram_api_base = fake.base_url
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_bot(app, handle_signals=False, stop=stop, alongside=lambda bot: background(app, bot))
    )
    try:
        yield fake
    finally:
        stop.set()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(task, timeout=15)
        await fake.stop()


@contextlib.asynccontextmanager
async def _fake_max(app: App) -> AsyncIterator[FakeMax]:
    """The fake MAX, where the settings' MAX bot (its updates and its outbox sender) is."""
    fake = FakeMax(reply_timeout=5.0)
    await fake.start()
    fake.add_bot(MAX_TOKEN, USERNAME, "Журнал")
    app.settings.max_api_base = fake.base_url
    try:
        yield fake
    finally:
        await fake.stop()


async def _play_telegram(
    app: App, cast: dict[str, Invited], intro: Callable[[list[str]], None], options: dict[str, Any]
) -> None:
    async with _telegram_bot(app) as fake:
        users = {}
        for key, invited in cast.items():
            user = fake.user(
                invited.user_id, invited.first_name, invited.last_name, language_code="ru"
            )
            await user.open_deep_link(invited.code)
            await _agree(invited, user.wait_reply, user.press_and_wait)
            user.drain()
            users[key] = user
        intro(list(users))
        await telegram_console.run_console(fake, users, **options)


async def _play_max(
    app: App, cast: dict[str, Invited], intro: Callable[[list[str]], None], options: dict[str, Any]
) -> None:
    # As ``journal run`` for a school on MAX only: the jobs, the MAX sender, MAX's updates.
    async with _fake_max(app) as fake, background(app, None), max_updates(app):
        users = {}
        for key, invited in cast.items():
            user = fake.user(invited.user_id, invited.first_name, invited.last_name)
            await user.start(invited.code)  # the deep link max.ru/<bot>?start=<code>
            await _agree(invited, user.wait_reply, user.press_and_wait)
            users[key] = user
        intro(list(users))
        await max_console.run_console(fake, users, **options)


async def _agree(
    invited: Invited,
    wait_reply: Callable[..., Awaitable[object]],
    press_and_wait: Callable[[str], Awaitable[object]],
) -> None:
    """After the deep link: read the bot's answers; a parent also consents."""
    with contextlib.suppress(AssertionError):
        while True:
            await wait_reply(timeout=1.0)
    if invited.role is BindingRole.PARENT:
        with contextlib.suppress(AssertionError):
            await press_and_wait("✅ Даю согласие")


async def _offset_to_school_day(
    session: AsyncSession, school_id: int, journal: Journal, base: Clock
) -> timedelta:
    """How far to move the clock to reach a school day at 10:00 (zero on a school day)."""
    tz = journal.rules.timezone
    now = base.now().astimezone(tz)
    day = now.date()
    for _ in range(60):
        if day.isoweekday() <= 5 and await period_on(session, school_id, day) is not None:
            break
        day += timedelta(days=1)
    if day == now.date():
        return timedelta(0)
    return datetime.combine(day, time(10, 0), tzinfo=tz) - now


# ``time пт 15:00``: a weekday in Russian or English, as a newcomer would type it.
WEEKDAYS = {
    **{name: n for n, name in enumerate(("пн", "вт", "ср", "чт", "пт", "сб", "вс"), start=1)},
    **{name: n for n, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), 1)},
}


def clock_target(arg: str, now: datetime) -> datetime | None:
    """When ``time ARG`` moves the clock to: the next ``ЧЧ:ММ`` after ``now`` (local,
    aware), or the next such time on a weekday (``пт 15:00``, ``fri 15:00``); None when
    ARG is neither. The clock only moves forward."""
    parts = arg.lower().split()
    weekday = WEEKDAYS.get(parts[0].rstrip(".")) if len(parts) == 2 else None
    if len(parts) not in (1, 2) or (len(parts) == 2 and weekday is None):
        return None
    try:
        at = datetime.strptime(parts[-1], "%H:%M").time()
    except ValueError:
        return None
    target = datetime.combine(now.date(), at, tzinfo=now.tzinfo)
    if weekday is not None:
        target += timedelta(days=(weekday - now.isoweekday()) % 7)
        return target if target > now else target + timedelta(days=7)
    return target if target > now else target + timedelta(days=1)


async def _move_clock(
    arg: str, clock: ShiftedClock, jobs: NotificationJobs, output: OutputFunc
) -> None:
    """Move the sandbox's clock forward and run the scheduled jobs that fall due on the way
    (the real ones: digests, the Friday round, reminders, alerts); the running sender
    delivers what they queue. Steps no longer than the jobs' catch-up window, so nothing
    due on the way is skipped."""
    tz = jobs.journal.rules.timezone
    now = clock.now().astimezone(tz)
    if not arg:
        output(t("sandbox.clock_now", when=_when(now)))
        return
    target = clock_target(arg, now)
    if target is None:
        output(t("sandbox.clock_bad", value=arg))
        return
    step = jobs.rules.catch_up if jobs.rules.catch_up > timedelta(0) else timedelta(minutes=30)
    queued: dict[str, int] = {}
    while clock.now() < target:
        clock.offset += min(step, target - clock.now())
        done = {
            "absence_alerts": await jobs.absence_alerts(),
            **await jobs.run_due(),
            "schedule_changes": await jobs.schedule_changes(),
        }
        for name, count in done.items():
            queued[name] = queued.get(name, 0) + count
    output(t("sandbox.clock_moved", when=_when(target)))
    ran = [t(f"sandbox.job_{name}", count=n) for name, n in queued.items() if n]
    output(t("sandbox.jobs_ran", jobs="; ".join(ran)) if ran else t("sandbox.jobs_none"))


def _when(moment: datetime) -> str:
    return f"{t(f'wd.{moment.isoweekday()}')} {moment:%d.%m.%Y %H:%M}"


async def _invite_cast(journal: Journal, admin: Actor, school_id: int) -> dict[str, Invited]:
    """The demo people you can play, each with a fresh invitation (users' ids from 7001)."""
    roster = read_csv_folder(SCHOOL_DIR)
    guardian = next(g for g in roster["guardians"] if g["class"] == "5А")
    cast = {
        **CAST,
        "parent": (guardian["full_name"], BindingRole.PARENT),
        "pupil": (guardian["pupil"], BindingRole.PUPIL),
    }
    invited: dict[str, Invited] = {}
    for user_id, (key, (name, role)) in enumerate(cast.items(), start=7001):
        found = await find_people(journal, school_id, name)
        if found:
            issued = await invitations.issue(journal, admin, found[0].id, role)
            last, first, *_ = name.split()
            invited[key] = Invited(issued.code, role, user_id, first, last)
    return invited
