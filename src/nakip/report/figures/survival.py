"""Survival figures: Kaplan-Meier curves with a numbers-at-risk table, cumulative incidence.

Each group is either a fitted estimator of `nakip.stats.survival` (`KaplanMeier`,
`AalenJohansen`: its `table`, `last_time` and, for Kaplan-Meier, `at_risk(times)`) or a bare
table: Kaplan-Meier with columns time, survival, lower, upper and optionally n_risk, n_censor
(numbers at risk then come from n_risk, exact when the rows cover every distinct time), or
cumulative incidence with time, cif, lower, upper. Times are drawn divided by `time_scale`
(DAYS_PER_MONTH shows days as months).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from nakip.report.figures.style import category_colours, house_style, new_figure, no_data
from nakip.stats.survival import DAYS_PER_MONTH

__all__ = ["at_risk_counts", "cif_figure", "km_figure"]

_KM_COLUMNS = ("time", "survival")
_CIF_COLUMNS = ("time", "cif")


@dataclass(frozen=True)
class _Curve:
    """One group's step function, the end of its follow-up and how to count who is at risk."""

    table: pd.DataFrame
    last_time: float
    at_risk: Callable[[Sequence[float]], list[int]] | None


def _curve(label: str, source: Any, needed: Sequence[str]) -> _Curve | None:
    """Normalise a table or a fitted estimator; None when empty; ValueError naming a column."""
    table = source if isinstance(source, pd.DataFrame) else getattr(source, "table", None)
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"curve {label!r}: neither a DataFrame nor a fitted estimator")
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise ValueError(f"curve {label!r}: missing column(s) {', '.join(missing)}")
    last = getattr(source, "last_time", None)
    if table.empty:
        return None
    table = table.sort_values("time", kind="stable").reset_index(drop=True)
    end = float(table["time"].iloc[-1]) if last is None else max(float(last), 0.0)
    if callable(getattr(source, "at_risk", None)):
        counter = source.at_risk
    elif "n_risk" in table.columns:
        counter = lambda times: at_risk_counts(table, times)  # noqa: E731
    else:
        counter = None
    return _Curve(table, end, counter)


def _usable(curves: Mapping[str, Any], needed: Sequence[str]) -> dict[str, _Curve]:
    out = {label: _curve(label, source, needed) for label, source in curves.items()}
    return {label: c for label, c in out.items() if c is not None}


def _step_from(
    curve: _Curve, value: str, start: float, time_scale: float
) -> tuple[np.ndarray, np.ndarray]:
    """Times and values of the step function from (0, start) to the end of follow-up."""
    t = curve.table["time"].to_numpy(dtype=float)
    v = curve.table[value].to_numpy(dtype=float)
    if t[0] > 0:
        t = np.concatenate([[0.0], t])
        v = np.concatenate([[start], v])
    if curve.last_time > t[-1]:
        t = np.concatenate([t, [curve.last_time]])
        v = np.concatenate([v, v[-1:]])
    return t / time_scale, v


def _band(ax: Axes, curve: _Curve, start: float, time_scale: float, colour: str) -> None:
    """The pointwise confidence band as a stepped shaded area (skipped where not estimable)."""
    if not {"lower", "upper"} <= set(curve.table.columns):
        return
    t, lo = _step_from(curve, "lower", start, time_scale)
    _, hi = _step_from(curve, "upper", start, time_scale)
    ok = np.isfinite(lo) & np.isfinite(hi)
    if ok.any():
        ax.fill_between(t, lo, hi, where=ok, step="post", color=colour, alpha=0.15, lw=0)


def at_risk_counts(table: pd.DataFrame, times: Sequence[float]) -> list[int]:
    """Number at risk just before each of `times` from a table with time and n_risk per row.

    The rows are the distinct times of the group; at time t it is n_risk of the first row at or
    after t (nobody leaves between rows), and 0 after the last row.
    """
    t = table["time"].to_numpy(dtype=float)
    n = table["n_risk"].to_numpy(dtype=float)
    idx = np.searchsorted(t, np.asarray(times, dtype=float), side="left")
    return [int(n[i]) if i < len(t) else 0 for i in idx]


