"""Safety figure: heat map of adverse-event terms by worst CTCAE grade (patients, not events).

Input is the worst-grade-per-term table of `nakip.analysis.safety.SafetyAnalysis.by_term` (the
one place that counts it): one row per cohort scope and term with columns term, patients and
grade1..grade5, each patient counted once per term at the worst grade recorded for it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from nakip.report.figures.style import house_style, new_figure, no_data

__all__ = ["MAX_TERMS", "ae_heatmap_figure"]

GRADES = (1, 2, 3, 4, 5)
MAX_TERMS = 30
"""Most frequent terms shown; more rows would not fit one A4 page legibly."""


def _grid(by_term: pd.DataFrame, scope: str, max_terms: int) -> pd.DataFrame:
    """Terms (most patients first, then by name) by grade for one cohort scope."""
    rows = by_term[(by_term["cohort"] == scope) & by_term["term"].notna()]
    rows = rows.groupby("term", sort=False)[[f"grade{g}" for g in GRADES]].sum()
    order = sorted(rows.index, key=lambda t: (-int(rows.loc[t].sum()), str(t)))
    return rows.loc[order[:max_terms]].astype(int)


def ae_heatmap_figure(
    by_term: pd.DataFrame,
    *,
    scope: str = "all",
    title: str = "Adverse events by worst grade",
    max_terms: int = MAX_TERMS,
) -> Figure:
    """Terms (rows) by worst CTCAE grade (columns) for `scope` (a cohort code or "all"); each
    cell the number of patients, shaded; "no data" when no graded event was recorded."""
    counts = _grid(by_term, scope, max_terms) if len(by_term) else pd.DataFrame()
    if counts.empty or not counts.to_numpy().any():
        return no_data(title, "no adverse event recorded")
    values = counts.to_numpy(dtype=float)
    with house_style():
        fig = new_figure(6.4, 1.2 + 0.2 * len(counts))
        ax = fig.add_subplot()
        shown = np.ma.masked_equal(values, 0)
        ax.imshow(shown, cmap="Reds", aspect="auto", vmin=0, vmax=max(values.max(), 1) * 1.15)
        peak = values.max()
        for (row, col), count in np.ndenumerate(values):
            if count:
                colour = "white" if count > 0.6 * peak else "black"
                ax.text(col, row, f"{int(count)}", ha="center", va="center", fontsize=7,
                        color=colour)  # fmt: skip
        ax.set_xticks(range(len(GRADES)), [f"Grade {g}" for g in GRADES])
        ax.set_yticks(range(len(counts)), [str(t) for t in counts.index], fontsize=7)
        ax.xaxis.tick_top()
        ax.tick_params(length=0)
        ax.grid(False)
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)
        ax.set_title(f"{title} (patients)", loc="left", pad=18)
        fig.tight_layout()
    return fig
