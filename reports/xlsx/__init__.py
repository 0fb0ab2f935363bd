"""XLSX reports for the school's staff (R9, R21), built with openpyxl from the plain data
of ``core.reports`` (which checks who may see what), one module per workbook.

Every sheet (``sheet.write_table``): a title row (the school, the report and its
period), a bold header row, thin borders round the table, panes frozen under the header
(and beside the names), columns wide enough to read, and a page set up for printing: A4
landscape, fit to the page's width (as many pages down as it takes), the title and
header rows on every page, page numbers in the footer. Values: numbers stored as numbers
(averages rounded to two places, shares in percent to one place), dates as dates, text
as text: every string cell (a name from the roster, a topic, a reason) is written
through :func:`as_text`, so ``=HYPERLINK(…)`` or ``=cmd|…`` typed into the roster is
never a formula in the deputy's Excel (OWASP, formula injection). Each ``*_xlsx``
function returns ``(file name, bytes)``, ready for ``BufferedInputFile`` or a file.
"""

from reports.xlsx.accumulation import accumulation_workbook, accumulation_xlsx
from reports.xlsx.attendance import (
    attendance_month_workbook,
    attendance_month_xlsx,
    attendance_summary_workbook,
    attendance_summary_xlsx,
)
from reports.xlsx.audit import ACTIONS, action_words, audit_workbook, audit_xlsx
from reports.xlsx.filling import filling_workbook, filling_xlsx
from reports.xlsx.marks import marks_summary_workbook, marks_summary_xlsx
from reports.xlsx.movement import movement_workbook, movement_xlsx
from reports.xlsx.parents import parents_workbook, parents_xlsx
from reports.xlsx.sheet import FORMULA_STARTS, MIME, Column, as_text

__all__ = [
    "ACTIONS",
    "FORMULA_STARTS",
    "MIME",
    "Column",
    "accumulation_workbook",
    "accumulation_xlsx",
    "action_words",
    "as_text",
    "attendance_month_workbook",
    "attendance_month_xlsx",
    "attendance_summary_workbook",
    "attendance_summary_xlsx",
    "audit_workbook",
    "audit_xlsx",
    "filling_workbook",
    "filling_xlsx",
    "marks_summary_workbook",
    "marks_summary_xlsx",
    "movement_workbook",
    "movement_xlsx",
    "parents_workbook",
    "parents_xlsx",
]
