"""Monitoring plots: cumulative events (or responses) by patient against a stopping boundary.

The boundary is the vector of `nakip.stats` rules: for the Bayesian toxicity/feasibility rules
"stop if at least b_n events among the first n patients" (Thall & Simon 1994), None/NaN where
no count can stop; for a Simon design the decision points (n1, r1) and (n, r) (Simon 1989).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from nakip.report.figures.style import BLUE, GREEN, GREY, RED, house_style, new_figure, no_data

__all__ = ["monitoring_status_figure", "simon_status_figure"]


def _as_float(values: Sequence[float | int | None]) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


def monitoring_status_figure(
    cumulative_events: Sequence[int],
    boundary: Sequence[float | int | None],
    *,
    crossed_at: int | None = None,
    title: str = "Monitoring",
    event_label: str = "events",
) -> Figure:
    """Events among the first n patients (steps) against the stopping boundary b_n (n = 1..nmax);
    the stopping region is shaded and the first crossing `crossed_at` (as decided by
    `nakip.analysis.monitoring.rule_status`), if any, is marked."""
    bound = _as_float(boundary)
    if bound.size == 0:
        return no_data(title, "no boundary")
    events = _as_float(cumulative_events)
    n_all = np.arange(1, bound.size + 1)
    with house_style():
        fig = new_figure(6.4, 2.8)
        ax = fig.add_subplot()
        ok = np.isfinite(bound)
        ax.step(
            n_all[ok],
            bound[ok],
            where="mid",
            color=RED,
            lw=1.4,
            gid="boundary",
            label=f"stop if {event_label} \u2265 boundary",
        )
        top = float(np.nanmax(bound)) if ok.any() else 1.0
        top = max(top, float(events.max()) if events.size else 0.0) + 1
        ax.fill_between(n_all[ok], bound[ok], top, step="mid", color=RED, alpha=0.08, lw=0)
        if events.size:
            n_seen = np.arange(1, events.size + 1)
            ax.step(
                n_seen,
                events,
                where="post",
                color=BLUE,
                lw=1.8,
                gid="observed",
                label=f"observed {event_label} ({int(events[-1])} of {events.size})",
            )
            crossed = crossed_at
            if crossed is not None and crossed <= events.size:
                ax.plot(
                    [crossed],
                    [events[crossed - 1]],
                    "o",
                    color=RED,
                    ms=7,
                    mfc="none",
                    mew=1.5,
                    gid="crossing",
                    label=f"boundary crossed at n = {crossed}",
                )
        else:
            ax.text(0.02, 0.9, "no patient evaluated yet", transform=ax.transAxes, color=GREY)
        ax.set_xlim(0.5, bound.size + 0.5)
        ax.set_ylim(0, top)
        ax.set_xlabel("Patients evaluated (n)")
        ax.set_ylabel(f"Cumulative {event_label}")
        ax.set_title(title, loc="left")
        ax.legend(loc="upper left")
        fig.tight_layout()
    return fig


def simon_status_figure(
    cumulative_responses: Sequence[int],
    r1: int | None,
    n1: int | None,
    r: int,
    n: int,
    *,
    title: str = "Responses against the design",
) -> Figure:
    """Responders among the first patients against the design's decision points: futility stop
    if <= r1 of n1 (two-stage only) and promising if > r of n."""
    events = _as_float(cumulative_responses)
    with house_style():
        fig = new_figure(6.4, 2.8)
        ax = fig.add_subplot()
        if n1 is not None and r1 is not None:
            ax.vlines(
                n1,
                0,
                r1 + 0.5,
                color=RED,
                lw=2.0,
                gid="futility",
                label=f"stage 1: stop if \u2264 {r1} of {n1}",
            )
        ax.vlines(
            n, r + 0.5, n, color=GREEN, lw=2.0, gid="success", label=f"promising if > {r} of {n}"
        )
        if events.size:
            ax.step(
                np.arange(1, events.size + 1),
                events,
                where="post",
                color=BLUE,
                lw=1.8,
                gid="observed",
                label=f"responders ({int(events[-1])} of {events.size})",
            )
        else:
            ax.text(0.02, 0.9, "no patient evaluated yet", transform=ax.transAxes, color=GREY)
        ax.set_xlim(0, n + 1)
        ax.set_ylim(0, max(r + 3, float(events.max()) + 2 if events.size else 0))
        ax.set_xlabel("Patients evaluated (n)")
        ax.set_ylabel("Cumulative responders")
        ax.set_title(title, loc="left")
        ax.legend(loc="upper left")
        fig.tight_layout()
    return fig
