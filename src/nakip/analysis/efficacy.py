"""Primary efficacy per cohort: responders under every definition, exact inference, decision.

ITT: treated patients whose outcome is settled at the cut-off (a patient who can no longer be
assessed is a non-responder; docs/clinical-rules.md); evaluable-only (response-evaluable flag) is
the sensitivity analysis. Each rate has an exact Clopper–Pearson CI and an exact one-sided
binomial p-value against p0. After a two-stage design, the stage-wise analysis of
`nakip.stats.simon.TwoStageInference` (Koyama & Chen 2008; UMVUE of Jung & Kim 2004) gives the
p-value, median-unbiased estimate, UMVUE and the exact two-sided 1 - 2·alpha interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

import pandas as pd

from nakip.analysis.data import TrialData
from nakip.analysis.design_choice import ChosenDesign, chosen_design
from nakip.analysis.fitter import Fitter
from nakip.analysis.monitoring import SimonStatus, simon_status
from nakip.analysis.populations import flag, primary_outcomes, treated
from nakip.analysis.proportion import Proportion
from nakip.protocol.model import Cohort, Protocol

NOT_ASSESSED = "not assessed"

DEFINITIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "eln2022_response": (
        ("responder", "primary (protocol definition)"),
        ("responder_cr", "CR only"),
        ("responder_cr_cri", "CR or CRi as registered"),
        ("responder_cr_crh_cri", "CR, CRh or CRi (ELN 2022 composite)"),
    ),
    "mrd_log10_decrease": (
        ("responder", "primary (protocol definition)"),
        ("mrd_responder", "MRD decrease > 1 log10"),
    ),
}
"""Endpoint kind -> (ADSL responder column, label) shown side by side, the primary first."""


@dataclass(frozen=True)
class ResponseRate:
    """Responders under one definition in one population."""

    definition: str
    column: str
    population: str  # "ITT" or "evaluable"
    rate: Proportion

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view."""
        return {
            "definition": self.definition,
            "column": self.column,
            "population": self.population,
            **self.rate.to_dict(),
        }


