"""The ``journal`` command's parser, built from each group's ``add_*`` functions in the
order ``--help`` lists them, and its dispatch: the commands that open the journal get
the ``App``, the others their arguments and the settings."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence

from school_journal.app import App, application, configure_logging, load_settings
from school_journal.cli import people, running, safekeeping, schedule, school
from school_journal.cli.parsing import Commands, Parser
from school_journal.cli.report import add_report_parser, report_command
from school_journal.database import DatabaseUnavailable
from school_journal.settings import Settings
from texts import DEFAULT_LANGUAGE, Texts, t


def _add_report(commands: Commands) -> None:
    add_report_parser(commands.sub, commands.h)


#: Every command's arguments, in the order of ``journal --help``.
ADDERS: tuple[Callable[[Commands], object], ...] = (
    running.add_run,
    school.add_migrate,
    school.add_import,
    school.add_template,
    people.add_invite,
    _add_report,
    people.add_revoke,
    school.add_substitute,
    schedule.add_schedule,
    people.add_opt_out,
    safekeeping.add_backup,
    school.add_school,
    safekeeping.add_archive,
    school.add_status,
    safekeeping.add_verify,
    safekeeping.add_restore,
    running.add_sandbox,
)

#: Commands that open no journal of their own (none, or not the usual one).
STANDALONE: dict[str, Callable[[argparse.Namespace, Settings], Awaitable[int]]] = {
    "run": running.run_command,
    "sandbox": running.sandbox_command,
    "template": school.template_command,
    "verify-backup": safekeeping.verify_command,
    "restore": safekeeping.restore_command,
}

#: Commands that act on the journal.
ON_JOURNAL: dict[str, Callable[[App, argparse.Namespace], Awaitable[int]]] = {
    "migrate": school.migrate_command,
    "import": school.import_command,
    "invite": people.invite_command,
    "report": report_command,
    "revoke": people.revoke_command,
    "substitute": school.substitute_command,
    "schedule": schedule.schedule_command,
    "opt-out": people.opt_out_command,
    "backup": safekeeping.backup_command,
    "archive": safekeeping.archive_command,
    "school": school.school_command,
    "status": school.show_status,
}


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
    commands = Commands(sub, h)
    for add in ADDERS:
        add(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = load_settings()
    configure_logging(settings)
    try:
        return asyncio.run(dispatch(args, settings))
    except KeyboardInterrupt:
        return 130
    except DatabaseUnavailable as err:
        print(t(err.key, **err.params), file=sys.stderr)
        return 1


async def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    standalone = STANDALONE.get(args.command)
    if standalone is not None:
        return await standalone(args, settings)
    on_journal = ON_JOURNAL.get(args.command)
    if on_journal is None:
        return 2
    async with application(settings, migrate=True if args.command == "migrate" else None) as app:
        return await on_journal(app, args)
