"""A class's month of attendance as a heat map (issue 13.7): a row per pupil, a column per
school day, each cell the day as it went for the pupil (present, late, absent with an
excused reason, absent with the reason not yet confirmed, absent without a good reason;
the missed lessons' number in the cell) and at the right each pupil's missed lessons of
the month. The numbers are R21's attendance by month (``core.reports``), as the XLSX."""

from __future__ import annotations

import asyncio
from enum import IntEnum

from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from core.people import short_name
from core.reports import AttendanceCounts, ClassAttendance
from reports import file_name
from reports.charts import FONT, TEXT_PT, TITLE_PT, Chart, new_figure, png_bytes, style_axes
from reports.xlsx.sheet import month_title, until_note
from texts import Texts

ROW_IN = 0.26  # a pupil's row (39 px): 30 pupils and 23 days make square-ish cells
FRAME_IN = 2.3  # the title, the days' labels and the legend


class Cell(IntEnum):
    """How a school day went for a pupil: the worst of their lessons that day."""

    NONE = 0  # none of their lessons that day (another subgroup's day, not yet enrolled)
    PRESENT = 1
    LATE = 2
    EXCUSED = 3
    UNCONFIRMED = 4
    UNEXCUSED = 5


COLOURS = {
    Cell.NONE: "#f5f5f5",
    Cell.PRESENT: "#c8e6c9",
    Cell.LATE: "#ffe082",
    Cell.EXCUSED: "#64b5f6",
    Cell.UNCONFIRMED: "#ff9800",
    Cell.UNEXCUSED: "#d32f2f",
}
DARK = frozenset({Cell.EXCUSED, Cell.UNCONFIRMED, Cell.UNEXCUSED})  # white numbers on them


def cell_of(day: AttendanceCounts | None) -> Cell:
    if day is None or day.lessons == 0:
        return Cell.NONE
    if day.unexcused:
        return Cell.UNEXCUSED
    if day.unconfirmed:
        return Cell.UNCONFIRMED
    if day.excused:
        return Cell.EXCUSED
    return Cell.LATE if day.late else Cell.PRESENT


def attendance_cells(report: ClassAttendance) -> list[list[Cell]]:
    """The heat map's cells: a row per pupil (as the report lists them), a column per
    school day."""
    return [[cell_of(p.by_day.get(d)) for d in report.days] for p in report.pupils]


def _cells(ax: Axes, report: ClassAttendance, cells: list[list[Cell]]) -> None:
    colours = ListedColormap([COLOURS[c] for c in Cell])
    ax.imshow(
        [[int(c) for c in row] for row in cells],
        cmap=colours,
        vmin=0,
        vmax=len(Cell) - 1,
        aspect="auto",
    )
    for row, pupil in enumerate(report.pupils):
        for column, day in enumerate(report.days):
            missed = pupil.missed_by_day.get(day)
            if missed:
                ax.text(
                    column,
                    row,
                    str(missed),
                    ha="center",
                    va="center",
                    fontsize=TEXT_PT - 1,
                    fontfamily=FONT,
                    color="white" if cells[row][column] in DARK else "black",
                )
    ax.set_xticks(range(len(report.days)), [str(d.day) for d in report.days])
    ax.set_yticks(
        range(len(report.pupils)),
        [f"{n}. {short_name(p.full_name)}" for n, p in enumerate(report.pupils, start=1)],
    )
    ax.tick_params(top=True, labeltop=True, length=0)
    ax.set_xticks([x - 0.5 for x in range(len(report.days) + 1)], minor=True)
    ax.set_yticks([y - 0.5 for y in range(len(report.pupils) + 1)], minor=True)
    ax.grid(which="minor", color="white", lw=1.5)
    ax.tick_params(which="minor", length=0)
    ax.spines[:].set_visible(False)
    style_axes(ax)


def _title(tx: Texts, report: ClassAttendance) -> str:
    month = month_title(tx, report.start)
    title = tx("chart.attendance_title", cls=report.class_name, month=month)
    return title + until_note(tx, report.end, report.until)


def attendance_figure(tx: Texts, report: ClassAttendance) -> Figure:
    figure = new_figure(FRAME_IN + ROW_IN * len(report.pupils))
    figure.suptitle(_title(tx, report), fontsize=TITLE_PT + 1, fontfamily=FONT)
    ax = figure.subplots()
    _cells(ax, report, attendance_cells(report))
    missed = ax.secondary_yaxis("right")
    missed.set_yticks(range(len(report.pupils)), [str(p.counts.missed) for p in report.pupils])
    missed.tick_params(length=0, labelsize=TEXT_PT, labelfontfamily=FONT)
    missed.spines[:].set_visible(False)
    missed.set_ylabel(tx("chart.missed"), fontsize=TEXT_PT, fontfamily=FONT)
    shown = [c for c in Cell if c is not Cell.NONE]
    figure.legend(
        [Patch(color=COLOURS[c]) for c in shown],
        [tx(f"chart.cell.{c.name.lower()}") for c in shown],
        loc="outside lower center",
        ncols=2,
        frameon=False,
        prop={"family": FONT, "size": TEXT_PT},
        title=tx("chart.cell_note"),
        title_fontproperties={"family": FONT, "size": TEXT_PT},
    )
    return figure


def attendance_png(tx: Texts, report: ClassAttendance) -> bytes:
    return png_bytes(attendance_figure(tx, report))


async def attendance_chart(tx: Texts, report: ClassAttendance) -> Chart | None:
    """R21's attendance by month of a class (``core.reports.class_attendance_month``) as a
    heat map, drawn off the event loop; ``None`` when the month has had no lesson yet or
    the class has no pupil."""
    if not report.days or not report.pupils:
        return None
    data = await asyncio.to_thread(attendance_png, tx, report)
    name = tx("chart.file.attendance", cls=report.class_name, month=f"{report.start:%Y-%m}")
    return Chart(file_name(name, "png"), data, _title(tx, report))