def _risk_table(
    ax: Axes,
    curves: dict[str, _Curve],
    colours: dict[str, str],
    ticks: np.ndarray,
    time_scale: float,
) -> None:
    """Numbers at risk under the plot: one text row per group at the main axis' ticks."""
    ax.set_axis_off()
    ax.set_title("Number at risk", loc="left", fontsize=8, fontweight="normal", pad=2)
    labels = list(curves)
    for row, label in enumerate(labels):
        y = 1 - (row + 0.5) / len(labels)
        ax.text(
            -0.045,
            y,
            label,
            ha="right",
            va="center",
            fontsize=7.5,
            color=colours[label],
            transform=ax.transAxes,
        )
        counter = curves[label].at_risk
        if counter is None:
            continue
        for tick, count in zip(ticks, counter(list(ticks * time_scale)), strict=True):
            ax.text(
                tick,
                y,
                str(count),
                ha="center",
                va="center",
                fontsize=7.5,
                transform=ax.get_xaxis_transform(),
            )


def km_figure(
    curves: Mapping[str, Any],
    *,
    title: str = "Kaplan-Meier estimate",
    ylabel: str = "Probability",
    time_scale: float = DAYS_PER_MONTH,
    xlabel: str = "Months since enrolment",
    risk_table: bool = True,
) -> Figure:
    """Kaplan-Meier step curves with 95 % bands, censoring ticks and numbers at risk under them.

    `curves` maps a group label to an estimator or table (see the module docstring); groups
    with no event are left out and a figure saying "no data" is returned when none remains.
    """
    usable = _usable(curves, _KM_COLUMNS)
    if not usable:
        return no_data(title)
    colours = category_colours(list(usable))
    with house_style():
        fig = new_figure(6.4, 3.6 + (0.22 * len(usable) if risk_table else 0))
        if risk_table:
            grid = fig.add_gridspec(2, 1, height_ratios=[4, 0.45 + 0.3 * len(usable)], hspace=0.35)
            ax = fig.add_subplot(grid[0])
            risk_ax = fig.add_subplot(grid[1], sharex=ax)
        else:
            ax = fig.add_subplot()
        for label, curve in usable.items():
            colour = colours[label]
            t, s = _step_from(curve, "survival", 1.0, time_scale)
            ax.step(t, s, where="post", color=colour, lw=1.6, label=label)
            _band(ax, curve, 1.0, time_scale, colour)
            table = curve.table
            if "n_censor" in table.columns:
                cens = table[table["n_censor"].fillna(0) > 0]
                ax.plot(
                    cens["time"] / time_scale,
                    cens["survival"],
                    "+",
                    color=colour,
                    ms=6,
                    mew=1.0,
                    ls="none",
                )
        ax.set_ylim(-0.02, 1.02)
        end = max(c.last_time for c in usable.values()) / time_scale
        ax.set_xlim(0, max(end, 1e-9) * 1.02)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=8, integer=True, min_n_ticks=3))
        ax.set_ylabel(ylabel)
        ax.set_title(title, loc="left")
        ax.legend(loc="upper right")
        ax.set_xlabel(xlabel)
        if risk_table:
            ticks = np.array([x for x in ax.get_xticks() if 0 <= x <= ax.get_xlim()[1]])
            _risk_table(risk_ax, usable, colours, ticks, time_scale)
        fig.subplots_adjust(left=0.16, right=0.97, top=0.92, bottom=0.03)
    return fig


def cif_figure(
    curves: Mapping[str, Any],
    *,
    title: str = "Cumulative incidence",
    ylabel: str = "Cumulative incidence",
    time_scale: float = DAYS_PER_MONTH,
    xlabel: str = "Months since remission",
) -> Figure:
    """Cumulative-incidence step curves (Aalen-Johansen) with 95 % bands where estimable."""
    usable = _usable(curves, _CIF_COLUMNS)
    if not usable:
        return no_data(title)
    colours = category_colours(list(usable))
    with house_style():
        fig = new_figure(6.4, 3.3)
        ax = fig.add_subplot()
        for label, curve in usable.items():
            colour = colours[label]
            t, c = _step_from(curve, "cif", 0.0, time_scale)
            ax.step(t, c, where="post", color=colour, lw=1.6, label=label)
            _band(ax, curve, 0.0, time_scale, colour)
        top = max(float(np.nanmax(c.table["cif"].to_numpy(dtype=float))) for c in usable.values())
        ax.set_ylim(0, min(1.0, max(0.1, top * 1.25)))
        end = max(c.last_time for c in usable.values()) / time_scale
        ax.set_xlim(0, max(end, 1e-9) * 1.02)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(title, loc="left")
        ax.legend(loc="upper left")
        fig.tight_layout()
    return fig
