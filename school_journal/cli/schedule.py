"""``journal schedule cancel|move|room``: the deputy's change of a day's timetable from
the console (R25); the outbox tells the teacher, the jobs tell the parents."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from core import directory, lessons
from core.errors import JournalError
from core.lessons.changes import change_view
from notifications.schedule import announce_change, render_change
from school_journal.app import App
from school_journal.cli.parsing import Commands
from school_journal.cli.school import day_lesson, parse_day
from school_journal.console import school_for
from texts import Texts, t

ACTIONS = ("cancel", "move", "room")


def add_schedule(commands: Commands) -> None:
    h = commands.h
    cmd = commands.add("schedule", "cli.help.schedule")
    cmd.add_argument(
        "action", choices=ACTIONS, metavar=h("cli.metavar.change"), help=h("cli.help.schedule.do")
    )

    def option(flag: str, key: str, metavar: str, **kwargs: Any) -> None:
        cmd.add_argument(flag, metavar=h(f"cli.metavar.{metavar}"), help=h(key), **kwargs)

    option("--date", "cli.help.substitute.date", "date", required=True)
    option("--class", "cli.help.substitute.class", "class", dest="class_name", required=True)
    option("--lesson", "cli.help.substitute.lesson", "number", type=commands.number, required=True)
    option("--group", "cli.help.substitute.group", "group")
    option("--to-date", "cli.help.schedule.to_date", "date")
    option("--to-lesson", "cli.help.schedule.to_lesson", "number", type=commands.number)
    option("--room", "cli.help.schedule.room", "room")
    commands.school_option(cmd)


async def schedule_command(app: App, args: argparse.Namespace) -> int:
    journal = app.journal
    school = await school_for(journal, args.school)
    if school is None:
        return 2
    try:
        day = parse_day(args.date)
        to_day = parse_day(args.to_date) if args.to_date else day
    except ValueError:
        print(t("cli.bad_date", value=args.to_date or args.date), file=sys.stderr)
        return 2
    found = await directory.find_class(journal, school.id, args.class_name)
    if found is None:
        print(t("cli.class_not_found", name=args.class_name), file=sys.stderr)
        return 1
    if args.action == "move" and args.to_lesson is None and to_day == day:
        print(t("cli.schedule_move_where"), file=sys.stderr)
        return 2
    if args.action == "room" and not args.room:
        print(t("cli.schedule_room_needed"), file=sys.stderr)
        return 2
    try:
        lesson = await day_lesson(journal, school.admin, day, found, args.lesson, args.group)
        if lesson is None:
            return 1
        lesson_id = lesson.lesson.id
        if args.action == "cancel":
            change = await lessons.cancel_lesson(journal, school.admin, lesson_id)
        elif args.action == "move":
            to_no = args.to_lesson or args.lesson
            change = await lessons.move_lesson(journal, school.admin, lesson_id, to_day, to_no)
        else:
            change = await lessons.change_room(journal, school.admin, lesson_id, args.room)
    except JournalError as err:
        print(t(err.key, **err.params), file=sys.stderr)
        return 1
    told = await announce_change(journal, change)
    async with journal.transaction() as s:
        view = await change_view(s, change)
    assert view is not None  # just recorded
    print(t("cli.schedule_changed", change=render_change(Texts(), view), told=told))
    return 0
