"""Roll call under load: N teachers take the roll call at the same time.

    python -m benchmarks rollcall                  # 100 teachers: burst, then human pace
    python -m benchmarks rollcall --think 0,1,2 --runs 3
    python -m benchmarks rollcall --workers 2      # webhook mode, two bot processes
    python -m benchmarks rollcall --messenger max  # the same through MAX (rollcall_max.py)
    python -m benchmarks rollcall --teachers 3 --runs 0 --sql   # one update's SQL, quick
    python -m benchmarks rollcall --teachers 3 --runs 0 --profile /tmp/trace.prof

What runs: a fresh embedded PostgreSQL in a temporary folder (migrated), a school built
straight through the ORM (N teachers, N classes of 30 pupils, one lesson per teacher on
Monday 23.11.2026, lesson numbers 1..7 spread), the local fake Bot API (rate limits off)
and the real bot (``run_bot``: Dispatcher, real HTTP). During the timed phases the bot
runs in a process of its own, as in production, where the Bot API is elsewhere: the fake
and the simulated users, in this process, do not take the bot's CPU (``--in-process``
keeps the bot in this process, as this benchmark first did). By default the bot uses long
polling; ``--workers N`` runs it as ``journal run --webhook --workers N`` does, N
processes sharing one webhook port, the fake posting every update to it. Every teacher is
bound with an invitation code first (not measured). Then, in every run, all teachers at
once: ``/today`` → their lesson → two pupils → «✅ Остальные присутствуют».

The goal (p95 ≤ 50 ms from an update's delivery to the bot's answer) is restated for each
phase (``--think``), and the report says for each whether it is met and, if not, why:

* burst (``0``): each teacher acts as soon as the previous answer is complete, so all N
  updates are in flight at once: a throughput test. By Little's law no setup of the
  machine can answer faster, on average, than N × (CPU per update, bot and database) /
  cores; the report works that floor out from the measured CPU;
* paced (``2``, the default second phase): a teacher pauses 1–3 s (uniformly, 2 s on
  average) before every action, as a person finding a pupil's button does, and all N start
  within the same 2 s (the bell); 100 teachers then send about 40 updates a second;
* brisk (``1``): 0.5–1.5 s between actions, about 80 updates a second: where the single
  process starts to queue.

What is measured (``time.perf_counter``), per update:

* delivery → answer: from the moment the fake hands the update to the bot (its
  ``getUpdates`` response containing it is ready, or its webhook POST starts) to the
  bot's first answer in that chat (the message, the edit or answerCallbackQuery,
  whichever reaches the fake first; the bot answers a button's callback query as soon as
  the change is made, before it redraws the screen);
* delivery → complete: … to the last expected answer (for a button: the edit *and*
  answerCallbackQuery, i.e. the spinner stops; a refused answer — the query expired after
  15 s — counts as complete at the edit and is reported as an error);
* press → answer / complete: what the user feels, the wait for the long poll (or in the
  fake's webhook queue) included;
* CPU seconds of the bot's process, of this one (fake and users), of PostgreSQL, and of
  the other programs on the machine (they take cores from the bot and the database);
  how much of the run the bot was on the CPU, and how many updates were inside it at
  once on average (Little's law).

Between runs the day's lessons (and with them attendance) are deleted, so every run is
"the first roll call of the day" again, materialisation of the lessons included.

Finally one teacher runs the same flow alone with SQL accounting on (the bot in this
process again): CPU, statements, transactions and connection checkouts per update, and
the time spent inside database calls; ``--sql`` lists the statements and ``--profile``
writes a cProfile of it. This shows what one update costs without queueing. With
``ROLLCALL_PROFILE_BOT=FILE`` in the environment the bot's own process is profiled during
the timed phases. The exit status is 1 when anything went wrong (an error, a wrong roll
call).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import math
import os
import random
import re
import signal
import sys
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from benchmarks import embedded_database

PROJECT_ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456:BENCH-TOKEN"
USERNAME = "school_journal_bot"
MOSCOW = ZoneInfo("Europe/Moscow")
MONDAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=MOSCOW)
GOAL_P95_MS = 50.0

STEP_TITLES = {
    "today": "/today",
    "open": "open lesson",
    "tap": "tap pupil",
    "rest": "rest present",
}
LESSON_BUTTON = re.compile(r"^\d+\. \d\d:\d\d ")
REST_BUTTON = "✅ Остальные присутствуют"
UNMARKED_PUPIL = re.compile(r"^▫️")

SURNAMES = [
    ("Иванов", "Иванова"), ("Смирнов", "Смирнова"), ("Кузнецов", "Кузнецова"),
    ("Попов", "Попова"), ("Васильев", "Васильева"), ("Петров", "Петрова"),
    ("Соколов", "Соколова"), ("Михайлов", "Михайлова"), ("Новиков", "Новикова"),
    ("Фёдоров", "Фёдорова"), ("Морозов", "Морозова"), ("Волков", "Волкова"),
    ("Алексеев", "Алексеева"), ("Лебедев", "Лебедева"), ("Семёнов", "Семёнова"),
    ("Егоров", "Егорова"), ("Павлов", "Павлова"), ("Козлов", "Козлова"),
    ("Степанов", "Степанова"), ("Николаев", "Николаева"), ("Орлов", "Орлова"),
    ("Андреев", "Андреева"), ("Макаров", "Макарова"), ("Никитин", "Никитина"),
    ("Захаров", "Захарова"), ("Зайцев", "Зайцева"), ("Соловьёв", "Соловьёва"),
    ("Борисов", "Борисова"), ("Яковлев", "Яковлева"), ("Григорьев", "Григорьева"),
]  # fmt: skip
MALE = ["Александр", "Дмитрий", "Максим", "Сергей", "Андрей", "Алексей", "Артём", "Илья",
        "Кирилл", "Михаил", "Никита", "Матвей", "Роман", "Егор", "Иван"]  # fmt: skip
FEMALE = ["Анастасия", "Мария", "Анна", "Виктория", "Екатерина", "Наталья", "Марина",
          "Полина", "София", "Дарья", "Алиса", "Ксения", "Елена", "Ольга", "Вера"]  # fmt: skip
PATRONYMICS = [("Александрович", "Александровна"), ("Дмитриевич", "Дмитриевна"),
               ("Сергеевич", "Сергеевна"), ("Андреевич", "Андреевна"),
               ("Игоревич", "Игоревна"), ("Олегович", "Олеговна")]  # fmt: skip
SUBJECTS = ["Математика", "Русский язык", "Литература", "История", "Физика", "Химия",
            "Биология", "География", "Английский язык", "Информатика"]  # fmt: skip
LETTERS = "АБВГДЕЖЗИКЛМНОПРСТ"


def person_name(n: int) -> str:
    female = n % 2 == 1
    surname = SURNAMES[(n * 7) % len(SURNAMES)][female]
    first = (FEMALE if female else MALE)[(n * 11 + n // 3) % len(MALE)]
    patronymic = PATRONYMICS[(n * 5 + n // 7) % len(PATRONYMICS)][female]
    return f"{surname} {first} {patronymic}"


# --- measurement --------------------------------------------------------------------------------


@dataclass
class Step:
    """One user action and the bot's reaction to it (times from ``perf_counter``)."""

    kind: str
    chat_id: int
    callback: bool
    pressed: float = 0.0
    delivered: float | None = None
    first_answer: float | None = None
    reply: float | None = None  # the bot's message or edit
    answered: float | None = None  # answerCallbackQuery
    answer_error: str | None = None  # answerCallbackQuery refused (e.g. the query expired)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    sql: dict[str, Any] = field(default_factory=dict)  # filled in the traced pass

    @property
    def complete(self) -> float | None:
        if self.reply is None:
            return None
        if self.callback and self.answered is None:
            return None if self.answer_error is None else self.reply
        return max(self.reply, self.answered or 0.0)


