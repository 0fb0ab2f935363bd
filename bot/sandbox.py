"""``journal sandbox``: play the bot in a terminal without a bot token.

It starts a private database in its own folder, imports the demo school, starts the local
fake of the Bot API and the real bot against it, binds a few demo people to simulated
Telegram users, and hands the keyboard to you. On a weekend or a holiday the clock is
moved to the next school day at 10:00, so there are lessons to take.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, time, timedelta
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from bot.runner import run_bot
from core import invitations
from core.access import Actor
from core.clock import ShiftedClock, SystemClock, local_today
from core.directory import find_people
from core.journal import Journal
from core.models import BindingRole
from core.periods import period_on
from core.roster import import_roster
from core.schools import find_school
from demo import SCHOOL_DIR, SCHOOL_NAME
from demo.generate import read_csv_folder
from fakegram import FakeTelegram, FakeUser
from fakegram.console import run_console
from journal.app import application
from journal.service import background
from journal.settings import Settings

TOKEN = "100000:SANDBOX"
USERNAME = "school_journal_sandbox_bot"

# Who you can play: console key → (full name in the demo school, role).
CAST = {
    "teacher": ("Степанова Мария Валентиновна", BindingRole.STAFF),
    "classteacher": ("Никитина Валентина Петровна", BindingRole.STAFF),
    "director": ("Федотова Наталья Викторовна", BindingRole.STAFF),
}


async def run_sandbox(data_dir: Path) -> int:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=SecretStr(TOKEN),
        bot_username=USERNAME,
        data_dir=data_dir,
        database_url=None,
        send_idle_poll=0.2,
    )
    clock = ShiftedClock(SystemClock(), timedelta(0))
    async with application(settings, clock) as app:
        journal = app.journal
        await import_roster(journal, SCHOOL_DIR, school_name=SCHOOL_NAME)
        async with journal.transaction() as s:
            school = await find_school(s, SCHOOL_NAME)
            assert school is not None
            clock.offset = await _offset_to_school_day(s, school.id, journal)
        admin = Actor.system(school.id)
        fake = FakeTelegram()
        await fake.start()
        fake.add_bot(TOKEN, USERNAME)
        app.settings.telegram_api_base = fake.base_url
        stop = asyncio.Event()
        task = asyncio.create_task(
            run_bot(
                app, handle_signals=False, stop=stop, alongside=lambda bot: background(app, bot)
            )
        )
        try:
            users = await _bind_cast(fake, journal, admin, school.id)
            today = local_today(clock, journal.rules.timezone)
            print(f"Sandbox: {SCHOOL_NAME}, school day {today:%d.%m.%Y} (clock moved if needed).")
            print("Users: " + ", ".join(users) + ". Try: /today, then press a lesson.")
            await run_console(fake, users)
        finally:
            stop.set()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(task, timeout=15)
            await fake.stop()
    return 0


async def _offset_to_school_day(
    session: AsyncSession, school_id: int, journal: Journal
) -> timedelta:
    """How far to move the clock to reach a school day at 10:00 (zero on a school day)."""
    tz = journal.rules.timezone
    now = SystemClock().now().astimezone(tz)
    day = now.date()
    for _ in range(60):
        if day.isoweekday() <= 5 and await period_on(session, school_id, day) is not None:
            break
        day += timedelta(days=1)
    if day == now.date():
        return timedelta(0)
    return datetime.combine(day, time(10, 0), tzinfo=tz) - now


async def _bind_cast(
    fake: FakeTelegram, journal: Journal, admin: Actor, school_id: int
) -> dict[str, FakeUser]:
    roster = read_csv_folder(SCHOOL_DIR)
    guardian = next(g for g in roster["guardians"] if g["class"] == "5А")
    cast = {
        **CAST,
        "parent": (guardian["full_name"], BindingRole.PARENT),
        "pupil": (guardian["pupil"], BindingRole.PUPIL),
    }
    users: dict[str, FakeUser] = {}
    for user_id, (key, (name, role)) in enumerate(cast.items(), start=7001):
        found = await find_people(journal, school_id, name)
        if found:
            users[key] = await _bound(fake, journal, admin, found[0].id, role, user_id, name)
    return users


async def _bound(
    fake: FakeTelegram,
    journal: Journal,
    admin: Actor,
    person_id: int,
    role: BindingRole,
    user_id: int,
    name: str,
) -> FakeUser:
    """A simulated user who opened their invitation link (a parent also consents)."""
    parts = name.split()
    user = fake.user(user_id, parts[1], parts[0], language_code="ru")
    issued = await invitations.issue(journal, admin, person_id, role)
    await user.open_deep_link(issued.code)
    with contextlib.suppress(AssertionError):
        while True:
            await user.wait_reply(timeout=1.0)
    if role is BindingRole.PARENT:
        with contextlib.suppress(AssertionError):
            await user.press_and_wait("✅ Даю согласие")
    user.drain()
    return user
