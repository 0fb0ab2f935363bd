"""What every console command shares: the school it acts on, as its administrator."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from core.access import Actor
from core.journal import Journal
from core.schools import find_school
from texts import t


@dataclass(frozen=True)
class ConsoleSchool:
    id: int
    name: str
    admin: Actor  # the console acts as the school's administrator


async def school_for(journal: Journal, name: str | None) -> ConsoleSchool | None:
    """The school named ``--school`` (or the only one there is); None, with a message on
    stderr, when there is no such school."""
    async with journal.transaction() as s:
        school = await find_school(s, name)
    if school is None:
        print(t("import.no_school"), file=sys.stderr)
        return None
    return ConsoleSchool(school.id, school.name, Actor.system(school.id))
