"""The ``journal`` command: run, migrate, import, invite, sandbox."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from core import directory, invitations
from core.access import Actor
from core.errors import ImportFailed, JournalError
from core.invitations import IssuedCode
from core.models import BindingRole
from core.schools import find_school
from journal.app import App, application, configure_logging
from journal.settings import Settings
from texts import t


def deep_link(username: str | None, code: str) -> str:
    return f"https://t.me/{username}?start={code}" if username else code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="journal", description="School journal bot")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="start the bot (long polling, or a webhook server)")
    run.add_argument("--webhook", action="store_true", help="serve a webhook instead of polling")

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
        from bot.runner import run_bot  # the bot is wired only when it is asked for

        async with application(settings) as app:
            await run_bot(app, webhook=args.webhook)
        return 0
    if args.command == "sandbox":
        from bot.sandbox import run_sandbox

        return await run_sandbox(args.data_dir)
    async with application(settings, migrate=True if args.command == "migrate" else None) as app:
        if args.command == "migrate":
            print(t("cli.migrated"))
            return 0
        if args.command == "import":
            return await import_command(app, args.path, args.school)
        if args.command == "invite":
            return await invite_command(app, args)
    return 2


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
        for p in failed.problems:
            print(
                "  "
                + t("import.problem", sheet=p.sheet, row=p.row, column=p.column, message=p.message),
                file=sys.stderr,
            )
        return 1
    for line in summary.lines():
        print(line)
    return 0


async def invite_command(app: App, args: argparse.Namespace) -> int:
    async with app.journal.transaction() as s:
        school = await find_school(s, args.school)
    if school is None:
        print(t("import.no_school"), file=sys.stderr)
        return 2
    admin = Actor.system(school.id)
    journal = app.journal
    try:
        if args.staff:
            codes = await invitations.issue_for_staff(journal, admin)
        elif args.class_name:
            found = await directory.find_class(journal, school.id, args.class_name)
            if found is None:
                print(t("cli.class_not_found", name=args.class_name), file=sys.stderr)
                return 1
            roles = {BindingRole.PARENT} if args.parents else set()
            roles |= {BindingRole.PUPIL} if args.pupils else set()
            codes = await invitations.issue_for_class(
                journal, admin, found.id, roles or {BindingRole.PARENT, BindingRole.PUPIL}
            )
        else:
            people = await directory.find_people(journal, school.id, args.person)
            if len(people) != 1:
                key = "cli.person_not_found" if not people else "cli.person_ambiguous"
                print(t(key, name=args.person), file=sys.stderr)
                return 1
            role = BindingRole(args.role or BindingRole.PARENT)
            codes = [await invitations.issue(journal, admin, people[0].id, role)]
    except JournalError as err:
        print(t(err.key, **err.params), file=sys.stderr)
        return 1
    if not codes:
        print(t("cli.invite_none"), file=sys.stderr)
        return 1
    username = app.settings.bot_username
    if not username:
        print(t("cli.no_username"), file=sys.stderr)
    for code in codes:
        print(invite_line(code, username, app))
    return 0


def invite_line(code: IssuedCode, username: str | None, app: App) -> str:
    until = code.expires_at.astimezone(app.journal.rules.timezone).strftime("%d.%m.%Y")
    return t(
        "cli.invite_line",
        name=code.full_name,
        role=t(f"role.{code.role.value}"),
        cls=f", {code.class_name}" if code.class_name else "",
        link=deep_link(username, code.code),
        until=until,
    )


if __name__ == "__main__":
    raise SystemExit(main())
