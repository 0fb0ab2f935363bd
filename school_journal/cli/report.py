"""``journal report KIND …``: the staff's reports (R9, R18, R21) written to files from the
command line, acting as the school's administrator. Wired into ``journal/cli.py`` with
``add_report_parser(sub)`` and ``report_command(app, args)``."""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core import directory
from core.clock import local_today
from core.errors import JournalError
from core.private import write_private
from core.reports import find_period, find_year
from reports import statement, xlsx
from school_journal.console import school_for
from texts import Texts, t

if TYPE_CHECKING:
    from school_journal.app import App

KINDS = (
    "attendance-month",  # the class's attendance by month
    "attendance",  # the summary sheet of attendance for a period
    "marks",  # the summary sheet of marks for a period
    "accumulation",  # накопляемость: pupils with no or one mark
    "filling",  # teachers' filling of the journal
    "parents",  # parents' activity
    "audit",  # the year's mark changes (R9)
    "statement",  # R18: the monthly statement for opted-out parents (PDF)
    "movement",  # pupil movement: arrivals and leavers (R21)
)


def add_report_parser(
    subparsers: argparse._SubParsersAction, h: Texts | None = None
) -> argparse.ArgumentParser:
    """Add ``report`` to the ``journal`` command's subcommands (its help in ``h``'s language)."""
    h = h or Texts()
    report = subparsers.add_parser(
        "report", help=h("cli.help.report"), description=h("cli.help.report.description")
    )
    report.add_argument(
        "kind", choices=KINDS, metavar=h("cli.metavar.kind"), help=h("cli.help.report.kind")
    )

    def option(flag: str, key: str, metavar: str, **kwargs: Any) -> None:
        report.add_argument(flag, metavar=h(f"cli.metavar.{metavar}"), help=h(key), **kwargs)

    option("--class", "cli.help.report.class", "class", dest="class_name")
    option("--pupil", "cli.help.report.pupil", "name")
    option("--month", "cli.help.report.month", "month")
    option("--period", "cli.help.report.period", "period")
    option("--from", "cli.help.report.from", "date", dest="start")
    option("--to", "cli.help.report.to", "date", dest="end")
    option("--year", "cli.help.report.year", "year")
    option("--school", "cli.help.school", "school")
    report.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar=h("cli.metavar.path"),
        help=h("cli.help.report.output"),
    )
    option("--lang", "cli.help.report.lang", "lang", default="ru", choices=["ru", "en"])
    return report


def parse_day(value: str) -> date:
    """ГГГГ-ММ-ДД or ДД.ММ.ГГГГ; ValueError(value) otherwise (e.g. 30.02.2026)."""
    value = value.strip()
    try:
        if re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{4}", value):
            d, m, y = (int(x) for x in value.split("."))
            return date(y, m, d)
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(value) from None


class BadMonth(ValueError):
    """``--month`` that names no month (13, 2026-13, «ноябрь»)."""


def parse_month(value: str) -> date:
    """ГГГГ-ММ or ММ.ГГГГ, the month 1-12; BadMonth otherwise."""
    value = value.strip()
    found = re.fullmatch(r"(\d{4})-(\d{1,2})", value) or re.fullmatch(r"(\d{1,2})\.(\d{4})", value)
    if found is None:
        raise BadMonth(value)
    a, b = found.groups()
    year, month = (int(a), int(b)) if len(a) == 4 else (int(b), int(a))
    if not 1 <= month <= 12:
        raise BadMonth(value)
    return date(year, month, 1)


class _Usage(Exception):
    """A missing or malformed argument: say which, exit 2."""


