"""The blank school roster: a workbook with every sheet the importer reads, the Russian
headers of :mod:`core.roster.format` (the one table of names), one example row a sheet
and data validation where it helps (grade 1–11, yes/no, weekday, dates, times, lesson
numbers). Imported as written, it loads without a problem: the example rows refer to each
other (the teacher of the timetable row is the one of the staff sheet, and so on).

Written by ``journal template roster.xlsx`` and by the bot's «📄 Шаблон таблицы».
"""

from __future__ import annotations

import io
from datetime import date, time
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from core.roster.format import SHEETS_SPEC, ColumnSpec, Kind, SheetSpec
from texts import DEFAULT_LANGUAGE, t

ROWS = 1000  # rows the validation covers below the header
DATE_FORMAT = "DD.MM.YYYY"
TIME_FORMAT = "HH:MM"
BOLD = Font(bold=True)

# The example school of one teacher, one class, one pupil and their parent: sample data
# that shows the format (like the demo school), each row naming the others.
TEACHER = "Иванова Анна Петровна"
PUPIL = "Петров Иван Сергеевич"


def _examples(year: int) -> dict[str, dict[str, Any]]:
    """One row a sheet, by column key; ``year`` is the school year's first calendar year."""
    return {
        "teachers": {"full_name": TEACHER, "roles": "директор; учитель"},
        "classes": {"name": "5А", "grade": 5, "class_teacher": TEACHER},
        "subjects": {"name": "Математика", "certified": "да"},
        "pupils": {"full_name": PUPIL, "class": "5А", "birth_date": date(year - 11, 3, 1)},
        "guardians": {
            "full_name": "Петрова Мария Ивановна",
            "pupil": PUPIL,
            "class": "5А",
            "phone": "+79160000000",
            "consent": "да",
            "diary_opt_out": "нет",
        },
        "assignments": {"teacher": TEACHER, "subject": "Математика", "class": "5А"},
        "groups": {"class": "5А", "subject": "Математика", "group": "1 группа", "pupil": PUPIL},
        "bells": {"lesson_no": 1, "start": time(8, 30), "end": time(9, 15)},
        "timetable": {
            "class": "5А",
            "weekday": "пн",
            "lesson_no": 1,
            "subject": "Математика",
            "teacher": TEACHER,
            "room": "201",
        },
        "periods": {
            "name": "1 четверть",
            "start": date(year, 9, 1),
            "end": date(year, 10, 25),
        },
    }


def school_year(today: date) -> int:
    """The first calendar year of the school year ``today`` is in (from July on, the next)."""
    return today.year if today.month >= 7 else today.year - 1


def roster_template(today: date, lang: str = DEFAULT_LANGUAGE) -> bytes:
    """The blank roster workbook as XLSX bytes; examples dated in ``today``'s school year,
    prompts and validation messages in ``lang``."""
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])
    examples = _examples(school_year(today))
    for spec in SHEETS_SPEC:
        _sheet(workbook.create_sheet(spec.title), spec, examples[spec.key], lang)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_roster_template(path: Path, today: date, lang: str = DEFAULT_LANGUAGE) -> Path:
    """Write the template to a new file (never over an existing one)."""
    with path.open("xb") as file:
        file.write(roster_template(today, lang))
    return path


def _sheet(ws: Worksheet, spec: SheetSpec, example: dict[str, Any], lang: str) -> None:
    for number, column in enumerate(spec.columns, start=1):
        letter = get_column_letter(number)
        head = ws.cell(row=1, column=number, value=column.title)
        head.font = BOLD if column.required else Font(italic=True)
        head.alignment = Alignment(wrap_text=True, vertical="top")
        cell = ws.cell(row=2, column=number, value=example.get(column.key))
        cell.data_type = "s" if isinstance(cell.value, str) else cell.data_type
        if isinstance(cell.value, date):
            cell.number_format = DATE_FORMAT
        elif isinstance(cell.value, time):
            cell.number_format = TIME_FORMAT
        width = max(len(column.title), len(str(example.get(column.key) or ""))) + 4
        ws.column_dimensions[letter].width = min(max(width, 10), 40)
        validation = _validation(column, lang)
        if validation is not None:
            ws.add_data_validation(validation)
            validation.add(f"{letter}2:{letter}{ROWS + 1}")
    ws.freeze_panes = "A2"


def _validation(column: ColumnSpec, lang: str) -> DataValidation | None:
    """What Excel checks as a cell is typed (the importer checks again, whatever it got)."""
    kind = column.kind
    rules: dict[Kind, dict[str, Any]] = {
        Kind.GRADE: {"type": "whole", "operator": "between", "formula1": "1", "formula2": "11"},
        Kind.LESSON_NO: {"type": "whole", "operator": "between", "formula1": "0", "formula2": "20"},
        Kind.YES_NO: {"type": "list", "formula1": f'"{t("template.list.yes_no", lang)}"'},
        # A number 1–7 is read too: a warning, not a refusal.
        Kind.WEEKDAY: {
            "type": "list",
            "formula1": f'"{t("template.list.weekday", lang)}"',
            "errorStyle": "warning",
        },
        Kind.DATE: {
            "type": "date",
            "operator": "between",
            "formula1": "DATE(2000,1,1)",
            "formula2": "DATE(2100,12,31)",
        },
        Kind.TIME: {"type": "time", "operator": "between", "formula1": "0", "formula2": "0.999"},
    }
    hints = [t("template.hint.required", lang)] if column.required else []
    if kind is Kind.ROLES:
        hints.append(t("template.hint.roles", lang))
    rule = rules.get(kind)
    if rule is None and not hints:
        return None
    validation = DataValidation(allow_blank=True, **(rule or {"type": None}))
    if rule is not None:
        validation.showErrorMessage = True
        validation.errorTitle = t("template.error_title", lang)
        validation.error = t(f"template.invalid.{kind.value}", lang)
    if hints:  # shown beside the cell while it is selected
        validation.showInputMessage = True
        validation.promptTitle = column.title[:32]
        validation.prompt = " ".join(hints)
    return validation
