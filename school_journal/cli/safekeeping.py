"""Keeping the journal safe (R10, R22): ``journal backup``, ``archive`` (the closed
periods' summary sheets), ``verify-backup`` and ``restore``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.errors import JournalError
from school_journal import backup
from school_journal.app import App
from school_journal.archive import archive_closed_periods
from school_journal.cli.parsing import Commands
from school_journal.database import ensure_database, open_database, with_database
from school_journal.settings import Settings
from texts import t


def add_backup(commands: Commands) -> None:
    h = commands.h
    bak = commands.add("backup", "cli.help.backup")
    bak.add_argument(
        "--to",
        type=Path,
        action="append",
        metavar=h("cli.metavar.folder"),
        help=h("cli.help.backup.to"),
    )


def add_archive(commands: Commands) -> None:
    commands.add("archive", "cli.help.archive")


def _manifest_argument(commands: Commands, parser: argparse.ArgumentParser) -> None:
    h = commands.h
    parser.add_argument(
        "manifest", type=Path, metavar=h("cli.metavar.manifest"), help=h("cli.help.manifest")
    )


def add_verify(commands: Commands) -> None:
    _manifest_argument(commands, commands.add("verify-backup", "cli.help.verify_backup"))


def add_restore(commands: Commands) -> None:
    h = commands.h
    res = commands.add("restore", "cli.help.restore")
    _manifest_argument(commands, res)
    target = res.add_mutually_exclusive_group()
    target.add_argument(
        "--database", metavar=h("cli.metavar.database"), help=h("cli.help.restore.database")
    )
    target.add_argument("--url", metavar=h("cli.metavar.url"), help=h("cli.help.restore.url"))


async def backup_command(app: App, args: argparse.Namespace) -> int:
    to: list[Path] | None = args.to
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


async def archive_command(app: App, args: argparse.Namespace) -> int:
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


async def verify_command(args: argparse.Namespace, settings: Settings) -> int:
    try:  # a key too short (or none) never signed a backup: say so, not "another key"
        backup.check_key(settings.backup_key())
    except JournalError as err:
        print(t(err.key, **err.params), file=sys.stderr)
        return 2
    result = backup.verify(args.manifest, settings.backup_key())
    print("\n".join(backup.verify_lines(result, t)), file=sys.stdout if result.ok else sys.stderr)
    return 0 if result.ok else 1


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
