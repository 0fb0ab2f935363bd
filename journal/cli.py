"""The ``journal`` command: run, migrate, import, template, invite, report, revoke,
substitute, backup, archive, status, verify-backup, restore, sandbox."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from core import accounts, directory, invitations, lessons, revert, schools
from core.clock import SystemClock, local_today
from core.errors import ImportFailed, JournalError, NotFound
from core.invitations import IssuedCode
from core.models import BindingRole
from core.schools import find_school
from journal import backup
from journal.app import App, application, configure_logging, telegram_bot
from journal.archive import archive_closed_periods
from journal.cli_parser import Parser, whole_number
from journal.console import school_for
from journal.database import DatabaseUnavailable, ensure_database, open_database, with_database
from journal.settings import Settings
from journal.status import status_command
from journal.workers import SERVE_ONLY_FLAG, announce_ready, extra_workers, stop_with_parent
from notifications.revocations import announce_revert
from reports import cards
from reports.cli import add_report_parser, report_command
from texts import DEFAULT_LANGUAGE, Texts, t


def build_parser(lang: str = DEFAULT_LANGUAGE) -> argparse.ArgumentParser:
    """The ``journal`` command's arguments; ``--help`` and argparse's errors in ``lang``
    (the language of the command's output: Russian)."""
    h = Texts(lang)
    parser = Parser(prog="journal", description=h("cli.help.description"), lang=lang)
    sub = parser.add_subparsers(
        dest="command",
        required=True,
        title=h("cli.help.commands"),
        metavar=h("cli.metavar.command"),
    )
    number = whole_number(h)

    def command(name: str, key: str, **kwargs: Any) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=h(key), description=h(key), **kwargs)

    def school_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--school", metavar=h("cli.metavar.school"), help=h("cli.help.school"))

    run = command("run", "cli.help.run")
    run.add_argument("--webhook", action="store_true", help=h("cli.help.run.webhook"))
    run.add_argument(
        "--workers", type=number, metavar=h("cli.metavar.number"), help=h("cli.help.run.workers")
    )
    run.add_argument(SERVE_ONLY_FLAG, action="store_true", help=argparse.SUPPRESS)

    command("migrate", "cli.help.migrate")

    imp = command("import", "cli.help.import")
    imp.add_argument(
        "path", type=Path, metavar=h("cli.metavar.path"), help=h("cli.help.import.path")
    )
    imp.add_argument("--school", metavar=h("cli.metavar.school"), help=h("cli.help.import.school"))

    tpl = command("template", "cli.help.template")
    tpl.add_argument(
        "path", type=Path, metavar=h("cli.metavar.file"), help=h("cli.help.template.path")
    )

    inv = command("invite", "cli.help.invite")
    who = inv.add_mutually_exclusive_group(required=True)
    who.add_argument("--staff", action="store_true", help=h("cli.help.invite.staff"))
    who.add_argument(
        "--class",
        dest="class_name",
        metavar=h("cli.metavar.class"),
        help=h("cli.help.invite.class"),
    )
    who.add_argument("--person", metavar=h("cli.metavar.name"), help=h("cli.help.invite.person"))
    inv.add_argument("--parents", action="store_true", help=h("cli.help.invite.parents"))
    inv.add_argument("--pupils", action="store_true", help=h("cli.help.invite.pupils"))
    inv.add_argument(
        "--role",
        choices=[r.value for r in BindingRole],
        metavar=h("cli.metavar.role"),
        help=h("cli.help.invite.role"),
    )
    school_option(inv)
    inv.add_argument(
        "--pdf", type=Path, metavar=h("cli.metavar.file"), help=h("cli.help.invite.pdf")
    )
    inv.add_argument("--reissue", action="store_true", help=h("cli.help.invite.reissue"))
    inv.add_argument("--yes", action="store_true", help=h("cli.help.invite.yes"))

    add_report_parser(sub, h)

    rev = command("revoke", "cli.help.revoke")
    which = rev.add_mutually_exclusive_group(required=True)
    which.add_argument("--list", action="store_true", help=h("cli.help.revoke.list"))
    which.add_argument(
        "--binding", type=number, metavar=h("cli.metavar.id"), help=h("cli.help.revoke.binding")
    )
    rev.add_argument("--since", metavar=h("cli.metavar.moment"), help=h("cli.help.revoke.since"))
    rev.add_argument(
        "--reason", default="", metavar=h("cli.metavar.text"), help=h("cli.help.revoke.reason")
    )
    rev.add_argument("--yes", action="store_true", help=h("cli.help.revoke.yes"))
    school_option(rev)

    subst = command("substitute", "cli.help.substitute")
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
        type=number,
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
    school_option(subst)

    opt = command("opt-out", "cli.help.opt_out")
    opt.add_argument(
        "--parent", required=True, metavar=h("cli.metavar.name"), help=h("cli.help.opt_out.parent")
    )
    opt.add_argument("--pupil", metavar=h("cli.metavar.name"), help=h("cli.help.opt_out.pupil"))
    opt.add_argument("--undo", action="store_true", help=h("cli.help.opt_out.undo"))
    school_option(opt)

    bak = command("backup", "cli.help.backup")
    bak.add_argument(
        "--to",
        type=Path,
        action="append",
        metavar=h("cli.metavar.folder"),
        help=h("cli.help.backup.to"),
    )

    sch = command("school", "cli.help.school_cmd")
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
    school_option(sch)

    command("archive", "cli.help.archive")

    status = command("status", "cli.help.status")
    school_option(status)

    ver = command("verify-backup", "cli.help.verify_backup")
    ver.add_argument(
        "manifest", type=Path, metavar=h("cli.metavar.manifest"), help=h("cli.help.manifest")
    )

    res = command("restore", "cli.help.restore")
    res.add_argument(
        "manifest", type=Path, metavar=h("cli.metavar.manifest"), help=h("cli.help.manifest")
    )
    target = res.add_mutually_exclusive_group()
    target.add_argument(
        "--database", metavar=h("cli.metavar.database"), help=h("cli.help.restore.database")
    )
    target.add_argument("--url", metavar=h("cli.metavar.url"), help=h("cli.help.restore.url"))

    sandbox = command("sandbox", "cli.help.sandbox")
    sandbox.add_argument(
        "--data-dir",
        type=Path,
        default=Path("data/sandbox"),
        metavar=h("cli.metavar.folder"),
        help=h("cli.help.sandbox.data_dir"),
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings()
    configure_logging(settings)
    try:
        return asyncio.run(dispatch(args, settings))
    except KeyboardInterrupt:
        return 130
    except DatabaseUnavailable as err:
        print(t(err.key, **err.params), file=sys.stderr)
        return 1


async def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "run":
        if settings.bot_token is None or not settings.bot_token.get_secret_value():
            print(t("cli.no_token"), file=sys.stderr)
            return 2
        return await run_command(args, settings)
    if args.command == "verify-backup":
        try:  # a key too short (or none) never signed a backup: say so, not "another key"
            backup.check_key(settings.backup_key())
        except JournalError as err:
            print(t(err.key, **err.params), file=sys.stderr)
            return 2
        result = backup.verify(args.manifest, settings.backup_key())
        print(
            "\n".join(backup.verify_lines(result, t)), file=sys.stdout if result.ok else sys.stderr
        )
        return 0 if result.ok else 1
    if args.command == "restore":
        return await restore_command(args, settings)
    if args.command == "template":
        return template_command(args.path, settings)
    if args.command == "sandbox":
        from journal.sandbox import run_sandbox

        logging.getLogger().setLevel(logging.WARNING)  # the console is the sandbox's output
        return await run_sandbox(args.data_dir)
    async with application(settings, migrate=True if args.command == "migrate" else None) as app:
        if args.command == "migrate":
            print(t("cli.migrated"))
            return 0
        if args.command == "import":
            return await import_command(app, args.path, args.school)
        if args.command == "invite":
            return await invite_command(app, args)
        if args.command == "report":
            return await report_command(app, args)
        if args.command == "revoke":
            return await revoke_command(app, args)
        if args.command == "substitute":
            return await substitute_command(app, args)
        if args.command == "opt-out":
            return await opt_out_command(app, args)
        if args.command == "backup":
            return await backup_command(app, args.to)
        if args.command == "archive":
            return await archive_command(app)
        if args.command == "school":
            return await school_command(app, args)
        if args.command == "status":
            return await status_command(app, args.school)
    return 2


async def run_command(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runner import run_bot  # the bot is wired only when it is asked for
    from bot.startup import TokenRejected
    from journal.service import background

    if args.workers is not None:
        if args.workers < 1:
            print(t("cli.workers_invalid"), file=sys.stderr)
            return 2
        settings = settings.model_copy(update={"webhook_workers": args.workers})
    webhook = args.webhook or bool(settings.webhook_url)
    if settings.webhook_workers > 1 and not webhook:
        print(t("cli.workers_need_webhook"), file=sys.stderr)
        return 2
    if args.serve_only:  # an extra worker, started by the first process below
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        async with application(settings, migrate=False) as app, stop_with_parent(stop):
            await run_bot(
                app,
                webhook=True,
                serve_only=True,
                handle_signals=False,
                stop=stop,
                on_listening=announce_ready,
            )
        return 0
    try:
        async with (
            application(settings) as app,
            extra_workers(app.database_url, settings.webhook_workers),
        ):
            await run_bot(
                app, webhook=webhook, alongside=lambda bot: background(app, bot, health=True)
            )
    except TokenRejected:
        print(t("cli.bad_token"), file=sys.stderr)
        return 1
    return 0


async def import_command(app: App, path: Path, school: str | None) -> int:
    from core.roster import import_roster, warning_lines

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
            print(f"  {problem}", file=sys.stderr)
        for line in warning_lines(failed.warnings):
            print(line, file=sys.stderr)
        return 1
    for line in summary.lines():
        print(line)
    if summary.added_pupils:  # R2: a new pupil gets their cards at once
        print(t("roster.added_pupils", count=len(summary.added_pupils)))
        for pupil in summary.added_pupils:
            print(f"  {pupil.full_name}, {pupil.class_name}")
        for class_name in sorted({p.class_name for p in summary.added_pupils}):
            print(t("cli.cards_hint", cls=class_name))
    return 0


def template_command(path: Path, settings: Settings) -> int:
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


async def invite_command(app: App, args: argparse.Namespace) -> int:
    school = await school_for(app.journal, args.school)
    if school is None:
        return 2
    admin = school.admin
    journal = app.journal
    if args.reissue and not args.person and not args.yes:
        print(t("cli.reissue_confirm"), file=sys.stderr)
        return 2
    try:
        if args.staff:
            result = await invitations.issue_for_staff(journal, admin, reissue=args.reissue)
        elif args.class_name:
            found = await directory.find_class(journal, school.id, args.class_name)
            if found is None:
                print(t("cli.class_not_found", name=args.class_name), file=sys.stderr)
                return 1
            roles = {BindingRole.PARENT} if args.parents else set()
            roles |= {BindingRole.PUPIL} if args.pupils else set()
            result = await invitations.issue_for_class(
                journal,
                admin,
                found.id,
                roles or {BindingRole.PARENT, BindingRole.PUPIL},
                reissue=args.reissue,
            )
        else:
            people = await directory.find_people(journal, school.id, args.person)
            if len(people) != 1:
                key = "cli.person_not_found" if not people else "cli.person_ambiguous"
                print(t(key, name=args.person), file=sys.stderr)
                return 1
            role = BindingRole(args.role or BindingRole.PARENT)
            result = await invitations.issue_for_person(
                journal, admin, people[0].id, role, reissue=args.reissue
            )
    except JournalError as err:
        print(t(err.key, **err.params), file=sys.stderr)
        return 1
    codes = result.codes
    if result.skipped_valid or result.skipped_bound:
        print(
            t("cli.invite_skipped", valid=result.skipped_valid, bound=result.skipped_bound),
            file=sys.stderr,
        )
    if not codes:
        if result.skipped_valid or result.skipped_bound:
            return 0  # everyone has a card or is in the bot: nothing to do
        print(t("cli.invite_none"), file=sys.stderr)
        return 1
    username = await bot_username(app.settings)
    if not username:
        print(t("cli.no_username"), file=sys.stderr)
    for code in codes:
        print(invite_line(code, username, app))
    if args.pdf:
        written = await cards.invite_pdf(journal, codes, school.name, username, args.pdf)
        print(t("cli.cards_written", path=str(written), count=len(codes)))
    return 0


GET_ME_TIMEOUT = 10.0  # seconds; offline, the codes are printed without the bot's name


async def bot_username(settings: Settings) -> str | None:
    """The bot's username for links and cards: ``BOT_USERNAME``, else Telegram's getMe with
    ``BOT_TOKEN``; None when neither gives it (no token, a wrong one, no network)."""
    if settings.bot_username:
        return settings.bot_username.lstrip("@")
    if settings.bot_token is None:
        return None
    from aiogram.exceptions import TelegramAPIError

    from bot.startup import TokenRejected

    try:
        telegram = telegram_bot(settings)
    except TokenRejected:
        return None
    try:
        me = await asyncio.wait_for(telegram.get_me(), GET_ME_TIMEOUT)
    except (TelegramAPIError, TimeoutError, OSError):
        return None
    finally:
        await telegram.session.close()
    return me.username


def invite_line(code: IssuedCode, username: str | None, app: App) -> str:
    until = code.expires_at.astimezone(app.journal.rules.timezone).strftime("%d.%m.%Y")
    return t(
        "cli.invite_line",
        name=code.full_name,
        role=t(f"role.{code.role.value}"),
        cls=(f", {code.class_name}" if code.class_name else "")
        + (f", {t('card.child', names=code.children)}" if code.children else ""),
        link=cards.deep_link(username, code.code),
        until=until,
    )


async def revoke_command(app: App, args: argparse.Namespace) -> int:
    """R3: ``--list`` the bindings; ``--binding ID`` cuts one at once; with ``--since`` the
    changes made through it since then are listed and, once confirmed, reverted."""
    journal = app.journal
    school = await school_for(journal, args.school)
    if school is None:
        return 2
    admin = school.admin
    tz = journal.rules.timezone
    try:
        if args.list:
            # Two accounts of one person (two phones) told apart (R3).
            active = [a for a in await revert.accounts(journal, admin) if a.revoked_at is None]
            if not active:
                print(t("cli.no_bindings"))
            for a in active:
                print(
                    t(
                        "cli.binding_line",
                        id=a.id,
                        name=a.full_name,
                        role=t(f"role.{a.role.value}"),
                        bound=f"{a.created_at.astimezone(tz):%d.%m.%Y %H:%M}"
                        if a.created_at
                        else "—",
                        device=a.device or t("revert.device_unknown"),
                        last=f"{a.last_used_at.astimezone(tz):%d.%m.%Y %H:%M}"
                        if a.last_used_at
                        else t("revert.never"),
                    )
                )
            return 0
        reason = args.reason or t("cli.revoke_reason")
        if not args.since:
            await invitations.revoke_binding(journal, admin, args.binding, reason)
            print(t("cli.revoked", id=args.binding))
            return 0
        since = parse_moment(args.since, tz)
        items = await revert.preview(journal, admin, args.binding, since)
        for item in items:
            print("  " + revert.describe(item, t, tz))
        if not items:
            print(t("revert.nothing_found", since=f"{since:%d.%m.%Y %H:%M}"))
        elif not args.yes and not await confirm(t("cli.revert_confirm", count=len(items))):
            print(t("cli.revert_cancelled"))
            return 1
        summary = await revert.revert(journal, admin, args.binding, since, reason)
        # The owner is told on the accounts they still hold (R3).
        await announce_revert(journal, await revert.account(journal, admin, args.binding), summary)
    except ValueError:
        print(t("cli.bad_moment", value=args.since), file=sys.stderr)
        return 2
    except NotFound:  # the id typed names no binding of the school
        print(t("cli.binding_not_found", id=args.binding), file=sys.stderr)
        return 1
    except JournalError as err:
        print(t(err.key, **err.params), file=sys.stderr)
        return 1
    for line in revert.summary_lines(summary, t, tz):
        print(line)
    return 0


def parse_day(value: str) -> date:
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    raise ValueError(value)


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
        candidates = [
            x
            for x in await lessons.school_day(journal, school.admin, day)
            if x.lesson.class_id == found.id and x.lesson.lesson_no == args.lesson
        ]
        if args.group:
            candidates = [x for x in candidates if (x.group or "") == args.group.strip()]
        if not candidates:
            print(
                t("cli.lesson_not_found", cls=found.name, no=args.lesson, day=f"{day:%d.%m.%Y}"),
                file=sys.stderr,
            )
            return 1
        if len(candidates) > 1:
            groups = ", ".join(x.group or "—" for x in candidates)
            print(t("cli.lesson_ambiguous", groups=groups), file=sys.stderr)
            return 1
        lesson = candidates[0]
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


async def opt_out_command(app: App, args: argparse.Namespace) -> int:
    """R18: record a parent's opt-out of the e-diary (or its withdrawal) from the console."""
    journal = app.journal
    school = await school_for(journal, args.school)
    if school is None:
        return 2
    found: dict[str, int] = {}
    for what in ("parent", "pupil"):
        query = getattr(args, what)
        if query is None:
            continue
        people = await directory.find_people(journal, school.id, query)
        if len(people) != 1:
            key = "cli.person_not_found" if not people else "cli.person_ambiguous"
            print(t(key, name=query), file=sys.stderr)
            return 1
        found[what] = people[0].id
    try:
        links = await accounts.set_diary_opt_out(
            journal, school.admin, found["parent"], not args.undo, found.get("pupil")
        )
    except JournalError:
        print(t("cli.not_a_parent", name=args.parent), file=sys.stderr)
        return 1
    key = "cli.opted_in" if args.undo else "cli.opted_out"
    for link in links:
        print(t(key, parent=link.guardian_name, pupil=link.pupil_name))
    return 0


async def confirm(question: str) -> bool:
    answer = await asyncio.to_thread(input, question)
    return answer.strip().lower() in ("y", "yes", "д", "да")


def parse_moment(value: str, tz: ZoneInfo) -> datetime:
    """ "ДД.ММ.ГГГГ ЧЧ:ММ" (or ISO) in the school's time → an aware moment."""
    value = value.strip()
    for layout in ("%d.%m.%Y %H:%M", "%d.%m.%Y", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"):
        try:
            return datetime.strptime(value, layout).replace(tzinfo=tz)
        except ValueError:
            continue
    raise ValueError(value)


async def backup_command(app: App, to: list[Path] | None) -> int:
    settings = app.settings
    try:
        result = await backup.backup(
            app.database_url,
            to or backup.parse_dirs(settings.backup_dirs),
            settings.backup_key(),
            app.journal.clock,
            keep=settings.backup_keep,
            bin_dir=settings.pg_bin_dir,
        )
    except JournalError as err:
        print(t(err.key, **err.params), file=sys.stderr)
        return 1
    print("\n".join(backup.backup_lines(result, t)))
    return 0


async def school_command(app: App, args: argparse.Namespace) -> int:
    school = await school_for(app.journal, args.school)
    if school is None:
        return 2
    admin = school.admin
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
    return 0


async def archive_command(app: App) -> int:
    roots = backup.parse_dirs(app.settings.backup_dirs)
    if not roots:
        print(t("cli.archive_no_dirs"), file=sys.stderr)
        return 2
    written = await archive_closed_periods(app.journal, roots)
    for folder in written:
        print(t("cli.archived", path=str(folder)))
    if not written:
        print(t("cli.archive_nothing"))
    return 0


async def restore_command(args: argparse.Namespace, settings: Settings) -> int:
    """Into ``--url``, another ``--database`` of the journal's server, or (default) the
    journal's own database, which must be empty: the disaster-recovery case."""
    try:
        if args.url:
            result = await backup.restore(
                args.manifest, args.url, settings.backup_key(), bin_dir=settings.pg_bin_dir
            )
        else:
            async with open_database(settings.database_url, settings.data_dir) as url:
                if args.database:
                    await ensure_database(with_database(url, "postgres"), args.database)
                    url = with_database(url, args.database)
                result = await backup.restore(
                    args.manifest, url, settings.backup_key(), bin_dir=settings.pg_bin_dir
                )
    except JournalError as err:
        print(t(err.key, **err.params), file=sys.stderr)
        return 1
    manifest = result.manifest
    print(
        t(
            "backup.restored",
            database=result.database,
            file=manifest.file,
            revision=manifest.schema_revision or "—",
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