class Recorder:
    """Attributes the fake's deliveries and the bot's answers to the user's current step.

    A simulated user waits for the bot before acting again, so a chat has at most one step
    in flight and the chat id is enough to attribute everything."""

    def __init__(self, chat_of: Callable[[dict[str, Any]], int | None] | None = None) -> None:
        self.chat_of = chat_of or _update_chat  # the chat (the key of ``current``) of an update
        self.current: dict[int, Step] = {}
        self.steps: list[Step] = []
        self.unattributed = 0

    def reset(self) -> None:
        self.current.clear()
        self.steps = []
        self.unattributed = 0

    def begin(self, chat_id: int, kind: str, callback: bool) -> Step:
        step = Step(kind, chat_id, callback)
        self.current[chat_id] = step
        self.steps.append(step)
        step.pressed = time.perf_counter()
        return step

    def delivered(self, updates: list[dict[str, Any]], now: float) -> None:
        for update in updates:
            chat_id = self.chat_of(update)
            step = self.current.get(chat_id) if chat_id is not None else None
            if step is not None and step.delivered is None:
                step.delivered = now

    def answer_failed(self, chat_id: int, description: str) -> None:
        step = self.current.get(chat_id)
        if step is not None and step.callback and step.answered is None:
            step.answer_error = description
            if step.complete is not None:
                step.done.set()

    def on_event(self, event: Any) -> None:
        if event.kind not in ("sent", "edited", "callback_answer"):
            return
        now = time.perf_counter()
        step = self.current.get(event.chat_id)
        if step is None or step.delivered is None:
            self.unattributed += 1
            return
        if step.first_answer is None:
            step.first_answer = now
        if event.kind == "callback_answer":
            if step.answered is None:
                step.answered = now
        elif step.reply is None:
            step.reply = now
        if step.complete is not None:
            step.done.set()


def _update_chat(update: dict[str, Any]) -> int | None:
    if "message" in update:
        return int(update["message"]["chat"]["id"])
    if "callback_query" in update:
        query = update["callback_query"]
        message = query.get("message") or {}
        chat = message.get("chat") or query["from"]
        return int(chat["id"])
    return None


def make_fake(recorder: Recorder) -> Any:
    """The fake Bot API, instrumented: the moment a getUpdates response is ready, or the
    webhook POST starts, is the moment the update is handed to the bot."""
    from fakegram import FakeTelegram, RateLimits

    class InstrumentedFake(FakeTelegram):
        async def dispatch(
            self, bot: Any, method: str, raw: dict[str, Any], files: Any = None
        ) -> tuple[int, Any]:
            status, body = await super().dispatch(bot, method, raw, files)
            if method == "getUpdates" and status == 200 and body.get("result"):
                recorder.delivered(body["result"], time.perf_counter())
            elif method == "answerCallbackQuery" and status != 200:
                query = bot.callback_queries.get(str(raw.get("callback_query_id")))
                if query is not None:
                    recorder.answer_failed(query.chat_id, str(body.get("description")))
            return status, body

    fake = InstrumentedFake(limits=RateLimits.unlimited(), reply_timeout=60.0)
    fake.add_listener(recorder.on_event)
    # the POST to the webhook
    fake.add_webhook_listener(lambda update: recorder.delivered([update], time.perf_counter()))
    return fake


class SqlCounter:
    """Statements, transactions, pool checkouts and time waiting for the database."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.enabled = False
        self.statements = 0
        self.transactions = 0
        self.checkouts = 0
        self.db_time = 0.0
        self.log: list[str] = []
        sync = engine.sync_engine

        @event.listens_for(sync, "before_cursor_execute")
        def _before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            conn.info.setdefault("bench_t0", []).append(time.perf_counter())
            if self.enabled:
                self.statements += 1
                self.log.append(_short_sql(statement))

        @event.listens_for(sync, "after_cursor_execute")
        def _after(conn: Any, *args: Any) -> None:
            stack = conn.info.get("bench_t0")
            started = stack.pop() if stack else None
            if self.enabled and started is not None:
                self.db_time += time.perf_counter() - started

        @event.listens_for(sync, "begin")
        def _begin(conn: Any) -> None:
            if self.enabled:
                self.transactions += 1

        @event.listens_for(sync.pool, "checkout")
        def _checkout(*args: Any) -> None:
            if self.enabled:
                self.checkouts += 1

    def snapshot(self) -> tuple[int, int, int, float, int]:
        return self.statements, self.transactions, self.checkouts, self.db_time, len(self.log)


def _short_sql(statement: str) -> str:
    text = " ".join(statement.split())
    text = re.sub(r"SELECT .*? FROM", "SELECT … FROM", text, count=1)
    return text[:150]


class LogCounter(logging.Handler):
    """Keeps the bot's warnings and errors out of the table: counted, the first few kept."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[str] = []
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if len(self.records) < 3:
            message = " | ".join(record.getMessage().splitlines())
            self.records.append(f"{record.levelname} {record.name}: {message[:160]}")

    def take(self) -> tuple[int, list[str]]:
        taken = (self.count, self.records)
        self.count, self.records = 0, []
        return taken


class CpuMeter:
    """CPU seconds of this process (bot, fake and simulated users share it) and of the
    PostgreSQL server (postmaster and every backend)."""

    def __init__(self, backend_pid: int | None) -> None:
        self.server = None
        try:
            import psutil

            if backend_pid is not None:
                self.server = psutil.Process(psutil.Process(backend_pid).ppid())
        except Exception:
            self.server = None

    @staticmethod
    def machine() -> float | None:
        """CPU seconds all processes on the machine have used (every core together)."""
        try:
            import psutil

            t = psutil.cpu_times()
            return float(sum(t)) - t.idle - getattr(t, "iowait", 0.0)
        except Exception:
            return None

    def read(self) -> tuple[float, dict[int, float] | None]:
        own = time.process_time()
        if self.server is None:
            return own, None
        times: dict[int, float] = {}
        with contextlib.suppress(Exception):
            for proc in [self.server, *self.server.children(recursive=True)]:
                with contextlib.suppress(Exception):
                    cpu = proc.cpu_times()
                    times[proc.pid] = cpu.user + cpu.system
        return own, times

    @staticmethod
    def server_delta(
        before: dict[int, float] | None, after: dict[int, float] | None
    ) -> float | None:
        """CPU the server used in between (backends that started count whole; the last
        moments of backends that exited are lost, which is rare with a pool)."""
        if before is None or after is None:
            return None
        return sum(max(0.0, t - before.get(pid, 0.0)) for pid, t in after.items())


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def stats_row(label: str, values_s: list[float]) -> str:
    ms = [v * 1000 for v in values_s]
    if not ms:
        return f"  {label:<24}{0:>6}"
    cells = [percentile(ms, 50), percentile(ms, 95), percentile(ms, 99), max(ms)]
    cells.append(sum(ms) / len(ms))
    return f"  {label:<24}{len(ms):>6}" + "".join(f"{c:>9.1f}" for c in cells)


