"""The ``journal`` command: run, migrate, import, template, invite, report, revoke,
substitute, schedule, opt-out, backup, school, archive, status, verify-backup, restore, sandbox.

One module per group of commands, each with the small functions that add its commands'
arguments (``add_*``) and the commands themselves: ``running`` (run, sandbox),
``school`` (migrate, import, template, school, substitute, status), ``people`` (invite,
revoke, opt-out), ``schedule`` (a day's changes: cancel, move, room), ``safekeeping``
(backup, archive, verify-backup, restore), ``report``
(the reports as files). ``command`` builds the parser and dispatches."""

from school_journal.cli.command import build_parser, dispatch, main

__all__ = ["build_parser", "dispatch", "main"]
