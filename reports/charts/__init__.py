"""Pictures where people would rather look than read (issue 13.7): a pupil's marks of the
period per subject with the weighted average's line (``marks``), and a class's month of
attendance as a heat map, pupils × school days (``attendance``).

Each is a PNG 1080 px wide (a phone's screen, pixel for pixel), drawn with matplotlib's
objects: a ``Figure`` on the Agg canvas, never pyplot and its global state, so two charts
drawn at once in two threads (``asyncio.to_thread``, off the event loop) do not meet. The
text is in DejaVu Sans, which matplotlib ships and which has Cyrillic. The data comes from
``core`` (which checks who may see it); these modules only draw it."""

from __future__ import annotations

import io
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

WIDTH_PX = 1080
DPI = 150
WIDTH_IN = WIDTH_PX / DPI
FONT = "DejaVu Sans"  # shipped with matplotlib; Cyrillic included
TEXT_PT = 10  # ≈ 21 px: a phone shows the picture at its width and this still reads
TITLE_PT = 12
GRID = "#dddddd"


@dataclass(frozen=True)
class Chart:
    """A drawn picture: its file's name, its PNG bytes and what it shows (plain text, for
    the message's caption)."""

    filename: str
    data: bytes
    title: str


def new_figure(height_in: float) -> Figure:
    """A white figure 1080 px wide on its own Agg canvas."""
    figure = Figure(figsize=(WIDTH_IN, height_in), dpi=DPI, layout="constrained", facecolor="white")
    FigureCanvasAgg(figure)
    return figure


def style_axes(ax: Axes, size: float = TEXT_PT) -> None:
    """The axes' tick labels in the chart's font and size."""
    ax.tick_params(labelsize=size, labelfontfamily=FONT)


def png_bytes(figure: Figure) -> bytes:
    """The figure as PNG, exactly its size (no tight cropping: 1080 px stay 1080 px)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