HEADER = f"  {'(ms)':<24}{'count':>6}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}{'mean':>9}"


# --- the school ---------------------------------------------------------------------------------


@dataclass
class School:
    school_id: int
    teacher_ids: list[int]
    pupils_per_class: int


async def build_school(journal: Any, teachers: int, pupils: int) -> School:
    from core.models import (
        AcademicYear,
        Assignment,
        Bell,
        Period,
        Person,
        Pupil,
        SchoolClass,
        StaffRole,
        StaffRoleRow,
        Subject,
        TimetableEntry,
    )
    from core.schools import ensure_school

    if teachers > 7 * len(LETTERS):
        raise SystemExit(f"at most {7 * len(LETTERS)} teachers")
    async with journal.transaction() as s:
        school = await ensure_school(s, "Школа № 1 (бенчмарк)")
        year = AcademicYear(
            school_id=school.id,
            name="2026/2027",
            starts_on=date(2026, 9, 1),
            ends_on=date(2027, 5, 31),
        )
        s.add(year)
        await s.flush()
        s.add(
            Period(
                school_id=school.id,
                year_id=year.id,
                name="2 четверть",
                starts_on=date(2026, 11, 5),
                ends_on=date(2026, 12, 28),
            )
        )
        subjects = [Subject(school_id=school.id, name=name) for name in SUBJECTS]
        staff = [Person(school_id=school.id, full_name=person_name(i)) for i in range(teachers)]
        s.add_all(subjects + staff)
        for no in range(1, 8):
            start = datetime.combine(MONDAY, dtime(8, 30)) + timedelta(minutes=55 * (no - 1))
            s.add(
                Bell(
                    school_id=school.id,
                    lesson_no=no,
                    starts_at=start.time(),
                    ends_at=(start + timedelta(minutes=45)).time(),
                )
            )
        await s.flush()
        s.add_all(StaffRoleRow(person_id=p.id, role=StaffRole.TEACHER.value) for p in staff)
        classes = [
            SchoolClass(
                school_id=school.id,
                name=f"{5 + i % 7}{LETTERS[i // 7]}",
                grade=5 + i % 7,
                class_teacher_id=staff[i].id,
            )
            for i in range(teachers)
        ]
        kids = [
            Person(school_id=school.id, full_name=person_name(1000 + i * pupils + k))
            for i in range(teachers)
            for k in range(pupils)
        ]
        s.add_all(classes + kids)
        await s.flush()
        s.add_all(
            Pupil(person_id=kid.id, class_id=classes[n // pupils].id) for n, kid in enumerate(kids)
        )
        for i, (teacher, cls) in enumerate(zip(staff, classes, strict=True)):
            subject = subjects[i % len(subjects)]
            s.add(
                TimetableEntry(
                    school_id=school.id,
                    class_id=cls.id,
                    weekday=MONDAY.isoweekday(),
                    lesson_no=1 + i % 7,
                    subject_id=subject.id,
                    teacher_id=teacher.id,
                    room=str(100 + i),
                )
            )
            s.add(Assignment(teacher_id=teacher.id, subject_id=subject.id, class_id=cls.id))
    return School(school.id, [p.id for p in staff], pupils)


async def reset_day(journal: Any) -> None:
    """Forget the day's lessons (attendance goes with them; the audit log is append-only
    and stays): the next /today starts over."""
    from sqlalchemy import text

    async with journal.transaction() as s:
        await s.execute(text("DELETE FROM lessons"))
        await s.execute(text("ANALYZE"))


async def check_day(journal: Any, school: School, teachers: list[int], taps: int) -> list[str]:
    """Every roll call done: ``taps`` pupils absent, the rest present, the lesson taken."""
    from sqlalchemy import func, select

    from core.models import Attendance, Lesson

    async with journal.transaction() as s:
        rows = await s.execute(
            select(
                Lesson.teacher_id,
                Lesson.attendance_taken_at.is_not(None),
                func.count(Attendance.pupil_id).filter(Attendance.status == "absent"),
                func.count(Attendance.pupil_id).filter(Attendance.status == "present"),
            )
            .outerjoin(Attendance, Attendance.lesson_id == Lesson.id)
            .where(Lesson.date == MONDAY, Lesson.teacher_id.in_(teachers))
            .group_by(Lesson.id)
        )
        found = {t: (taken, a, p) for t, taken, a, p in rows}
    problems = []
    want = (True, taps, school.pupils_per_class - taps)
    for teacher in teachers:
        if found.get(teacher) != want:
            problems.append(f"teacher {teacher}: {found.get(teacher)} instead of {want}")
    return problems


# --- the harness ---------------------------------------------------------------------------------


@dataclass
class Env:
    fake: Any
    recorder: Recorder
    journal: Any
    sql: SqlCounter
    cpu: CpuMeter
    logs: LogCounter
    school: School
    users: list[Any]
    timeout: float
    bot: Any = None  # InProcessBot or ChildBot: where the bot runs
    side: Any = None  # TelegramSide or rollcall_max.MaxSide: the messenger's fake


class InProcessBot:
    """The bot as a task of this process: it shares one core with the fake Bot API and
    the simulated users (the single-teacher trace uses it, for SQL accounting)."""

    in_process = True

    def __init__(self, app: Any, logs: LogCounter) -> None:
        self.app = app
        self.logs = logs
        self.task: asyncio.Task[None] | None = None
        self.stopping = asyncio.Event()

    async def start(self) -> None:
        from bot.telegram.runner import run_bot
        from bot.telegram.transport import build_bot

        self.stopping = asyncio.Event()
        bot = build_bot(TOKEN, self.app.settings.telegram_api_base)
        self.task = asyncio.create_task(
            run_bot(self.app, handle_signals=False, stop=self.stopping, bot=bot)
        )

    async def stop(self) -> None:
        if self.task is not None:
            self.stopping.set()
            await asyncio.wait_for(self.task, timeout=30)
            self.task = None

    def start_profiling(self) -> None:
        """Only the bot in a process of its own is profiled (``ROLLCALL_PROFILE_BOT``)."""

    def cpu(self) -> float | None:
        return None  # it is this process's

    def take_logs(self) -> tuple[int, list[str]]:
        return self.logs.take()


LOG_LINE = re.compile(r"^(WARNING|ERROR|CRITICAL) ")
# With this set to a file name, the bot's own process is profiled (cProfile) from the first
# timed run to its end, and the statistics are written there.
PROFILE_BOT = "ROLLCALL_PROFILE_BOT"


class ChildBot:
    """The bot in a process of its own (``--serve-bot``), as in production, where the Bot
    API is elsewhere: the fake and the simulated users do not take the bot's CPU. Its
    warnings and errors come through its stderr. ``messenger="max"``: the MAX bot
    (``rollcall_max.serve_bot``)."""

    in_process = False

    def __init__(
        self,
        db_url: str,
        api_base: str,
        webhook: list[str] | None = None,
        messenger: str = "telegram",
    ) -> None:
        self.command = ["--serve-bot", db_url, api_base, "--messenger", messenger]
        self.command += ["--serve-webhook", *webhook] if webhook else []
        self.listening = asyncio.Event()  # a webhook worker's port is open
        self.proc: asyncio.subprocess.Process | None = None
        self.reader: asyncio.Task[None] | None = None
        self.ps: Any = None
        self.count = 0
        self.first: list[str] = []

    async def start(self) -> None:
        import psutil

        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "benchmarks",
            "rollcall",
            *self.command,
            cwd=PROJECT_ROOT,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        self.ps = psutil.Process(self.proc.pid)
        self.reader = asyncio.create_task(self._read(self.proc))

    async def _read(self, proc: asyncio.subprocess.Process) -> None:
        from school_journal.workers import READY_LINE

        async def ready() -> None:
            assert proc.stdout is not None
            async for raw in proc.stdout:
                if raw.decode(errors="replace").strip() == READY_LINE:
                    self.listening.set()

        assert proc.stderr is not None
        watcher = asyncio.create_task(ready())
        async for raw in proc.stderr:
            line = raw.decode(errors="replace").rstrip()
            if LOG_LINE.match(line):
                self.count += 1
                if len(self.first) < 3:
                    self.first.append(line[:200])
        await watcher

    async def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(self.proc.wait(), timeout=30)
        if self.reader is not None:
            await self.reader
        self.proc = None

    def start_profiling(self) -> None:
        if self.proc is not None and os.environ.get(PROFILE_BOT):
            self.proc.send_signal(signal.SIGUSR1)

    def cpu(self) -> float | None:
        try:
            t = self.ps.cpu_times()
            return float(t.user + t.system)
        except Exception:
            return None

    def take_logs(self) -> tuple[int, list[str]]:
        taken = (self.count, self.first)
        self.count, self.first = 0, []
        return taken


class WebhookBots:
    """``--workers N``: the bot as ``journal run --webhook --workers N`` runs it, N
    processes serving one webhook port (SO_REUSEPORT); the fake delivers every update by
    a POST, up to ``max_connections`` (Telegram's maximum, 100) at once. The webhook is set
    once every worker listens, as ``journal run`` does."""

    in_process = False

    def __init__(self, db_url: str, api_base: str, workers: int) -> None:
        self.api_base = api_base
        self.port = free_port()
        self.workers = [
            ChildBot(db_url, api_base, [str(self.port), str(workers)]) for _ in range(workers)
        ]

    async def start(self) -> None:
        import aiohttp

        for worker in self.workers:
            await worker.start()
        await asyncio.wait_for(
            asyncio.gather(*(w.listening.wait() for w in self.workers)), timeout=60
        )
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"{self.api_base}/bot{TOKEN}/setWebhook",
                json={"url": f"http://127.0.0.1:{self.port}/hook", "max_connections": 100},
            ) as response,
        ):
            body = await response.json()
            if not body.get("ok"):
                raise RuntimeError(f"setWebhook: {body}")

    async def stop(self) -> None:
        for worker in self.workers:
            await worker.stop()

    def start_profiling(self) -> None:
        for worker in self.workers:
            worker.start_profiling()

    def cpu(self) -> float | None:
        times = [w.cpu() for w in self.workers]
        return None if None in times else sum(t for t in times if t is not None)

    def take_logs(self) -> tuple[int, list[str]]:
        count, first = 0, []
        for worker in self.workers:
            n, lines = worker.take_logs()
            count += n
            first += lines
        return count, first[:3]


