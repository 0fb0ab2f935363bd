"""The roster sent as a document (issue 5): the upload prompt, and its result: the summary
or every problem (sheet, row, column), the pupils it added with the button for their
cards (R2)."""

from __future__ import annotations

from bot.actions import AdminCb, CardsCb
from bot.screen import Button, Screen, quote
from bot.screens.nav import menu_row
from core import roster
from core.errors import ImportFailed
from core.roster.format import sheet_titles
from texts import Texts
from texts.roster import problem_line, summary_lines, warning_lines

ADDED_SHOWN = 30  # names listed under the summary; the cards cover them all


def upload_help(tx: Texts) -> Screen:
    """Under the roster upload prompt: the blank template, and back to the menu."""
    text = tx(
        "roster.help",
        required=sheet_titles(required=True),
        optional=sheet_titles(required=False),
    )
    return Screen(text, [[Button(tx("roster.template"), AdminCb(act="t"))], menu_row(tx)])


def stage(tx: Texts, stage_name: str, file: str) -> str:
    """The progress message's text at a stage (download, read, check, write…)."""
    return tx(f"roster.stage.{stage_name}", file=quote(file))


def failed(tx: Texts, file: str, failure: ImportFailed) -> Screen:
    lines = [tx("roster.failed", file=quote(file), count=len(failure.problems))]
    lines += [f"• {quote(problem_line(problem, tx.lang))}" for problem in failure.problems]
    lines += [quote(line) for line in warning_lines(failure.warnings, tx.lang)]
    return Screen("\n".join(lines))


def failed_unexpected(tx: Texts, file: str) -> Screen:
    return Screen(tx("roster.failed_unexpected", file=quote(file)))


def done(tx: Texts, file: str, summary: roster.ImportSummary, cards_token: int | None) -> Screen:
    """The summary, the pupils added; ``cards_token`` names the import for the cards
    button (``None``: too many for one batch, the cards go class by class)."""
    lines = [tx("roster.done", file=quote(file))] + [
        quote(x) for x in summary_lines(summary, tx.lang)
    ]
    added = summary.added_pupils
    rows = []
    if added:
        lines.append(tx("roster.added_pupils", count=len(added)))
        lines += [f"• {quote(p.full_name)}, {quote(p.class_name)}" for p in added[:ADDED_SHOWN]]
        if len(added) > ADDED_SHOWN:
            lines.append(tx("roster.added_more", count=len(added) - ADDED_SHOWN))
        if cards_token is not None:
            rows.append([Button(tx("roster.cards", count=len(added)), CardsCb(token=cards_token))])
        else:  # a whole school's first upload
            lines.append(tx("roster.cards_by_class"))
    return Screen("\n".join(lines), rows)
