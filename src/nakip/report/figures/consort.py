"""CONSORT flow diagram: screened -> not eligible (with reasons) -> enrolled per cohort ->
treated -> response-evaluable -> analysed (CONSORT 2010 flow diagram, adapted to single-arm
cohorts).

The numbers are those of the fitted `nakip.analysis.consort.ConsortCounts` (the one place that
counts them), so the report's tables and the figure agree; reasons count failed criteria, so
one patient may give several.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from nakip.report.figures.style import GREY, house_style, new_figure, no_data

if TYPE_CHECKING:
    from nakip.analysis.consort import ConsortCounts

__all__ = ["consort_figure"]

MAX_REASONS = 6
"""Most frequent reasons listed in the not-eligible box; the rest are summed as 'other'."""


def _reason_lines(reasons: dict[str, int]) -> list[str]:
    ranked = sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
    if len(ranked) > MAX_REASONS:
        rest = sum(n for _, n in ranked[MAX_REASONS - 1 :])
        ranked = [*ranked[: MAX_REASONS - 1], ("other", rest)]
    return [f"  {code}: {n}" for code, n in ranked]


_HEAD = {"arrowstyle": "-|>", "lw": 0.8, "color": "black", "shrinkA": 0, "shrinkB": 0}


def _box(ax: Axes, x: float, y: float, text: str) -> None:
    ax.text(
        x,
        y,
        text,
        ha="center",
        va="center",
        fontsize=7.5,
        wrap=False,
        bbox={"boxstyle": "square,pad=0.5", "fc": "white", "ec": "black", "lw": 0.8},
    )


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.annotate(
        "",
        xy=end,
        xytext=start,
        arrowprops={"arrowstyle": "-|>", "lw": 0.8, "color": "black", "shrinkA": 12, "shrinkB": 12},
    )


def consort_figure(
    counts: ConsortCounts,
    *,
    title: str = "Patient flow (CONSORT)",
    analysed_label: str = "Analysed (all treated)",
) -> Figure:
    """The flow diagram of a fitted ConsortCounts; "no data" when nobody was screened or
    enrolled."""
    flows = list(counts.cohorts.values())
    if counts.screened == 0 and not any(f.enrolled for f in flows):
        return no_data(title)
    with house_style():
        fig = new_figure(6.4, 5.2)
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_title(title, loc="left")
        _box(ax, 0.35, 0.93, f"Screened\nn = {counts.screened}")
        lines = [f"Not eligible  n = {counts.not_eligible}", *_reason_lines(counts.reasons)]
        lines.append(f"Not enrolled, in screening  n = {counts.in_screening}")
        ax.text(
            0.62,
            0.80,
            "\n".join(lines),
            ha="left",
            va="center",
            fontsize=7,
            family="monospace",
            bbox={"boxstyle": "square,pad=0.5", "fc": "#f5f5f5", "ec": GREY, "lw": 0.8},
        )
        ax.annotate(
            "",
            xy=(0.61, 0.80),
            xytext=(0.35, 0.80),
            arrowprops={"arrowstyle": "-|>", "lw": 0.8, "color": "black"},
        )
        ax.plot([0.35, 0.35], [0.895, 0.71], color="black", lw=0.8)
        k = max(len(flows), 1)
        xs = [0.35 if k == 1 else 0.12 + 0.46 * i / (k - 1) for i in range(k)]
        for x, flow in zip(xs, flows, strict=False):
            steps = (
                (0.62, f"Enrolled: cohort {flow.cohort}\nn = {flow.enrolled}"),
                (0.45, f"Treated\nn = {flow.treated}"),
                (0.28, f"Response-evaluable\nn = {flow.response_evaluable}"),
                (0.11, f"{analysed_label}\nn = {flow.analysed}"),
            )
            ax.annotate("", xy=(x, steps[0][0] + 0.035), xytext=(0.35, 0.71), arrowprops=_HEAD)
            for (y, text), (y_next, _) in zip(steps, (*steps[1:], (None, "")), strict=True):
                _box(ax, x, y, text)
                if y_next is not None:
                    _arrow(ax, (x, y), (x, y_next))
    return fig