class TelegramSide:
    """The Telegram side of the benchmark: the fake Bot API (fakegram), its simulated
    teachers, how one is bound, where the bot runs. ``rollcall_max.MaxSide`` is the same
    for MAX; ``bench`` and the runs see a messenger only through one of these."""

    label = ""  # in the report's first line
    update_chat = staticmethod(_update_chat)

    def __init__(self) -> None:
        self.fake: Any = None

    async def start(self, recorder: Recorder) -> Any:
        self.fake = make_fake(recorder)
        await self.fake.start()
        self.fake.add_bot(TOKEN, USERNAME)
        return self.fake

    async def stop(self) -> None:
        await self.fake.stop()

    def users(self, count: int) -> list[Any]:
        return [
            self.fake.user(500_000 + i, f"Учитель{i}", "Бенчмарк", language_code="ru")
            for i in range(count)
        ]

    async def bind(self, user: Any, code: str) -> None:
        await user.open_deep_link(code)
        await user.wait_reply(30.0, predicate=lambda m: "Готово" in (m.text or ""))

    def runners(
        self, args: argparse.Namespace, app: Any, db_url: str, logs: LogCounter
    ) -> tuple[InProcessBot, Any]:
        """The bot in this process (for the trace) and the one of the timed runs."""
        in_process = InProcessBot(app, logs)
        if args.workers:
            return in_process, WebhookBots(db_url, self.fake.base_url, args.workers)
        if args.in_process:
            return in_process, in_process
        return in_process, ChildBot(db_url, self.fake.base_url)

    @staticmethod
    def where(args: argparse.Namespace) -> str:
        if args.workers:
            return (
                f"the bot in {args.workers} webhook worker processes sharing one port; "
                "the fake Bot API and the users in this one"
            )
        if args.in_process:
            return "the bot in this process (long polling), with the fake Bot API and the users"
        return (
            "the bot in a process of its own (long polling); the fake Bot API and the "
            "users in this one"
        )

    def activity(self) -> int:
        """Events in every chat so far (it changes while the bot is still talking)."""
        return sum(len(c.events) for c in self.fake.bot().chats.values())

    def pending_updates(self) -> int:
        return int(self.fake.bot().pending_update_count)

    def errors_mark(self) -> int:
        return len(self.fake.bot().errors)

    def errors_since(self, mark: int) -> list[str]:
        return [
            f"Bot API error {e.method}: {e.error_code} {e.description}"
            for e in self.fake.bot().errors[mark:]
        ]

    def unanswered(self) -> set[str]:
        return {q.id for q in self.fake.unanswered_callback_queries}


