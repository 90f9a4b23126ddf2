"""Patient-level figures: swimmer plot of time on study, MRD waterfall and MRD spider plot.

Inputs are the analysis datasets of `nakip.analysis.dictionary` (ADSL, ADRS, ADTTE). Nothing is
re-derived here: responders, MRD changes and event dates come from the datasets as built.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from nakip.report.figures.style import (
    BLUE,
    GREEN,
    GREY,
    RED,
    category_colours,
    house_style,
    new_figure,
    no_data,
)
from nakip.stats.survival import DAYS_PER_MONTH
from nakip.wording import count

__all__ = ["mrd_spider_figure", "mrd_waterfall_figure", "swimmer_figure"]

MAX_SWIMMERS = 60
"""More lanes than this are unreadable on an A4 page: the first enrolled are shown, with a note."""


def _days(later: pd.Series, earlier: pd.Series) -> pd.Series:
    """Whole days from `earlier` to `later` (NaN where either date is missing)."""
    a = pd.to_datetime(later, errors="coerce")
    b = pd.to_datetime(earlier, errors="coerce")
    return (a - b).dt.days.astype(float)


def _time_on_study(adsl: pd.DataFrame, adtte: pd.DataFrame) -> pd.Series:
    """Days from enrolment to death or last known alive: the OS time of ADTTE when present."""
    os_days = adtte.loc[adtte["paramcd"] == "OS"].set_index("usubjid")["days"]
    os_days = pd.to_numeric(os_days[~os_days.index.duplicated()], errors="coerce")
    by_subject = adsl.set_index("usubjid")
    last = by_subject["death_date"].where(
        by_subject["death_date"].notna(), by_subject["last_known_alive_date"]
    )
    fallback = _days(last, by_subject["enrolment_date"])
    return os_days.reindex(by_subject.index).fillna(fallback)


def _first_response_day(adrs: pd.DataFrame) -> pd.Series:
    """Days from enrolment to the first responding assessment (study day 1 = enrolment)."""
    visits = adrs[(adrs["paramcd"] != "BOR") & (adrs["responder"] == True)]  # noqa: E712
    days = pd.to_numeric(visits["study_day"], errors="coerce") - 1
    return days.groupby(visits["usubjid"]).min()


def swimmer_figure(
    adsl: pd.DataFrame,
    adrs: pd.DataFrame,
    adtte: pd.DataFrame,
    *,
    title: str = "Time on study",
    max_subjects: int = MAX_SWIMMERS,
) -> Figure:
    """One lane per enrolled patient, coloured by cohort, with response, relapse and death marks.

    Lane length is the OS time (enrolment to death or last known alive); an arrow marks patients
    still on study. The first `max_subjects` enrolled are drawn; the title says when more exist.
    """
    subjects = adsl[adsl["enrolment_date"].notna()]
    if subjects.empty:
        return no_data(title)
    subjects = subjects.sort_values(["enrolment_date", "usubjid"], kind="stable")
    shown = subjects.head(max_subjects)
    ids = shown["usubjid"]
    lanes = pd.DataFrame(
        {
            "cohort": shown["cohort"].to_numpy(),
            "length": _time_on_study(shown, adtte).reindex(ids).to_numpy(),
            "response": _first_response_day(adrs).reindex(ids).to_numpy(),
            "relapse": _days(shown["relapse_date"], shown["enrolment_date"]).to_numpy(),
            "death": _days(shown["death_date"], shown["enrolment_date"]).to_numpy(),
            "ongoing": (shown["disposition"] == "ongoing").to_numpy(),
        },
        index=ids.to_numpy(),
    )
    lanes["length"] = lanes["length"].fillna(0.0).clip(lower=0.0)
    lanes = lanes.sort_values(["cohort", "length"], ascending=[True, True], kind="stable")
    colours = category_colours(sorted(lanes["cohort"].dropna().unique().tolist()))
    months = lanes["length"] / DAYS_PER_MONTH
    y = np.arange(len(lanes))
    with house_style():
        fig = new_figure(6.4, 1.4 + 0.13 * len(lanes))
        ax = fig.add_subplot()
        ax.barh(
            y,
            months,
            height=0.7,
            color=[colours.get(c, GREY) for c in lanes["cohort"]],
            alpha=0.85,
            lw=0,
        )
        for column, marker, colour, label in (
            ("response", "o", GREEN, "first response"),
            ("relapse", "s", RED, "relapse"),
            ("death", "x", "black", "death"),
        ):
            hit = lanes[column].notna().to_numpy()
            ax.plot(
                lanes[column][hit] / DAYS_PER_MONTH,
                y[hit],
                marker,
                color=colour,
                ms=4.5,
                ls="none",
                label=label,
                mfc=colour if marker != "o" else "white",
            )
        going = lanes["ongoing"].to_numpy()
        if going.any():
            ax.plot(
                months[going] + 0.15, y[going], ">", color=GREY, ms=4, ls="none", label="on study"
            )
        ax.set_yticks(y, list(lanes.index), fontsize=max(4.0, min(7.0, 400 / len(lanes))))
        ax.set_ylim(-0.7, len(lanes) - 0.3)
        ax.set_xlim(0, max(float(months.max()), 1.0) * 1.08)
        ax.set_xlabel("Months since enrolment")
        ax.grid(axis="y", visible=False)
        more = (
            f" (first {len(lanes)} of {len(subjects)} enrolled)"
            if len(subjects) > len(lanes)
            else ""
        )
        ax.set_title(title + more, loc="left")
        cohort_keys = [Patch(color=c, label=f"cohort {k}") for k, c in colours.items()]
        handles, _ = ax.get_legend_handles_labels()
        ax.legend(
            handles=cohort_keys + handles, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=7
        )
        fig.tight_layout()
    return fig


def _bars(heights: np.ndarray, colours: np.ndarray, width: float = 0.8) -> PolyCollection:
    """Vertical bars from 0 at x = 0, 1, ... as one collection (hundreds of patients draw fast,
    unlike one Rectangle artist per bar); gid "bars"."""
    x = np.arange(len(heights), dtype=float)
    left, right = x - width / 2, x + width / 2
    zero = np.zeros_like(x)
    corners = np.stack(
        [
            np.column_stack(p)
            for p in ((left, zero), (left, heights), (right, heights), (right, zero))
        ],
        axis=1,
    )
    return PolyCollection(corners, facecolors=colours, linewidths=0, gid="bars")


def mrd_waterfall_figure(
    adsl: pd.DataFrame,
    *,
    threshold: float = -1.0,
    title: str = "Best MRD change from baseline",
) -> Figure:
    """One bar per patient with an MRD change (largest log10 decrease), sorted, with the line at
    `threshold` (-1: the ELN-MRD 2021 response boundary); responders per ADSL in colour."""
    data = adsl[pd.to_numeric(adsl["best_mrd_log10_change"], errors="coerce").notna()]
    if data.empty:
        return no_data(title, "no MRD assessment with a log10 change")
    change = pd.to_numeric(data["best_mrd_log10_change"]).to_numpy(dtype=float)
    responder = (data["mrd_responder"] == True).to_numpy()  # noqa: E712
    order = np.argsort(-change, kind="stable")
    change, responder = change[order], responder[order]
    with house_style():
        fig = new_figure(6.4, 3.0)
        ax = fig.add_subplot()
        ax.add_collection(_bars(change, np.where(responder, BLUE, GREY)))
        ax.axhline(threshold, color=RED, lw=1.0, ls="--", gid="threshold")
        ax.axhline(0, color="black", lw=0.6)
        ax.set_xticks([])
        ax.set_xlim(-0.6, len(change) - 0.4)
        ax.set_ylim(min(float(change.min()), threshold) - 0.3, max(float(change.max()), 0.0) + 0.3)
        ax.set_xlabel(f"Patients ({len(change)})")
        ax.set_ylabel("MRD change (log10)")
        ax.set_title(title, loc="left")
        ax.legend(
            handles=[
                Patch(color=BLUE, label="MRD responder"),
                Patch(color=GREY, label="non-responder"),
                Line2D([], [], color=RED, ls="--", label=f"{threshold:g} log10"),
            ],
            loc="upper right",
        )
        fig.tight_layout()
    return fig


def mrd_spider_figure(
    adrs: pd.DataFrame,
    adsl: pd.DataFrame | None = None,
    *,
    threshold: float = -1.0,
    title: str = "MRD change over time",
) -> Figure:
    """One line per patient: MRD log10 change (ADRS MRDCHG) against months since enrolment,
    starting at 0 on day 1; MRD responders per ADSL in colour, the `threshold` line dashed."""
    rows = adrs[(adrs["paramcd"] == "MRDCHG")]
    rows = rows.assign(
        change=pd.to_numeric(rows["log10_change"], errors="coerce"),
        day=pd.to_numeric(rows["study_day"], errors="coerce"),
    ).dropna(subset=["change", "day"])
    if rows.empty:
        return no_data(title, "no MRD assessment with a log10 change")
    responders: set[str] = set()
    if adsl is not None:
        responders = set(adsl.loc[adsl["mrd_responder"] == True, "usubjid"])  # noqa: E712
    lines, colours = [], []
    for subject, group in rows.sort_values("day", kind="stable").groupby("usubjid", sort=True):
        months = np.concatenate([[0.0], (group["day"].to_numpy(dtype=float) - 1) / DAYS_PER_MONTH])
        values = np.concatenate([[0.0], group["change"].to_numpy(dtype=float)])
        lines.append(np.column_stack([months, values]))
        colours.append(BLUE if subject in responders else GREY)
    with house_style():
        fig = new_figure(6.4, 3.0)
        ax = fig.add_subplot()
        ax.add_collection(LineCollection(lines, colors=colours, linewidths=1.0, alpha=0.8))
        ax.axhline(threshold, color=RED, lw=1.0, ls="--", gid="threshold")
        ax.axhline(0, color="black", lw=0.6)
        ax.autoscale_view()
        low, high = ax.get_ylim()
        ax.set_ylim(min(low, threshold - 0.5), max(high, 0.5))
        ax.set_xlabel("Months since enrolment")
        ax.set_ylabel("MRD change (log10)")
        ax.set_title(f"{title} ({count(len(lines), 'patient')})", loc="left")
        other = "non-responder" if adsl is not None else "patient"
        handles = [Line2D([], [], color=GREY, label=other)]
        if adsl is not None:
            handles.insert(0, Line2D([], [], color=BLUE, label="MRD responder"))
        handles.append(Line2D([], [], color=RED, ls="--", label=f"{threshold:g} log10"))
        ax.legend(handles=handles, loc="lower left")
        fig.tight_layout()
    return fig
