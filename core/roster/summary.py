"""What an import did (or, for a dry run, would do): counts per sheet, the pupils it
added, the leavers it recorded, the pupils the file left out, and what it skipped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from core.roster.rows import SHEETS, Problem
from texts import DEFAULT_LANGUAGE, t

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

    def text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        parts = [
            t("roster.counts.added", lang, count=self.added),
            t("roster.counts.updated", lang, count=self.updated),
        ]
        if self.removed:
            parts.append(t("roster.counts.removed", lang, count=self.removed))
        parts.append(t("roster.counts.unchanged", lang, count=self.unchanged))
        return ", ".join(parts)


class AddedPupil(NamedTuple):
    id: int
    full_name: str
    class_name: str


class NamedPupil(NamedTuple):
    full_name: str
    class_name: str


NAMES_SHOWN = 20  # pupils named in a summary line; the rest are counted


def _names(pupils: Sequence[NamedPupil], lang: str) -> str:
    shown = ", ".join(f"{p.full_name} ({p.class_name})" for p in pupils[:NAMES_SHOWN])
    if len(pupils) > NAMES_SHOWN:
        shown += " " + t("roster.added_more", lang, count=len(pupils) - NAMES_SHOWN)
    return shown


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

    def lines(self, lang: str = DEFAULT_LANGUAGE) -> list[str]:
        """A short summary in ``lang`` (Russian by default), one line per sheet and a total."""
        lines = []
        if self.school_created:
            lines.append(t("roster.summary.new_school", lang, school=self.school_name))
        for sheet in SHEETS:
            if sheet in self.sheets:
                title = t(SHEET_TITLES[sheet], lang)
                counts = self.sheets[sheet].text(lang)
                lines.append(t("roster.summary.sheet", lang, sheet=title, counts=counts))
        if self.changed:
            lines.append(t("roster.summary.total", lang, counts=self.total.text(lang)))
        else:
            lines.append(t("roster.summary.unchanged", lang))
        if self.left_pupils:
            names = _names(self.left_pupils, lang)
            lines.append(t("roster.summary.left", lang, count=len(self.left_pupils), names=names))
        if self.missing_pupils:
            names = _names(self.missing_pupils, lang)
            count = len(self.missing_pupils)
            lines.append(t("roster.summary.missing", lang, count=count, names=names))
        lines += warning_lines(self.warnings, lang)
        return lines

    def text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return "\n".join(self.lines(lang))


def warning_lines(warnings: Sequence[Problem], lang: str = DEFAULT_LANGUAGE) -> list[str]:
    """What an import skipped, under a heading (nothing when it skipped nothing)."""
    if not warnings:
        return []
    heading = t("roster.summary.warnings", lang, count=len(warnings))
    return [heading] + [t("roster.summary.warning", lang, problem=w.render(lang)) for w in warnings]