def messenger_side(messenger: str) -> Any:
    if messenger == "max":
        from benchmarks.rollcall_max import MaxSide

        return MaxSide()
    return TelegramSide()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def serve_bot(db_url: str, api_base: str, webhook: list[str] | None = None) -> None:
    """``--serve-bot DB_URL API_BASE [--serve-webhook PORT WORKERS]``: only the bot (the
    journal's clock at NOW), until SIGTERM; long polling, or one of WORKERS webhook
    workers sharing PORT (``journal run --webhook --workers N``'s extra workers)."""
    from bot.telegram.runner import run_bot
    from school_journal.app import App
    from school_journal.workers import announce_ready

    served: dict[str, Any] = (
        {
            "webhook_host": "127.0.0.1",
            "webhook_path": "/hook",
            "webhook_port": int(webhook[0]),
            "webhook_workers": int(webhook[1]),
        }
        if webhook
        else {}
    )
    async with bot_process(db_url, api_base, served) as (settings, engine, journal, stop):
        app = App(settings=settings, engine=engine, journal=journal, database_url=db_url)
        if webhook:
            await run_bot(
                app, handle_signals=False, stop=stop, serve_only=True, on_listening=announce_ready
            )
        else:
            await run_bot(app, handle_signals=False, stop=stop)


