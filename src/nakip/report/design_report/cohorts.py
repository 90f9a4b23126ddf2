"""Each cohort's designs for the report: optimal, minimax, the planned check and exact OC.

Designs from the exact Simon search (nakip.stats.simon), compared with the protocol's planned
boundaries; OC over a grid of true response rates with p0 and p1 added.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nakip.analysis.design_choice import (
    ChosenDesign,
    DesignBoundaries,
)
from nakip.protocol.model import Cohort, DesignSpec
from nakip.report.design_report.results import CohortDesign, DesignRow, OCRow, PlannedCheck
from nakip.report.design_report.words import simon_decision_rules, single_stage_decision_rules
from nakip.stats.binomial import (
    NoSingleStageDesignError,
    single_stage_design,
    single_stage_reject_prob,
)
from nakip.stats.simon import operating_characteristics, search


def _grid(base: Sequence[float], extra: Sequence[float]) -> tuple[float, ...]:
    values = {round(float(v), 6) for v in [*base, *extra]}
    return tuple(sorted(values))


def _search_rows(spec: DesignSpec) -> tuple[DesignRow, DesignRow, DesignRow | None]:
    result = search(spec.p0, spec.p1, spec.alpha, spec.power, spec.nmax)
    optimal = DesignRow.from_simon("Optimal", result.optimal)
    minimax = DesignRow.from_simon("Minimax", result.minimax)
    try:
        single = DesignRow.from_single(
            "Single-stage", single_stage_design(spec.p0, spec.p1, spec.alpha, spec.power, 1000)
        )
    except NoSingleStageDesignError:
        single = None
    return optimal, minimax, single


def _row(label: str, d: DesignBoundaries) -> DesignRow:
    return DesignRow(label, d.r1, d.n1, d.r, d.n, d.en0, d.pet0, d.alpha, d.power)


def _planned_check(choice: ChosenDesign) -> PlannedCheck:
    """The protocol's planned boundaries against the recomputed design, as decided by
    `nakip.analysis.design_choice`."""
    if choice.matches_search is None:
        return PlannedCheck("absent", None, "The protocol states no planned design to check.")
    planned = _row("Planned (protocol)", choice.design)
    return PlannedCheck("match" if choice.matches_search else "mismatch", planned, choice.message)


def _cohort_oc(
    chosen: DesignRow, rates: Sequence[float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p = np.asarray(rates, dtype=float)
    if chosen.two_stage:
        oc = operating_characteristics(chosen, p)
        return (np.asarray(oc.prob_reject), np.asarray(oc.pet), np.asarray(oc.en))
    reject = np.asarray(single_stage_reject_prob(chosen.r, chosen.n, p))
    return reject, np.zeros_like(p), np.full_like(p, float(chosen.n))


def _cohort_design(
    cohort: Cohort, choice: ChosenDesign, response_rates: Sequence[float]
) -> CohortDesign:
    spec = cohort.design
    optimal, minimax, single = _search_rows(spec)
    chosen = _row("Chosen", choice.searched)
    if chosen.two_stage:
        rules = simon_decision_rules(chosen.r1, chosen.n1, chosen.r, chosen.n)  # type: ignore[arg-type]
    else:
        rules = single_stage_decision_rules(chosen.r, chosen.n)
    grid = _grid(response_rates, [spec.p0, spec.p1])
    reject, pet, en = _cohort_oc(chosen, grid)
    oc = tuple(
        OCRow(float(p), float(a), float(b), float(c))
        for p, a, b, c in zip(grid, reject, pet, en, strict=True)
    )
    dense = np.round(np.linspace(0.0, 1.0, 201), 6)
    curve: dict[str, tuple[float, ...]] = {"p": tuple(float(v) for v in dense)}
    for key, row in (("chosen", chosen), ("optimal", optimal), ("minimax", minimax)):
        r_, pet_, en_ = _cohort_oc(row, dense)
        curve[f"{key}_reject"] = tuple(float(v) for v in r_)
        curve[f"{key}_pet"] = tuple(float(v) for v in pet_)
        curve[f"{key}_en"] = tuple(float(v) for v in en_)
    return CohortDesign(
        code=cohort.code,
        name=cohort.name,
        description=cohort.description,
        endpoint=cohort.primary_endpoint.description,
        design_type=spec.type,
        design_label=choice.label,
        p0=spec.p0,
        p1=spec.p1,
        alpha=spec.alpha,
        power=spec.power,
        nmax=spec.nmax,
        chosen=_row(f"Chosen ({choice.label})", choice.searched),
        optimal=optimal,
        minimax=minimax,
        single_stage=single,
        planned_check=_planned_check(choice),
        decision_rules=rules,
        oc=oc,
        curve=curve,
        max_n=choice.planned_n,
    )