async def report_command(app: App, args: argparse.Namespace) -> int:
    """Write the report; print where. 0 when written, 1 for a journal error (unknown
    class, nothing found), 2 for a usage error."""
    journal = app.journal
    school = await school_for(journal, args.school)
    if school is None:
        return 2
    admin = school.admin
    today = local_today(journal.clock, journal.rules.timezone)
    lang = args.lang
    try:
        class_id = await _class_id(app, school.id, args.class_name)
        month = parse_month(args.month) if args.month else today.replace(day=1)
        kind = args.kind
        if kind == "attendance-month":
            name, data = await xlsx.attendance_month_xlsx(
                journal, admin, _required(class_id, "--class"), month, lang
            )
        elif kind == "attendance":
            start, end = await _range(app, school.id, args, today, whole_period=True)
            name, data = await xlsx.attendance_summary_xlsx(
                journal, admin, _required(class_id, "--class"), start, end, lang
            )
        elif kind == "marks":
            period = await find_period(journal, school.id, args.period)
            name, data = await xlsx.marks_summary_xlsx(
                journal, admin, _required(class_id, "--class"), period.id, lang
            )
        elif kind == "accumulation":
            period = await find_period(journal, school.id, args.period)
            name, data = await xlsx.accumulation_xlsx(journal, admin, period.id, class_id, lang)
        elif kind == "filling":
            start, end = await _range(app, school.id, args, today, whole_period=False)
            name, data = await xlsx.filling_xlsx(journal, admin, start, end, class_id, lang)
        elif kind == "parents":
            name, data = await xlsx.parents_xlsx(journal, admin, class_id, lang)
        elif kind == "audit":
            year_id = await find_year(journal, school.id, args.year)
            name, data = await xlsx.audit_xlsx(journal, admin, year_id, class_id, lang)
        elif kind == "movement":
            start, end = await _range(app, school.id, args, today, whole_period=True)
            name, data = await xlsx.movement_xlsx(journal, admin, start, end, class_id, lang)
        elif args.pupil:
            pupil_id = await _pupil_id(app, school.id, args.pupil)
            name, data = await statement.statement_pdf(journal, admin, pupil_id, month, lang)
        else:
            name, data = await statement.class_statements_pdf(
                journal, admin, _required(class_id, "--class / --pupil"), month, lang
            )
    except _Usage as usage:
        print(t("report.cli_usage", what=str(usage)), file=sys.stderr)
        return 2
    except BadMonth as bad:
        print(t("report.cli_bad_month", value=str(bad)), file=sys.stderr)
        return 2
    except ValueError as bad:
        print(t("report.cli_bad_value", value=str(bad)), file=sys.stderr)
        return 2
    except JournalError as err:
        print(t(err.key, **err.params), file=sys.stderr)
        return 1
    target = args.output or Path(name)
    if target.is_dir():
        target = target / name
    await asyncio.to_thread(write_private, target, data)  # personal data: 0600
    print(t("report.saved", path=str(target)))
    return 0


def _required(value: int | None, what: str) -> int:
    if value is None:
        raise _Usage(what)
    return value


async def _class_id(app: App, school_id: int, name: str | None) -> int | None:
    if name is None:
        return None
    found = await directory.find_class(app.journal, school_id, name)
    if found is None:
        raise JournalError("cli.class_not_found", name=name)
    return found.id


async def _pupil_id(app: App, school_id: int, query: str) -> int:
    people = await directory.find_people(app.journal, school_id, query)
    if len(people) != 1:
        key = "cli.person_not_found" if not people else "cli.person_ambiguous"
        raise JournalError(key, name=query)
    return people[0].id


async def _range(
    app: App, school_id: int, args: argparse.Namespace, today: date, *, whole_period: bool
) -> tuple[date, date]:
    """--from/--to; missing ends come from the current period (its end, or today)."""
    if args.start and args.end:
        return parse_day(args.start), parse_day(args.end)
    period = await find_period(app.journal, school_id, args.period)
    start = parse_day(args.start) if args.start else period.starts_on
    if args.end:
        end = parse_day(args.end)
    else:
        end = period.ends_on if whole_period else min(period.ends_on, today)
    return start, end