@contextlib.asynccontextmanager
async def bot_process(
    db_url: str, api_base: str, served: dict[str, Any] | None = None
) -> AsyncIterator[tuple[Any, Any, Any, asyncio.Event]]:
    """What a bot's own process (``--serve-bot``, either messenger) runs around the bot:
    warnings to stderr, the settings, the engine and the journal (its clock at NOW), a stop
    event set by SIGTERM and, with ``ROLLCALL_PROFILE_BOT``, cProfile from SIGUSR1 on."""
    from pydantic import SecretStr
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from core.clock import ManualClock
    from core.journal import Journal
    from school_journal.database import create_engine
    from school_journal.settings import Settings

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = Settings(
        _env_file=None,
        bot_token=SecretStr(TOKEN),
        telegram_api_base=api_base,
        database_url=db_url,
        **(served or {}),
    )
    engine = create_engine(db_url)
    journal = Journal(
        async_sessionmaker(engine, expire_on_commit=False), ManualClock(NOW), settings.rules()
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    profile = os.environ.get(PROFILE_BOT)
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        loop.add_signal_handler(signal.SIGUSR1, profiler.enable)
    try:
        yield settings, engine, journal, stop
    finally:
        await engine.dispose()
        if profile:
            profiler.disable()
            profiler.dump_stats(profile)


async def act(env: Env, user: Any, kind: str, action: Callable[[], Awaitable[Any]]) -> Step:
    step = env.recorder.begin(user.id, kind, callback=kind != "today")
    before = env.sql.snapshot()
    cpu_before = time.process_time()
    await action()
    try:
        await asyncio.wait_for(step.done.wait(), env.timeout)
    except TimeoutError:
        raise AssertionError(
            f"{user.name}: no complete answer to {kind!r} within {env.timeout} s "
            f"(delivered={step.delivered is not None}, reply={step.reply is not None}, "
            f"answered={step.answered is not None})"
        ) from None
    if env.sql.enabled:
        after = env.sql.snapshot()
        step.sql = {
            "statements": after[0] - before[0],
            "transactions": after[1] - before[1],
            "checkouts": after[2] - before[2],
            "db_time": after[3] - before[3],
            "log": env.sql.log[before[4] : after[4]],
            "cpu": time.process_time() - cpu_before,
        }
    return step


async def teacher_flow(env: Env, user: Any, taps: int, think: float, rng: random.Random) -> None:
    async def pause() -> None:
        if think > 0:
            await asyncio.sleep(rng.uniform(0.5, 1.5) * think)

    if think > 0:
        await asyncio.sleep(rng.uniform(0, think))  # teachers do not start in lockstep
    await act(env, user, "today", lambda: user.send("/today"))
    await pause()
    await act(env, user, "open", lambda: user.press(LESSON_BUTTON))
    for _ in range(taps):
        await pause()
        await act(env, user, "tap", lambda: user.press(UNMARKED_PUPIL))
    await pause()
    await act(env, user, "rest", lambda: user.press(REST_BUTTON))


@dataclass
class RunResult:
    steps: list[Step]
    wall: float
    teachers: int
    errors: list[str]
    cpu_own: float  # this process: the fake and the users (and the bot when in process)
    cpu_bot: float | None  # the bot's own process, when it has one
    cpu_db: float | None
    cpu_machine: float | None  # every process on the machine together

    @property
    def cpu_others(self) -> float | None:
        """What other programs on the machine took meanwhile (tests, other benchmarks)."""
        if self.cpu_machine is None or self.cpu_db is None:
            return None
        return max(0.0, self.cpu_machine - self.cpu_own - (self.cpu_bot or 0.0) - self.cpu_db)


@contextlib.contextmanager
def harness_gc_held(hold: bool) -> Iterator[None]:
    """No garbage collection in this process (the fake Bot API and the users) during a
    timed run. Both ends of every measurement are read here, and this process keeps every
    message of every chat: its full collections grew to 0.1–0.4 s by the third run and,
    while one ran, answers the bot had already sent waited to be timed, which showed up
    as the bot's latency. Telegram is not on the bot's machine. The bot's own process
    collects as usual. Not when the bot runs in this process (``--in-process``)."""
    if not hold:
        yield
        return
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


async def measured_run(
    env: Env, users: list[Any], taps: int, think: float, seed: int, check: bool = True
) -> RunResult:
    """One timed run of ``users`` taking the roll call; ``check``: the day's attendance in
    the database is checked afterwards (not for the bare bot, which keeps none)."""
    await reset_day(env.journal)
    env.recorder.reset()
    for user in users:
        user.drain()
    rng = random.Random(seed)
    errors_before = env.side.errors_mark()
    unanswered_before = env.side.unanswered()
    env.bot.take_logs()
    cpu_before, bot_before, machine_before = env.cpu.read(), env.bot.cpu(), CpuMeter.machine()
    with harness_gc_held(not env.bot.in_process):
        started = time.perf_counter()
        outcomes = await asyncio.gather(
            *(teacher_flow(env, u, taps, think, rng) for u in users), return_exceptions=True
        )
        wall = time.perf_counter() - started
    cpu_after, bot_after, machine_after = env.cpu.read(), env.bot.cpu(), CpuMeter.machine()
    errors = [f"{type(o).__name__}: {o}" for o in outcomes if isinstance(o, BaseException)]
    api_errors = Counter(env.side.errors_since(errors_before))
    errors += [f"{n} × {text_}" for text_, n in api_errors.items()]
    logged, first = env.bot.take_logs()
    if logged:
        errors.append(f"the bot logged {logged} warnings/errors, the first: {first[0]}")
    unanswered = env.side.unanswered() - unanswered_before
    if unanswered:
        errors.append(f"{len(unanswered)} callback queries never answered")
    if not errors and check:
        teacher_ids = [env.school.teacher_ids[env.users.index(u)] for u in users]
        errors += await check_day(env.journal, env.school, teacher_ids, taps)
    cpu_db = CpuMeter.server_delta(cpu_before[1], cpu_after[1])
    return RunResult(
        list(env.recorder.steps),
        wall,
        len(users),
        errors,
        cpu_after[0] - cpu_before[0],
        None if bot_before is None or bot_after is None else bot_after - bot_before,
        cpu_db,
        None if machine_before is None or machine_after is None else machine_after - machine_before,
    )


@dataclass
class RunSummary:
    p50: float  # delivery → answer, ms
    p95: float
    rate: float  # updates per second that arrived (and were served)
    cpu_ms: float  # the bot's CPU per update (the whole process's when the bot is in it)
    busy: float  # share of the run the bot's process was on the CPU
    in_flight: float  # updates inside the bot on average (Little's law)
    others: float | None  # cores other programs kept busy meanwhile (tests, other benchmarks)
    db_ms: float | None  # PostgreSQL's CPU per update


def report_run(title: str, result: RunResult) -> RunSummary:
    steps = [s for s in result.steps if s.first_answer is not None and s.delivered is not None]
    served = [s.first_answer - s.delivered for s in steps]  # type: ignore[operator]  # set when the step was answered
    complete = [s.complete - s.delivered for s in steps if s.complete]  # type: ignore[operator]  # set when the step was answered
    felt = [s.first_answer - s.pressed for s in steps]  # type: ignore[operator]  # set when the step was answered
    felt_complete = [s.complete - s.pressed for s in steps if s.complete]
    polled = [s.delivered - s.pressed for s in steps]  # type: ignore[operator]  # set when the step was answered
    calls = result.teachers
    rate = len(steps) / result.wall
    print(
        f"\n{title}: {len(steps)} updates in {result.wall:.2f} s → "
        f"{rate:.1f} updates/s, {calls / result.wall:.1f} roll calls/s"
    )
    n = max(len(steps), 1)

    def per_update(seconds: float) -> str:
        return f"{seconds:.1f} s = {seconds / n * 1000:.1f} ms/update"

    parts = []
    if result.cpu_bot is None:
        bot_cpu = result.cpu_own
        parts.append(f"bot, fake and users (one process) {per_update(result.cpu_own)}")
    else:
        bot_cpu = result.cpu_bot
        parts.append(f"bot process {per_update(result.cpu_bot)}")
        parts.append(f"fake and users {per_update(result.cpu_own)}")
    if result.cpu_db is not None:
        parts.append(f"PostgreSQL {per_update(result.cpu_db)}")
    if result.cpu_others is not None:
        parts.append(f"other programs {result.cpu_others:.1f} s")
    busy = bot_cpu / result.wall
    print(f"  CPU: {'; '.join(parts)}")
    in_flight = sum(complete) / result.wall
    print(
        f"  the bot's process was on the CPU {busy:.0%} of the run; on average "
        f"{in_flight:.1f} updates were inside the bot at once"
    )
    print(HEADER)
    print(stats_row("delivery → answer", served))
    print(stats_row("delivery → complete", complete))
    print(stats_row("press → answer", felt))
    print(stats_row("press → complete", felt_complete))
    print(stats_row("press → delivery", polled))
    print("  delivery → answer, by step:")
    by_kind: dict[str, list[float]] = defaultdict(list)
    for s in steps:
        by_kind[s.kind].append(s.first_answer - s.delivered)  # type: ignore[operator]  # set when the step was answered
    for kind, title_ in STEP_TITLES.items():
        if by_kind.get(kind):
            print(stats_row("  " + title_, by_kind[kind]))
    for error in result.errors[:10]:
        print(f"  ERROR {error}")
    if len(result.errors) > 10:
        print(f"  … and {len(result.errors) - 10} more errors")
    ms = [v * 1000 for v in served]
    others = None if result.cpu_others is None else result.cpu_others / result.wall
    db_ms = None if result.cpu_db is None else result.cpu_db / n * 1000
    return RunSummary(
        percentile(ms, 50),
        percentile(ms, 95),
        rate,
        bot_cpu / n * 1000,
        busy,
        in_flight,
        others,
        db_ms,
    )


def verdict(runs: list[RunSummary], think: float, teachers: int, processes: int) -> str:
    """Whether the goal is met in a phase (every run's p95), and if not, why."""
    worst = max(r.p95 for r in runs)
    if worst <= GOAL_P95_MS:
        return "met"

    def mean(values: list[float]) -> float:
        return sum(values) / len(values)

    rate, cpu = mean([r.rate for r in runs]), mean([r.cpu_ms for r in runs])
    busy, in_flight = mean([r.busy for r in runs]), mean([r.in_flight for r in runs])
    known = [r.others for r in runs if r.others is not None]
    others = f"; other programs kept {mean(known):.1f} of the cores busy" if known else ""
    where = "works on one core" if processes == 1 else f"works in {processes} processes"
    if busy >= 0.3 or in_flight >= 1:
        why = (
            f"the bot needs {cpu:.1f} ms of CPU per update and, being Python, {where}; "
            f"{rate:.0f} updates/s arrived, so it was on the CPU {busy:.0%} of the time "
            f"and {in_flight:.1f} updates were inside it at once on average (more when "
            f"arrivals bunch up): an answer waits for the CPU time of the updates ahead of "
            f"it{others}"
        )
    else:
        why = (
            f"not a queue (the bot was on the CPU {busy:.0%} of the time): a single update "
            f"needs {cpu:.1f} ms of the bot's CPU and its database round trips{others}"
        )
    known_db = [r.db_ms for r in runs if r.db_ms is not None]
    if think == 0 and known_db:
        why += "; " + burst_floor(teachers, cpu, mean(known_db))
    return f"MISSED (worst p95 {worst:.0f} ms). Why: {why}"


def burst_floor(teachers: int, bot_ms: float, db_ms: float) -> str:
    """The least mean wait any setup of this machine allows when every teacher acts the
    moment the last answer arrives. Then ``teachers`` updates are always in flight and
    the CPU is the bottleneck: the throughput X ≤ cores / (CPU per update), and by
    Little's law the mean wait is teachers / X ≥ teachers × (CPU per update) / cores."""
    cores = os.cpu_count() or 1
    floor = teachers * (bot_ms + db_ms) / cores
    budget = GOAL_P95_MS * cores / teachers
    return (
        f"no number of processes helps enough on {cores} cores: with {teachers} updates always "
        f"in flight, the mean wait is at least {teachers} × ({bot_ms:.1f} ms bot + "
        f"{db_ms:.1f} ms PostgreSQL CPU per update) / {cores} cores = {floor:.0f} ms, even "
        f"with the Bot API on another machine; {GOAL_P95_MS:.0f} ms would need at most "
        f"{budget:.1f} ms of CPU per update, bot and database together"
    )


def report_trace(steps: list[Step], show_sql: bool) -> None:
    print(
        "\nOne teacher alone (no contention; the bot, the fake and the user in this process), "
        "SQL accounting on; best of 3 rounds by CPU:"
    )
    print(
        f"  {'update':<16}{'answer ms':>10}{'complete':>10}{'cpu ms':>8}{'stmts':>7}{'tx':>5}"
        f"{'conns':>7}{'db wait ms':>11}"
    )
    for s in steps:
        answer = (s.first_answer - s.delivered) * 1000  # type: ignore[operator]  # set when the step was answered
        complete = (s.complete - s.delivered) * 1000  # type: ignore[operator]  # set when the step was answered
        sql = s.sql
        print(
            f"  {STEP_TITLES[s.kind]:<16}{answer:>10.1f}{complete:>10.1f}{sql['cpu'] * 1000:>8.1f}"
            f"{sql['statements']:>7}{sql['transactions']:>5}{sql['checkouts']:>7}"
            f"{sql['db_time'] * 1000:>11.1f}"
        )
    if show_sql:
        for s in steps:
            print(f"\n  -- {STEP_TITLES[s.kind]}: statements by text")
            for text_, n in Counter(s.sql["log"]).most_common():
                print(f"  {n:>4} × {text_}")


# --- main ---------------------------------------------------------------------------------------


async def bench(admin_url: str, args: argparse.Namespace) -> int:
    """The benchmark on a running PostgreSQL server (its admin URL): a database of its
    own is created, and dropped at the end."""
    import asyncpg
    from pydantic import SecretStr
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from core import invitations
    from core.access import Actor
    from core.clock import ManualClock
    from core.journal import Journal
    from core.models import BindingRole
    from school_journal.app import App
    from school_journal.database import asyncpg_dsn, create_engine, with_database
    from school_journal.migrate import upgrade
    from school_journal.settings import Settings

    t0 = time.perf_counter()
    name = f"rollcall_{os.getpid()}_{time.time_ns()}"
    conn = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        server_version = await conn.fetchval("SHOW server_version")
        cpu = CpuMeter(await conn.fetchval("SELECT pg_backend_pid()"))
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    db_url = with_database(admin_url, name)
    engine = create_engine(db_url)
    await upgrade(engine)
    t_migrated = time.perf_counter()

    settings = Settings(
        _env_file=None,
        bot_token=SecretStr(TOKEN),
        telegram_api_base="http://127.0.0.1:1",
        database_url=db_url,
    )
    clock = ManualClock(NOW)
    journal = Journal(async_sessionmaker(engine, expire_on_commit=False), clock, settings.rules())
    sql = SqlCounter(engine)
    school = await build_school(journal, args.teachers, args.pupils)
    t_built = time.perf_counter()

    side = messenger_side(args.messenger)
    recorder = Recorder(side.update_chat)
    fake = await side.start(recorder)
    settings = settings.model_copy(update={"telegram_api_base": fake.base_url})
    app = App(settings=settings, engine=engine, journal=journal, database_url=db_url)
    logs = LogCounter()
    logging.getLogger().addHandler(logs)
    in_process, runner = side.runners(args, app, db_url, logs)
    await runner.start()
    code = 0
    try:
        users = side.users(args.teachers + 1)  # +1: the teacher of the traced pass
        env = Env(
            fake, recorder, journal, sql, cpu, logs, school, users[:-1], args.timeout, runner, side
        )
        await bind_all(env, users, school, invitations, Actor, BindingRole)
        t_bound = time.perf_counter()
        print(
            f"rollcall{side.label}: {args.teachers} teachers × (/today, open, {args.taps} taps, "
            f"«остальные присутствуют»), {args.pupils} pupils per class"
        )
        print(
            f"setup (not measured): PostgreSQL {server_version} embedded, migrated in "
            f"{t_migrated - t0:.1f} s, school built in {t_built - t_migrated:.1f} s, "
            f"{args.teachers} teachers bound in {t_bound - t_built:.1f} s"
        )
        where = side.where(args)
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"machine: {os.cpu_count()} cores, load average {load}; {where}")
        goal_lines = []
        phases: dict[float, list[RunSummary]] = {}
        runner.start_profiling()
        for think in args.think:
            summary = phases[think] = []
            if think > 0:
                label = f"paced ({think / 2:g}–{think * 1.5:g} s between actions)"
                title = (
                    f"paced: a teacher pauses {think / 2:g}–{think * 1.5:g} s before each "
                    f"action (starts spread over {think:g} s)"
                )
            else:
                label = f"burst ({len(env.users)} teachers at once)"
                title = "burst: every teacher acts as soon as the previous answer is complete"
            print(f"\n=== {title}")
            for run in range(1, args.runs + 1):
                result = await measured_run(env, env.users, args.taps, think, seed=run)
                summary.append(report_run(f"run {run}", result))
                if result.errors:
                    code = 1
            if summary:
                p50s = ", ".join(f"{r.p50:.0f}" for r in summary)
                p95s = ", ".join(f"{r.p95:.0f}" for r in summary)
                rates = ", ".join(f"{r.rate:.0f}" for r in summary)
                line = (
                    f"{label}: delivery → answer p50 {p50s} ms; p95 {p95s} ms; at {rates} "
                    f"updates/s. Goal p95 ≤ {GOAL_P95_MS:.0f} ms: "
                    f"{verdict(summary, think, len(env.users), max(args.workers, 1))}"
                )
                goal_lines.append(line)
                print(f"\n{line}")
        if goal_lines:
            print(
                f"\nThe goal, p95 ≤ {GOAL_P95_MS:.0f} ms from delivery to answer, phase by phase:"
            )
            for line in goal_lines:
                print(f"  {line}")

        if floor_wanted(args):
            await runner.stop()
            code = max(code, await floor(env, side, args, phases))
            runner = env.bot
        if not args.no_trace:
            if runner is not in_process:  # the SQL accounting needs the bot in this process
                await runner.stop()
                runner = in_process
                await runner.start()
            # Three rounds, the best of each step shown: the first warms the caches
            # (SQL compilation, prepared statements) when there were no measured runs.
            rounds = []
            profiler = None
            for round_no in range(3):
                await reset_day(journal)
                recorder.reset()
                sql.enabled = True
                users[-1].drain()
                if args.profile and round_no > 0:  # the first round only warms up
                    import cProfile

                    profiler = profiler or cProfile.Profile()
                    profiler.enable()
                await teacher_flow(env, users[-1], args.taps, 0.0, random.Random(0))
                if profiler is not None:
                    profiler.disable()
                sql.enabled = False
                rounds.append(list(recorder.steps))
            best = [min(column, key=lambda s: s.sql["cpu"]) for column in zip(*rounds, strict=True)]
            report_trace(best, args.sql)
            if profiler is not None:
                profiler.dump_stats(args.profile)
                print(f"\n  cProfile of the last two rounds (bot, fake and user): {args.profile}")
    finally:
        await runner.stop()
        await side.stop()
        await engine.dispose()
        logging.getLogger().removeHandler(logs)
        conn = await asyncpg.connect(asyncpg_dsn(admin_url))
        try:
            await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        finally:
            await conn.close()
    return code