@dataclass(frozen=True)
class TwoStageEstimate:
    """Stage-wise exact inference after the two-stage rule settled (or why it is not done)."""

    stage: int | None
    responders: int | None
    treated: int | None
    p_value: float | None
    mle: float | None
    mue: float | None
    umvue: float | None
    ci_lower: float | None
    ci_upper: float | None
    conf_level: float
    reason: str | None = None

    @property
    def estimable(self) -> bool:
        return self.reason is None

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class CohortEfficacy:
    """One cohort's primary efficacy analysis."""

    cohort: str
    endpoint: str
    design: ChosenDesign
    treated: int
    settled: int
    pending: int
    evaluable: int
    best_response: dict[str, int]
    rates: tuple[ResponseRate, ...]
    simon: SimonStatus
    two_stage: TwoStageEstimate | None
    decision: str

    @property
    def primary(self) -> ResponseRate:
        """The protocol's primary definition in the ITT population."""
        return self.rates[0]

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view."""
        return {
            "cohort": self.cohort,
            "endpoint": self.endpoint,
            "design": self.design.to_dict(),
            "treated": self.treated,
            "settled": self.settled,
            "pending": self.pending,
            "evaluable": self.evaluable,
            "best_response": dict(self.best_response),
            "rates": [r.to_dict() for r in self.rates],
            "simon": self.simon.to_dict(),
            "two_stage": None if self.two_stage is None else self.two_stage.to_dict(),
            "decision": self.decision,
        }


def best_responses(itt: pd.DataFrame) -> dict[str, int]:
    """Treated patients by best overall response, most frequent first ("not assessed" for
    patients with none yet)."""
    counts = itt["best_response"].map(lambda v: v if isinstance(v, str) and v else NOT_ASSESSED)
    return {str(k): int(v) for k, v in counts.value_counts().items()}


def two_stage_estimate(
    outcomes: list[bool | None], design: ChosenDesign, status: SimonStatus
) -> TwoStageEstimate:
    """Stage-wise inference (nakip.stats.simon) once the stage that ends the trial is complete."""
    from nakip.stats.simon import TwoStageInference, TwoStageRule

    conf = 1.0 - 2.0 * design.alpha
    empty = dict.fromkeys(
        ("stage", "responders", "treated", "p_value", "mle", "mue", "umvue", "ci_lower", "ci_upper")
    )
    rule = TwoStageRule(design.r1, design.n1, design.r, design.n)  # type: ignore[arg-type]
    if status.stage1_decision == "stop_futility" and status.stage1_known == rule.n1:
        fit = TwoStageInference(rule, p0=design.p0, conf_level=conf).fit(status.stage1_responders)
    elif status.stage1_decision == "continue" and status.final_known == rule.n:
        x1 = sum(o is True for o in outcomes[: rule.n1])
        fit = TwoStageInference(rule, p0=design.p0, conf_level=conf).fit(
            x1, x_total=status.final_responders
        )
    else:
        need = rule.n1 if status.stage1_decision != "continue" else rule.n
        have = status.stage1_known if status.stage1_decision != "continue" else status.final_known
        why = f"not estimable yet: {have} of the {need} outcomes of the deciding stage are known"
        return TwoStageEstimate(**empty, conf_level=conf, reason=why)
    r = fit.result_
    assert r is not None
    return TwoStageEstimate(
        r.stage, r.x_total, r.n_treated, r.p_value, r.mle, r.mue, r.umvue,
        r.ci_lower, r.ci_upper, conf,
    )  # fmt: skip


def _decision(design: ChosenDesign, status: SimonStatus, est: TwoStageEstimate | None) -> str:
    h0 = f"H0 (response rate <= {design.p0:g})"
    if status.final_decision == "pending":
        return f"Not decided yet: {status.final_text}."
    if status.final_decision == "stopped_at_stage1":
        words = (
            f"Stopped for futility after stage 1 ({status.stage1_responders} <= {design.r1} "
            f"responders among the first {design.n1}): {h0} is not rejected."
        )
    elif status.final_decision == "efficacy":
        words = (
            f"{status.final_responders} > {design.r} responders among the first {design.n}: "
            f"{h0} is rejected; the treatment is promising in this cohort."
        )
    else:
        words = f"At most {design.r} responders among the first {design.n}: {h0} is not rejected."
    if est is not None and est.estimable:
        pct = f"{100 * est.conf_level:g}%"
        words += (
            f" Stage-wise p = {est.p_value:.4g}; median-unbiased estimate {est.mue:.3f} "
            f"({pct} CI {est.ci_lower:.3f}-{est.ci_upper:.3f}); UMVUE {est.umvue:.3f}."
        )
    return words


def cohort_efficacy(
    data: TrialData, protocol: Protocol, cohort: Cohort, conf_level: float = 0.95
) -> CohortEfficacy:
    """The efficacy analysis of one cohort (see the module docstring)."""
    design = chosen_design(protocol, cohort.code)
    adsl = data.adsl[data.adsl["cohort"] == cohort.code]
    itt = treated(adsl)
    evaluable = itt[flag(itt["response_evaluable_fl"])]
    rates: list[ResponseRate] = []
    for column, label in DEFINITIONS[cohort.primary_endpoint.kind]:
        outcomes = primary_outcomes(adsl, protocol, cohort, data.cutoff, column)
        settled = [o for o in outcomes if o is not None]
        rates.append(
            ResponseRate(
                label, column, "ITT",
                Proportion.exact(sum(settled), len(settled), p0=design.p0, conf_level=conf_level,
                                 what="treated patient with a settled outcome"),
            )
        )  # fmt: skip
        rates.append(
            ResponseRate(
                label, column, "evaluable",
                Proportion.exact(int(flag(evaluable[column]).sum()), len(evaluable),
                                 p0=design.p0, conf_level=conf_level,
                                 what="response-evaluable patient"),
            )
        )  # fmt: skip
    outcomes = primary_outcomes(adsl, protocol, cohort, data.cutoff, "responder")
    status = simon_status(outcomes, design)
    est = two_stage_estimate(outcomes, design, status) if design.two_stage else None
    n_settled = sum(o is not None for o in outcomes)
    return CohortEfficacy(
        cohort=cohort.code,
        endpoint=cohort.primary_endpoint.description,
        design=design,
        treated=len(itt),
        settled=n_settled,
        pending=len(itt) - n_settled,
        evaluable=len(evaluable),
        best_response=best_responses(itt),
        rates=tuple(rates),
        simon=status,
        two_stage=est,
        decision=_decision(design, status, est),
    )


class EfficacyAnalysis(Fitter):
    """Primary efficacy of every cohort, lifelines-style.

    `EfficacyAnalysis(protocol).fit(data)`; then `cohorts` (code -> CohortEfficacy), `summary`
    (one row per cohort, definition and population) and `to_dict()`.
    """

    def __init__(self, protocol: Protocol, conf_level: float = 0.95) -> None:
        self.protocol = protocol
        self.conf_level = conf_level
        self.cohorts: dict[str, CohortEfficacy] = {}

    def fit(self, data: TrialData) -> Self:
        """Analyse every cohort of the protocol in `data`."""
        self.cohorts = {
            c.code: cohort_efficacy(data, self.protocol, c, self.conf_level)
            for c in self.protocol.cohorts
        }
        self._fitted = True
        return self

    @property
    def summary(self) -> pd.DataFrame:
        """Responders, rate, exact CI and one-sided p per cohort, definition and population."""
        self._check_fitted()
        rows = [
            {
                "cohort": code,
                "definition": r.definition,
                "population": r.population,
                "responders": r.rate.x,
                "n": r.rate.n,
                "rate": r.rate.estimate,
                "ci_lower": r.rate.ci_lower,
                "ci_upper": r.rate.ci_upper,
                "p_value": r.rate.p_value,
                "note": r.rate.reason or "",
            }
            for code, c in self.cohorts.items()
            for r in c.rates
        ]
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view."""
        self._check_fitted()
        return {code: c.to_dict() for code, c in self.cohorts.items()}
