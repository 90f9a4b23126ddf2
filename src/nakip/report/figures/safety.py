"""Safety figure: heat map of adverse-event terms by worst CTCAE grade (patients, not events).

Input is ADAE (`nakip.analysis.dictionary`); each patient counts once per term, at the worst
grade recorded for it, as in the usual "worst grade per patient" AE tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from nakip.report.figures.style import house_style, new_figure, no_data

__all__ = ["MAX_TERMS", "ae_grade_counts", "ae_heatmap_figure"]

GRADES = (1, 2, 3, 4, 5)
MAX_TERMS = 30
"""Most frequent terms shown; more rows would not fit one A4 page legibly."""


def ae_grade_counts(adae: pd.DataFrame, max_terms: int = MAX_TERMS) -> pd.DataFrame:
    """Patients by term (rows, most frequent first) and worst grade 1-5 (columns).

    Rows without a term or a grade in 1-5 are left out; ties in frequency are broken by name.
    """
    data = adae.assign(grade=pd.to_numeric(adae["grade"], errors="coerce"))
    data = data[data["term"].notna() & data["grade"].isin(GRADES)]
    if data.empty:
        return pd.DataFrame(columns=list(GRADES), dtype=int)
    worst = data.groupby(["term", "usubjid"])["grade"].max().reset_index()
    table = pd.crosstab(worst["term"], worst["grade"]).reindex(columns=list(GRADES), fill_value=0)
    totals = table.sum(axis=1)
    order = sorted(table.index, key=lambda term: (-int(totals[term]), str(term)))
    return table.loc[order[:max_terms]].astype(int)


def ae_heatmap_figure(
    adae: pd.DataFrame,
    *,
    title: str = "Adverse events by worst grade",
    max_terms: int = MAX_TERMS,
) -> Figure:
    """Terms (rows) by worst CTCAE grade (columns); each cell the number of patients, shaded."""
    counts = ae_grade_counts(adae, max_terms)
    if counts.empty:
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
                ax.text(
                    col,
                    row,
                    f"{int(count)}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if count > 0.6 * peak else "black",
                )
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
