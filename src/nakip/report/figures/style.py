"""The house style of NAKIP figures and the ways out of a figure: PNG bytes, SVG text.

Every figure is a `matplotlib.figure.Figure` built without pyplot, so nothing is registered in
pyplot's global figure list (no leak across reports) and the Agg canvas is used implicitly.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = [
    "BLUE",
    "COHORT_COLOURS",
    "category_colours",
    "DPI",
    "FigureImage",
    "GREEN",
    "GREY",
    "ORANGE",
    "RED",
    "figure_image",
    "house_style",
    "new_figure",
    "no_data",
    "to_png",
    "to_svg",
]

# Palette chosen to stay distinguishable in greyscale print and for colour-blind readers.
BLUE = "#1f4e79"
ORANGE = "#c55a11"
GREY = "#7f7f7f"
RED = "#a50f15"
GREEN = "#2e7d32"
COHORT_COLOURS = (BLUE, ORANGE, "#5b8c3a", "#7b3f8c", GREY)

_STYLE = {
    "font.family": ["Liberation Sans", "DejaVu Sans"],
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e5e5e5",
    "grid.linewidth": 0.6,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "svg.fonttype": "none",  # SVG keeps text as text (searchable, testable)
    "svg.hashsalt": "nakip",  # stable SVG ids: the same figure gives the same bytes
}
DPI = 200


@dataclass(frozen=True)
class FigureImage:
    """One rendered figure: a file-friendly name, a caption and PNG bytes."""

    name: str
    caption: str
    png: bytes


@contextmanager
def house_style() -> Iterator[None]:
    """Apply NAKIP's rcParams while a figure's artists are created (restored afterwards)."""
    with matplotlib.rc_context(_STYLE):
        yield


def new_figure(width: float = 6.4, height: float = 3.3) -> Figure:
    """An empty figure of `width` x `height` inches, outside pyplot's registry."""
    return Figure(figsize=(width, height))


def category_colours(labels: list[str]) -> dict[str, str]:
    """One palette colour per label, in order (cycling when there are more labels)."""
    return {label: COHORT_COLOURS[i % len(COHORT_COLOURS)] for i, label in enumerate(labels)}


def no_data(
    title: str, message: str = "no data", width: float = 6.4, height: float = 2.0
) -> Figure:
    """A figure that says why there is nothing to draw: empty inputs never crash a report."""
    with house_style():
        fig = new_figure(width, height)
        ax: Axes = fig.add_subplot()
        ax.set_axis_off()
        ax.set_title(title, loc="left")
        ax.text(
            0.5,
            0.45,
            message,
            ha="center",
            va="center",
            fontsize=11,
            color=GREY,
            transform=ax.transAxes,
        )
    return fig


def to_png(fig: Figure, dpi: int = DPI) -> bytes:
    """The figure as PNG bytes (no timestamp or software metadata, so output is repeatable)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def to_svg(fig: Figure) -> str:
    """The figure as SVG text with text kept as text (no date metadata)."""
    buf = io.StringIO()
    with house_style():
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def figure_image(fig: Figure, name: str, caption: str) -> FigureImage:
    """Render `fig` to PNG and wrap it with its file name and caption for a report."""
    return FigureImage(name, caption, to_png(fig))
