"""A pupil's marks of the period as a picture (issue 13.7): one strip per subject with
marks, each mark a dot at its day (coloured by its value, larger for a heavier work) and
the weighted average after each mark as a line, the average's value at its right. The
average is the journal's own (``SubjectMarks.running_weighted_averages``, the rule the
marks screen shows), never counted here."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, DateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from core.accounts import PupilRef
from core.family import MarksPage
from core.marks import SubjectMarks
from reports import day_text, decimal_text, file_name
from reports.charts import FONT, GRID, TEXT_PT, TITLE_PT, Chart, new_figure, png_bytes, style_axes
from texts import Texts

MARK_COLOURS = {5: "#2e7d32", 4: "#7cb342", 3: "#f9a825", 2: "#ef6c00", 1: "#c62828"}
AVERAGE_COLOUR = "#1565c0"
STRIP_IN = 1.9  # inches a subject takes (285 px)
HEADER_IN = 1.2  # the title and the legend
DOT = 55  # a mark's dot (points²) for a work of weight 1
SAME_DAY = 0.22  # days between two marks given on one day, side by side


@dataclass(frozen=True)
class SubjectSeries:
    """What a subject's strip draws: its marks in order with each one's day and weight,
    and the weighted average after each mark."""

    subject: str
    days: list[date]
    values: list[int]
    weights: list[Decimal]
    averages: list[Decimal | None]
    weighted: Decimal | None  # the period's weighted average (the last of ``averages``)
    final: str | None


def marks_series(subjects: Sequence[SubjectMarks]) -> list[SubjectSeries]:
    """The subjects with marks, each as its strip draws it (a subject with only a final
    mark has nothing to draw)."""
    return [
        SubjectSeries(
            s.subject,
            [m.date for m in s.marks],
            [m.value for m in s.marks],
            [m.weight for m in s.marks],
            s.running_weighted_averages,
            s.weighted_average,
            s.final,
        )
        for s in subjects
        if s.marks
    ]


def _positions(days: list[date]) -> list[float]:
    """Each mark's x: its day, two marks of one day side by side."""
    seen: Counter[date] = Counter()
    total = Counter(days)
    result = []
    for day in days:
        shift = (seen[day] - (total[day] - 1) / 2) * SAME_DAY
        seen[day] += 1
        result.append(float(date2num(day)) + shift)
    return result


def _strip(ax: Axes, tx: Texts, s: SubjectSeries, start: date, end: date) -> None:
    xs = _positions(s.days)
    ax.scatter(
        xs,
        s.values,
        s=[DOT * float(w or 1) for w in s.weights],
        c=[MARK_COLOURS.get(v, "#757575") for v in s.values],
        edgecolors="white",
        linewidths=0.8,
        zorder=3,
    )
    line_x = [*xs, float(date2num(end))]
    line_y = [float(a) if a is not None else float("nan") for a in s.averages]
    ax.step(line_x, [*line_y, line_y[-1]], where="post", color=AVERAGE_COLOUR, lw=2, zorder=2)
    if s.weighted is not None:
        ax.annotate(
            decimal_text(s.weighted, tx.lang),
            (line_x[-1], float(s.weighted)),
            xytext=(12, 0),
            textcoords="offset points",
            va="center",
            color=AVERAGE_COLOUR,
            fontsize=TEXT_PT,
            fontfamily=FONT,
            fontweight="bold",
        )
    title = tx("chart.subject", subject=s.subject, wavg=decimal_text(s.weighted, tx.lang))
    if s.final:
        title += " · " + tx("family.final", value=s.final)
    ax.set_title(title, loc="left", fontsize=TITLE_PT, fontfamily=FONT, fontweight="bold")
    ax.set_ylim(0.5, 5.6)
    ax.set_yticks([1, 2, 3, 4, 5])
    ax.set_xlim(float(date2num(start - timedelta(days=1))), float(date2num(end)) + 4)
    ax.xaxis.set_major_locator(AutoDateLocator(minticks=4, maxticks=8))
    ax.xaxis.set_major_formatter(DateFormatter("%d.%m"))
    ax.grid(True, color=GRID, lw=0.8)
    ax.spines[["top", "right"]].set_visible(False)
    style_axes(ax)


def marks_figure(
    tx: Texts, pupil: PupilRef, page: MarksPage, series: list[SubjectSeries]
) -> Figure:
    """The picture: the pupil and the days it covers, a legend, one strip per subject."""
    start, end = page.start, page.end
    figure = new_figure(HEADER_IN + STRIP_IN * len(series))
    span = tx("chart.marks_span", start=day_text(start), end=day_text(end))
    if page.period is not None:
        span = f"{page.period.name}: {span}"
    axes = figure.subplots(len(series), 1, squeeze=False)[:, 0]
    for ax, subject in zip(axes, series, strict=True):
        _strip(ax, tx, subject, start, end)
    legend = [
        Line2D([], [], ls="", marker="o", ms=8, color=MARK_COLOURS[4]),
        Line2D([], [], color=AVERAGE_COLOUR, lw=2),
    ]
    figure.legend(
        legend,
        [tx("chart.legend_mark"), tx("chart.legend_average")],
        loc="outside upper center",
        ncols=2,
        frameon=False,
        alignment="center",
        prop={"family": FONT, "size": TEXT_PT},
        # The title above the legend: a suptitle and an outside legend would overlap.
        title=f"{pupil.full_name}, {pupil.class_name}\n{span}",
        title_fontproperties={"family": FONT, "size": TITLE_PT + 1},
    )
    return figure


def marks_png(tx: Texts, pupil: PupilRef, page: MarksPage, series: list[SubjectSeries]) -> bytes:
    return png_bytes(marks_figure(tx, pupil, page, series))


async def marks_chart(tx: Texts, pupil: PupilRef, page: MarksPage) -> Chart | None:
    """The pupil's marks chart, drawn off the event loop; ``None`` when there is no mark to
    draw."""
    series = marks_series(page.subjects)
    if not series:
        return None
    data = await asyncio.to_thread(marks_png, tx, pupil, page, series)
    name = tx("chart.file.marks", name=pupil.full_name, day=f"{page.end:%Y-%m-%d}")
    title = tx("chart.marks_title", name=pupil.full_name, cls=pupil.class_name)
    return Chart(file_name(name, "png"), data, title)
