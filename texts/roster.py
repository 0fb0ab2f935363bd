"""The roster importer's problems, warnings and summary in a user's language. Core hands
over keys with values (:class:`core.roster.Problem`, :class:`core.roster.ImportSummary`);
the bot and the CLI render them here with the catalogue, so both say the same."""

from __future__ import annotations

from collections.abc import Sequence

from core.roster import SHEET_TITLES, SHEETS, ImportSummary, NamedPupil, Problem, SheetCounts
from core.roster.format import SHEET_SPECS
from texts import DEFAULT_LANGUAGE, t

NAMES_SHOWN = 20  # pupils named in a summary line; the rest are counted


def problem_message(problem: Problem, lang: str = DEFAULT_LANGUAGE) -> str:
    """What is wrong, in ``lang``."""
    return t(problem.key, lang, **problem.params)


def problem_place(problem: Problem, lang: str = DEFAULT_LANGUAGE) -> str:
    """The place in the file: «лист «Ученики», строка 2, столбец «Класс» (B)» (empty if
    none). A sheet or column the file lacks is named by its title in ``lang``."""
    where = []
    if problem.sheet_name:
        kind = "roster.where.file" if problem.csv else "roster.where.sheet"
        where.append(t(kind, lang, sheet=problem.sheet_name))
    elif problem.sheet in SHEET_SPECS:
        title = t(f"roster.sheet.{problem.sheet}", lang)
        where.append(t("roster.where.sheet", lang, sheet=title))
    if problem.row:
        where.append(t("roster.where.row", lang, row=problem.row))
    if problem.header and problem.letter:
        column = problem.header
        where.append(t("roster.where.column", lang, column=column, letter=problem.letter))
    elif problem.letter:
        where.append(t("roster.where.column_letter", lang, letter=problem.letter))
    elif problem.column:
        title = t(f"roster.column.{problem.column}", lang)
        where.append(t("roster.where.column_title", lang, column=title))
    return ", ".join(where)


def problem_line(problem: Problem, lang: str = DEFAULT_LANGUAGE) -> str:
    """The place and what is wrong, in ``lang``."""
    where = problem_place(problem, lang)
    message = problem_message(problem, lang)
    return t("roster.where.problem", lang, where=where, message=message) if where else message


def warning_lines(warnings: Sequence[Problem], lang: str = DEFAULT_LANGUAGE) -> list[str]:
    """What an import skipped, under a heading (nothing when it skipped nothing)."""
    if not warnings:
        return []
    heading = t("roster.summary.warnings", lang, count=len(warnings))
    lines = [t("roster.summary.warning", lang, problem=problem_line(w, lang)) for w in warnings]
    return [heading, *lines]


def counts_text(counts: SheetCounts, lang: str = DEFAULT_LANGUAGE) -> str:
    parts = [
        t("roster.counts.added", lang, count=counts.added),
        t("roster.counts.updated", lang, count=counts.updated),
    ]
    if counts.removed:
        parts.append(t("roster.counts.removed", lang, count=counts.removed))
    parts.append(t("roster.counts.unchanged", lang, count=counts.unchanged))
    return ", ".join(parts)


def _names(pupils: Sequence[NamedPupil], lang: str) -> str:
    shown = ", ".join(f"{p.full_name} ({p.class_name})" for p in pupils[:NAMES_SHOWN])
    if len(pupils) > NAMES_SHOWN:
        shown += " " + t("roster.added_more", lang, count=len(pupils) - NAMES_SHOWN)
    return shown


def summary_lines(summary: ImportSummary, lang: str = DEFAULT_LANGUAGE) -> list[str]:
    """A short summary in ``lang`` (Russian by default), one line per sheet and a total."""
    lines = []
    if summary.school_created:
        lines.append(t("roster.summary.new_school", lang, school=summary.school_name))
    for sheet in SHEETS:
        if sheet in summary.sheets:
            title = t(SHEET_TITLES[sheet], lang)
            counts = counts_text(summary.sheets[sheet], lang)
            lines.append(t("roster.summary.sheet", lang, sheet=title, counts=counts))
    if summary.changed:
        lines.append(t("roster.summary.total", lang, counts=counts_text(summary.total, lang)))
    else:
        lines.append(t("roster.summary.unchanged", lang))
    if summary.left_pupils:
        names = _names(summary.left_pupils, lang)
        count = len(summary.left_pupils)
        lines.append(t("roster.summary.left", lang, count=count, names=names))
    if summary.missing_pupils:
        names = _names(summary.missing_pupils, lang)
        count = len(summary.missing_pupils)
        lines.append(t("roster.summary.missing", lang, count=count, names=names))
    lines += warning_lines(summary.warnings, lang)
    return lines
