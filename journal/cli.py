"""The ``journal`` command: run, migrate, import, invite, report, revoke, substitute,
backup, archive, verify-backup, restore, sandbox."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from core import accounts, directory, invitations, lessons, revert, schools
from core.errors import ImportFailed, JournalError
from core.invitations import IssuedCode
from core.models import BindingRole
from core.schools import find_school
from journal import backup
from journal.app import App, application, configure_logging
from journal.archive import archive_closed_periods
from journal.console import school_for
from journal.database import ensure_database, open_database, with_database
from journal.settings import Settings
from journal.workers import SERVE_ONLY_FLAG, announce_ready, extra_workers, stop_with_parent
from notifications.revocations import announce_revert
from reports import cards
from reports.cli import add_report_parser, report_command
from texts import t


def deep_link(username: str | None, code: str) -> str:
    return f"https://t.me/{username}?start={code}" if username else code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="journal", description="School journal bot")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="start the bot (long polling, or a webhook server)")
    run.add_argument("--webhook", action="store_true", help="serve a webhook instead of polling")
    run.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="webhook mode: N processes share the port (default WEBHOOK_WORKERS, 1)",
    )
    run.add_argument(SERVE_ONLY_FLAG, action="store_true", help=argparse.SUPPRESS)

    sub.add_parser("migrate", help="apply database migrations")

    imp = sub.add_parser("import", help="import a roster (XLSX workbook or a folder of CSV)")
    imp.add_argument("path", type=Path)
    imp.add_argument("--school", help="school name (created if new); default: the only school")

    inv = sub.add_parser("invite", help="issue invitation codes and print their deep links")
    who = inv.add_mutually_exclusive_group(required=True)
    who.add_argument("--staff", action="store_true", help="every staff member")
    who.add_argument("--class", dest="class_name", help="a class's parents and/or pupils")
    who.add_argument("--person", help="one person, by full name or id")
    inv.add_argument("--parents", action="store_true", help="with --class: parents' codes")
    inv.add_argument("--pupils", action="store_true", help="with --class: pupils' codes")
    inv.add_argument("--role", choices=[r.value for r in BindingRole], help="with --person")
    inv.add_argument("--school", help="school name; default: the only school")
    inv.add_argument("--pdf", type=Path, help="also write printable A4 cards with QR codes here")
    inv.add_argument(
        "--reissue",
        action="store_true",
        help="revoke the valid cards of the people chosen and issue new ones "
        "(a whole class or the staff also needs --yes)",
    )
    inv.add_argument("--yes", action="store_true", help="confirm --reissue for many people")

    add_report_parser(sub)

    rev = sub.add_parser(
        "revoke", help="R3: cut a Telegram binding; with --since, undo what it did since then"
    )
    which = rev.add_mutually_exclusive_group(required=True)
    which.add_argument("--list", action="store_true", help="list the active bindings")
    which.add_argument("--binding", type=int, help="the binding's id (see --list)")
    rev.add_argument("--since", help='when the compromise began, "ДД.ММ.ГГГГ ЧЧ:ММ" (school time)')
    rev.add_argument("--reason", default="", help="why (kept in the audit log)")
    rev.add_argument("--yes", action="store_true", help="revert without asking")
    rev.add_argument("--school", help="school name; default: the only school")

    subst = sub.add_parser(
        "substitute", help="R5: record that another teacher gives a lesson (the teachers are told)"
    )
    subst.add_argument("--date", required=True, help="the lesson's day, YYYY-MM-DD or ДД.ММ.ГГГГ")
    subst.add_argument("--class", dest="class_name", required=True, help="the class, e.g. 5А")
    subst.add_argument("--lesson", type=int, required=True, help="the lesson's number that day")
    subst.add_argument("--teacher", required=True, help="the substitute's full name or id")
    subst.add_argument("--group", help="the subgroup's name, when the class is split (R20)")
    subst.add_argument("--school", help="school name; default: the only school")

    opt = sub.add_parser(
        "opt-out", help="R18: a parent opts out of the e-diary (monthly printed statement)"
    )
    opt.add_argument("--parent", required=True, help="the parent's full name or id")
    opt.add_argument("--pupil", help="only for this child (full name or id); default: all")
    opt.add_argument("--undo", action="store_true", help="the parent returns to the e-diary")
    opt.add_argument("--school", help="school name; default: the only school")

    bak = sub.add_parser("backup", help="R22: dump the database to the backup folders, signed")
    bak.add_argument(
        "--to", type=Path, action="append", help="a folder (repeat); default BACKUP_DIRS"
    )

    sch = sub.add_parser(
        "school", help="show or set the school's deadline, edit window and digest hour"
    )
    sch.add_argument("--deadline", help="R7: same-day correction deadline, HH:MM (20:00)")
    sch.add_argument(
        "--edit-window",
        choices=["none", "7", "14", "21", "30", "default"],
        help="R8: days after a lesson a mark may be added without approval "
        "(none: the lesson day only; default: EDIT_WINDOW_DAYS)",
    )
    sch.add_argument(
        "--digest-time",
        help="R16: the parents' digest hour here, HH:MM, or 'default' (DIGEST_TIME)",
    )
    sch.add_argument("--school", help="school name; default: the only school")

    sub.add_parser("archive", help="export closed periods' summary sheets into BACKUP_DIRS/archive")

    ver = sub.add_parser("verify-backup", help="check a backup's checksum and signature")
    ver.add_argument("manifest", type=Path)

    res = sub.add_parser("restore", help="restore a verified backup into an empty database")
    res.add_argument("manifest", type=Path)
    target = res.add_mutually_exclusive_group()
    target.add_argument("--database", help="another database on the same server (created)")
    target.add_argument("--url", help="a database URL (postgresql://…); must be empty")

    sandbox = sub.add_parser("sandbox", help="play the bot in a terminal, no token needed")
    sandbox.add_argument("--data-dir", type=Path, default=Path("data/sandbox"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings()
    configure_logging(settings)
    try:
        return asyncio.run(dispatch(args, settings))
    except KeyboardInterrupt:
        return 130


async def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "run":
        if settings.bot_token is None or not settings.bot_token.get_secret_value():
            print(t("cli.no_token"), file=sys.stderr)
            return 2
        return await run_command(args, settings)
    if args.command == "verify-backup":
        result = backup.verify(args.manifest, settings.backup_key())
        print(
            "\n".join(backup.verify_lines(result, t)), file=sys.stdout if result.ok else sys.stderr
        )
        return 0 if result.ok else 1
    if args.command == "restore":
        return await restore_command(args, settings)
    if args.command == "sandbox":
        from bot.sandbox import run_sandbox

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
    return 2


async def run_command(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runner import run_bot  # the bot is wired only when it is asked for
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
    async with (
        application(settings) as app,
        extra_workers(app.database_url, settings.webhook_workers),
    ):
        await run_bot(app, webhook=webhook, alongside=lambda bot: background(app, bot))
    return 0


async def import_command(app: App, path: Path, school: str | None) -> int:
    from core.roster import import_roster

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
    username = app.settings.bot_username
    if not username:
        print(t("cli.no_username"), file=sys.stderr)
    for code in codes:
        print(invite_line(code, username, app))
    if args.pdf:
        written = await cards.invite_pdf(journal, codes, school.name, username, args.pdf)
        print(t("cli.cards_written", path=str(written), count=len(codes)))
    return 0


def invite_line(code: IssuedCode, username: str | None, app: App) -> str:
    until = code.expires_at.astimezone(app.journal.rules.timezone).strftime("%d.%m.%Y")
    return t(
        "cli.invite_line",
        name=code.full_name,
        role=t(f"role.{code.role.value}"),
        cls=(f", {code.class_name}" if code.class_name else "")
        + (f", {t('card.child', names=code.children)}" if code.children else ""),
        link=deep_link(username, code.code),
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
            for a in await revert.accounts(journal, admin):
                if a.revoked_at is not None:
                    continue
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
        digest: time | bool | None = False  # False: leave it; None: back to DIGEST_TIME
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
