"""What an import did (or, for a dry run, would do): counts per sheet, the pupils it
added, the leavers it recorded, the pupils the file left out, and what it skipped."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from core.roster.rows import SHEETS, Problem

# The title of each sheet in a summary: a key of the texts catalogue.
SHEET_TITLES = {sheet: f"roster.sheet.{sheet}" for sheet in SHEETS}


@dataclass
class SheetCounts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def __add__(self, other: SheetCounts) -> SheetCounts:
        return SheetCounts(
            self.added + other.added,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
            self.removed + other.removed,
        )


class AddedPupil(NamedTuple):
    id: int
    full_name: str
    class_name: str


class NamedPupil(NamedTuple):
    full_name: str
    class_name: str


@dataclass
class ImportSummary:
    """What an import did (or, for a dry run, would do), per sheet of the file."""

    school_id: int | None
    school_name: str
    school_created: bool
    sheets: dict[str, SheetCounts] = field(default_factory=dict)
    dry_run: bool = False
    # The pupils the import added (not a dry run's): their cards may be printed at once.
    added_pupils: list[AddedPupil] = field(default_factory=list)
    # Leavers this file records (a date in «дата выбытия»), and the pupils the journal
    # holds that the file does not list (they stay: a warning, not a deletion).
    left_pupils: list[NamedPupil] = field(default_factory=list)
    missing_pupils: list[NamedPupil] = field(default_factory=list)
    # What the import left out without stopping: an unknown sheet or column, a subgroup
    # with lessons and no pupils; each at its place in the file.
    warnings: list[Problem] = field(default_factory=list)

    @property
    def total(self) -> SheetCounts:
        total = SheetCounts()
        for counts in self.sheets.values():
            total = total + counts
        return total

    @property
    def changed(self) -> bool:
        return self.school_created or self.total.changed
