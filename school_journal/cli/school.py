"""The school's commands: ``journal migrate``, ``import`` (the roster), ``template`` (a
blank roster), ``school`` (its rules), ``substitute`` (a lesson's substitute) and
``status``."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, time
from pathlib import Path
from typing import Literal

from core import directory, lessons, school_bots, schools
from core.access import Actor
from core.clock import SystemClock, local_today
from core.errors import ImportFailed, JournalError
from core.journal import Journal
from core.schools import find_school
from school_journal.app import App
from school_journal.cli.parsing import Commands
from school_journal.cli.people import bot_username
from school_journal.console import school_for
from school_journal.settings import Settings
from school_journal.status import status_command
from texts import t

BOT_TOKEN_KEY_MIN = 16  # characters of BOT_TOKEN_KEY, the phrase the bots' tokens are sealed with


def add_migrate(commands: Commands) -> None:
    commands.add("migrate", "cli.help.migrate")


def add_import(commands: Commands) -> None:
    h = commands.h
    imp = commands.add("import", "cli.help.import")
    imp.add_argument(
        "path", type=Path, metavar=h("cli.metavar.path"), help=h("cli.help.import.path")
    )
    imp.add_argument("--school", metavar=h("cli.metavar.school"), help=h("cli.help.import.school"))


def add_template(commands: Commands) -> None:
    h = commands.h
    tpl = commands.add("template", "cli.help.template")
    tpl.add_argument(
        "path", type=Path, metavar=h("cli.metavar.file"), help=h("cli.help.template.path")
    )


def add_substitute(commands: Commands) -> None:
    h = commands.h
    subst = commands.add("substitute", "cli.help.substitute")
    subst.add_argument(
        "--date", required=True, metavar=h("cli.metavar.date"), help=h("cli.help.substitute.date")
    )
    subst.add_argument(
        "--class",
        dest="class_name",
        required=True,
        metavar=h("cli.metavar.class"),
        help=h("cli.help.substitute.class"),
    )
    subst.add_argument(
        "--lesson",
        type=commands.number,
        required=True,
        metavar=h("cli.metavar.number"),
        help=h("cli.help.substitute.lesson"),
    )
    subst.add_argument(
        "--teacher",
        required=True,
        metavar=h("cli.metavar.name"),
        help=h("cli.help.substitute.teacher"),
    )
    subst.add_argument(
        "--group", metavar=h("cli.metavar.group"), help=h("cli.help.substitute.group")
    )
    commands.school_option(subst)


def add_school(commands: Commands) -> None:
    h = commands.h
    sch = commands.add("school", "cli.help.school_cmd")
    sch.add_argument(
        "--deadline", metavar=h("cli.metavar.time"), help=h("cli.help.school_cmd.deadline")
    )
    sch.add_argument(
        "--edit-window",
        choices=["none", "7", "14", "21", "30", "default"],
        metavar=h("cli.metavar.days"),
        help=h("cli.help.school_cmd.edit_window"),
    )
    sch.add_argument(
        "--digest-time", metavar=h("cli.metavar.time"), help=h("cli.help.school_cmd.digest_time")
    )
    bot = sch.add_mutually_exclusive_group()
    bot.add_argument(
        "--bot-token", metavar=h("cli.metavar.token"), help=h("cli.help.school_cmd.bot_token")
    )
    bot.add_argument(
        "--no-bot-token", action="store_true", help=h("cli.help.school_cmd.no_bot_token")
    )
    commands.school_option(sch)


def add_status(commands: Commands) -> None:
    commands.school_option(commands.add("status", "cli.help.status"))


async def migrate_command(app: App, args: argparse.Namespace) -> int:
    print(t("cli.migrated"))  # the composition root has migrated on opening
    # The audit log's partitions for this school year and the next (as journal run's job).
    from core.audit_partitions import add_due_partitions

    added = await add_due_partitions(app.journal)
    if added:
        print(t("cli.audit_partitions_added", names=", ".join(added)))
    return 0


async def import_command(app: App, args: argparse.Namespace) -> int:
    path: Path = args.path
    school: str | None = args.school
    from core.roster import import_roster
    from texts.roster import problem_line, summary_lines, warning_lines

    async with app.journal.transaction() as s:
        existing = await find_school(s, school)
    school_name = school or (existing.name if existing else None)
    if school_name is None:
        print(t("import.no_school"), file=sys.stderr)
        return 2
    try:
        summary = await import_roster(app.journal, path, school_name=school_name)
    except ImportFailed as failed:
        print(t("import.failed", count=len(failed.problems)), file=sys.stderr)
        for problem in failed.problems:
            print(f"  {problem_line(problem)}", file=sys.stderr)
        for line in warning_lines(failed.warnings):
            print(line, file=sys.stderr)
        return 1
    for line in summary_lines(summary):
        print(line)
    if summary.added_pupils:  # R2: a new pupil gets their cards at once
        print(t("roster.added_pupils", count=len(summary.added_pupils)))
        for pupil in summary.added_pupils:
            print(f"  {pupil.full_name}, {pupil.class_name}")
        for class_name in sorted({p.class_name for p in summary.added_pupils}):
            print(t("cli.cards_hint", cls=class_name))
    return 0


async def template_command(args: argparse.Namespace, settings: Settings) -> int:
    return write_template(args.path, settings)


def write_template(path: Path, settings: Settings) -> int:
    """The blank roster workbook (no database needed): what `journal import` reads."""
    from reports.roster_template import write_roster_template

    if path.is_dir():
        path = path / t("roster.template_file")
    elif path.suffix.lower() != ".xlsx":
        path = path.with_name(path.name + ".xlsx")
    if path.exists():  # it may be the school's filled-in roster
        print(t("cli.template_exists", path=str(path)), file=sys.stderr)
        return 1
    today = local_today(SystemClock(), settings.rules().timezone)
    try:
        write_roster_template(path, today)
    except OSError:
        print(t("cli.template_failed", path=str(path)), file=sys.stderr)
        return 1
    print(t("cli.template_written", path=str(path)))
    return 0


async def school_command(app: App, args: argparse.Namespace) -> int:
    school = await school_for(app.journal, args.school)
    if school is None:
        return 2
    admin = school.admin
    if args.bot_token is not None or args.no_bot_token:
        return await school_bot_command(app, admin, args.bot_token)
    try:
        deadline = time.fromisoformat(args.deadline) if args.deadline else None
        digest: time | Literal[False] | None = False  # False: leave it; None: back to DIGEST_TIME
        if args.digest_time:
            digest = None if args.digest_time == "default" else time.fromisoformat(args.digest_time)
    except ValueError:
        print(t("cli.bad_deadline", value=args.deadline or args.digest_time), file=sys.stderr)
        return 2
    window = args.edit_window
    window_days = 0 if window == "none" else None if window in (None, "default") else int(window)
    try:
        if deadline is not None or window is not None or digest is not False:
            current = await schools.set_school_rules(
                app.journal,
                admin,
                correction_deadline=deadline,
                edit_window_days=window_days,
                default_edit_window=window == "default",
                digest_time=digest,
            )
        else:
            current = await schools.school_settings(app.journal, admin)
    except JournalError as err:
        print(t(err.key, **err.params), file=sys.stderr)
        return 1
    days = current.edit_window_days
    if days is None:
        days = app.settings.edit_window_days
        shown = t("cli.window_default", value=t("cli.window_unlimited") if days is None else days)
    else:
        shown = t("cli.window_days", days=days) if days else t("cli.window_none")
    print(
        t(
            "cli.school_rules",
            name=current.name,
            deadline=f"{current.correction_deadline:%H:%M}",
            window=shown,
            digest=f"{current.digest_time or app.settings.digest_time:%H:%M}",
        )
    )
    own = {b.school_id: b for b in await school_bots.school_bots(app.journal)}.get(admin.school_id)
    print(t("cli.school_bot", username=own.username) if own else t("cli.school_bot_shared"))
    return 0


async def school_bot_command(app: App, admin: Actor, token: str | None) -> int:
    """The school's own bot (issue 14): ``token`` checked with Telegram and stored sealed
    with BOT_TOKEN_KEY (``-``: read from the standard input, out of the shell's history);
    ``None`` takes the school back to the deployment's bot. The token is never printed."""
    from school_journal.school_bots import (
        TelegramUnreachable,
        TokenRefused,
        TokenVault,
        check_token,
    )

    if token is None:
        moved = await school_bots.remove_school_bot(app.journal, admin)
        if moved is None:
            print(t("cli.school_bot_shared"))
            return 0
        print(t("cli.school_bot_removed"))
        shared = await bot_username(app.settings)
        _told_moved(
            moved, f"@{shared}" if shared else t("cli.school_bot_shared_name"), app.settings
        )
        return 0
    key = app.settings.bot_token_key
    if key is None or len(key.get_secret_value()) < BOT_TOKEN_KEY_MIN:
        print(
            t("cli.bot_token_key_missing" if key is None else "cli.bot_token_key_short"),
            file=sys.stderr,
        )
        return 2
    if token == "-":
        token = sys.stdin.readline()
    token = token.strip()
    try:
        checked = await check_token(token, app.settings.telegram_api_base)
    except TokenRefused:
        print(t("cli.bot_token_refused"), file=sys.stderr)
        return 1
    except TelegramUnreachable:
        print(t("cli.bot_token_unchecked"), file=sys.stderr)
        return 1
    cipher = TokenVault(key.get_secret_value()).seal(token)
    try:
        moved = await school_bots.set_school_bot(
            app.journal,
            admin,
            bot_id=checked.bot_id,
            username=checked.username,
            token_cipher=cipher,
        )
    except JournalError as err:
        print(t(err.key, **err.params), file=sys.stderr)
        return 1
    print(t("cli.school_bot_set", username=checked.username))
    _told_moved(moved, f"@{checked.username}", app.settings)
    return 0


def _told_moved(moved: int, bot: str, settings: Settings) -> None:
    """What the admin must know after the school's bot changed: who has to open the new
    bot, and that the running ``journal run`` serves the change within a poll."""
    if moved:
        print(t("cli.school_bot_people_moved", count=moved, bot=bot))
    seconds = settings.school_bots_poll_seconds
    print(t("cli.school_bot_reload", seconds=f"{seconds:g}"))


def parse_day(value: str) -> date:
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    raise ValueError(value)


async def day_lesson(
    journal: Journal, actor: Actor, day: date, found: directory.Found, no: int, group: str | None
) -> lessons.SchoolLesson | None:
    """The class's lesson ``no`` on ``day`` (of ``group``, when the class is divided then);
    None, said on stderr, when there is none or the group is needed."""
    candidates = [
        x
        for x in await lessons.school_day(journal, actor, day)
        if x.lesson.class_id == found.id and x.lesson.lesson_no == no and not x.lesson.cancelled
    ]
    if group:
        candidates = [x for x in candidates if (x.group or "") == group.strip()]
    if not candidates:
        print(
            t("cli.lesson_not_found", cls=found.name, no=no, day=f"{day:%d.%m.%Y}"),
            file=sys.stderr,
        )
        return None
    if len(candidates) > 1:
        groups = ", ".join(x.group or "—" for x in candidates)
        print(t("cli.lesson_ambiguous", groups=groups), file=sys.stderr)
        return None
    return candidates[0]


async def substitute_command(app: App, args: argparse.Namespace) -> int:
    """R5, R25: the deputy's substitution from the console; the outbox tells the teachers."""
    journal = app.journal
    school = await school_for(journal, args.school)
    if school is None:
        return 2
    try:
        day = parse_day(args.date)
    except ValueError:
        print(t("cli.bad_date", value=args.date), file=sys.stderr)
        return 2
    found = await directory.find_class(journal, school.id, args.class_name)
    if found is None:
        print(t("cli.class_not_found", name=args.class_name), file=sys.stderr)
        return 1
    people = await directory.find_people(journal, school.id, args.teacher)
    if len(people) != 1:
        key = "cli.person_not_found" if not people else "cli.person_ambiguous"
        print(t(key, name=args.teacher), file=sys.stderr)
        return 1
    try:
        lesson = await day_lesson(journal, school.admin, day, found, args.lesson, args.group)
        if lesson is None:
            return 1
        await lessons.assign_substitute(journal, school.admin, lesson.lesson.id, people[0].id)
    except JournalError as err:
        print(t(err.key, **err.params), file=sys.stderr)
        return 1
    from notifications.substitutions import announce_substitution

    told = await announce_substitution(journal, lesson.lesson.id)
    group = f" ({lesson.group})" if lesson.group else ""
    print(
        t(
            "cli.substituted",
            day=f"{day:%d.%m.%Y}",
            no=args.lesson,
            cls=found.name,
            subject=lesson.lesson.subject,
            group=group,
            teacher=people[0].name,
            told=told,
        )
    )
    return 0


async def show_status(app: App, args: argparse.Namespace) -> int:
    return await status_command(app, args.school)