def floor_wanted(args: argparse.Namespace) -> bool:
    """The bare bot runs after the timed phases on Telegram with the bot in a process of
    its own (as the floor's is), unless ``--no-floor``."""
    return (
        args.messenger == "telegram"
        and args.runs > 0
        and not (args.no_floor or args.in_process or args.workers)
    )


async def floor(
    env: Env, side: Any, args: argparse.Namespace, phases: dict[float, list[RunSummary]]
) -> int:
    """The same teachers and flow against a bare aiogram bot (``rollcall_floor``), at the
    last phase's pace; prints its CPU per update and the project's as a ratio of it."""
    from benchmarks.rollcall_floor import ACTIONS, BareBot

    think = args.think[-1]
    ours = phases[think]
    bot_ms = sum(r.cpu_ms for r in ours) / len(ours)
    db_ms = sum(r.db_ms or 0.0 for r in ours) / len(ours)
    code, lines = 0, []
    for transport, session in (("aiogram", "aiogram's"), ("journal", "the journal's")):
        env.bot = BareBot(side.fake.base_url, args.pupils, transport)
        await env.bot.start()
        print(
            f"\n=== floor: a bare aiogram bot on {session} session, the same flow and "
            f"a {args.pupils + len(ACTIONS)}-button card, no database (the last phase's "
            f"pace, think {think:g} s)"
        )
        bare: list[RunSummary] = []
        try:
            # Not measured: the process's imports and first poll, aiogram's first updates.
            await measured_run(env, env.users, args.taps, 0.0, seed=0, check=False)
            for run in range(1, args.runs + 1):
                result = await measured_run(env, env.users, args.taps, think, seed=run, check=False)
                bare.append(report_run(f"bare run {run}", result))
                code = 1 if result.errors else code
        finally:
            await env.bot.stop()
        floor_ms = sum(r.cpu_ms for r in bare) / len(bare)
        lines.append(
            f"  a bare aiogram bot on {session} session {floor_ms:.1f} ms: the journal "
            f"is {(bot_ms + db_ms) / floor_ms:.2f} × it (goal ≤ 1.0)"
        )
    print(
        f"\nCPU per update: the journal's bot {bot_ms:.1f} ms + PostgreSQL {db_ms:.1f} ms = "
        f"{bot_ms + db_ms:.1f} ms;"
    )
    print("\n".join(lines))
    return code


