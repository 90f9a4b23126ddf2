"""The monitoring rules for the report: stopping boundaries, their ranges and exact OC.

Beta-binomial monitoring (nakip.stats.bayes_monitor) of each protocol rule, with the event it
counts defined from the protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from nakip.protocol.model import MonitoringRule, Protocol
from nakip.report.design_report.cohorts import _grid
from nakip.report.design_report.results import (
    BoundaryRange,
    BoundaryRow,
    CohortDesign,
    MonitoringOCRow,
    MonitoringSection,
)
from nakip.report.design_report.words import monitoring_rule_words
from nakip.stats.bayes_monitor import BayesianToxicityMonitor


def _ranges(rows: Sequence[BoundaryRow]) -> tuple[BoundaryRange, ...]:
    out: list[BoundaryRange] = []
    for row in rows:
        if row.stop_if_at_least is None:
            continue
        if out and out[-1].stop_if_at_least == row.stop_if_at_least and out[-1].n_to == row.n - 1:
            last = out[-1]
            out[-1] = BoundaryRange(last.n_from, row.n, last.stop_if_at_least)
        else:
            out.append(BoundaryRange(row.n, row.n, row.stop_if_at_least))
    return tuple(out)


def _monitoring_section(
    rule: MonitoringRule,
    nmax: int,
    scope: str,
    event_rates: Sequence[float],
    definition: str,
) -> MonitoringSection:
    monitor = BayesianToxicityMonitor(
        rule.prior_a, rule.prior_b, rule.limit, rule.cutoff, nmax, min(rule.min_patients, nmax)
    )
    table = monitor.boundaries
    rows = tuple(
        BoundaryRow(
            n=int(n),
            stop_if_at_least=None if _isna(stop) else int(stop),
            posterior_at_boundary=None if _isna(post) else float(post),
        )
        for n, stop, post in zip(
            table.index,
            table["stop_if_at_least"],
            table["posterior_prob_at_boundary"],
            strict=True,
        )
        if n >= rule.min_patients
    )
    ranges = _ranges(rows)
    grid = _grid(event_rates, [rule.limit])
    oc = monitor.operating_characteristics(grid)
    oc_rows = tuple(
        MonitoringOCRow(float(r), float(s), float(e), float(en), float(ev))
        for r, s, e, en, ev in zip(
            oc.rates,
            oc.prob_stop,
            oc.prob_early_stop,
            oc.expected_n,
            oc.expected_events,
            strict=True,
        )
    )
    dense = np.round(np.linspace(0.0, 0.7, 141), 6)
    dense_oc = monitor.operating_characteristics(dense)
    curve = {
        "rate": tuple(float(v) for v in dense),
        "prob_stop": dense_oc.prob_stop,
        "expected_n": dense_oc.expected_n,
    }
    return MonitoringSection(
        code=rule.code,
        event=rule.event,
        description=rule.description,
        event_definition=definition,
        prior_a=rule.prior_a,
        prior_b=rule.prior_b,
        limit=rule.limit,
        cutoff=rule.cutoff,
        min_patients=rule.min_patients,
        per_cohort=rule.per_cohort,
        scope=scope,
        nmax=nmax,
        words=monitoring_rule_words(rule, ranges, scope),
        boundaries=rows,
        ranges=ranges,
        oc=oc_rows,
        curve=curve,
    )


def _isna(value: Any) -> bool:
    return value is None or bool(pd.isna(value))


def _event_definition(protocol: Protocol, event: str) -> str:
    """What counts as an event, from the protocol's safety block."""
    safety = protocol.safety
    if event == "dlt":
        return (
            f"a dose-limiting toxicity as defined in the protocol (CTCAE v{safety.ctcae_version}, "
            f"{safety.crs_icans_grading} for CRS/ICANS), {safety.dlt.window_description}"
        )
    if event == "feasibility_failure":
        return " ".join(safety.feasibility_failure.split())
    return event.replace("_", " ")


def _monitoring(
    rule: MonitoringRule,
    cohorts: Sequence[CohortDesign],
    event_rates: Sequence[float],
    definition: str,
) -> list[MonitoringSection]:
    """Per-cohort rules get one section per distinct cohort size; pooled rules one section."""
    if not rule.per_cohort:
        total = sum(c.max_n for c in cohorts)
        if len(cohorts) > 1:
            parts = " + ".join(f"{c.max_n} {c.code}" for c in cohorts)
            scope = f"over all cohorts pooled (up to {total} patients: {parts})"
        else:
            scope = f"in the trial (up to {total} patients)"
        return [_monitoring_section(rule, total, scope, event_rates, definition)]
    by_n: dict[int, list[CohortDesign]] = {}
    for c in cohorts:
        by_n.setdefault(c.max_n, []).append(c)
    out = []
    for n, group in by_n.items():
        if len(group) == len(cohorts) and len(cohorts) > 1:
            scope = f"in each cohort separately (up to {n} patients per cohort)"
        else:
            names = ", ".join(c.code for c in group)
            scope = f"in cohort {names} (up to {n} patients)"
        out.append(_monitoring_section(rule, n, scope, event_rates, definition))
    return out
