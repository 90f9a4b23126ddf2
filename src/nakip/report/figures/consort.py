"""CONSORT flow diagram: screened -> not eligible (with reasons) -> enrolled per cohort ->
treated -> response-evaluable -> analysed (CONSORT 2010 flow diagram, adapted to single-arm
cohorts).

Counts come from the screening log and ADSL population flags (`nakip.analysis.dictionary`);
they are computed in `consort_counts` so tables and the figure show the same numbers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from nakip.report.figures.style import GREY, house_style, new_figure, no_data

__all__ = ["CohortFlow", "ConsortCounts", "consort_counts", "consort_figure"]

MAX_REASONS = 6
"""Most frequent reasons listed in the not-eligible box; the rest are summed as 'other'."""


@dataclass(frozen=True)
class CohortFlow:
    """Patients of one cohort at each step after enrolment."""

    cohort: str
    enrolled: int
    treated: int
    evaluable: int
    analysed: int

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view."""
        return asdict(self)


@dataclass(frozen=True)
class ConsortCounts:
    """The numbers of the flow diagram. Reasons count criteria, so one patient may have several."""

    screened: int
    not_eligible: int
    reasons: tuple[tuple[str, int], ...]
    eligible_not_enrolled: int
    cohorts: tuple[CohortFlow, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view."""
        return {
            "screened": self.screened,
            "not_eligible": self.not_eligible,
            "reasons": dict(self.reasons),
            "eligible_not_enrolled": self.eligible_not_enrolled,
            "cohorts": [c.to_dict() for c in self.cohorts],
        }


def _flag(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame[column] == True  # noqa: E712  (None/NaN count as False)


def consort_counts(
    screening: pd.DataFrame, adsl: pd.DataFrame, analysed_flag: str = "treated_fl"
) -> ConsortCounts:
    """Count each step of the flow; `analysed_flag` is the ADSL flag of the primary analysis
    population (default: all treated patients, non-evaluable ones counted as non-responders)."""
    not_eligible = screening[screening["eligible"] == False]  # noqa: E712
    reasons: Counter[str] = Counter()
    for text in not_eligible["failed_criteria"].dropna():
        reasons.update(code.strip() for code in str(text).split(";") if code.strip())
    ranked = sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
    if len(ranked) > MAX_REASONS:
        ranked = [
            *ranked[: MAX_REASONS - 1],
            ("other", sum(n for _, n in ranked[MAX_REASONS - 1 :])),
        ]
    eligible = screening[_flag(screening, "eligible")]
    enrolled = adsl[_flag(adsl, "enrolled_fl")]
    flows = tuple(
        CohortFlow(
            cohort=str(code),
            enrolled=len(group),
            treated=int(_flag(group, "treated_fl").sum()),
            evaluable=int(
                (_flag(group, "treated_fl") & _flag(group, "response_evaluable_fl")).sum()
            ),
            analysed=int(_flag(group, analysed_flag).sum()),
        )
        for code, group in enrolled.groupby("cohort", sort=True)
    )
    return ConsortCounts(
        screened=len(screening),
        not_eligible=len(not_eligible),
        reasons=tuple(ranked),
        eligible_not_enrolled=int((~_flag(eligible, "enrolled")).sum()),
        cohorts=flows,
    )


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
    screening: pd.DataFrame,
    adsl: pd.DataFrame,
    *,
    title: str = "Patient flow (CONSORT)",
    analysed_flag: str = "treated_fl",
    analysed_label: str = "Analysed (all treated)",
) -> Figure:
    """The flow diagram; "no data" when nobody was screened or enrolled."""
    counts = consort_counts(screening, adsl, analysed_flag)
    if counts.screened == 0 and not counts.cohorts:
        return no_data(title)
    with house_style():
        fig = new_figure(6.4, 5.2)
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_title(title, loc="left")
        _box(ax, 0.35, 0.93, f"Screened\nn = {counts.screened}")
        lines = [f"Not eligible  n = {counts.not_eligible}"]
        lines += [f"  {code}: {n}" for code, n in counts.reasons]
        lines.append(f"Eligible, not enrolled  n = {counts.eligible_not_enrolled}")
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
        k = max(len(counts.cohorts), 1)
        xs = [0.35 if k == 1 else 0.12 + 0.46 * i / (k - 1) for i in range(k)]
        for x, flow in zip(xs, counts.cohorts, strict=False):
            steps = (
                (0.62, f"Enrolled: cohort {flow.cohort}\nn = {flow.enrolled}"),
                (0.45, f"Treated\nn = {flow.treated}"),
                (0.28, f"Response-evaluable\nn = {flow.evaluable}"),
                (0.11, f"{analysed_label}\nn = {flow.analysed}"),
            )
            ax.annotate("", xy=(x, steps[0][0] + 0.035), xytext=(0.35, 0.71), arrowprops=_HEAD)
            for (y, text), (y_next, _) in zip(steps, (*steps[1:], (None, "")), strict=True):
                _box(ax, x, y, text)
                if y_next is not None:
                    _arrow(ax, (x, y), (x, y_next))
    return fig