async def bind_all(
    env: Env, users: list[Any], school: School, invitations: Any, actor: Any, role: Any
) -> None:
    """Issue a staff code per teacher and let each open their deep link (the last user
    is bound to the first teacher too: the traced pass runs as a second account)."""
    system = actor.system(school.school_id)
    sem = asyncio.Semaphore(20)

    async def bind(user: Any, person_id: int) -> None:
        issued = await invitations.issue(env.journal, system, person_id, role.STAFF)
        async with sem:
            await env.side.bind(user, issued.code)

    # Reissuing revokes a person's unused code: the second account of the first teacher
    # gets its code only once the first account has used theirs.
    *teachers, tracer = users
    await asyncio.gather(*(bind(u, p) for u, p in zip(teachers, school.teacher_ids, strict=True)))
    await bind(tracer, school.teacher_ids[0])
    # Let the bot finish whatever it still says (the menu), then start from silence.
    quiet_since = time.perf_counter()
    seen = env.side.activity()
    while time.perf_counter() - quiet_since < 0.5:
        await asyncio.sleep(0.1)
        now_seen = env.side.activity()
        if now_seen != seen or env.side.pending_updates():
            seen, quiet_since = now_seen, time.perf_counter()
    for user in users:
        user.drain()


def _floats(text: str) -> list[float]:
    try:
        values = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if not values or any(v < 0 for v in values):
        raise argparse.ArgumentTypeError(f"not a list of non-negative numbers: {text!r}")
    return values


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks rollcall",
        description="N teachers take the roll call concurrently against the fake Bot API.",
    )
    parser.add_argument("--teachers", type=int, default=100, help="simulated teachers (100)")
    parser.add_argument("--pupils", type=int, default=30, help="pupils per class (30)")
    parser.add_argument("--taps", type=int, default=2, help="pupils marked absent (2)")
    parser.add_argument(
        "--runs", type=int, default=2, help="measured runs per phase (2; 0: trace only)"
    )
    parser.add_argument(
        "--think",
        type=_floats,
        default=[0.0, 2.0],
        help="comma-separated mean pauses before each action, seconds, one phase each "
        "(default 0,2: a burst, then a human pace); 0: act as soon as answered",
    )
    parser.add_argument(
        "--messenger",
        choices=["telegram", "max"],
        default="telegram",
        help="through the Telegram bot and fakegram (default), or the MAX adapter and fakemax",
    )
    parser.add_argument("--timeout", type=float, default=120.0, help="per answer, seconds")
    parser.add_argument("--no-trace", action="store_true", help="skip the one-teacher trace")
    parser.add_argument("--sql", action="store_true", help="list the traced statements")
    parser.add_argument(
        "--profile", metavar="FILE", help="cProfile the one-teacher trace into FILE (pstats)"
    )
    parser.add_argument("--data-dir", help="keep the database here instead of a temp dir")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run the bot in this process during the timed phases too (as before: the fake "
        "and the users then take CPU from the bot); by default it has a process of its own",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        metavar="N",
        help="webhook mode: N bot processes share the port, as `journal run --webhook "
        "--workers N` (default 0: long polling, one process)",
    )
    parser.add_argument(
        "--no-floor",
        action="store_true",
        help="skip the bare aiogram bot's runs (the floor a tap is compared with)",
    )
    parser.add_argument("--serve-bot", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--serve-bare", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--serve-webhook", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.teachers < 1 or args.pupils < args.taps + 1 or args.runs < 0:
        parser.error("need at least 1 teacher and more pupils than taps")
    if args.workers < 0 or (args.workers and args.in_process):
        parser.error("--workers: 1 or more processes, not with --in-process")
    if args.workers and args.messenger == "max":
        parser.error("--workers: Telegram only (the MAX bot polls, in one process)")
    if args.runs == 0 and args.no_trace:
        parser.error("nothing to do: --runs 0 and --no-trace")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.serve_bare:
        from benchmarks.rollcall_floor import serve_bare

        api_base, pupils, transport = args.serve_bare
        asyncio.run(serve_bare(api_base, int(pupils), transport))
        return 0
    if args.serve_bot:
        db_url, api_base = args.serve_bot
        if args.messenger == "max":
            from benchmarks import rollcall_max

            asyncio.run(rollcall_max.serve_bot(db_url, api_base))
        else:
            asyncio.run(serve_bot(db_url, api_base, args.serve_webhook))
        return 0
    with embedded_database(args.data_dir, "rollcall") as admin_url:
        return asyncio.run(bench(admin_url, args))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
